"""lab/umzug_lab.py: prerequisites in one sentence, the Debian mirror, image caching."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(TOP / "lab"))
import umzug_lab  # noqa: E402  (lab/ is a folder of tools, not a package)


def which_without(*missing):
    return lambda command: None if command in missing else f"/usr/bin/{command}"


@pytest.mark.parametrize(
    ("euid", "missing", "message"),
    [
        (1000, (), "the lab must be run as root: Samba needs rootful podman to store NT ACLs in "
                   "security.* xattrs, and you are uid 1000."),
        (0, ("podman",), "podman is not installed: install podman (Debian package podman), or run `make lab`, "
                         "which does."),
        (0, ("runc",), "runc is not installed: install runc (Debian package runc; crun cannot run the lab on this "
                       "kernel), or run `make lab`, which does."),
        (0, ("iptables",), "iptables is not installed: install iptables (Debian package iptables; podman's "
                           "netavark needs it), or run `make lab`, which does."),
        (0, ("debootstrap",), "debootstrap is not installed: install debootstrap (Debian package debootstrap; it "
                              "builds the lab's base image), or run `make lab`, which does."),
    ],
)
def test_missing_prerequisite_is_one_sentence(euid, missing, message):
    with pytest.raises(umzug_lab.LabError) as err:
        umzug_lab.check_prerequisites(euid=euid, which=which_without(*missing))
    assert str(err.value) == message


def test_all_prerequisites_present():
    umzug_lab.check_prerequisites(euid=0, which=which_without())


def test_missing_podman_ends_the_command_with_one_line_and_no_traceback(tmp_path):
    (tmp_path / "python3").symlink_to(sys.executable)
    result = subprocess.run(
        [str(tmp_path / "python3"), str(TOP / "lab" / "umzug_lab.py"), "check"],
        env={**os.environ, "PATH": str(tmp_path)}, capture_output=True, text=True, check=False,
    )
    if os.geteuid() == 0:
        expected = "podman is not installed: install podman (Debian package podman), or run `make lab`, which does."
    else:
        expected = f"the lab must be run as root: Samba needs rootful podman to store NT ACLs in security.* " \
                   f"xattrs, and you are uid {os.geteuid()}."
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"umzug lab: {expected}"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"sources.list": "# comment\ndeb http://mirror.example/debian bookworm main\n"}, "http://mirror.example/debian"),
        ({"sources.list.d/debian.sources": "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm "
                                           "bookworm-updates\nComponents: main\n"}, "http://m.example/debian"),
        ({"sources.list.d/debian.sources": "Types: deb\nURIs: http://sec.example/ds\nSuites: bookworm-security\n\n"
                                           "Types: deb\nURIs: http://m.example/d\nSuites: bookworm\n"},
         "http://m.example/d"),
        ({"sources.list.d/other.list.disabled": "deb http://x.example bookworm main\n",
          "sources.list": "deb http://y.example/debian bookworm main\n"}, "http://y.example/debian"),
    ],
)
def test_debian_mirror_comes_from_apt(tmp_path, monkeypatch, files, expected):
    monkeypatch.delenv("UMZUG_DEBIAN_MIRROR", raising=False)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert umzug_lab.debian_mirror(tmp_path) == expected


def test_no_mirror_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.delenv("UMZUG_DEBIAN_MIRROR", raising=False)
    with pytest.raises(umzug_lab.LabError) as err:
        umzug_lab.debian_mirror(tmp_path)
    assert str(err.value) == (
        "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/: "
        "set UMZUG_DEBIAN_MIRROR to the Debian archive to build the lab from."
    )


def test_mirror_override(tmp_path, monkeypatch):
    monkeypatch.setenv("UMZUG_DEBIAN_MIRROR", "http://override.example/debian")
    assert umzug_lab.debian_mirror(tmp_path) == "http://override.example/debian"


def test_image_tag_changes_exactly_when_an_input_changes(tmp_path):
    (tmp_path / "samba").mkdir()
    (tmp_path / "samba" / "Containerfile").write_text("FROM x\n")
    first = umzug_lab.image_tag("samba", "localhost/base:1", tmp_path)
    assert umzug_lab.image_tag("samba", "localhost/base:1", tmp_path) == first
    assert umzug_lab.image_tag("samba", "localhost/base:2", tmp_path) != first
    (tmp_path / "samba" / "extra.conf").write_text("x")
    second = umzug_lab.image_tag("samba", "localhost/base:1", tmp_path)
    assert second != first
    (tmp_path / "samba" / "extra.conf").write_text("y")
    assert umzug_lab.image_tag("samba", "localhost/base:1", tmp_path) != second
    assert first.startswith("localhost/umzug-lab-samba:")


class FakePodman:
    """Records podman calls; a container is whatever state the test gives it."""

    def __init__(self, state, exec_rc):
        self.state, self.exec_rc, self.calls = state, exec_rc, []

    def run(self, cmd, check=True, capture=True, **kw):
        self.calls.append(cmd[:3])
        rc = self.exec_rc if cmd[1] == "exec" else 0
        return subprocess.CompletedProcess(cmd, rc, "", "")


@pytest.mark.parametrize(("exec_rc", "recreated"), [(0, False), (1, True)])
def test_a_running_container_that_does_not_answer_is_recreated(tmp_path, monkeypatch, exec_rc, recreated):
    host = umzug_lab.LabHost("kommune-a-fs", "10.89.42.12", "samba", ("SYS_ADMIN",))
    net = umzug_lab.LabNetwork("umzug-lab", "10.89.42.0/24", "10.89.42.1")
    tag = "localhost/umzug-lab-samba:t1"
    made = umzug_lab.run_label(umzug_lab.run_args(host, [host], net, tag, tmp_path / "id_ed25519"))
    state = {"Config": {"Labels": {"umzug.lab.image": tag, "umzug.lab.run": made}},
             "State": {"Running": True, "Status": "running"}}
    fake = FakePodman(state, exec_rc)
    monkeypatch.setattr(umzug_lab, "run", fake.run)
    monkeypatch.setattr(umzug_lab, "container_state", lambda name: state)
    monkeypatch.setattr(umzug_lab, "ssh_key", lambda: tmp_path / "id_ed25519")
    monkeypatch.setattr(umzug_lab, "STATE_DIR", tmp_path)
    umzug_lab.start_containers(net, [host], {"samba": "localhost/umzug-lab-samba:t1"})
    assert ["podman", "exec", "kommune-a-fs"] in fake.calls
    assert (["podman", "rm", "-f"] in fake.calls) is recreated
    assert (["podman", "run", "-d"] in fake.calls) is recreated


LAB_HOSTS = [
    umzug_lab.LabHost("kommune-a-client", "10.89.42.13", "client", (), "kommune-a", "clients"),
    umzug_lab.LabHost("kommune-a-dc", "10.89.42.11", "samba", ("SYS_ADMIN",), "kommune-a", "dc"),
    umzug_lab.LabHost("kommune-a-fs", "10.89.42.12", "samba", ("SYS_ADMIN",), "kommune-a", "fs"),
    umzug_lab.LabHost("kommune-b-fs", "10.89.42.22", "samba", ("SYS_ADMIN",), "kommune-b", "fs"),
    umzug_lab.LabHost("rz-fs", "10.89.42.32", "samba", ("SYS_ADMIN", "NET_ADMIN"), None, "fs"),
]
LAB_NET = umzug_lab.LabNetwork("umzug-lab", "10.89.42.0/24", "10.89.42.1")


def added_hosts(args):
    return {args[i + 1] for i, arg in enumerate(args) if arg == "--add-host"}


def test_a_kommune_resolves_its_own_file_server_through_its_dns():
    """The name switch moves \\kommune-a-fs with a record in kommune-a.test: the Kommune's
    hosts must not find the old address in /etc/hosts first. Other hosts keep their entries."""
    key = Path("/lab/id_ed25519")
    by_name = {h.name: added_hosts(umzug_lab.run_args(h, LAB_HOSTS, LAB_NET, "t", key)) for h in LAB_HOSTS}
    assert by_name["kommune-a-client"] == {
        "kommune-a-dc:10.89.42.11", "kommune-b-fs:10.89.42.22", "rz-fs:10.89.42.32"}
    assert "kommune-a-fs:10.89.42.12" not in by_name["kommune-a-dc"]
    assert "kommune-a-fs:10.89.42.12" in by_name["kommune-b-fs"]
    assert "kommune-a-fs:10.89.42.12" in by_name["rz-fs"]
    assert "kommune-b-fs:10.89.42.22" in by_name["kommune-a-fs"]


def test_the_run_label_changes_exactly_when_the_run_arguments_change():
    key = Path("/lab/id_ed25519")
    client = LAB_HOSTS[0]

    def label(hosts, tag="t"):
        return umzug_lab.run_label(umzug_lab.run_args(client, hosts, LAB_NET, tag, key))

    assert label(LAB_HOSTS) == label(list(LAB_HOSTS))
    assert label(LAB_HOSTS) != label(LAB_HOSTS[:-1])
    assert label(LAB_HOSTS) != label(LAB_HOSTS, tag="t2")
    moved = [*LAB_HOSTS[:-1], umzug_lab.LabHost("rz-fs", "10.89.42.40", "samba", (), None, "fs")]
    assert label(LAB_HOSTS) != label(moved)


@pytest.mark.parametrize(("stored", "recreated"), [("same", False), ("old", True), (None, True)])
def test_a_container_made_with_other_run_arguments_is_recreated(tmp_path, monkeypatch, stored, recreated):
    host = LAB_HOSTS[0]
    tag = "localhost/umzug-lab-client:t1"
    made = umzug_lab.run_label(umzug_lab.run_args(host, [host], LAB_NET, tag, tmp_path / "id_ed25519"))
    labels = {"umzug.lab.image": tag}
    if stored is not None:
        labels["umzug.lab.run"] = made if stored == "same" else "0123456789abcdef"
    state = {"Config": {"Labels": labels}, "State": {"Running": True, "Status": "running"}}
    fake = FakePodman(state, 0)
    monkeypatch.setattr(umzug_lab, "run", fake.run)
    monkeypatch.setattr(umzug_lab, "container_state", lambda name: state)
    monkeypatch.setattr(umzug_lab, "ssh_key", lambda: tmp_path / "id_ed25519")
    monkeypatch.setattr(umzug_lab, "STATE_DIR", tmp_path)
    umzug_lab.start_containers(LAB_NET, [host], {"client": tag})
    assert (["podman", "rm", "-f"] in fake.calls) is recreated
    assert (["podman", "run", "-d"] in fake.calls) is recreated


def test_values_marked_unsafe_by_the_inventory_read_as_plain_values():
    assert umzug_lab.plain({"__ansible_unsafe": "kommune-a"}) == "kommune-a"
    assert umzug_lab.plain("fs") == "fs"
    assert umzug_lab.plain({"id": "kommune-a"}) == {"id": "kommune-a"}
    assert umzug_lab.plain(None) is None


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="2" tests="4">
<testcase classname="tests.test_shares" name="test_ok[ansible://shr-rz-fs]"/>
<testcase classname="tests.test_shares" name="test_killed[ansible://shr-rz-fs]">
<failure message="AssertionError: share bauamt&#10;assert 'counts' not in {...}">traceback</failure></testcase>
<testcase classname="tests.test_shares" name="test_tree"><failure>AssertionError: trees differ
second line</failure></testcase>
<testcase classname="tests.test_windows" name="test_setup"><error message="fixture 'host' failed"/></testcase>
</testsuite></testsuites>
"""


@pytest.mark.parametrize(("content", "expected"), [
    (JUNIT, [("tests.test_shares::test_killed[ansible://shr-rz-fs]", "AssertionError: share bauamt"),
             ("tests.test_shares::test_tree", "AssertionError: trees differ"),
             ("tests.test_windows::test_setup", "fixture 'host' failed")]),
    (None, []),  # the scenario failed before verify wrote one
    ("<testsuites><testsuite", []),  # cut short
])
def test_failed_tests_are_read_from_the_junit_file(tmp_path, content, expected):
    junit = tmp_path / "shares.xml"
    if content is not None:
        junit.write_text(content, encoding="utf-8")
    assert umzug_lab.failed_tests(junit) == expected


def test_evidence_of_a_failed_scenario_is_kept_and_its_failed_tests_printed_last(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(umzug_lab, "STATE_DIR", tmp_path)
    run_dir = tmp_path / "molecule" / "run" / "shares"
    (run_dir / "shares").mkdir(parents=True)
    (run_dir / "shares" / "killed.json").write_text("{}", encoding="utf-8")
    (tmp_path / "molecule" / "results").mkdir()
    (tmp_path / "molecule" / "results" / "shares.xml").write_text(JUNIT, encoding="utf-8")
    monkeypatch.setattr(umzug_lab, "answers", lambda name: False)  # no container left to ask
    umzug_lab.molecule_evidence("shares")
    kept = tmp_path / "molecule" / "failed" / "shares"
    assert (kept / "ephemeral" / "shares" / "killed.json").read_text(encoding="utf-8") == "{}"
    assert sorted(p.name for p in kept.glob("*.absent")) == ["shr-a-dc.absent", "shr-a-fs.absent",
                                                            "shr-rz-dc.absent", "shr-rz-fs.absent"]
    assert kept.stat().st_mode & 0o777 == 0o700
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3:] == ["== FAILED tests.test_shares::test_killed[ansible://shr-rz-fs]: AssertionError: share bauamt",
                          "== FAILED tests.test_shares::test_tree: AssertionError: trees differ",
                          "== FAILED tests.test_windows::test_setup: fixture 'host' failed"]


def test_evidence_of_an_unknown_scenario_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(umzug_lab, "STATE_DIR", tmp_path)
    with pytest.raises(umzug_lab.LabError, match="no Molecule scenario 'nosuch'"):
        umzug_lab.molecule_evidence("nosuch")


@pytest.mark.parametrize(("created", "containers", "network", "expected"), [
    (None, set(), False, []),  # a new machine: no state, nothing in podman
    (False, set(), False, []),  # after a run that ended with its destroy
    (True, set(), False, ["state"]),  # hosts gone, state says created: Molecule's create would skip them
    (False, {"shr-a-fs"}, False, ["container shr-a-fs"]),
    (None, set(), True, ["network umzug-mol-shares"]),
    (True, {"shr-a-dc", "shr-rz-fs"}, True, ["state", "container shr-a-dc", "container shr-rz-fs",
                                             "network umzug-mol-shares"]),
], ids=["new", "destroyed", "state", "container", "network", "all"])
def test_leftovers_of_an_earlier_scenario_run_are_what_make_molecule_destroys_first(
        tmp_path, monkeypatch, created, containers, network, expected):
    monkeypatch.setattr(umzug_lab, "STATE_DIR", tmp_path)
    if created is not None:
        run_dir = tmp_path / "molecule" / "run" / "shares"
        run_dir.mkdir(parents=True)
        (run_dir / "state.yml").write_text(f"# Molecule managed\n\n---\ncreated: {str(created).lower()}\n"
                                           "driver: podman\n", encoding="utf-8")
    monkeypatch.setattr(umzug_lab, "container_state", lambda name: {"Name": name} if name in containers else None)
    asked = []

    def podman(cmd, **kw):
        asked.append(cmd)
        return subprocess.CompletedProcess(cmd, 0 if network else 1, "", "")

    monkeypatch.setattr(umzug_lab, "run", podman)
    left = umzug_lab.molecule_leftovers("shares")
    assert [("state" if item.startswith("Molecule's state") else item) for item in left] == expected
    assert asked == [["podman", "network", "exists", "umzug-mol-shares"]]


def test_a_file_molecules_destroy_would_prune_is_a_leftover(tmp_path, monkeypatch):
    """What a destroy leaves (state, ansible.cfg, inventory) is not; a mark of a converge is."""
    monkeypatch.setattr(umzug_lab, "STATE_DIR", tmp_path)
    run_dir = tmp_path / "molecule" / "run" / "wave"
    (run_dir / "inventory").mkdir(parents=True)
    for kept in ("state.yml", "ansible.cfg", "inventory/ansible_inventory.yml"):
        (run_dir / kept).write_text("created: false\n" if kept == "state.yml" else "", encoding="utf-8")
    monkeypatch.setattr(umzug_lab, "container_state", lambda name: None)
    monkeypatch.setattr(umzug_lab, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1, "", ""))
    assert umzug_lab.molecule_leftovers("wave") == []
    (run_dir / "artifacts-emptied").write_text("", encoding="utf-8")
    assert umzug_lab.molecule_leftovers("wave") == [f"file {run_dir / 'artifacts-emptied'}"]


def test_leftovers_of_an_unknown_scenario_are_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(umzug_lab, "STATE_DIR", tmp_path)
    with pytest.raises(umzug_lab.LabError, match="no Molecule scenario 'nosuch'"):
        umzug_lab.molecule_leftovers("nosuch")
