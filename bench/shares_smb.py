#!/usr/bin/env python3
"""Benchmark: umzug's SMB source side by side with rclone and smbclient over SMB 3.

Starts two podman containers from the lab's Samba image on a podman network of their own:
a file server (smbd, `server min protocol = SMB3`, signing mandatory and encryption
required for every client, one user with a password and SeBackupPrivilege) with two shares,
`small` (N files of 4 KiB in folders of 100) and `large` (L files of M MiB), and a client
with python3-venv, smbprotocol and pyspnego (wheels fetched on this host, as the windows
Molecule scenario does), rclone and smbclient. Then, in one run and on the same shares,
each round copies each share from the client into a fresh empty folder with

  umzug    smb_sync.run_smb_pass with an SmbShare built by smb_source.share_of from the
           options share_sync_smb takes (connection_args' defaults: NTLMv2, encryption),
           content and the tree's shape only (smb_sync.no_metadata: rclone and
           smbclient carry no metadata either), --workers processes (share_sync_smb's
           option `workers`, default 2 as there) and a new state:
           a seed pass, then a second pass with nothing changed;
  rclone   `rclone copy` with an on-the-fly SMB remote (`:smb,host=..,user=..:share`, the
           obscured password in RCLONE_SMB_PASS), once with its default --transfers 4 and
           once with --transfers 1 --checkers 1, one file at a time as umzug reads;
  smbclient `smbclient //host/share -m SMB3 --client-protection=encrypt -A authfile
           -c 'recurse; prompt; lcd DIR; mget *'`.

Timed: the wall clock of each copy on the client (umzug's inside the Python process,
after its imports; rclone's and smbclient's around the command). Reported: the median
over the rounds, files per second on `small` and MB/s (10^6 bytes) on `large`, and the
load average. Every copy is checked afterwards (file count and bytes) and not timed.
`--profile` runs one more umzug seed pass of `small` under cProfile and prints where its
time goes. `--reads N` reads `large` N more times with `SmbShare.read` alone (the walk, then
each file's content, discarded), alternating a process with the read buffers kept
(smb_source.keep_buffers, as the engine reads) and one without, and prints wall time,
MB/s and the client process's CPU per MiB of each. The containers and the network are
removed at the end (`--keep` keeps them).

Run as root (the lab's images need rootful podman), after `make images` or any run
that built localhost/umzug-lab-samba:latest:
  .venv/bin/python bench/shares_smb.py [--files 20000] [--large 3] [--large-mib 256] [--rounds 3] [--workers 2]
      [--profile] [--reads N]
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "collections"))
sys.path.insert(0, str(TOP / "lab"))

import umzug_lab  # noqa: E402  (the lab's podman helpers: run, ensure_network, container_state)

IMAGE = "localhost/umzug-lab-samba:latest"
USER = "bench"
SHARES = ("small", "large")
# On the client: what this script needs of the repository, in the same layout (bench/,
# lab/umzug_lab.py, collections/ansible_collections/kommunal/umzug/plugins), the wheels, the venv.
CLIENT_TOP = "/opt/umzug-bench"
WORK = "/var/tmp/umzug-bench"  # on the client: the copies
WHEELS = ("smbprotocol==1.17.0", "pyspnego==0.12.4")
# The copies of each round, in this order; "umzug" is the seed pass and, timed on its own,
# the second pass with nothing changed ("umzug unchanged").
COPIES = ("umzug", "rclone 4", "rclone 1", "smbclient")

SMB_CONF = """[global]
    server role = standalone server
    workgroup = BENCH
    server min protocol = SMB3
    server signing = mandatory
    server smb encrypt = required
    map to guest = never
    load printers = no
    printing = bsd
    disable spoolss = yes
    log level = 0
[small]
    path = /srv/bench/small
    read only = yes
[large]
    path = /srv/bench/large
    read only = yes
"""

# Builds the shares on the server (run there with its python3): the small files as
# shares_sync.py builds them, the large ones from 1 MiB of random data.
BUILD = """
import os, sys
files, large, mib = map(int, sys.argv[1:4])
block = os.urandom(4096)
for i in range(files):
    folder = f"/srv/bench/small/Amt{i // 10000:02d}/Vorgang{i // 100:04d}"
    if i % 100 == 0:
        os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/Dokument {i:06d}.txt", "wb") as out:
        out.write(block[:4090] + f"{i:06d}".encode())
os.makedirs("/srv/bench/large", exist_ok=True)
chunk = os.urandom(1 << 20)
for i in range(large):
    with open(f"/srv/bench/large/Archiv {i:02d}.bin", "wb") as out:
        for _ in range(mib):
            out.write(chunk)
"""


# --- on the host ----------------------------------------------------------------------------

def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return umzug_lab.run(["podman", *args], check=check)


def sh(container: str, script: str) -> str:
    """A shell script in a container. The password reaches it as BENCH_PASSWORD from this
    process's environment, never on a command line."""
    return podman("exec", "-e", "BENCH_PASSWORD", container, "sh", "-ec", script).stdout


def start(name: str, network: str, address: str) -> None:
    if umzug_lab.container_state(name):
        podman("rm", "-f", "-t", "5", name)
    # SYS_ADMIN as the lab's Samba hosts get it: smbd keeps DOS attributes in xattrs.
    podman("run", "-d", "--name", name, "--hostname", name, "--network", network, "--ip", address,
           "--systemd=always", "--cap-add", "SYS_ADMIN", IMAGE, "/sbin/init")
    for _ in range(60):
        if podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip() in ("running",
                                                                                                   "degraded"):
            return
        time.sleep(1)
    raise umzug_lab.LabError(f"{name}: systemd did not come up within 60 s")


def set_up_server(name: str, files: int, large: int, mib: int) -> None:
    sh(name, f"cat > /etc/samba/smb.conf <<'EOF'\n{SMB_CONF}EOF\n"
             f"useradd -M -s /usr/sbin/nologin {USER}\n"
             f"printf '%s\\n%s\\n' \"$BENCH_PASSWORD\" \"$BENCH_PASSWORD\" | smbpasswd -s -a {USER} >/dev/null\n"
             f"python3 -c '{BUILD}' {files} {large} {mib}\n"
             "chmod -R a+rX /srv/bench\n"
             "systemctl start smbd\n"
             # A standalone server's accounts live in the domain of its NetBIOS name.
             f"net sam rights grant \"$(testparm -s --parameter-name='netbios name' 2>/dev/null)\\{USER}\" "
             "SeBackupPrivilege >/dev/null\n")


def set_up_client(name: str, wheels: Path) -> None:
    sh(name, "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
             "python3-venv rclone >/dev/null")
    target = f"{CLIENT_TOP}/collections/ansible_collections/kommunal/umzug"
    sh(name, f"mkdir -p {target} {CLIENT_TOP}/wheels {CLIENT_TOP}/bench {CLIENT_TOP}/lab")
    podman("cp", str(TOP / "plugins"), f"{name}:{target}/plugins")
    podman("cp", str(Path(__file__).resolve()), f"{name}:{CLIENT_TOP}/bench/shares_smb.py")
    podman("cp", str(TOP / "lab" / "umzug_lab.py"), f"{name}:{CLIENT_TOP}/lab/umzug_lab.py")
    for wheel in wheels.glob("*.whl"):
        podman("cp", str(wheel), f"{name}:{CLIENT_TOP}/wheels/")
    sh(name, f"python3 -m venv {CLIENT_TOP}/venv && {CLIENT_TOP}/venv/bin/pip install -q --no-index "
             f"--find-links {CLIENT_TOP}/wheels {' '.join(WHEELS)}")


def fetch_wheels(wheels: Path) -> None:
    wheels.mkdir(parents=True, exist_ok=True)
    if any(wheels.glob("smbprotocol-1.17.0-*.whl")):
        return
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                    "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64",
                    "--platform", "manylinux_2_34_x86_64", "--python-version", "3.11", "--implementation", "cp",
                    "--dest", str(wheels), *WHEELS], check=True)


def on_client(client: str, *args: str) -> dict:
    """This script's client part (client_main) in the client container; its answer is one line of JSON."""
    out = podman("exec", "-e", "BENCH_PASSWORD", "-e", "BENCH_ON_CLIENT=1", client,
                 f"{CLIENT_TOP}/venv/bin/python", f"{CLIENT_TOP}/bench/shares_smb.py", *args).stdout
    return json.loads(out.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000, help="small files of 4 KiB, in folders of 100")
    parser.add_argument("--large", type=int, default=3, help="large files")
    parser.add_argument("--large-mib", type=int, default=256, help="size of each large file in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prefix", default="umzug-bench-smb", help="names of the containers and the network")
    parser.add_argument("--subnet", default="10.89.77.0/24")
    parser.add_argument("--wheels", default=str(TOP / ".lab" / "bench" / "wheels"))
    parser.add_argument("--workers", type=int, default=2, help="umzug's worker processes (share_sync_smb's workers)")
    parser.add_argument("--profile", action="store_true", help="one more umzug seed of `small` under cProfile")
    parser.add_argument("--reads", type=int, default=0,
                        help="then N reads of `large` with the buffers kept and N without, alternating")
    parser.add_argument("--keep", action="store_true", help="keep the containers and the network")
    args = parser.parse_args()
    umzug_lab.check_prerequisites()
    net_ = ipaddress.ip_network(args.subnet)
    network = umzug_lab.LabNetwork(args.prefix, str(net_), str(net_[1]))
    server, client = f"{args.prefix}-server", f"{args.prefix}-client"
    server_ip, client_ip = str(net_[10]), str(net_[11])
    # A password for this run only, passed to the containers through the environment.
    os.environ["BENCH_PASSWORD"] = secrets.token_urlsafe(18)
    fetch_wheels(Path(args.wheels))
    try:
        started = time.monotonic()
        umzug_lab.ensure_network(network)
        start(server, network.name, server_ip)
        start(client, network.name, client_ip)
        set_up_server(server, args.files, args.large, args.large_mib)
        set_up_client(client, Path(args.wheels))
        umzug_lab.progress(f"server and client ready in {time.monotonic() - started:.0f} s; "
                           f"{args.files} x 4 KiB in `small`, {args.large} x {args.large_mib} MiB in `large`")
        info = on_client(client, "info", server_ip)
        results: dict[tuple[str, str], list[float]] = {}
        loads = [os.getloadavg()]
        for round_ in range(1, args.rounds + 1):
            for share in SHARES:
                for tool in COPIES:
                    done = on_client(client, "copy", tool.split()[0], server_ip, share,
                                     *(["--transfers", tool.split()[1]] if tool.startswith("rclone") else []),
                                     "--workers", str(args.workers))
                    expected = (args.files, args.files * 4096) if share == "small" else \
                        (args.large, args.large * args.large_mib << 20)
                    if (done["files"], done["bytes"]) != expected:
                        raise SystemExit(f"{tool} copied {done['files']} files, {done['bytes']} bytes of {share}, "
                                         f"not {expected[0]}, {expected[1]}: {done}")
                    results.setdefault((tool, share), []).append(done["seconds"])
                    if tool == "umzug":
                        results.setdefault(("umzug unchanged", share), []).append(done["unchanged_seconds"])
                    umzug_lab.progress(f"round {round_}, {share}, {tool}: {done['seconds']:.2f} s")
            loads.append(os.getloadavg())
        print_table(results, args, info, loads)
        if args.profile:
            print(on_client(client, "profile", server_ip, "small", "--workers", str(args.workers))["profile"])
        if args.reads:
            compare_reads(client, server_ip, args)
    finally:
        if not args.keep:
            for name in (client, server):
                podman("rm", "-f", "-t", "5", name, check=False)
            podman("network", "rm", network.name, check=False)
    return 0


def print_table(results: dict, args, info: dict, loads: list) -> None:
    tools = ("umzug", "umzug unchanged", "rclone 4", "rclone 1", "smbclient")
    names = {"umzug": "umzug seed pass", "umzug unchanged": "umzug second pass, nothing changed",
             "rclone 4": "rclone copy --transfers 4 (default)", "rclone 1": "rclone copy --transfers 1 --checkers 1",
             "smbclient": "smbclient mget"}
    mb = args.large * args.large_mib * (1 << 20) / 1e6
    print(f"\n{args.rounds} round(s); client {info['dialect']}, cipher {info['cipher']}; "
          f"{info['rclone']}; {info['smbclient']}; umzug metadata writer: {info['metadata']}; "
          f"umzug workers: {args.workers}")
    print("| tool | small: s (median) | small: files/s | large: s (median) | large: MB/s | rounds small (s) "
          "| rounds large (s) |")
    print("|---|---:|---:|---:|---:|---|---|")
    for tool in tools:
        small, large = results[(tool, "small")], results[(tool, "large")]
        # A pass with nothing changed reads no content: its speed on `large` is no throughput.
        rate = "-" if tool == "umzug unchanged" else f"{mb / median(large):,.0f}"
        print(f"| {names[tool]} | {median(small):.2f} | {args.files / median(small):,.0f} | {median(large):.2f} | "
              f"{rate} | {' '.join(f'{s:.2f}' for s in small)} "
              f"| {' '.join(f'{s:.2f}' for s in large)} |")
    fs = {t: args.files / median(results[(t, "small")]) for t in tools}
    tp = {t: mb / median(results[(t, "large")]) for t in tools}
    print(f"umzug files/s / rclone's: {fs['umzug'] / fs['rclone 4']:.2f} (default transfers), "
          f"{fs['umzug'] / fs['rclone 1']:.2f} (one transfer); target: at least 1")
    print(f"umzug large-file MB/s / smbclient's: {tp['umzug'] / tp['smbclient']:.2f}; target: at least 0.80")
    print("load average (1, 5, 15 min) before the rounds and after each: "
          + "; ".join("{:.1f} {:.1f} {:.1f}".format(*load) for load in loads))


def compare_reads(client: str, server_ip: str, args) -> None:
    """`large` read with SmbShare.read alone, each time in a new client process, alternating
    the buffers kept (as the engine reads) and not kept."""
    reads: dict[str, list[dict]] = {"kept": [], "not kept": []}
    loads = [os.getloadavg()]
    for round_ in range(1, args.reads + 1):
        for mode in reads:
            done = on_client(client, "reads", server_ip, "large", "--buffers", mode.replace(" ", "-"))
            if done["bytes"] != args.large * args.large_mib << 20:
                raise SystemExit(f"the read of `large` ({mode}) gave {done['bytes']} bytes: {done}")
            reads[mode].append(done)
            umzug_lab.progress(f"read {round_}, buffers {mode}: {done['seconds']:.2f} s, CPU {done['cpu']:.2f} s")
        loads.append(os.getloadavg())
    mib = args.large * args.large_mib
    print(f"\n`large` read with SmbShare.read alone, {args.reads} time(s) each, alternating (medians):")
    print("| read buffers | s | MB/s | client CPU s | CPU ms per MiB | rounds (s) |")
    print("|---|---:|---:|---:|---:|---|")
    for mode, done in reads.items():
        wall = median([d["seconds"] for d in done])
        cpu = median([d["cpu"] for d in done])
        rounds = " ".join(f"{d['seconds']:.2f}" for d in done)
        print(f"| {mode} | {wall:.2f} | {mib * (1 << 20) / 1e6 / wall:,.0f} | {cpu:.2f} | {cpu * 1000 / mib:.2f} "
              f"| {rounds} |")
    print("load average (1, 5, 15 min) before the reads and after each pair: "
          + "; ".join("{:.1f} {:.1f} {:.1f}".format(*load) for load in loads))


# --- on the client (run there by the host part, with the client's venv) -----------------------

def client_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["info", "copy", "profile", "reads"])
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--transfers", default="4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--buffers", choices=["kept", "not-kept"], default="kept")
    args = parser.parse_args(argv)
    password = os.environ["BENCH_PASSWORD"]
    if args.what == "info":
        print(json.dumps(client_info(args.rest[0], password)))
    elif args.what == "copy":
        tool, server, share = args.rest
        print(json.dumps(copy(tool, server, share, password, args.transfers, args.workers)))
    elif args.what == "reads":
        print(json.dumps(read_share(args.rest[0], args.rest[1], password, args.buffers == "kept")))
    else:
        print(json.dumps({"profile": profile(args.rest[0], args.rest[1], password, args.workers)}))
    return 0


def fresh(name: str) -> Path:
    path = Path(WORK) / name
    subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(parents=True)
    return path


def counted(root: Path) -> tuple[int, int]:
    files = total = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            total += os.lstat(os.path.join(folder, name)).st_size
    return files, total


def umzug_share(server: str, share: str, password: str, workers: int = 1):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_source

    # As share_sync_smb builds it: its options with their defaults, then share_of and workers.
    params = {name: spec.get("default") for name, spec in smb_source.connection_args().items()}
    params.update(server=server, username=f"BENCH\\{USER}", password=password)
    source = smb_source.share_of(params, share)
    source.workers = workers
    return source


def apply_metadata():
    """What umzug's pass writes besides content: nothing here. share_sync_smb writes the
    metadata through Samba on an RZ share (smb_sync.TargetMetadata); the bench copies into a
    plain folder, as rclone and smbclient do, and times the reading over SMB."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_sync

    return smb_sync.no_metadata, "smb_sync.no_metadata (content and the tree's shape, as rclone and smbclient)"


def umzug_pass(server: str, share: str, password: str, target: Path, state: str, workers: int) -> float:
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_sync

    writer, _name = apply_metadata()
    started = time.monotonic()
    with umzug_share(server, share, password, workers) as source:
        result = smb_sync.run_smb_pass(source, os.fsencode(target), state, check=False, apply_metadata=writer,
                                       what="bench pass")
    elapsed = time.monotonic() - started
    if result.problems:
        raise SystemExit(f"umzug's pass reported problems: {result.problems[:5]}")
    return elapsed


def copy(tool: str, server: str, share: str, password: str, transfers: str, workers: int) -> dict:
    target = fresh(f"{tool}-{share}")
    done: dict = {}
    if tool == "umzug":
        state = f"{WORK}/state-{share}.json"
        for suffix in ("", ".journal", ".lock"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(state + suffix)
        done["seconds"] = umzug_pass(server, share, password, target, state, workers)
        done["unchanged_seconds"] = umzug_pass(server, share, password, target, state, workers)
    elif tool == "rclone":
        obscured = subprocess.run(["rclone", "obscure", "-"], input=password, capture_output=True, text=True,
                                  check=True).stdout.strip()
        command = ["rclone", "copy", f":smb,host={server},user={USER}:{share}", str(target),
                   "--transfers", transfers, *(["--checkers", "1"] if transfers == "1" else [])]
        started = time.monotonic()
        subprocess.run(command, env={**os.environ, "RCLONE_SMB_PASS": obscured}, check=True)
        done["seconds"] = time.monotonic() - started
    else:
        with tempfile.NamedTemporaryFile("w", dir=WORK, prefix="auth-") as auth:
            auth.write(f"username = {USER}\npassword = {password}\ndomain = BENCH\n")
            auth.flush()
            command = ["smbclient", f"//{server}/{share}", "-m", "SMB3", "--client-protection=encrypt",
                       "-A", auth.name, "-c", f"recurse; prompt; lcd {target}; mget *"]
            started = time.monotonic()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            done["seconds"] = time.monotonic() - started
    done["files"], done["bytes"] = counted(target)
    subprocess.run(["rm", "-rf", str(target)], check=True)
    return done


def client_info(server: str, password: str) -> dict:
    with umzug_share(server, "small", password) as source:
        dialect = f"SMB dialect 0x{source.connection.dialect:04X}"
        cipher = getattr(source.connection, "cipher_id", None)
        cipher = {1: "AES-128-CCM", 2: "AES-128-GCM", 3: "AES-256-CCM", 4: "AES-256-GCM"}.get(cipher, str(cipher))
    version = subprocess.run(["rclone", "version"], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    smbclient = subprocess.run(["smbclient", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return {"dialect": dialect, "cipher": cipher, "rclone": version, "smbclient": f"smbclient {smbclient}",
            "metadata": apply_metadata()[1]}


def read_share(server: str, share: str, password: str, kept: bool) -> dict:
    """Every file of the share read with SmbShare.read, content discarded; this process's
    CPU (all its threads) and wall time. Without ``kept``, keep_buffers is replaced by one
    that keeps nothing, so the read runs as before the buffers were kept."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_source

    if not kept:
        smb_source.keep_buffers = lambda: False
    total = 0
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    with umzug_share(server, share, password) as source:
        for entry in [e for e in source.walk() if e.kind == "file"]:
            for data in source.read(entry.path):
                total += len(data)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"seconds": elapsed, "cpu": cpu, "bytes": total}


def profile(server: str, share: str, password: str, workers: int) -> str:
    import cProfile
    import io
    import pstats

    target = fresh(f"profile-{share}")
    state = f"{WORK}/state-profile.json"
    for suffix in ("", ".journal", ".lock"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(state + suffix)
    profiler = cProfile.Profile()
    profiler.enable()
    seconds = umzug_pass(server, share, password, target, state, workers)
    profiler.disable()
    out = io.StringIO()
    out.write(f"umzug seed pass of `{share}` under cProfile: {seconds:.2f} s\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    subprocess.run(["rm", "-rf", str(target)], check=True)
    return out.getvalue()


if __name__ == "__main__":
    if os.environ.get("BENCH_ON_CLIENT"):
        sys.exit(client_main(sys.argv[1:]))
    sys.exit(main())
