"""The acceptance suite's batched reads (tests/acceptance/gather.py, remote.run_batch, smb.py)
and its one SSH session per host (sessions.py): many commands in one round trip with each
one's own result, passwords only in the environment, a failed read kept for the tests that
need it, and the connection settings as Ansible computes them."""

import os
import sys
import threading

import pytest
import testinfra
import yaml

from tests.acceptance import gather, smb
from tests.acceptance.remote import run_batch
from tests.acceptance.sessions import resolve, ssh_spec


class Recording:
    """A local host that keeps the command lines it ran."""

    def __init__(self):
        self.local = testinfra.get_host("local://")
        self.lines = []

    def run(self, line):
        self.lines.append(line)
        return self.local.run(line)


def test_a_batch_gives_each_command_its_own_result_in_order():
    host = Recording()
    results = run_batch(host, ["echo one; echo warn >&2", "exit 3", "printf '\\344'", "true"])
    assert len(host.lines) == 1
    assert [r.rc for r in results] == [0, 3, 0, 0]
    assert (results[0].stdout, results[0].stderr) == ("one\n", "warn\n")
    assert results[2].stdout_bytes == b"\xe4"  # not UTF-8: kept as bytes
    assert results[3].stdout_bytes == b"" and results[3].stderr_bytes == b""


@pytest.mark.parametrize("at_once", [1, 3])
def test_a_batch_keeps_the_order_given_whatever_ends_first(at_once):
    """Commands that end in the opposite order of their start still come back in the order
    given, each with its own output and exit code."""
    commands = [f"sleep 0.{4 - n}; echo out{n}; echo err{n} >&2; exit {n}" for n in range(4)]
    results = run_batch(Recording(), commands, at_once=at_once)
    assert [(r.rc, r.stdout, r.stderr) for r in results] == [(n, f"out{n}\n", f"err{n}\n") for n in range(4)]


def test_a_batch_runs_at_most_at_once_commands_at_the_same_time(tmp_path):
    """Each command marks its start and end in a shared file: never more than ``at_once``
    run together, and with more than one at once, some do overlap."""
    log = tmp_path / "log"
    commands = [f"echo start >>{log}; sleep 0.5; echo end >>{log}" for _n in range(6)]
    run_batch(Recording(), commands, at_once=2)
    running, most = 0, 0
    for line in log.read_text().split():
        running += 1 if line == "start" else -1
        most = max(most, running)
    assert most == 2


def test_a_batch_refuses_fewer_than_one_at_once():
    with pytest.raises(ValueError, match="at_once"):
        run_batch(Recording(), ["true"], at_once=0)


def test_a_batch_exits_zero_even_when_its_last_command_gives_255():
    (result,) = run_batch(Recording(), ["exit 255"])
    assert result.rc == 255


def test_passwords_reach_smbclient_through_the_environment_only(tmp_path, monkeypatch):
    """A stand-in smbclient prints the $PASSWD it got; every password appears once in the
    environment assignments and in no command of the batch."""
    fake = tmp_path / "smbclient"
    fake.write_text('#!/bin/sh\nprintf "%s %s\\n" "$4" "$PASSWD"; [ "$PASSWD" = geheim-a ]\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    host = Recording()
    ok = smb.logs_on_each(host, "rz-fs", [("RZ\\a", "geheim-a"), ("RZ\\b", "geheim b'"), ("RZ\\c", "geheim-a")])
    assert ok == [True, False, True]
    (line,) = host.lines
    assert line.count("geheim-a") == 1 and line.count("geheim b") == 1
    commands = line.split(" batch ", 1)[1]
    assert "geheim" not in commands


def test_listings_and_access_are_read_per_user_and_share(tmp_path, monkeypatch):
    fake = tmp_path / "smbclient"
    fake.write_text('#!/bin/sh\ncase "$1 $PASSWD" in\n'
                    '  "//rz-fs/wdorf-bauamt p1") printf "  .  D 0  Mon Nov 17 10:00:00 2026\\n'
                    '  Plaene  D 0  Mon Nov 17 10:00:00 2026\\n";;\n'
                    '  *) exit 1;;\nesac\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    host = Recording()
    assert smb.listings(host, [("p1", "rz-fs", "RZ\\a", "wdorf-bauamt"), ("p2", "rz-fs", "RZ\\b", "wdorf-bauamt")]) \
        == [{"Plaene"}, None]
    assert smb.can_list_each(host, "rz-fs", [("RZ\\a", "p1"), ("RZ\\b", "p2")], ["wdorf-bauamt", "wdorf-kasse"]) \
        == [{"wdorf-bauamt": True, "wdorf-kasse": False}, {"wdorf-bauamt": False, "wdorf-kasse": False}]
    assert len(host.lines) == 2


class Reads(gather.Gathered):
    """Reads that fail or wait for each other, without any host."""

    def __init__(self):
        super().__init__(kommune=None)
        self.release = threading.Event()

    def _read_central_users(self):
        raise AssertionError("ldbsearch: no such host")

    def _read_resolved(self):
        self.release.wait(10)
        return {"kommune-a-fs": ["10.0.0.1"]}

    def _read_tokens(self):
        self.release.set()
        return {"eva": {"S-1-1-0"}}


def test_a_failed_read_fails_only_the_tests_that_need_it_and_reads_run_at_once():
    reads = Reads()
    try:
        reads.start(["names"])
        assert reads.get("tokens") == {"eva": {"S-1-1-0"}}  # releases the read started first
        assert reads.get("resolved") == {"kommune-a-fs": ["10.0.0.1"]}
        for _attempt in range(2):  # kept: raised again for each test that asks
            with pytest.raises(AssertionError, match="no such host"):
                reads.get("central_users")
    finally:
        reads.close()


def test_each_keeps_the_error_of_one_item_apart_from_the_others():
    def read(item):
        if item == "b":
            raise AssertionError("b failed")
        return item.upper()
    found = gather.each(["a", "b", "c"], read, 2)
    assert found["a"] == "A" and found["c"] == "C"
    with pytest.raises(AssertionError, match="b failed"):
        gather.value(found["b"])


def test_connection_settings_come_from_ansible_with_templates_resolved(tmp_path):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"all": {
        "vars": {"state": "/srv/lab-state", "ansible_user": "root",
                 "ansible_ssh_private_key_file": "{{ state }}/ssh/id_ed25519",
                 "ansible_ssh_common_args": "-o UserKnownHostsFile={{ state }}/known_hosts"},
        "hosts": {"fs": {"ansible_host": "10.0.0.12"},
                  "pw": {"ansible_host": "10.0.0.13", "ansible_password": "{{ 'ge' ~ 'heim' }}"},
                  "win": {"ansible_connection": "winrm"},
                  "here": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    settings = resolve(str(tmp_path / "inventory.yml"), ["fs", "pw", "win", "here"])
    assert "geheim" not in str(settings)
    spec, options = ssh_spec(settings["fs"])
    assert spec == "ssh://root@10.0.0.12"
    assert options == {"ssh_identity_file": "/srv/lab-state/ssh/id_ed25519",
                       "ssh_extra_args": "-o UserKnownHostsFile=/srv/lab-state/known_hosts"}
    # With a password, or not over SSH: testinfra's Ansible backend, as before.
    assert ssh_spec(settings["pw"]) is None and ssh_spec(settings["win"]) is None
    assert ssh_spec(settings["here"]) is None


class Kommune:
    """As much of a Kommune as the UNC read needs."""

    rz_fs = "rz-fs"
    workstation = "altdorf-pc"

    def __init__(self):
        self.domain = {"dns_domain": "altdorf.test"}
        self.passwords = {"eva": "pe", "ole": "po"}

    def host(self, name):
        return name

    def switched(self):
        return {"altdorf-fs": {"Bauamt": "ald-bauamt", "Kasse": "ald-kasse", "Geheim": "ald-geheim"}}

    def sample_users(self):
        return [{"old_name": "eva", "new_name": "ald-eva"}, {"old_name": "ole", "new_name": "ald-ole"}]

    def rz_account(self, user):
        return f"RZ\\{user['new_name']}"


def test_each_old_unc_path_is_compared_as_the_first_test_user_who_may_open_the_share(monkeypatch):
    may = {("pe", "ald-bauamt"), ("po", "ald-bauamt"), ("po", "ald-kasse")}
    rounds = []

    def listings(host, reads):
        rounds.append([(password, server, share) for password, server, _user, share in reads])
        return [{share} if server == "altdorf-fs.altdorf.test" or (password, share) in may else None
                for password, server, _user, share in reads]

    monkeypatch.setattr(smb, "listings", listings)
    reads = gather.Gathered(Kommune())
    try:
        found = reads.get("rz_listings")
    finally:
        reads.close()
    assert found == {("altdorf-fs", "Bauamt"): ("eva", {"ald-bauamt"}, {"Bauamt"}),
                     ("altdorf-fs", "Kasse"): ("ole", {"ald-kasse"}, {"Kasse"}),
                     ("altdorf-fs", "Geheim"): (None, None, None)}
    # eva tries every share, ole only those eva could not open; then the old paths, once each.
    assert rounds == [[("pe", "rz-fs", "ald-bauamt"), ("pe", "rz-fs", "ald-geheim"), ("pe", "rz-fs", "ald-kasse")],
                      [("po", "rz-fs", "ald-geheim"), ("po", "rz-fs", "ald-kasse")],
                      [("pe", "altdorf-fs.altdorf.test", "Bauamt"), ("po", "altdorf-fs.altdorf.test", "Kasse")]]
