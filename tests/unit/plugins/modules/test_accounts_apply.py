"""accounts_apply against an in-memory stand-in for the DC's sam.ldb."""

import json

import pytest

from ansible_collections.kommunal.umzug.plugins.modules import accounts_apply

OU = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"
SID = "S-1-5-21-1-2-3"
HASH = "0123456789abcdef0123456789abcdef"


class FakeDirectory:
    """Keeps objects as the module's Directory reports them; records writes."""

    def __init__(self):
        self.ous = {"DC=rz,DC=test"}
        self.objects = {}
        self.hashes = {}
        self.writes = []
        self.rid = 1600

    def domain_dn(self):
        return "DC=rz,DC=test"

    def exists(self, dn):
        return dn in self.ous or dn in self.objects

    def read(self, ou):
        have = {"ous": [], "users": {}, "groups": {}}
        for dn, obj in self.objects.items():
            if obj["objectClass"] == "user":
                have["users"][dn] = {"enabled": not obj["uac"] & 2, "attrs": dict(obj["attrs"])}
            else:
                have["groups"][dn] = {"members": list(obj["member"]), "attrs": dict(obj["attrs"])}
        return have, {dn.lower(): h for dn, h in self.hashes.items()}

    def add(self, dn, attrs):
        self.writes.append(("add", dn))
        attrs = dict(attrs)
        kind = attrs.pop("objectClass")
        if kind == "organizationalUnit":
            self.ous.add(dn)
            return
        self.rid += 1
        uac = int(attrs.pop("userAccountControl", 0))
        self.objects[dn] = {"objectClass": kind, "attrs": attrs, "uac": uac, "member": [],
                            "sid": f"S-1-5-21-7-8-9-{self.rid}"}

    def sid(self, dn):
        return self.objects[dn]["sid"]

    def uac(self, dn):
        return self.objects[dn]["uac"]

    def modify(self, dn, changes, controls=None):
        self.writes.append(("modify", dn))
        obj = self.objects[dn]
        for attr, (flag, values) in changes.items():
            if attr == "unicodePwd":
                assert controls == [accounts_apply.BYPASS_HASH]
                self.hashes[dn] = values[0].hex()
            elif attr == "userAccountControl":
                obj["uac"] = int(values[0])
            elif attr == "member":
                obj["member"] = obj["member"] + values if flag == "add" else \
                    [m for m in obj["member"] if m not in values]
            elif flag == "delete":
                obj["attrs"].pop(attr, None)
            else:
                obj["attrs"][attr] = values[0]

    def set_password(self, dn, password):
        self.writes.append(("password", dn))
        self.hashes[dn] = "set-by-password"

    def delete(self, dn):
        self.writes.append(("delete", dn))
        del self.objects[dn]

    def transaction(self):
        import contextlib
        return contextlib.nullcontext()


@pytest.fixture
def directory(monkeypatch):
    fake = FakeDirectory()
    monkeypatch.setattr(accounts_apply, "Directory", lambda path: fake)
    return fake


def source(enabled=True):
    user = {"key": f"{SID}-1105", "name": "hmueller", "given": "Hans", "surname": "Müller", "display": "",
            "description": "", "mail": "", "enabled": enabled, "expires": None, "home_directory": "",
            "home_drive": "", "profile_path": "", "script_path": "", "service": False, "primary_group": None}
    nopw = dict(user, key=f"{SID}-1106", name="jgrosse", surname="Große")
    group = {"key": f"{SID}-1101", "name": "Bauamt", "scope": "global", "security": True, "description": "",
             "members": [f"{SID}-1105"]}
    return {"users": [user, nopw], "groups": [group]}


def mapping():
    def e(rid, old, new):
        return {"old_name": old, "old_sid": f"{SID}-{rid}", "new_name": new, "status": "active",
                "new_dn": f"CN={old},{OU}"}
    return {"kommune": "kommune-a", "users": [e(1105, "hmueller", "ald-hmueller"), e(1106, "jgrosse", "ald-jgrosse")],
            "groups": [e(1101, "Bauamt", "ald-bauamt")]}


def args(**more):
    return {"directory": source(), "mapping": mapping(), "ou": OU, "file_server": "rz-fs",
            "share_namespace": "altdorf", "hashes": {f"{SID}-1105": HASH}, **more}


def test_check_mode_writes_nothing_and_diff_names_every_object(run_module, directory):
    result = run_module(accounts_apply.main, args(), check=True, diff=True)
    assert result["changed"]
    assert directory.writes == []
    assert f"CN=hmueller,{OU}" in result["diff"]["after"]
    assert result["diff"]["after"][f"CN=Bauamt,{OU}"]["member"] == [f"CN=hmueller,{OU}"]


def test_apply_then_nothing_to_do(run_module, directory):
    first = run_module(accounts_apply.main, args())
    assert directory.hashes[f"CN=hmueller,{OU}"] == HASH
    # A carried password is not an initial one: no "must change at next logon".
    assert directory.objects[f"CN=hmueller,{OU}"]["attrs"]["pwdLastSet"] == "-1"
    assert directory.objects[f"CN=hmueller,{OU}"]["uac"] == 0x200
    assert directory.objects[f"CN=Bauamt,{OU}"]["member"] == [f"CN=hmueller,{OU}"]
    assert {r["kind"] for r in first["created"]} == {"ou", "user", "group"}
    keys = {f["key"] for f in first["umzug_findings"]}
    assert keys == {"accounts.kerberos_rc4_only", "accounts.no_password"}
    # Without hash or initial password the account stays disabled.
    assert directory.objects[f"CN=jgrosse,{OU}"]["uac"] & 2
    second = run_module(accounts_apply.main, args())
    assert not second["changed"], second["umzug_changes"]
    assert "accounts.no_password" in {f["key"] for f in second["umzug_findings"]}


def test_no_hash_in_any_result(run_module, directory):
    results = [run_module(accounts_apply.main, args(), diff=True), run_module(accounts_apply.main, args(
        hashes={f"{SID}-1105": HASH.replace("0", "f")}), diff=True)]
    assert results[1]["umzug_changes"]["counts"] == {"password_carried": 1}
    for result in results:
        text = json.dumps(result)
        assert HASH not in text and HASH.replace("0", "f") not in text


def test_changed_source_hash_is_carried_again(run_module, directory):
    run_module(accounts_apply.main, args())
    new_hash = "f" * 32
    result = run_module(accounts_apply.main, args(hashes={f"{SID}-1105": new_hash}))
    assert result["operations"] == 1
    assert directory.hashes[f"CN=hmueller,{OU}"] == new_hash


def test_initial_password_when_no_hash(run_module, directory):
    run_module(accounts_apply.main, args(hashes={}, initial_passwords={"ald-hmueller": "Start-123-xyz"}))
    assert ("password", f"CN=hmueller,{OU}") in directory.writes
    assert directory.objects[f"CN=hmueller,{OU}"]["uac"] == 0x200


def test_disabled_source_stays_disabled(run_module, directory):
    run_module(accounts_apply.main, args(directory=source(enabled=False)))
    assert directory.objects[f"CN=hmueller,{OU}"]["uac"] & 2


def test_user_left_without_password_gets_its_initial_password_later(run_module, directory):
    run_module(accounts_apply.main, args())
    dn = f"CN=jgrosse,{OU}"
    assert directory.objects[dn]["uac"] & 2
    later = run_module(accounts_apply.main, args(initial_passwords={"ald-jgrosse": "Start-123-xyz"}), diff=True)
    assert later["umzug_changes"]["counts"] == {"initial_password_set": 1, "enabled": 1}
    assert directory.writes[-2:] == [("password", dn), ("modify", dn)]
    assert not directory.objects[dn]["uac"] & 2
    assert "must change" in later["diff"]["after"][dn]["password"]
    assert "Start-123-xyz" not in json.dumps(later)
    again = run_module(accounts_apply.main, args(initial_passwords={"ald-jgrosse": "Start-123-xyz"}))
    assert not again["changed"], again["umzug_changes"]


def test_diff_says_how_each_new_user_gets_its_password(run_module, directory):
    result = run_module(accounts_apply.main, args(initial_passwords={"ald-jgrosse": "Start-123-xyz"}),
                        check=True, diff=True)
    after = result["diff"]["after"]
    assert after[f"CN=hmueller,{OU}"]["password"].startswith("carried")
    assert after[f"CN=jgrosse,{OU}"]["password"].startswith("initial password")
    assert "Start-123-xyz" not in json.dumps(result)


@pytest.mark.parametrize(("managed", "disabled"), [(None, True), ([f"CN=fremd,{OU}"], True), ([], False)])
def test_only_objects_in_the_undo_record_are_disabled_when_gone(run_module, directory, managed, disabled):
    run_module(accounts_apply.main, args())
    directory.add(f"CN=fremd,{OU}", {"objectClass": "user", "sAMAccountName": "fremd", "userAccountControl": "512"})
    result = run_module(accounts_apply.main, args(managed=managed))
    assert bool(directory.objects[f"CN=fremd,{OU}"]["uac"] & 2) is disabled
    assert result["changed"] is disabled
