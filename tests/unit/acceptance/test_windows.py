"""The acceptance suite's windows flavour (tests/acceptance/windows.py): a windows Kommune's
source is read from the SMB lister's listing and over LDAPS, never over SSH; what the listing
holds back is left out; the share comparison fails on a broken target; umzug's own plan
accounts are never test users; --parts records the parts it leaves out as not run."""

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from tests.acceptance import test_shares, windows
from tests.acceptance.gather import Gathered
from tests.acceptance.kommune import Kommune, may_list
from tests.acceptance.remote import Result, parse_ldif
from tests.acceptance.windows import SID_ATTRIBUTES, WindowsSource, run_task, sid_value

ROOT = Path(__file__).resolve().parents[3]
OLD = "S-1-5-21-1-2-3"
GROUP, USER, OTHER = f"{OLD}-1105", f"{OLD}-1106", f"{OLD}-1107"
ROOT_SD = ntacl.SecurityDescriptor(0x8004, f"{OLD}-512", f"{OLD}-512", None, ntacl.Acl(2, (
    ntacl.Ace(0, 3, 0x1301BF, GROUP),))).to_bytes()
SMB = {"auth": "ntlm", "protection": "encrypt", "username": "WDORF\\umzug-backup", "password": "{{ vault_x }}",
       "admin": {"username": "WDORF\\Administrator", "password": "{{ vault_y }}"}}
SOURCE = {"kind": "windows", "smb": SMB, "drsuapi": {"username": "WDORF\\umzug-repl", "password": "{{ vault_z }}"}}
KOMMUNE_VARS = {"umzug_domain": {"workgroup": "WDORF", "realm": "WDORF.TEST", "dns_domain": "wdorf.test"},
                "umzug_kommune": {"id": "wdorf", "share_namespace": "wdorf"}, "umzug_source": SOURCE}
INVENTORY = {"all": {"children": {
    "kommune_wdorf": {"hosts": {"wdorf-dc": {**KOMMUNE_VARS, "ansible_host": "10.0.0.11"},
                                "wdorf-fs": {**KOMMUNE_VARS, "ansible_host": "10.0.0.12"}}},
    "rz": {"hosts": {"rz-fs": {"umzug_domain": {"workgroup": "RZ"}}}},
    "fs": {"hosts": {"wdorf-fs": {}, "rz-fs": {}}},
    "dc": {"hosts": {"wdorf-dc": {}}}}}}
USERS = [{"old_name": name, "old_sid": sid, "new_name": f"wd-{name}", "new_sid": f"S-1-5-21-9-9-9-{rid}",
          "new_dn": f"CN=wd-{name},OU=W,DC=rz,DC=test"}
         for name, sid, rid in (("eva", USER, 1), ("ole", OTHER, 2), ("umzug-backup", f"{OLD}-1108", 3),
                                ("administrator", f"{OLD}-500", 4))]


def entry(path, kind="file", size=0, problems=(), sd=None):
    return {"path": path, "kind": kind, "size": size, "problems": list(problems),
            "sd": base64.b64encode(sd).decode() if sd else None}


LISTING = {"kaemmerei": {"name": "kaemmerei", "path": "C:\\Shares\\Kaemmerei", "entries": [
    entry(".", "dir", sd=ROOT_SD),
    entry("Belege", "dir"),
    entry("Belege/a.txt", size=7),
    entry("Offen.xlsx", size=9, problems=["shares.file_locked"]),
    entry("Archiv.pst", size=99, problems=["shares.offline_file"]),
    entry("Verknuepfung", "reparse", problems=["shares.reparse_point"]),
]}}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / "mapping").mkdir()
    (tmp_path / "mapping" / "wdorf.yml").write_text(yaml.safe_dump({"users": USERS, "groups": []}))
    (tmp_path / "credentials").mkdir()
    (tmp_path / "credentials" / "WDORF.yml").write_text(yaml.safe_dump({"passwords": {
        "eva": "a", "ole": "b", "umzug-backup": "c", "Administrator": "d"}}))
    return tmp_path


@pytest.fixture
def kommune(files, monkeypatch):
    found = Kommune.load("wdorf", str(files / "inventory.yml"), files / "credentials", files / "mapping")
    monkeypatch.setattr(WindowsSource, "listing", LISTING)

    def no_ssh(name):
        raise AssertionError(f"the suite connected to {name}")

    monkeypatch.setattr(found, "host", no_ssh)
    return found


@pytest.fixture
def gathered(kommune):
    reads = Gathered(kommune)
    yield reads
    reads.close()


def test_a_windows_kommune_is_read_over_smb_from_the_rz_file_server(kommune, gathered):
    assert kommune.windows is not None
    assert kommune.source_shares == {"kaemmerei": "C:\\Shares\\Kaemmerei"}
    assert kommune.workstation == kommune.resolver == "rz-fs"
    sd = gathered.get("source_acls")["kaemmerei"]
    assert may_list(sd, {GROUP}) is True and may_list(sd, {OTHER}) is False


def test_the_tree_leaves_out_what_the_listing_holds_back_and_gives_folders_no_size(kommune):
    lines, held = kommune.windows.tree("kaemmerei")
    assert lines == ["d 0 Belege", "f 7 Belege/a.txt"]
    assert held == ["Archiv.pst", "Offen.xlsx", "Verknuepfung"]


def test_umzugs_own_plan_accounts_are_never_test_users(kommune):
    assert kommune.plan_accounts == {"umzug-backup", "administrator", "umzug-repl"}
    assert [user["old_name"] for user in kommune.sample_users()] == ["eva", "ole"]


def target_tree(lines):
    """The RZ side's tree read as the RZ file server would answer it (base64 of find's lines)."""
    out = base64.b64encode("".join(f"{line}\n" for line in lines).encode())
    return lambda self: {"wdorf-kaemmerei": Result(0, out, b"")}


COMPLETE = ["d 4096 Belege", "f 7 Belege/a.txt"]


@pytest.mark.parametrize(("target", "fails"), [
    (COMPLETE, None),
    # the RZ copy also holds what the source held back (an earlier pass): no difference
    ([*COMPLETE, "f 9 Offen.xlsx"], None),
    # deliberately broken targets: a file missing, one of another size, one too many
    (["d 4096 Belege"], "missing on the RZ: ['f 7 Belege/a.txt']"),
    (["d 4096 Belege", "f 6 Belege/a.txt"],
     "missing on the RZ: ['f 7 Belege/a.txt']; only on the RZ: ['f 6 Belege/a.txt']"),
    ([*COMPLETE, "f 1 Belege/b.txt"], "only on the RZ: ['f 1 Belege/b.txt']"),
], ids=["complete", "held-back-present", "missing", "other-size", "extra"])
def test_the_share_comparison_fails_on_a_broken_target(kommune, gathered, monkeypatch, target, fails):
    monkeypatch.setattr(Kommune, "target_shares", {"wdorf-kaemmerei": "/srv/shares/wdorf-kaemmerei"})
    monkeypatch.setattr(Gathered, "_read_target_trees", target_tree(target))
    if fails is None:
        test_shares.test_share_is_complete_on_the_rz_file_server(kommune, "kaemmerei", gathered)
    else:
        with pytest.raises(AssertionError, match=re.escape(fails)):
            test_shares.test_share_is_complete_on_the_rz_file_server(kommune, "kaemmerei", gathered)


def test_an_empty_listing_fails_rather_than_passes(kommune, gathered, monkeypatch):
    monkeypatch.setattr(WindowsSource, "listing", {"kaemmerei": {"name": "kaemmerei", "entries": [entry(".", "dir")]}})
    monkeypatch.setattr(Kommune, "target_shares", {"wdorf-kaemmerei": "/srv/shares/wdorf-kaemmerei"})
    monkeypatch.setattr(Gathered, "_read_target_trees", target_tree([]))
    with pytest.raises(AssertionError, match="lists nothing over SMB"):
        test_shares.test_share_is_complete_on_the_rz_file_server(kommune, "kaemmerei", gathered)


def b64sid(sid):
    return base64.b64encode(sid_codec.to_bytes(sid)).decode()


def test_tokens_and_members_come_from_ldaps_with_binary_sids(kommune, gathered, monkeypatch):
    searches = []

    def search(self, base, scope, filt, *attrs):
        searches.append((base, scope, filt, attrs))
        if base == f"<SID={USER}>":
            return ldif(f"dn: CN=eva,DC=wdorf,DC=test\nobjectSid:: {b64sid(USER)}\n"
                               f"tokenGroups:: {b64sid(GROUP)}\ntokenGroups:: {b64sid(OLD + '-513')}\n")
        if base == f"<SID={GROUP}>":
            return ldif("dn: CN=Kaemmerei,DC=wdorf,DC=test\nmember: CN=eva,DC=wdorf,DC=test\n"
                               f"member:: {base64.b64encode('CN=Jörg (alt),DC=wdorf,DC=test'.encode()).decode()}\n")
        return ldif(f"dn: CN=eva,DC=wdorf,DC=test\nobjectSid:: {b64sid(USER)}\n\n"
                           f"dn: CN=Jörg,DC=wdorf,DC=test\nobjectSid:: {b64sid(OTHER)}\n")

    monkeypatch.setattr(WindowsSource, "search", search)
    assert gathered.get("tokens")["eva"] == {USER, GROUP, f"{OLD}-513", "S-1-1-0", "S-1-5-11", "S-1-5-32-545"}
    assert kommune.windows.member_sids(GROUP) == {USER, OTHER}
    assert searches[-1] == ("DC=wdorf,DC=test", "sub",
                            "(|(distinguishedName=CN=eva,DC=wdorf,DC=test)"
                            "(distinguishedName=CN=Jörg \\28alt\\29,DC=wdorf,DC=test))", ("objectSid",))
    assert kommune.windows.bind_name == "umzug-backup@wdorf.test"


def test_without_read_access_to_token_groups_the_token_comes_from_nested_membership(kommune, monkeypatch):
    searches = []

    def search(self, base, scope, filt, *attrs):
        searches.append(filt)
        if base == f"<SID={USER}>":
            return ldif(f"dn: CN=eva,DC=wdorf,DC=test\nobjectSid:: {b64sid(USER)}\nprimaryGroupID: 513\n")
        return ldif(f"dn: CN=Kaemmerei,DC=wdorf,DC=test\nobjectSid:: {b64sid(GROUP)}\n")

    monkeypatch.setattr(WindowsSource, "search", search)
    assert kommune.windows.token(USER) == {USER, GROUP, f"{OLD}-513"}
    assert searches[-1] == "(member:1.2.840.113556.1.4.1941:=CN=eva,DC=wdorf,DC=test)"


def test_a_missing_group_is_none_not_empty(kommune, monkeypatch):
    monkeypatch.setattr(WindowsSource, "search", lambda self, *args: [])
    assert kommune.windows.member_sids(GROUP) is None


def ldif(text):
    """ldapsearch output as WindowsSource.search parses it."""
    return parse_ldif(text, binary=SID_ATTRIBUTES)


def test_sid_value_reads_binary_and_text():
    assert sid_value(sid_codec.to_bytes(USER)) == USER
    assert sid_value(USER) == USER


def test_a_sid_that_happens_to_be_valid_utf8_stays_binary():
    # Every byte of this SID is below 0x80: as text it would decode without error.
    small = "S-1-5-21-1-2-3-1000"
    (entry,) = ldif(f"dn: CN=Jörg,DC=wdorf,DC=test\nobjectSid:: {b64sid(small)}\n"
                    f"description:: {base64.b64encode('Kämmerei'.encode()).decode()}\n")
    assert entry["objectSid"] == [sid_codec.to_bytes(small)]
    assert sid_value(entry["objectSid"][0]) == small
    assert entry["description"] == ["Kämmerei"]


def test_a_read_runs_as_a_playbook_whose_secret_stays_with_ansible(tmp_path, monkeypatch):
    """run_task hands back the registered result only; the secret went to the command's
    environment (the task is no_log) and the report callback of a Welle is not loaded."""
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"rz-fs": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "secret_ref": "{{ 'ge' ~ 'heim' }}"}}}}))
    task = {"name": "read", "ansible.builtin.command": {"argv": ["sh", "-c", 'printf %s "$S" | wc -c']},
            "environment": {"S": "{{ hostvars[__acceptance_source].secret_ref }}"}, "changed_when": False}
    monkeypatch.setenv("ANSIBLE_CALLBACKS_ENABLED", "kommunal.umzug.report")
    monkeypatch.setenv("UMZUG_REPORT_DIR", str(tmp_path / "reports"))
    result = run_task(str(tmp_path / "inventory.yml"), "rz-fs", task, {"__acceptance_source": "rz-fs"})
    assert result["stdout"].strip() == "6" and result["rc"] == 0
    assert "geheim" not in json.dumps(result)
    assert not (tmp_path / "reports").exists()


def test_a_read_that_cannot_run_says_so(tmp_path):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"rz-fs": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    with pytest.raises(windows.WindowsReadError, match="did not run"):
        run_task(str(tmp_path / "inventory.yml"), "rz-fs", {"name": "x", "no.such.module": {}}, {})


def test_parts_left_out_are_not_collected_and_recorded_as_not_run(files):
    summary = files / "summary.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/acceptance", "--collect-only", "-q",
         "--kommune", "wdorf", f"--inventory={files / 'inventory.yml'}", f"--mapping-dir={files / 'mapping'}",
         f"--credentials-dir={files / 'credentials'}", "--parts=accounts", f"--acceptance-json={summary}"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
        check=False)
    collected = [line for line in proc.stdout.splitlines() if "::" in line]
    assert collected and all(line.startswith("tests/acceptance/test_accounts.py::") for line in collected), proc.stdout
    result = json.loads(summary.read_text())
    assert (result["parts_run"], result["parts_not_run"]) == (["accounts"], ["shares", "clients", "names"])


def test_an_unknown_part_is_a_usage_error(files):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/acceptance", "--kommune", "wdorf",
         f"--inventory={files / 'inventory.yml'}", "--parts=shares,dns"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
        check=False)
    assert proc.returncode != 0
    assert "--parts takes some of shares, accounts, clients, names" in proc.stdout + proc.stderr
