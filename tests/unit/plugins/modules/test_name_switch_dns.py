"""name_switch_dns against a fake samba-tool that keeps a zone's A records: switch, keep
and restore, idempotence, check and diff mode, and one sentence for what it refuses."""

import json

import pytest

from ansible_collections.kommunal.umzug.plugins.modules import name_switch_dns

ZONE = "kommune-a.test"
OLD, RZ = "10.89.42.12", "10.89.42.34"
SHARES = {"\\\\kommune-a-fs\\bauamt": "\\\\rz-fs\\altdorf-bauamt",
          "\\\\kommune-a-fs2.kommune-a.test\\kaemmerei": "\\\\rz-fs\\altdorf-kaemmerei",
          "\\\\kommune-a-fs3\\archiv": "\\\\other-fs\\altdorf-archiv"}


class FakeSambaTool:
    """samba-tool dns query/add/delete on a dict of name -> records, as (type, value)."""

    def __init__(self, records):
        self.records = {name: list(values) for name, values in records.items()}
        self.calls, self.auths, self.envs = [], [], []
        self.fail = None
        self.server = "127.0.0.1"

    def __call__(self, argv, environ_update=None, **_):
        assert argv[:2] == ["samba-tool", "dns"] and argv[3] == self.server and argv[4] == ZONE
        op, name = argv[2], argv[5]
        auth = (1 if "-P" in argv else 2) + sum(part.startswith("--use-kerberos=") for part in argv)
        self.calls.append((op, name, *argv[6:-auth]))
        self.auths.append(argv[-auth:])
        self.envs.append(environ_update)
        if self.fail == op:
            return 1, "", "ERROR: access denied"
        if op == "query":
            found = self.records.get(name)
            if not found:
                return 255, "", "ERROR: Record or zone does not exist."
            lines = "".join(f"    {kind}: {value} (flags=f0, serial=1, ttl=900)\n" for kind, value in found)
            return 0, f"  Name={name}, Records={len(found)}, Children=0\n{lines}", ""
        value = argv[7]
        if op == "add":
            self.records.setdefault(name, []).append(("A", value))
        else:
            self.records[name].remove(("A", value))
        return 0, "Record added successfully\n" if op == "add" else "Record deleted successfully\n", ""


@pytest.fixture
def dns(tmp_path, monkeypatch):
    tool = FakeSambaTool({"kommune-a-fs": [("A", OLD)], "kommune-a-fs2": [("A", "10.89.42.13")],
                          "alias": [("CNAME", "kommune-a-fs.kommune-a.test.")]})
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command",
                        lambda module, argv, **kw: tool(argv, **kw))
    args = {"shares": SHARES, "rz_server": "rz-fs", "zone": ZONE, "address": RZ, "state_dir": str(tmp_path / "dns")}
    return tool, args, tmp_path / "dns" / ZONE


def changes_made(tool):
    return [call for call in tool.calls if call[0] != "query"]


def test_switch_keeps_the_old_records_and_adds_before_it_deletes(run_module, dns):
    tool, args, kept = dns
    result = run_module(name_switch_dns.main, args, diff=True)
    assert result["changed"] and result["records"] == {"kommune-a-fs": [RZ], "kommune-a-fs2": [RZ]}
    assert changes_made(tool) == [("add", "kommune-a-fs", "A", RZ), ("delete", "kommune-a-fs", "A", OLD),
                                  ("add", "kommune-a-fs2", "A", RZ), ("delete", "kommune-a-fs2", "A", "10.89.42.13")]
    assert tool.records["kommune-a-fs"] == [("A", RZ)]
    assert json.loads((kept / "kommune-a-fs.json").read_text()) == {"a": [OLD]}
    assert json.loads((kept / "kommune-a-fs2.json").read_text()) == {"a": ["10.89.42.13"]}
    assert result["diff"] == {"before": f"kommune-a-fs A {OLD}\nkommune-a-fs2 A 10.89.42.13\n",
                              "after": f"kommune-a-fs A {RZ}\nkommune-a-fs2 A {RZ}\n"}
    assert result["umzug_changes"]["counts"] == {"added": 2, "deleted": 2}
    assert f"kommune-a-fs.{ZONE} A {RZ}" in result["umzug_changes"]["items"]["added"]
    assert (kept.stat().st_mode & 0o777) == 0o700


def test_switch_again_changes_nothing(run_module, dns):
    tool, args, _kept = dns
    run_module(name_switch_dns.main, args)
    tool.calls.clear()
    result = run_module(name_switch_dns.main, args)
    assert not result["changed"] and changes_made(tool) == []
    assert result["records"] == {"kommune-a-fs": [RZ], "kommune-a-fs2": [RZ]}


def test_check_mode_shows_the_switch_and_changes_nothing(run_module, dns):
    tool, args, kept = dns
    result = run_module(name_switch_dns.main, args, check=True, diff=True)
    assert result["changed"] and result["records"] == {"kommune-a-fs": [RZ], "kommune-a-fs2": [RZ]}
    assert result["diff"]["after"] == f"kommune-a-fs A {RZ}\nkommune-a-fs2 A {RZ}\n"
    assert changes_made(tool) == [] and not kept.exists()
    assert tool.records["kommune-a-fs"] == [("A", OLD)]


def test_absent_puts_back_exactly_the_kept_records(run_module, dns):
    tool, args, kept = dns
    run_module(name_switch_dns.main, args)
    tool.calls.clear()
    back = {**args, "state": "absent"}
    check = run_module(name_switch_dns.main, back, check=True)
    assert check["changed"] and changes_made(tool) == [] and (kept / "kommune-a-fs.json").exists()
    result = run_module(name_switch_dns.main, back, diff=True)
    assert result["changed"] and result["records"] == {"kommune-a-fs": [OLD], "kommune-a-fs2": ["10.89.42.13"]}
    assert changes_made(tool) == [("add", "kommune-a-fs", "A", OLD), ("delete", "kommune-a-fs", "A", RZ),
                                  ("add", "kommune-a-fs2", "A", "10.89.42.13"), ("delete", "kommune-a-fs2", "A", RZ)]
    assert list(kept.iterdir()) == []
    again = run_module(name_switch_dns.main, back)
    assert not again["changed"]


def test_a_name_without_records_gets_one_and_is_removed_again(run_module, dns):
    tool, args, kept = dns
    args = {**args, "shares": {}, "names": ["Neu-FS"]}
    result = run_module(name_switch_dns.main, args)
    assert result["changed"] and result["records"] == {"neu-fs": [RZ]}
    assert json.loads((kept / "neu-fs.json").read_text()) == {"a": []}
    result = run_module(name_switch_dns.main, {**args, "state": "absent"})
    assert result["changed"] and result["records"] == {"neu-fs": []} and tool.records["neu-fs"] == []


def test_an_interrupted_switch_is_completed_from_the_kept_records(run_module, dns):
    tool, args, kept = dns
    kept.mkdir(parents=True)
    (kept / "kommune-a-fs.json").write_text(json.dumps({"a": [OLD]}))
    tool.records["kommune-a-fs"] = [("A", OLD), ("A", RZ)]  # added, not yet deleted
    result = run_module(name_switch_dns.main, {**args, "shares": {}, "names": ["kommune-a-fs"]})
    assert result["changed"] and changes_made(tool) == [("delete", "kommune-a-fs", "A", OLD)]
    assert json.loads((kept / "kommune-a-fs.json").read_text()) == {"a": [OLD]}


def test_a_user_authenticates_by_the_environment_not_the_command_line(run_module, dns):
    tool, args, _kept = dns
    run_module(name_switch_dns.main, {**args, "username": "umzug-dns", "password": "Geheim-123"})
    assert tool.auths and all(auth == ["-U", "umzug-dns"] for auth in tool.auths)
    assert all(env == {"PASSWD": "Geheim-123"} for env in tool.envs)
    assert not any("Geheim-123" in part for call in tool.calls for part in call)


def test_from_the_rz_against_the_dcs_address_with_ntlm_only(run_module, dns):
    """A windows Kommune's DC: samba-tool runs elsewhere and talks to the DC's address, as an
    account of the Kommune's domain, NTLMv2 only when the plan says ntlm; the same records."""
    tool, args, kept = dns
    tool.server = "10.0.3.11"
    rz = {**args, "dns_server": "10.0.3.11", "username": "KOMMUNEA\\umzug-admin", "password": "Geheim-123",
          "kerberos": "off"}
    result = run_module(name_switch_dns.main, rz)
    assert result["changed"] and result["records"] == {"kommune-a-fs": [RZ], "kommune-a-fs2": [RZ]}
    assert tool.auths and all(auth == ["-U", "KOMMUNEA\\umzug-admin", "--use-kerberos=off"] for auth in tool.auths)
    assert all(env == {"PASSWD": "Geheim-123"} for env in tool.envs)
    assert json.loads((kept / "kommune-a-fs.json").read_text()) == {"a": [OLD]}
    back = run_module(name_switch_dns.main, {**rz, "state": "absent"})
    assert back["changed"] and tool.records["kommune-a-fs"] == [("A", OLD)] and list(kept.iterdir()) == []


def test_the_machine_account_by_default(run_module, dns):
    tool, args, _kept = dns
    run_module(name_switch_dns.main, args)
    assert tool.auths and all(auth == ["-P"] for auth in tool.auths) and all(env == {} for env in tool.envs)


def test_kerberos_required_is_passed_on(run_module, dns):
    tool, args, _kept = dns
    run_module(name_switch_dns.main, {**args, "kerberos": "required"})
    assert tool.auths and all(auth == ["-P", "--use-kerberos=required"] for auth in tool.auths)


@pytest.mark.parametrize(("change", "message"), [
    ({"shares": {}, "names": ["alias"]}, "name switch for alias in kommune-a.test: the name is a CNAME"),
    ({"shares": {}, "names": ["10.89.42.99"]}, "'10.89.42.99' is an address; only names can be switched"),
    ({"shares": {}, "names": ["fs.kommune-b.test"]}, "is not in the Kommune's DNS zone"),
    ({"shares": {}}, "no old server name to switch (shares moving whole to rz-fs, or names)"),
    ({"shares": {"\\\\kommune-a-fs\\bauamt": "\\\\rz-fs\\a", "\\\\KOMMUNE-A-FS\\bauamt": "\\\\rz-fs\\b"}},
     "name switch in kommune-a.test: \\\\kommune-a-fs\\bauamt is mapped twice (b and a)"),
])
def test_refusals_name_what_and_why(run_module, dns, change, message):
    tool, args, _kept = dns
    result = run_module(name_switch_dns.main, {**args, **change}, fails=True)
    assert message in result["msg"]
    assert changes_made(tool) == []


def test_a_failing_samba_tool_fails_the_task_with_its_message(run_module, dns):
    tool, args, _kept = dns
    tool.fail = "add"
    result = run_module(name_switch_dns.main, args, fails=True)
    assert result["msg"] == f"samba-tool dns add {ZONE} kommune-a-fs A {RZ} failed: ERROR: access denied"
