#!/usr/bin/env python3
"""Build, start and remove umzug's local lab of "VM targets".

The lab hosts are podman containers with systemd and sshd, built from Debian packages
only. What hosts exist, their addresses and images, is read from the lab inventory
(inventories/lab), so the inventory stays the one description of the lab. Once the
containers run, Ansible configures them over SSH (lab/provision.yml), exactly as it
would configure VMs.

    umzug_lab.py check      prerequisites only
    umzug_lab.py build      images (cached by a hash of their inputs)
    umzug_lab.py up         build, start, provision and seed the lab
    umzug_lab.py down       remove every container and network the lab made
    umzug_lab.py status     what runs, with addresses
    umzug_lab.py molecule-network SCENARIO
                            the network a Molecule scenario's hosts sit on
    umzug_lab.py molecule-evidence SCENARIO
                            after a failed scenario, before its destroy: keep its
                            evidence and print which tests failed (`make molecule`)
    umzug_lab.py link CONTAINER [--rate MBIT | --off] [--dev DEV] [--json]
                            shape the egress of a lab container's interface (tc tbf,
                            docs/shares.md "A limited link"); without --rate or --off,
                            show what is in force with the qdisc's byte counters
    umzug_lab.py relay CONTAINER [--listen [ADDRESS:]PORT (--to HOST:PORT --delay MS | --off)]
                            start (or stop) lab/delay_relay.py in a container, which adds
                            latency to connections made through it; alone: the relays
    umzug_lab.py molecule-leftovers SCENARIO
                            what an earlier run of a scenario left (exit code 0, one
                            line each) or nothing (exit code 1): `make molecule`
                            destroys only what is there

A missing prerequisite ends in one sentence on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
IMAGES_DIR = TOP / "lab" / "images"
# The lab's generated state (SSH key, passwords, CA, logs); UMZUG_LAB_STATE points it
# elsewhere, e.g. at an empty folder to provision the lab as a new machine would
# (`make lab-fresh`, part of `make test`).
STATE_DIR = Path(os.environ.get("UMZUG_LAB_STATE") or TOP / ".lab").resolve()
CONTAINERS_CONF = TOP / "lab" / "containers.conf"
LAB_LABEL = "umzug.lab"
SUITE = "bookworm"
# The root filesystem every lab image starts from. Changing this list rebuilds all images.
ROOTFS_PACKAGES = (
    "python3", "openssh-server", "systemd-sysv", "dbus", "iproute2", "procps",
    "ca-certificates", "less", "sudo",
)
# Build order: each image names its parent; "rootfs" is the debootstrap import.
IMAGES = {"base": "rootfs", "samba": "base", "client": "base", "app": "base", "openldap": "base"}


class LabError(Exception):
    """A problem the user can fix; printed as one sentence, never as a traceback."""


@dataclass(frozen=True)
class LabHost:
    name: str
    address: str
    image: str
    capabilities: tuple[str, ...]
    # The Kommune the host belongs to (None for the RZ) and its role (dc, fs, clients, app).
    kommune: str | None = None
    role: str = ""


@dataclass(frozen=True)
class LabNetwork:
    name: str
    subnet: str
    gateway: str


def podman_env() -> dict[str, str]:
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    return env


def run(cmd: list[str], *, check: bool = True, capture: bool = True, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=podman_env(), text=True, capture_output=capture, check=False, **kw)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise LabError(f"`{' '.join(cmd[:3])} ...` failed: {detail[-1] if detail else 'no output'}")
    return proc


# --- prerequisites -------------------------------------------------------------------

REQUIRED_COMMANDS = {
    "podman": "podman (Debian package podman)",
    "runc": "runc (Debian package runc; crun cannot run the lab on this kernel)",
    "iptables": "iptables (Debian package iptables; podman's netavark needs it)",
    "debootstrap": "debootstrap (Debian package debootstrap; it builds the lab's base image)",
    "ssh": "an ssh client (Debian package openssh-client)",
}


def check_prerequisites(euid: int | None = None, which=shutil.which) -> None:
    """Raise LabError naming the first missing prerequisite."""
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        raise LabError(
            f"the lab must be run as root: Samba needs rootful podman to store NT ACLs in "
            f"security.* xattrs, and you are uid {euid}."
        )
    for command, what in REQUIRED_COMMANDS.items():
        if which(command) is None:
            raise LabError(f"{command} is not installed: install {what}, or run `make lab`, which does.")


def debian_mirror(sources_dir: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine's apt already uses, so the lab fetches from the same place."""
    if os.environ.get("UMZUG_DEBIAN_MIRROR"):
        return os.environ["UMZUG_DEBIAN_MIRROR"]
    candidates = [sources_dir / "sources.list", *sorted((sources_dir / "sources.list.d").glob("*"))]
    for path in candidates:
        if not path.is_file() or path.suffix not in ("", ".list", ".sources"):
            continue
        mirror = _mirror_from_sources(path.read_text(errors="replace"))
        if mirror:
            return mirror
    raise LabError(
        "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/: "
        "set UMZUG_DEBIAN_MIRROR to the Debian archive to build the lab from."
    )


def _mirror_from_sources(text: str) -> str | None:
    # One-line format: "deb URL bookworm main"
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
            return parts[1]
    # deb822 format: a stanza with "URIs:" and a "Suites:" naming the release.
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if ":" in line and not line.startswith("#"):
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.split()
        if SUITE in fields.get("suites", []) and fields.get("uris") and "deb" in fields.get("types", ["deb"]):
            return fields["uris"][0]
    return None


# --- inventory -------------------------------------------------------------------------


def plain(value):
    """A value from `ansible-inventory --list`, which writes values the inventory plugin
    marked unsafe as {"__ansible_unsafe": value}."""
    if isinstance(value, dict) and set(value) == {"__ansible_unsafe"}:
        return value["__ansible_unsafe"]
    return value


def load_topology(inventory: Path = TOP / "inventories" / "lab") -> tuple[LabNetwork, list[LabHost]]:
    """Hosts, addresses and images from the lab inventory (ansible-inventory --list)."""
    ansible_inventory = Path(sys.executable).parent / "ansible-inventory"
    if not ansible_inventory.exists():
        ansible_inventory = shutil.which("ansible-inventory")
    if not ansible_inventory:
        raise LabError("ansible-inventory is not installed: run `make lab`, which prepares .venv.")
    proc = subprocess.run(
        [str(ansible_inventory), "-i", str(inventory), "--list"],
        cwd=TOP, text=True, capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise LabError(f"the lab inventory {inventory} cannot be read: {proc.stderr.strip().splitlines()[-1:]}")
    data = json.loads(proc.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    hosts = []
    network = None
    for name in sorted(hostvars):
        hv = hostvars[name]
        if "umzug_lab_image" not in hv:
            continue
        hosts.append(LabHost(
            name=name,
            address=hv["ansible_host"],
            image=hv["umzug_lab_image"],
            capabilities=tuple(hv.get("umzug_lab_capabilities", [])),
            kommune=plain((plain(hv.get("umzug_kommune")) or {}).get("id")),
            role=plain(hv.get("umzug_role", "")),
        ))
        net = hv["umzug_lab_network"]
        network = LabNetwork(net["name"], net["subnet"], net["gateway"])
    if not hosts or network is None:
        raise LabError(f"the lab inventory {inventory} names no host with umzug_lab_image.")
    return network, hosts


# --- images ----------------------------------------------------------------------------


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:16]


def rootfs_tag() -> str:
    return f"localhost/umzug-lab-rootfs:{_digest(SUITE.encode(), ' '.join(ROOTFS_PACKAGES).encode())}"


def image_tag(name: str, parent_tag: str, images_dir: Path = IMAGES_DIR) -> str:
    """A tag that changes exactly when the image's inputs (its folder, its parent) change."""
    folder = images_dir / name
    parts = [parent_tag.encode()]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        parts += [str(path.relative_to(folder)).encode(), path.read_bytes()]
    return f"localhost/umzug-lab-{name}:{_digest(*parts)}"


def image_exists(tag: str) -> bool:
    return run(["podman", "image", "exists", tag], check=False).returncode == 0


def build_rootfs(tag: str) -> None:
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="umzug-rootfs-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "root"
        log = STATE_DIR / "debootstrap.log"
        started = time.monotonic()
        progress(f"debootstrap {SUITE} from {mirror} (about a minute)")
        with log.open("w") as fh:
            proc = subprocess.run(
                ["debootstrap", "--variant=minbase", f"--include={','.join(ROOTFS_PACKAGES)}",
                 SUITE, str(root), mirror],
                stdout=fh, stderr=subprocess.STDOUT, check=False,
            )
        if proc.returncode != 0:
            raise LabError(
                f"debootstrap could not build the base system from {mirror}; is Debian's package "
                f"archive reachable from this machine? (details: {log})"
            )
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(["podman", "import", "-", tag], stdin=tar.stdout, env=podman_env(),
                             capture_output=True, text=True, check=False)
        tar.wait()
        if imp.returncode != 0:
            raise LabError(f"podman import of the base system failed: {imp.stderr.strip()}")
        progress(f"rootfs imported as {tag} in {time.monotonic() - started:.0f} s")


def build_images(images_dir: Path = IMAGES_DIR) -> dict[str, str]:
    """Build what is missing; return image name -> tag. Nothing unchanged is rebuilt."""
    tags = {"rootfs": rootfs_tag()}
    if not image_exists(tags["rootfs"]):
        build_rootfs(tags["rootfs"])
    for name, parent in IMAGES.items():
        tag = image_tag(name, tags[parent], images_dir)
        tags[name] = tag
        if image_exists(tag):
            progress(f"image {name}: up to date ({tag})")
        else:
            started = time.monotonic()
            progress(f"image {name}: building {tag}")
            arg = "ROOTFS" if parent == "rootfs" else "BASE"
            log = STATE_DIR / f"build-{name}.log"
            with log.open("w") as fh:
                proc = subprocess.run(
                    ["podman", "build", "--cap-add", "SYS_ADMIN", "--build-arg", f"{arg}={tags[parent]}",
                     "-t", tag, str(images_dir / name)],
                    stdout=fh, stderr=subprocess.STDOUT, env=podman_env(), check=False,
                )
            if proc.returncode != 0:
                raise LabError(f"building image {name} failed (details: {log}).")
            progress(f"image {name}: built in {time.monotonic() - started:.0f} s")
        # Molecule scenarios name images by their stable tag.
        run(["podman", "tag", tag, f"localhost/umzug-lab-{name}:latest"])
    return tags


# --- containers ------------------------------------------------------------------------


def ssh_key() -> Path:  # also used by `build`, so Molecule finds the key it mounts
    """The lab's SSH key, generated once into the ignored .lab/ folder."""
    key = STATE_DIR / "ssh" / "id_ed25519"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "umzug-lab", "-f", str(key)],
                       check=True)
    return key


def container_state(name: str) -> dict | None:
    proc = run(["podman", "container", "inspect", name], check=False)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)[0]


def answers(name: str) -> bool:
    """Whether a container podman calls running really is: after the machine was
    suspended and restored podman can keep reporting "Up" for containers whose processes
    are gone, and every exec then fails with "cannot exec in a stopped container"."""
    return run(["podman", "exec", name, "true"], check=False).returncode == 0


def ensure_network(net: LabNetwork) -> None:
    if run(["podman", "network", "exists", net.name], check=False).returncode == 0:
        return
    run(["podman", "network", "create", "--subnet", net.subnet, "--gateway", net.gateway,
         "--label", f"{LAB_LABEL}=1", net.name])


def molecule_network(scenario: str) -> LabNetwork:
    """A scenario's network, from its molecule.yml (provisioner group_vars, all,
    umzug_lab_network): Molecule's own schema has no place for a subnet, and scenario
    hosts have fixed addresses because they are reached over SSH like the lab's."""
    import yaml  # only this command needs it; `check` must run before .venv exists

    path = TOP / "molecule" / scenario / "molecule.yml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        net = config["provisioner"]["inventory"]["group_vars"]["all"]["umzug_lab_network"]
        return LabNetwork(net["name"], net["subnet"], net["gateway"])
    except FileNotFoundError:
        raise LabError(f"no Molecule scenario {scenario!r}: {path} does not exist.") from None
    except (KeyError, TypeError):
        raise LabError(f"{path} sets no provisioner.inventory.group_vars.all.umzug_lab_network "
                       f"(name, subnet, gateway) for its hosts.") from None


def molecule_leftovers(scenario: str) -> list[str]:
    """What an earlier run of a scenario left for the next run to destroy first: Molecule's
    state saying its hosts were created (Molecule's create would then skip them), a host's
    container, the scenario's network. Nothing on a new machine and after a run that ended
    with its destroy; `make molecule` then skips Molecule's destroy, whose playbook costs
    seconds even with nothing to remove."""
    import yaml

    path = TOP / "molecule" / scenario / "molecule.yml"
    if not path.exists():
        raise LabError(f"no Molecule scenario {scenario!r}: {path} does not exist.")
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    left = []
    run_dir = molecule_dir(scenario, "run")
    state = run_dir / "state.yml"
    if state.exists() and (yaml.safe_load(state.read_text(encoding="utf-8")) or {}).get("created"):
        left.append(f"Molecule's state {state} says its hosts were created")
    # Molecule's destroy prunes the ephemeral folder to these; anything else is a run's (a mark
    # of the wave scenario's converge, say) that the next run must not find.
    kept = {"state.yml", "ansible.cfg", "inventory/ansible_inventory.yml"}
    if run_dir.is_dir():
        left += [f"file {path}" for path in sorted(run_dir.rglob("*"))
                 if path.is_file() and str(path.relative_to(run_dir)) not in kept]
    left += [f"container {platform['name']}" for platform in config.get("platforms") or []
             if container_state(platform["name"]) is not None]
    net = molecule_network(scenario)
    if run(["podman", "network", "exists", net.name], check=False).returncode == 0:
        left.append(f"network {net.name}")
    return left


# What `molecule-evidence` keeps of each host of a failed scenario (no secrets: Samba's
# private/ folder and /root stay out).
EVIDENCE_PATHS = ("etc/samba", "var/log/samba", "var/lib/umzug", "srv/umzug")


def molecule_dir(scenario: str, kind: str) -> Path:
    """Where `make molecule` keeps a scenario's files in this checkout: "run" is its
    Molecule ephemeral folder (MOLECULE_EPHEMERAL_DIRECTORY), "results" the testinfra
    JUnit file, "failed" the evidence of its last failed run."""
    return STATE_DIR / "molecule" / kind / scenario


def molecule_evidence(scenario: str) -> int:
    """Keep what a failed scenario leaves before Molecule's destroy removes it: its
    ephemeral folder (converge's records, the mapping, reports), each host's journal and
    umzug's and Samba's folders; then print the failed tests last, where a CI log's tail
    shows them. Returns the number of failed tests the JUnit file names."""
    import yaml

    path = TOP / "molecule" / scenario / "molecule.yml"
    if not path.exists():
        raise LabError(f"no Molecule scenario {scenario!r}: {path} does not exist.")
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    target = molecule_dir(scenario, "failed")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    target.chmod(0o700)  # journals and logs are for this machine's root only
    run_dir = molecule_dir(scenario, "run")
    if run_dir.is_dir():
        shutil.copytree(run_dir, target / "ephemeral", symlinks=True)
    for platform in config.get("platforms") or []:
        name = platform["name"]
        if not answers(name):
            (target / f"{name}.absent").write_text("the container was not running\n", encoding="utf-8")
            continue
        with open(target / f"{name}.journal.txt", "wb") as out:
            subprocess.run(["podman", "exec", name, "journalctl", "-b", "--no-pager", "-o", "short-iso"],
                           stdout=out, stderr=subprocess.STDOUT, check=False)
        with open(target / f"{name}.files.tar.gz", "wb") as out:
            subprocess.run(["podman", "exec", name, "tar", "-C", "/", "-czf", "-", "--ignore-failed-read",
                            *EVIDENCE_PATHS], stdout=out, stderr=subprocess.DEVNULL, check=False)
    failed = failed_tests(molecule_dir(scenario, "results").with_suffix(".xml"))
    print(f"== molecule scenario {scenario} failed; its evidence is kept in {target}")
    for test, message in failed:
        print(f"== FAILED {test}: {message}")
    return len(failed)


def failed_tests(junit: Path) -> list[tuple[str, str]]:
    """(test id, first line of its message) of every failed or erroring test in a JUnit
    file; none when there is no file (the scenario failed before verify)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return []
    failed = []
    for case in root.iter("testcase"):
        for outcome in case:
            if outcome.tag in ("failure", "error"):
                message = (outcome.get("message") or outcome.text or "").strip().splitlines()
                failed.append((f"{case.get('classname')}::{case.get('name')}", (message or [""])[0][:300]))
    return failed


def follows_dns(host: LabHost, other: LabHost) -> bool:
    """Whether `host` must look `other` up in its domain's DNS rather than /etc/hosts:
    a Kommune's file server, seen from the other hosts of its Kommune. The name switch
    moves that name to the RZ with a DNS record in the Kommune's domain, and an /etc/hosts
    entry (read before DNS) would hide it."""
    return other.role == "fs" and other.kommune is not None and other.kommune == host.kommune


def run_args(host: LabHost, hosts: list[LabHost], net: LabNetwork, tag: str, key: Path) -> list[str]:
    """`podman run` for a lab host. The label umzug.lab.run carries a digest of all other
    arguments, so a container made with different arguments is recreated (start_containers)."""
    args = ["--name", host.name, "--hostname", host.name,
            "--network", net.name, "--ip", host.address, "--systemd=always",
            "--label", f"{LAB_LABEL}=1", "--label", f"umzug.lab.image={tag}",
            "-v", f"{key}.pub:/root/.ssh/authorized_keys:ro"]
    for cap in host.capabilities:
        args += ["--cap-add", cap]
    for other in hosts:
        if other.name != host.name and not follows_dns(host, other):
            args += ["--add-host", f"{other.name}:{other.address}"]
    args += [tag, "/sbin/init"]
    digest = _digest(*(arg.encode() for arg in args))
    return ["podman", "run", "-d", "--label", f"umzug.lab.run={digest}", *args]


def run_label(args: list[str]) -> str:
    """The umzug.lab.run label value in `podman run` arguments made by run_args."""
    for index, arg in enumerate(args[:-1]):
        if arg == "--label" and args[index + 1].startswith("umzug.lab.run="):
            return args[index + 1].partition("=")[2]
    raise ValueError("no umzug.lab.run label in the arguments")


def start_containers(net: LabNetwork, hosts: list[LabHost], tags: dict[str, str]) -> None:
    key = ssh_key()
    known_hosts = STATE_DIR / "known_hosts"
    for host in hosts:
        tag = tags[host.image]
        args = run_args(host, hosts, net, tag, key)
        state = container_state(host.name)
        labels = (state or {}).get("Config", {}).get("Labels") or {}
        if state and labels.get("umzug.lab.image") != tag:
            progress(f"{host.name}: image changed, recreating")
            run(["podman", "rm", "-f", "-t", "5", host.name])
            state = None
        elif state and labels.get("umzug.lab.run") != run_label(args):
            progress(f"{host.name}: run arguments changed (addresses, capabilities, host entries), recreating")
            run(["podman", "rm", "-f", "-t", "5", host.name])
            state = None
        elif state and state["State"]["Running"] and not answers(host.name):
            progress(f"{host.name}: podman says running but the container does not answer, recreating")
            run(["podman", "rm", "-f", "-t", "5", host.name])
            state = None
        if state is None:
            run(args)
            if known_hosts.exists():
                subprocess.run(["ssh-keygen", "-R", host.address, "-f", str(known_hosts)],
                               capture_output=True, check=False)
            progress(f"{host.name}: started at {host.address}")
        elif not state["State"]["Running"]:
            run(["podman", "start", host.name])
            progress(f"{host.name}: started again")
        else:
            progress(f"{host.name}: running")


def provision(extra: list[str]) -> None:
    playbook = Path(sys.executable).parent / "ansible-playbook"
    progress("configuring the lab over SSH (lab/provision.yml)")
    proc = subprocess.run([str(playbook), str(TOP / "lab" / "provision.yml"), *extra], cwd=TOP, check=False)
    if proc.returncode != 0:
        raise LabError("provisioning the lab failed; the Ansible output above says where.")


def down(net: LabNetwork, hosts: list[LabHost]) -> None:
    proc = run(["podman", "ps", "-a", "--filter", f"label={LAB_LABEL}=1", "--format", "{{.Names}}"])
    names = set(proc.stdout.split()) | {h.name for h in hosts if container_state(h.name)}
    for name in sorted(names):
        run(["podman", "rm", "-f", "-t", "5", name])
        progress(f"{name}: removed")
    if run(["podman", "network", "exists", net.name], check=False).returncode == 0:
        run(["podman", "network", "rm", net.name])
        progress(f"network {net.name}: removed")
    (STATE_DIR / "known_hosts").unlink(missing_ok=True)


def status(hosts: list[LabHost]) -> int:
    print(f"{'host':<20} {'address':<15} {'image':<8} state")
    down_count = 0
    for host in hosts:
        state = container_state(host.name)
        text = "absent" if state is None else state["State"]["Status"]
        if text == "running" and not answers(host.name):
            text = "not answering"
        down_count += text != "running"
        print(f"{host.name:<20} {host.address:<15} {host.image:<8} {text}")
    return 0 if down_count == 0 else 1


# --- a shaped link and a delaying relay --------------------------------------------------
# The Kommune's WAN link in the lab (docs/shares.md "A limited link"): tc's tbf on the egress
# of a container's interface, set from the host inside the container's network namespace
# (the container needs no NET_ADMIN), and latency from lab/delay_relay.py in a container
# (this kernel has no netem).

# burst: 64 KiB is one TSO/GSO packet of the veth, so tbf need not split what TCP hands it;
# at 8 Mbit/s it lets 65 ms of the line through at once, which a rate measured over seconds
# does not see. limit (the queue, in bytes): 50 ms of the rate, at least 384 KiB; with a
# shorter queue a single local TCP sender overflows it (measured: 120 kB at 48 Mbit/s and
# 100 kB at 8 Mbit/s dropped packets, 300 kB and more did not), and drops make the rate
# saw-toothed. Measured with these values on this kernel's veth (a TCP stream of 6 s): the
# wire rate within 0.5 % of the set rate at 8, 24, 48 and 100 Mbit/s, the TCP payload 95.6 %
# of it (Ethernet, IP and TCP headers: 1448 of 1514 bytes a packet), no drops.
LINK_BURST = 64 * 1024
LINK_QUEUE_SECONDS = 0.05
LINK_QUEUE_FLOOR = 384 * 1024
LINK_RATES = (0.1, 10_000)  # Mbit/s that make sense for a lab link
RELAY_SCRIPT = Path(__file__).resolve().parent / "delay_relay.py"
RELAY_PATH = "/usr/local/lib/umzug-lab/delay_relay.py"  # inside the container
RELAY_UNIT = "umzug-lab-relay-{port}"


@dataclass(frozen=True)
class Tbf:
    """A tbf qdisc as this tool sets it."""

    rate_bit: int

    @classmethod
    def of_mbit(cls, mbit: float) -> Tbf:
        if not LINK_RATES[0] <= mbit <= LINK_RATES[1]:
            raise LabError(f"--rate {mbit:g} is not between {LINK_RATES[0]:g} and {LINK_RATES[1]:g} Mbit/s.")
        return cls(round(mbit * 1_000_000))

    @property
    def burst(self) -> int:
        return LINK_BURST

    @property
    def limit(self) -> int:
        return max(round(self.rate_bit / 8 * LINK_QUEUE_SECONDS), LINK_QUEUE_FLOOR)

    def tc_arguments(self) -> list[str]:
        return ["tbf", "rate", f"{self.rate_bit}bit", "burst", str(self.burst), "limit", str(self.limit)]

    def matches(self, shown: dict) -> bool:
        """Whether a qdisc from `tc -j qdisc show` is this one. tc shows the rate in bytes/s,
        the burst rounded to its time unit and the queue as the latency it means."""
        options = shown.get("options") or {}
        rate = self.rate_bit // 8
        latency_us = (self.limit - self.burst) / rate * 1_000_000
        return (shown.get("kind") == "tbf" and options.get("rate") == rate
                and abs(options.get("burst", 0) - self.burst) <= 64
                and abs(options.get("lat", 0) - latency_us) <= max(0.01 * latency_us, 2))


def nsenter(pid: int, *command: str) -> list[str]:
    """A command in the network namespace of the process ``pid`` (a container's init)."""
    return ["nsenter", "-t", str(pid), "-n", *command]


def container_pid(name: str) -> int:
    proc = run(["podman", "inspect", "-f", "{{.State.Pid}}", name], check=False)
    if proc.returncode != 0:
        raise LabError(f"there is no container {name}.")
    pid = int(proc.stdout.strip() or 0)
    if pid <= 0:
        raise LabError(f"container {name} does not run.")
    return pid


def tool(cmd: list[str], what: str) -> str:
    proc = run(cmd, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise LabError(f"{what} failed: {detail[-1] if detail else f'exit code {proc.returncode}'}")
    return proc.stdout


def egress_device(pid: int) -> str:
    """The interface of the container's default route: where its traffic to the RZ leaves."""
    routes = json.loads(tool(nsenter(pid, "ip", "-j", "route", "show", "default"), "ip route") or "[]")
    if not routes or "dev" not in routes[0]:
        raise LabError("the container has no default route; name its interface with --dev.")
    return routes[0]["dev"]


def root_qdisc(pid: int, dev: str) -> dict:
    shown = json.loads(tool(nsenter(pid, "tc", "-s", "-j", "qdisc", "show", "dev", dev, "root"), "tc qdisc show"))
    return next((q for q in shown if q.get("root")), shown[0] if shown else {})


def link_report(name: str, dev: str, qdisc: dict, changed: bool) -> dict:
    options = qdisc.get("options") or {}
    shaped = qdisc.get("kind") == "tbf"
    return {
        "container": name, "device": dev, "changed": changed, "shaped": shaped, "kind": qdisc.get("kind"),
        "rate_bit_per_s": options.get("rate", 0) * 8 if shaped else None,
        "burst_bytes": options.get("burst") if shaped else None,
        "latency_us": options.get("lat") if shaped else None,
        # Counted by the qdisc since it was set: every byte that left through the interface.
        **{key: qdisc.get(key, 0) for key in ("bytes", "packets", "drops", "overlimits", "backlog")},
    }


def link(name: str, rate_mbit: float | None = None, off: bool = False, dev: str | None = None) -> dict:
    """Shape (rate), unshape (off) or show the egress of a container's interface."""
    for command, package in (("nsenter", "util-linux"), ("tc", "iproute2")):
        if shutil.which(command) is None:
            raise LabError(f"{command} is not installed: install the Debian package {package}.")
    pid = container_pid(name)
    dev = dev or egress_device(pid)
    before = root_qdisc(pid, dev)
    changed = False
    if rate_mbit is not None:
        wanted = Tbf.of_mbit(rate_mbit)
        if not wanted.matches(before):
            # replace: a tbf already there changes its rate in place; any other root qdisc goes.
            tool(nsenter(pid, "tc", "qdisc", "replace", "dev", dev, "root", *wanted.tc_arguments()),
                 f"tc on {dev} of {name}")
            changed = True
    elif off and before.get("kind") == "tbf":
        tool(nsenter(pid, "tc", "qdisc", "del", "dev", dev, "root"), f"tc on {dev} of {name}")
        changed = True
    return link_report(name, dev, root_qdisc(pid, dev) if changed else before, changed)


def link_line(report: dict) -> str:
    what = (f"tbf {report['rate_bit_per_s'] / 1e6:g} Mbit/s, burst {report['burst_bytes']} B, "
            f"queue {report['latency_us'] / 1000:.1f} ms" if report["shaped"] else "not shaped")
    if report["changed"]:
        what += " (set)" if report["shaped"] else " (shaping removed)"
    elif report["shaped"]:
        what += " (in force)"
    return (f"{report['container']} {report['device']} egress: {what}; "
            f"{report['bytes']} bytes in {report['packets']} packets, {report['drops']} dropped")


@dataclass(frozen=True)
class Relay:
    """A delay_relay.py in a container, as a transient systemd unit named by its port."""

    listen: tuple[str, int]
    to: tuple[str, int]
    delay_ms: float

    @property
    def unit(self) -> str:
        return RELAY_UNIT.format(port=self.listen[1])

    def description(self, script: bytes) -> str:
        # The unit's description carries everything it was started with, so the next call
        # knows whether the running relay is this one (and a changed script counts).
        return (f"umzug lab relay {self.listen[0]}:{self.listen[1]} -> {self.to[0]}:{self.to[1]}, "
                f"{self.delay_ms:g} ms each way, script {_digest(script)}")

    def systemd_run(self, script: bytes) -> list[str]:
        return ["systemd-run", f"--unit={self.unit}", f"--description={self.description(script)}",
                "--property=Type=notify", "--collect", "--quiet", "python3", RELAY_PATH,
                "--listen", f"{self.listen[0]}:{self.listen[1]}", "--to", f"{self.to[0]}:{self.to[1]}",
                "--delay", f"{self.delay_ms:g}"]


def relay_endpoint(text: str, default_host: str | None = None) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon and default_host:
        host = default_host
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise LabError(f"{text!r} is not {'[ADDRESS:]PORT' if default_host else 'HOST:PORT'}.")
    return host, int(port)


def unit_state(name: str, unit: str) -> dict[str, str]:
    proc = run(["podman", "exec", name, "systemctl", "show", unit, "-p", "ActiveState", "-p", "Description"],
               check=False)
    if proc.returncode != 0:
        raise LabError(f"container {name} does not run (or has no systemd).")
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


def relay_on(name: str, relay: Relay, script: bytes | None = None) -> dict:
    """Start the relay in the container unless this very one runs there; replace another."""
    container_pid(name)
    script = RELAY_SCRIPT.read_bytes() if script is None else script
    state = unit_state(name, relay.unit)
    report = {"container": name, "unit": relay.unit, "description": relay.description(script), "running": True}
    if state.get("ActiveState") == "active" and state.get("Description") == relay.description(script):
        return {**report, "changed": False}
    relay_stop(name, relay.unit)
    tool(["podman", "exec", name, "mkdir", "-p", str(Path(RELAY_PATH).parent)], f"mkdir in {name}")
    tool(["podman", "cp", str(RELAY_SCRIPT), f"{name}:{RELAY_PATH}"], f"podman cp to {name}")
    tool(["podman", "exec", name, *relay.systemd_run(script)], f"starting the relay in {name}")
    return {**report, "changed": True}


def relay_stop(name: str, unit: str) -> bool:
    """Stop the relay's unit if it is there; whether something was stopped."""
    state = unit_state(name, unit)
    if state.get("ActiveState") in ("active", "activating", "failed", "deactivating"):
        run(["podman", "exec", name, "systemctl", "stop", unit], check=False)
        run(["podman", "exec", name, "systemctl", "reset-failed", unit], check=False)
        return state.get("ActiveState") != "failed"
    return False


def relay_off(name: str, port: int) -> dict:
    container_pid(name)
    unit = RELAY_UNIT.format(port=port)
    return {"container": name, "unit": unit, "running": False, "changed": relay_stop(name, unit)}


def relays(name: str) -> list[dict]:
    """The relays running in a container, with the bytes each connection carried (journal)."""
    container_pid(name)
    listed = tool(["podman", "exec", name, "systemctl", "list-units", RELAY_UNIT.format(port="*"),
                   "--all", "--no-legend", "--plain"], f"systemctl in {name}")
    found = []
    for line in listed.splitlines():
        unit, _load, active, _sub, description = (line.split(None, 4) + [""] * 5)[:5]
        if not unit.startswith("umzug-lab-relay-"):
            continue
        journal = run(["podman", "exec", name, "journalctl", "-u", unit, "-o", "cat", "--no-pager"],
                      check=False).stdout
        lines = [line for line in journal.splitlines() if line.startswith("delay_relay: ")]
        # The journal keeps earlier relays of the same port: this one's log begins at its last start.
        starts = [index for index, line in enumerate(lines) if line.startswith("delay_relay: listening on ")]
        found.append({"unit": unit, "state": active, "description": description,
                      "log": lines[starts[-1]:] if starts else lines})
    return found


def link_or_relay(args: argparse.Namespace) -> int:
    """`link CONTAINER [--rate MBIT | --off] [--dev DEV]` and
    `relay CONTAINER [--listen [ADDRESS:]PORT (--to HOST:PORT --delay MS | --off)]`;
    without --rate, --off or --listen they show what is in force."""
    check_argument_combination(args)
    check_prerequisites()
    name = args.args[0]
    if args.command == "link":
        report = link(name, args.rate, args.off, args.dev)
        print(json.dumps(report) if args.json else link_line(report))
        return 0
    if args.listen is None:
        found = relays(name)
        if args.json:
            print(json.dumps({"container": name, "relays": found}))
        for relay in [] if args.json else found:
            print(f"{name} {relay['unit']} {relay['state']}: {relay['description']}")
        if not found and not args.json:
            print(f"{name}: no relay")
        return 0
    listen = relay_endpoint(args.listen, "127.0.0.1")
    if args.off:
        report = relay_off(name, listen[1])
    else:
        report = relay_on(name, Relay(listen, relay_endpoint(args.to), args.delay))
    if args.json:
        print(json.dumps(report))
    elif report["changed"]:
        print(f"{name} {report['unit']}: {'started' if report['running'] else 'stopped'}")
    else:
        print(f"{name} {report['unit']}: unchanged ({'running' if report['running'] else 'not running'})")
    return 0


def check_argument_combination(args: argparse.Namespace) -> None:
    """One sentence for options that do not go together (before anything is looked at)."""
    if len(args.args) != 1:
        raise LabError(f"{args.command} takes one argument, the container's name.")
    mine = {"link": ("rate", "dev"), "relay": ("listen", "to", "delay")}[args.command]
    others = [f"--{option}" for options in (("rate", "dev"), ("listen", "to", "delay")) if options != mine
              for option in options if getattr(args, option) is not None]
    if others:
        raise LabError(f"{args.command} takes no {', '.join(others)}.")
    if args.command == "link" and args.off and args.rate is not None:
        raise LabError("link takes --rate or --off, not both.")
    if args.command == "relay":
        if args.off and (args.to is not None or args.delay is not None):
            raise LabError("relay --off takes only --listen (the port of the relay to stop).")
        if args.off and args.listen is None:
            raise LabError("relay --off needs --listen, the port of the relay to stop.")
        if args.listen is not None and not args.off and (args.to is None or args.delay is None):
            raise LabError("relay --listen needs --to HOST:PORT and --delay MS (or --off).")
        if args.listen is None and (args.to is not None or args.delay is not None):
            raise LabError("relay --to and --delay need --listen [ADDRESS:]PORT.")
        if args.delay is not None and not 0 <= args.delay <= 10_000:
            raise LabError(f"--delay {args.delay:g} is not between 0 and 10000 ms.")


def progress(message: str) -> None:
    print(f"[lab] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "build", "up", "down", "status", "molecule-network",
                                            "molecule-evidence", "molecule-leftovers", "link", "relay"])
    parser.add_argument("args", nargs="*",
                        help="`up`: passed to ansible-playbook; `molecule-*`: the scenario; `link`, `relay`: "
                             "the container")
    shaping = parser.add_argument_group("link", "shape the egress of a container's interface")
    shaping.add_argument("--rate", type=float, help="Mbit/s (tc tbf)")
    shaping.add_argument("--dev", help="the interface (default: that of the container's default route)")
    relaying = parser.add_argument_group("relay", "a delaying relay in a container (lab/delay_relay.py)")
    relaying.add_argument("--listen", help="[ADDRESS:]PORT in the container (address 127.0.0.1 unless given)")
    relaying.add_argument("--to", help="HOST:PORT to relay to")
    relaying.add_argument("--delay", type=float, help="ms each direction waits (a round trip grows by twice)")
    parser.add_argument("--off", action="store_true", help="`link`: remove the shaping; `relay`: stop it")
    parser.add_argument("--json", action="store_true", help="`link`, `relay`: one JSON object on stdout")
    args = parser.parse_args(argv)
    try:
        if args.command in ("link", "relay"):
            return link_or_relay(args)
        check_prerequisites()
        STATE_DIR.mkdir(exist_ok=True)
        if args.command == "check":
            debian_mirror()
            progress("prerequisites present")
            return 0
        if args.command == "build":
            build_images()
            ssh_key()
            return 0
        if args.command == "molecule-network":
            if len(args.args) != 1:
                raise LabError("molecule-network takes one argument, the scenario's name.")
            ensure_network(molecule_network(args.args[0]))
            return 0
        if args.command == "molecule-evidence":
            if len(args.args) != 1:
                raise LabError("molecule-evidence takes one argument, the scenario's name.")
            molecule_evidence(args.args[0])
            return 0
        if args.command == "molecule-leftovers":
            if len(args.args) != 1:
                raise LabError("molecule-leftovers takes one argument, the scenario's name.")
            left = molecule_leftovers(args.args[0])
            for item in left:
                print(item)
            return 0 if left else 1
        net, hosts = load_topology()
        if args.command == "up":
            tags = build_images()
            ensure_network(net)
            start_containers(net, hosts, tags)
            provision(args.args)
            return status(hosts)
        if args.command == "down":
            down(net, hosts)
            return 0
        return status(hosts)
    except LabError as err:
        print(f"umzug lab: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("umzug lab: interrupted; run the same command again to continue.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
