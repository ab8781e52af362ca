#!/usr/bin/env python3
"""Benchmark: umzug's seed over a shaped WAN link beside rsync -aAXH -z, and the estimate.

Starts two podman containers from the lab's Samba image (the tag this tree's lab/images
builds; it has zstd and rsync) on a podman network of their own: a Kommune file server and
an RZ file server. On the Kommune side, bench/office_data.py writes a tree of office-like
documents and already-compressed files (--office-mib, --packed-mib); every tenth file gets a
POSIX ACL (group 1001) and a user.DOSATTRIB xattr, which umzug and rsync -aAX both carry. The
Kommune side gets a `wbinfo` that gives every uid and gid a SID of its own (S-1-22-1-<uid>,
S-1-22-2-<gid>), and the engine maps them back to the same ids, so owners and ACLs go through
umzug's translation while both copies stay comparable with rsync's (bench/shares_sync.py does
the same). The RZ side gets an SSH key the Kommune's root accepts.

The link: the Kommune container's egress shaped to --rate Mbit/s (`umzug_lab.py link`, tc
tbf), and on the RZ side a delaying relay (`umzug_lab.py relay`, lab/delay_relay.py) to the
Kommune's sshd with --delay ms each way (a round trip of 2 x delay: the plan's
`link.latency` is the round trip, docs/plan.md). Both tools reach the Kommune through the
relay (docs/shares.md "The lab's link"), with the same ssh and its default cipher.

Each round copies the tree once with each tool into a fresh folder on the RZ side, the order
alternating from round to round:

  umzug  share_sync.run_pass (the engine share_sync runs) in the RZ container, pulling over
         SSH with compress=True (zstd -3) and no umzug limit: the link's shaping is the
         limit; a new state. Then, timed apart, a second pass with nothing changed (what a
         share costs besides its data, which the estimate takes from it).
  rsync  rsync -aAXH -z --numeric-ids -e 'ssh ...' from the Kommune side (rsync 3.2 picks
         its compression with the other side: zstd where both have it).

Timed: the wall clock of each copy in the RZ container (umzug's around run_pass, after its
imports; rsync's around the command). Every copy is checked afterwards (files, bytes, and the
SHA-256, mode, mtime, owner, ACL and user.DOSATTRIB of a sample of files against the source)
and not timed; the bytes the Kommune's qdisc sent during each copy are read before and after
it (`link --json`), so the bytes on the wire of each tool are known.

The estimate: before each umzug seed, plugins/plugin_utils/wave/estimate.py's model for a
share of the tree's files and bytes as listed, the link {bandwidth: --rate, latency:
2 x --delay}, no schedule and transfer.compress true; in round 1 from the link, the defaults
and discovery's sample of the share (share_discover's wire_sample, taken on the Kommune's side
with its default of 8 MiB), from round 2 on with what the earlier rounds' umzug passes measured
(as a dry run after a first pass would, never the pass being estimated). Printed: the estimate against the
seed's time.

Run as root (tc, nsenter, rootful podman), after `make images`:
  .venv/bin/python bench/shares_link.py [--office-mib 600] [--packed-mib 600] [--rounds 2]
      [--rate 100] [--delay 10] [--keep] [--timeline FILE]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "collections"))
sys.path.insert(0, str(TOP / "lab"))

import umzug_lab  # noqa: E402  (the lab's podman helpers, link and relay)

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire  # noqa: E402

SOURCE = "/srv/bench/data"  # on the Kommune side: the share
WORK = "/var/tmp/umzug-bench"  # on the RZ side: the copies and the state
RZ_TOP = "/opt/umzug-bench"  # on the RZ side: what this script needs of the repository
KEY = "/root/.ssh/bench_ed25519"
KNOWN_HOSTS = "/root/.ssh/bench_known_hosts"
RELAY_PORT = 2222
TOOLS = ("umzug", "rsync")
# A SID for every uid and gid, as winbind would give them (the listing agent asks `wbinfo`).
WBINFO = """#!/bin/sh
case "$1" in
  --uid-to-sid) echo "S-1-22-1-$2" ;;
  --gid-to-sid) echo "S-1-22-2-$2" ;;
  *) exit 1 ;;
esac
"""
# Run on the Kommune side after the tree is written: the metadata of every tenth file.
DECORATE = r"""
import os, sys
root = sys.argv[1]
files = sorted(os.path.join(d, n) for d, _s, ns in os.walk(root) for n in ns)
acl = bytes.fromhex("02000000" "01000600ffffffff" "04000400ffffffff" "08000500e9030000" "10000500ffffffff"
                    "20000400ffffffff")  # u::rw- g::r-- g:1001:r-x m::r-x o::r--
for path in files[::10]:
    os.setxattr(path, "system.posix_acl_access", acl)
    os.setxattr(path, "user.DOSATTRIB", b"\x00\x00\x04\x00\x04\x00\x00\x00\x20\x00\x00\x00")
"""


# --- on the host ----------------------------------------------------------------------------

def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return umzug_lab.run(["podman", *args], check=check)


def sh(container: str, script: str) -> str:
    return podman("exec", container, "sh", "-ec", script).stdout


def samba_image() -> str:
    """The Samba image this tree's lab/images builds (with zstd and rsync), by its stable tag."""
    tags = {"rootfs": umzug_lab.rootfs_tag()}
    for name, parent in umzug_lab.IMAGES.items():
        tags[name] = umzug_lab.image_tag(name, tags[parent])
    if not umzug_lab.image_exists(tags["samba"]):
        raise SystemExit(f"{tags['samba']} does not exist: build the lab's images first (make images)")
    return tags["samba"]


def start(image: str, name: str, network: str, address: str) -> None:
    if umzug_lab.container_state(name):
        podman("rm", "-f", "-t", "5", name)
    # SYS_ADMIN as the lab's Samba hosts get it: POSIX ACLs and xattrs on the copies.
    podman("run", "-d", "--name", name, "--hostname", name, "--network", network, "--ip", address,
           "--systemd=always", "--cap-add", "SYS_ADMIN", image, "/sbin/init")
    for _ in range(60):
        if podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip() in ("running",
                                                                                                   "degraded"):
            return
        time.sleep(1)
    raise umzug_lab.LabError(f"{name}: systemd did not come up within 60 s")


def set_up_kommune(name: str, args) -> None:
    podman("cp", str(TOP / "bench" / "office_data.py"), f"{name}:/usr/local/lib/office_data.py")
    # The plugins, for discovery's sample of the share (DISCOVERY_SAMPLE).
    target = f"{RZ_TOP}/collections/ansible_collections/kommunal/umzug"
    sh(name, f"mkdir -p {target}")
    podman("cp", str(TOP / "plugins"), f"{name}:{target}/plugins")
    sh(name, f"cat > /usr/local/bin/wbinfo <<'EOF'\n{WBINFO}EOF\nchmod 755 /usr/local/bin/wbinfo\n"
             f"python3 /usr/local/lib/office_data.py {SOURCE} --office-mib {args.office_mib} "
             f"--packed-mib {args.packed_mib} --seed {args.seed} >/dev/null\n"
             f"python3 -c '{DECORATE}' {SOURCE}\n"
             "systemctl start ssh\n")


def set_up_rz(name: str, kommune: str, kommune_ip: str) -> None:
    target = f"{RZ_TOP}/collections/ansible_collections/kommunal/umzug"
    sh(name, f"mkdir -p {target} {RZ_TOP}/bench {RZ_TOP}/lab {WORK} && rm -f {KEY} {KEY}.pub && "
             f"ssh-keygen -q -t ed25519 -N '' -f {KEY}")
    podman("cp", str(TOP / "plugins"), f"{name}:{target}/plugins")
    podman("cp", str(Path(__file__).resolve()), f"{name}:{RZ_TOP}/bench/shares_link.py")
    podman("cp", str(TOP / "lab" / "umzug_lab.py"), f"{name}:{RZ_TOP}/lab/umzug_lab.py")
    public = podman("exec", name, "cat", f"{KEY}.pub").stdout.strip()
    sh(kommune, f"mkdir -p -m 700 /root/.ssh && echo '{public}' >> /root/.ssh/authorized_keys")
    # The Kommune's host key, recorded under its address, through the relay (HostKeyAlias).
    sh(name, f"ssh -p {RELAY_PORT} -i {KEY} -o BatchMode=yes -o StrictHostKeyChecking=accept-new "
             f"-o UserKnownHostsFile={KNOWN_HOSTS} -o HostKeyAlias={kommune_ip} root@127.0.0.1 true")


def on_rz(rz: str, *args: str) -> dict:
    """This script's RZ part (rz_main) in the RZ container; its answer is one line of JSON."""
    out = podman("exec", "-e", "BENCH_ON_RZ=1", rz, "python3", f"{RZ_TOP}/bench/shares_link.py", *args).stdout
    return json.loads(out.strip().splitlines()[-1])


def on_kommune_facts(kommune: str, sample: int) -> dict:
    """The share as listed (files, bytes) and the facts of a sample of its files."""
    out = podman("exec", kommune, "python3", "-c", FACTS, SOURCE, str(sample)).stdout
    return json.loads(out)


def on_kommune_wire_sample(kommune: str) -> dict:
    """What discovery (share_discover with its default wire_sample_bytes) measures of the share
    on the Kommune's server: its sample and the bytes it takes compressed as a pass would."""
    out = podman("exec", kommune, "python3", "-c", DISCOVERY_SAMPLE, SOURCE, f"{RZ_TOP}/collections").stdout
    return json.loads(out)


class WireSampler:
    """The bytes the Kommune's qdisc has sent, read every ``every`` s while a copy runs (tc in
    the container's network namespace, as `umzug_lab.py link` reads them): when the first and
    the last bytes of the copy went over the link, and at what rate in between."""

    def __init__(self, kommune: str, every: float = 0.2):
        self.pid = umzug_lab.container_pid(kommune)
        self.dev = umzug_lab.egress_device(self.pid)
        self.every, self.samples, self._stop = every, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def read(self) -> int:
        return umzug_lab.root_qdisc(self.pid, self.dev).get("bytes", 0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), self.read()))
            self._stop.wait(self.every)

    def __enter__(self) -> WireSampler:
        self.samples.append((time.time(), self.read()))
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.time(), self.read()))

    def timeline(self, started: float, ended: float) -> dict:
        """The copy's bytes on the wire and, against its start and end (wall clock in the RZ
        container, which is the host's): the seconds before 1 % of them had gone, after 99 %,
        and the rate in between. Sampling every ``every`` s, each figure is as exact as that."""
        # The last reading before the start and the first after the end: nothing else of the
        # copy's run (its check, umzug's second pass) is in between.
        first = [b for t, b in self.samples if t <= started][-1]
        last = next(b for t, b in self.samples if t >= ended)
        total = last - first
        at = [next(t for t, b in self.samples if b - first >= share * total) for share in (0.01, 0.99)]
        moved = 0.98 * total
        return {"bytes": total, "lead_s": round(at[0] - started, 2), "tail_s": round(ended - at[1], 2),
                "rate_bytes_per_s": round(moved / (at[1] - at[0])) if at[1] > at[0] else None,
                # the whole stream at that rate: what the estimate's data part stands for
                "stream_s": round((at[1] - at[0]) / 0.98, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # About 70 s a copy at 100 Mbit/s, half the bytes documents, half already compressed.
    parser.add_argument("--office-mib", type=float, default=600, help="office-like documents (compress well)")
    parser.add_argument("--packed-mib", type=float, default=600, help="already-compressed files")
    parser.add_argument("--seed", type=int, default=14, help="office_data.py's seed")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=float, default=100, help="the link's rate in Mbit/s")
    parser.add_argument("--delay", type=float, default=10, help="ms the relay adds each way (round trip: twice)")
    parser.add_argument("--sample", type=int, default=64, help="files whose content and metadata are compared")
    parser.add_argument("--prefix", default="umzug-bench-link", help="names of the containers and the network")
    parser.add_argument("--subnet", default="10.89.78.0/24")
    parser.add_argument("--timeline", type=Path, help="write the qdisc's readings of every copy here (JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the containers, the network, shaping and relay")
    args = parser.parse_args()
    umzug_lab.check_prerequisites()
    net_ = ipaddress.ip_network(args.subnet)
    network = umzug_lab.LabNetwork(args.prefix, str(net_), str(net_[1]))
    kommune, rz = f"{args.prefix}-kommune", f"{args.prefix}-rz"
    kommune_ip, rz_ip = str(net_[10]), str(net_[11])
    image = samba_image()
    try:
        started = time.monotonic()
        umzug_lab.ensure_network(network)
        start(image, kommune, network.name, kommune_ip)
        start(image, rz, network.name, rz_ip)
        umzug_lab.relay_on(rz, umzug_lab.Relay(("127.0.0.1", RELAY_PORT), (kommune_ip, 22), args.delay))
        set_up_kommune(kommune, args)
        set_up_rz(rz, kommune, kommune_ip)
        shaped = umzug_lab.link(kommune, args.rate)
        facts = on_kommune_facts(kommune, args.sample)
        facts["wire_sample"] = on_kommune_wire_sample(kommune)
        info = on_rz(rz, "info", kommune_ip)
        umzug_lab.progress(f"{image}: Kommune and RZ ready in {time.monotonic() - started:.0f} s; the share: "
                           f"{facts['files']} files, {facts['bytes'] / 1e6:,.0f} MB; {umzug_lab.link_line(shaped)}")
        results = run_rounds(args, kommune, rz, kommune_ip, facts)
        print_table(args, facts, info, results)
        if args.timeline:
            args.timeline.write_text(json.dumps({tool: [{key: d[key] for key in ("started", "ended", "samples")}
                                                        for d in done] for tool, done in results["copies"].items()}))
    finally:
        if not args.keep:
            for name in (rz, kommune):
                podman("rm", "-f", "-t", "5", name, check=False)
            podman("network", "rm", network.name, check=False)
    return 0


def run_rounds(args, kommune: str, rz: str, kommune_ip: str, facts: dict) -> dict:
    copies: dict[str, list[dict]] = {tool: [] for tool in TOOLS}
    estimates: list[dict] = []
    loads = [os.getloadavg()]
    for round_ in range(1, args.rounds + 1):
        for tool in TOOLS if round_ % 2 else reversed(TOOLS):
            if tool == "umzug":
                estimates.append(estimate_seed(args, facts, copies["umzug"]))
            with WireSampler(kommune) as wire:
                done = on_rz(rz, "copy", tool, kommune_ip, str(args.sample))
            done["wire"] = wire.timeline(done["started"], done["ended"])
            done["samples"] = wire.samples
            done["wire_bytes"] = done["wire"]["bytes"]
            check_copy(tool, done, facts)
            copies[tool].append(done)
            umzug_lab.progress(f"round {round_}, {tool}: {done['seconds']:.1f} s, "
                               f"{done['wire_bytes'] / 1e6:,.0f} MB on the wire"
                               + (f"; estimate {estimates[-1]['seconds']:.1f} s "
                                  f"({estimates[-1]['source']})" if tool == "umzug" else ""))
        loads.append(os.getloadavg())
    return {"copies": copies, "estimates": estimates, "loads": loads}


def check_copy(tool: str, done: dict, facts: dict) -> None:
    if (done["files"], done["bytes"]) != (facts["files"], facts["bytes"]):
        raise SystemExit(f"{tool} copied {done['files']} files, {done['bytes']} bytes, "
                         f"not {facts['files']}, {facts['bytes']}")
    differ = [path for path, fact in facts["sample"].items() if done["sample"].get(path) != fact]
    if differ:
        raise SystemExit(f"{tool}: {len(differ)} of {len(facts['sample'])} sampled files differ from the source, "
                         f"e.g. {differ[0]}: {done['sample'].get(differ[0])} against {facts['sample'][differ[0]]}")


def estimate_seed(args, facts: dict, earlier: list[dict]) -> dict:
    """The model's seed estimate before a pass: from the earlier rounds' umzug passes where there
    are any (as the wave's journal records them, roles/shares/tasks/pass_measured.yml), else from
    the link and the defaults."""
    from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import estimate as model

    journal = {"phases": {"seed": [{"step": "shares_seed@kommune-fs", "at": done["at"],
                                    "record": {"passes": [done["record"], done["unchanged_record"]]}}
                                   for done in earlier]}} if earlier else None
    result = model.estimate(
        shares=[model.Share("bench", facts["files"], facts["bytes"], "kommune-fs",
                            facts["wire_sample"]["sampled_bytes"], facts["wire_sample"]["wire_bytes"])],
        link={"bandwidth": args.rate, "latency": 2 * args.delay}, schedule=None, window=None,
        own_journal=journal, wave_journals=[], now=datetime.now(UTC), compress=True)
    seed, inputs = result["seed"], result["inputs"]
    return {"seconds": seed["seconds"], "parts": seed["parts"], "source": inputs["throughput"]["source"],
            "throughput": inputs["throughput"], "share_seconds": inputs["share_seconds"],
            "wire_share": inputs["wire_share"]}


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(args, facts: dict, info: dict, results: dict) -> None:
    copies, estimates = results["copies"], results["estimates"]
    mb = facts["bytes"] / 1e6
    print(f"\n{args.rounds} round(s); the share: {facts['files']} files, {mb:,.1f} MB "
          f"({args.office_mib:g} MiB office-like, {args.packed_mib:g} MiB already compressed); link "
          f"{args.rate:g} Mbit/s (tc tbf on the Kommune's egress), relay {args.delay:g} ms each way "
          f"(round trip {2 * args.delay:g} ms)")
    print(f"RZ side: {info['ssh']}; {info['rsync']}; {info['zstd']}")
    print("| tool | s (median) | MB/s of content | MB on the wire | wire / content | before 1 % on the wire (s) "
          "| after 99 % (s) | Mbit/s on the wire between | rounds (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    names = {"umzug": f"umzug seed ({share_wire.LABELS['zstd']})", "rsync": "rsync -aAXH -z --numeric-ids"}
    for tool in TOOLS:
        done = copies[tool]
        seconds = median([d["seconds"] for d in done])
        wire = median([d["wire_bytes"] for d in done])
        lead, tail = (median([d["wire"][key] for d in done]) for key in ("lead_s", "tail_s"))
        between = median([d["wire"]["rate_bytes_per_s"] or 0 for d in done]) * 8 / 1e6
        rounds = " ".join(f"{d['seconds']:.1f}" for d in done)
        print(f"| {names[tool]} | {seconds:.1f} | {mb / seconds:.1f} | {wire / 1e6:,.1f} | "
              f"{wire / facts['bytes']:.3f} | {lead:.2f} | {tail:.2f} | {between:.1f} | {rounds} |")
    unchanged = [d["unchanged_seconds"] for d in copies["umzug"]]
    print(f"umzug second pass, nothing changed: {' '.join(f'{s:.1f}' for s in unchanged)} s")
    umzug_s, rsync_s = (median([d["seconds"] for d in copies[t]]) for t in TOOLS)
    print(f"umzug's seed time / rsync's: {umzug_s / rsync_s:.2f}; target: at most 1")
    print(f"rsync's compression: {copies['rsync'][0].get('compression') or 'not shown'}")
    print("| round | estimate s | throughput from | parts: fixed, files, data (s) | wire share | measured s "
          "| of it the stream (s) | estimate / measured | data part / stream |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for round_, (estimate, done) in enumerate(zip(estimates, copies["umzug"], strict=True), start=1):
        parts = estimate["parts"]
        ratio = estimate["seconds"] / done["seconds"]
        print(f"| {round_} | {estimate['seconds']:.1f} | {estimate['source']} | {parts['fixed']}, {parts['files']}, "
              f"{parts['data']} | {estimate['wire_share']['value']:.3f} ({estimate['wire_share']['source']}) | "
              f"{done['seconds']:.1f} | {done['wire']['stream_s']:.1f} | "
              f"{ratio:.2f} ({'within' if abs(ratio - 1) <= 0.2 else 'not within'} 20 %) | "
              f"{parts['data'] / done['wire']['stream_s']:.2f} |")
    print("load average (1, 5, 15 min) before the rounds and after each: "
          + "; ".join("{:.1f} {:.1f} {:.1f}".format(*load) for load in results["loads"]))


# --- in a container (the Kommune's facts, the RZ's copies) -----------------------------------

# The share as listed and the facts of a sample of its files, relative paths as keys; run with
# python3 -c in either container (the Kommune's source, the RZ's copy).
FACTS = r"""
import hashlib, json, os, sys
root, sample = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.relpath(os.path.join(d, n), root) for d, _s, ns in os.walk(root) for n in ns)
total = sum(os.lstat(os.path.join(root, f)).st_size for f in files)
def xattr(path, name):
    try:
        return os.getxattr(path, name).hex()
    except OSError:
        return None
def fact(rel):
    path = os.path.join(root, rel)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    st = os.lstat(path)
    return [digest.hexdigest(), oct(st.st_mode), st.st_mtime_ns // 10**9, st.st_uid, st.st_gid,
            xattr(path, "system.posix_acl_access"), xattr(path, "user.DOSATTRIB")]
# Files spread over the tree, the first ones with an ACL (every tenth has one), and the largest.
picked = set(files[::max(len(files) // max(sample, 1), 1)] + files[:50:10])
if files:
    picked.add(max(files, key=lambda f: os.lstat(os.path.join(root, f)).st_size))
print(json.dumps({"files": len(files), "bytes": total, "sample": {rel: fact(rel) for rel in sorted(picked)}}))
"""


# Discovery's sample of the share, as share_discover takes it (its scan, wire_sample's Sampler
# with the default budget, and measure with the pass's codec on this server).
DISCOVERY_SAMPLE = r"""
import json, os, sys
sys.path.insert(0, sys.argv[2])
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree, wire_sample
root = os.fsencode(sys.argv[1])
sampler = wire_sample.Sampler(wire_sample.DEFAULT_BYTES)
for _node in sampler.noting(tree.scan(root, wanted=tree.every_xattr)):
    pass
print(json.dumps(wire_sample.measure(root, sampler.segments())))
"""


def rz_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["info", "copy"])
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args(argv)
    if args.what == "info":
        print(json.dumps(rz_info()))
    else:
        tool, kommune_ip, sample = args.rest
        print(json.dumps(copy(tool, kommune_ip, int(sample))))
    return 0


def ssh_options(kommune_ip: str) -> list[str]:
    """Through the relay on this side; the Kommune's host key checked as its own."""
    return ["-o", f"Port={RELAY_PORT}", "-o", f"HostKeyAlias={kommune_ip}", "-o", f"UserKnownHostsFile={KNOWN_HOSTS}",
            "-o", "StrictHostKeyChecking=yes"]


def fresh(name: str) -> str:
    path = f"{WORK}/{name}"
    subprocess.run(["rm", "-rf", path], check=True)
    return path


def umzug_pass(kommune_ip: str, target: str, state: str) -> tuple[float, object]:
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate, sync

    source = sync.SshSource("127.0.0.1", os.fsencode(SOURCE), key=KEY, ssh_options=ssh_options(kommune_ip))
    limiter = rate.limiter_of(None)
    started = time.monotonic()
    result = sync.run_pass(source, os.fsencode(target), state, lambda sid: sid,
                           lambda sid, kind: int(sid.rsplit("-", 1)[1]) if sid.startswith("S-1-22-") else None,
                           check=False, what="bench pass", limiter=limiter, compress=True)
    seconds = time.monotonic() - started
    if result.translate.unmapped_ids or result.translate.unmapped_sids or result.changed_during_copy \
            or not result.complete:
        raise SystemExit(f"umzug's pass: unmapped {sorted(result.translate.unmapped_ids)[:5]} "
                         f"{sorted(result.translate.unmapped_sids)[:5]}, "
                         f"skipped {list(result.changed_during_copy)[:5]}, stop {result.stop}")
    # What the wave's journal keeps of a pass (roles/shares/tasks/pass_measured.yml); the pass
    # runs without Ansible here, so its wall time is its own.
    record = {"share": "bench", "pass": "seed", "bytes": result.work_list.bytes_to_copy,
              "files": len(result.work_list.copy), "seconds": round(seconds, 3), "wall_seconds": round(seconds, 3),
              "transfer": limiter.report(), "codec": result.stream.codec, "wire_bytes": result.stream.wire_bytes}
    return seconds, {"record": record, "stream": result.stream.to_dict()}


def copy(tool: str, kommune_ip: str, sample: int) -> dict:
    target = fresh(tool)
    done: dict = {"at": datetime.now(UTC).isoformat()}
    if tool == "umzug":
        state = f"{WORK}/state.json"
        for suffix in ("", ".journal", ".lock"):
            subprocess.run(["rm", "-f", state + suffix], check=True)
        done["started"] = time.time()
        done["seconds"], seed = umzug_pass(kommune_ip, target, state)
        done["ended"] = time.time()
        done.update(seed)
    else:
        ssh = " ".join(["ssh", "-i", KEY, "-o", "BatchMode=yes", *ssh_options(kommune_ip)])
        command = ["rsync", "-aAXH", "-z", "--numeric-ids", "--debug=NSTR", "-e", ssh,
                   f"root@127.0.0.1:{SOURCE}/", f"{target}/"]
        done["started"], started = time.time(), time.monotonic()
        proc = subprocess.run(command, capture_output=True, text=True, check=True)
        done["seconds"] = time.monotonic() - started
        done["ended"] = time.time()
        done["compression"] = "; ".join(line.strip() for line in (proc.stdout + proc.stderr).splitlines()
                                        if "compress" in line.lower())
    facts = json.loads(subprocess.run([sys.executable, "-c", FACTS, target, str(sample)], capture_output=True,
                                      text=True, check=True).stdout)
    done["files"], done["bytes"] = facts["files"], facts["bytes"]
    done["sample"] = facts["sample"]
    if tool == "umzug":
        # After the check, apart from the seed's bytes on the wire (WireSampler.timeline).
        done["unchanged_seconds"], unchanged = umzug_pass(kommune_ip, target, state)
        done["unchanged_record"] = dict(unchanged["record"], **{"pass": "final"})
    subprocess.run(["rm", "-rf", target], check=True)
    return done


def rz_info() -> dict:
    def first_line(*command: str) -> str:
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        return (proc.stdout or proc.stderr).strip().splitlines()[0]

    return {"ssh": first_line("ssh", "-V"), "rsync": first_line("rsync", "--version"),
            "zstd": first_line("zstd", "--version")}


if __name__ == "__main__":
    if os.environ.get("BENCH_ON_RZ"):
        sys.exit(rz_main(sys.argv[1:]))
    sys.exit(main())
