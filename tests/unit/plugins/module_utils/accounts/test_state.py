import copy

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.state import (
    NEVER,
    changes,
    desired,
    ou_tree,
    rewrite_mail,
    rewrite_path,
)

OU = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"
SETTINGS = {"server": "rz-fs", "namespace": "altdorf", "ou": OU, "domain_dn": "DC=rz,DC=test"}
SID = "S-1-5-21-1-2-3"


@pytest.mark.parametrize(("path", "expected"), [
    ("\\\\a-fs\\home\\hmueller", "\\\\rz-fs\\altdorf-home\\ald-hmueller"),
    ("\\\\a-fs\\profiles\\HMUELLER", "\\\\rz-fs\\altdorf-profiles\\ald-hmueller"),
    ("\\\\a-fs\\netlogon\\start.cmd", "\\\\rz-fs\\altdorf-netlogon\\start.cmd"),
    ("\\\\a-fs\\daten", "\\\\rz-fs\\altdorf-daten"),
    # The RZ share is named as the shares payload names it: <namespace>-<share in lower case>.
    ("\\\\a-fs\\Bauamt\\Pläne\\2024", "\\\\rz-fs\\altdorf-bauamt\\Pläne\\2024"),
    ("anmeldung.cmd", "anmeldung.cmd"),
    ("", ""),
    # A trailing or doubled separator does not hide the home folder's name (UNC codec).
    ("\\\\a-fs\\home\\hmueller\\", "\\\\rz-fs\\altdorf-home\\ald-hmueller"),
    ("\\\\a-fs\\home\\\\hmueller", "\\\\rz-fs\\altdorf-home\\ald-hmueller"),
    # smbclient's form of a UNC path becomes the Windows form on the RZ side.
    ("//a-fs/home/hmueller", "\\\\rz-fs\\altdorf-home\\ald-hmueller"),
    # Not a UNC path naming a share: left as it is.
    ("\\\\a-fs", "\\\\a-fs"),
    ("\\\\a-fs\\", "\\\\a-fs\\"),
])
def test_rewrite_path(path, expected):
    assert rewrite_path(path, "hmueller", "ald-hmueller", SETTINGS) == expected


@pytest.mark.parametrize(("mail", "domain", "expected"), [
    ("hm@altdorf.example", "altdorf.rz.example", "hm@altdorf.rz.example"),
    ("hm@altdorf.example", "", "hm@altdorf.example"),
    ("", "altdorf.rz.example", ""),
])
def test_rewrite_mail(mail, domain, expected):
    assert rewrite_mail(mail, domain) == expected


def test_ou_tree_parents_first_below_the_domain():
    assert ou_tree([f"CN=x,{OU}"], OU, "DC=rz,DC=test") == ["OU=Kommunen,DC=rz,DC=test", OU]


def source():
    user = {"key": f"{SID}-1105", "name": "hmueller", "given": "Hans", "surname": "Müller", "display": "",
            "description": "", "mail": "hmueller@altdorf.example", "enabled": False, "expires": None,
            "home_directory": "\\\\a-fs\\home\\hmueller", "home_drive": "H:", "profile_path": "",
            "script_path": "anmeldung.cmd", "service": False, "primary_group": f"{SID}-1101"}
    group = {"key": f"{SID}-1101", "name": "Bauamt", "scope": "global", "security": True, "description": "",
             "members": [f"{SID}-1102", f"{SID}-1199"]}
    nested = {"key": f"{SID}-1102", "name": "Bauamt-Lesen", "scope": "domain_local", "security": True,
              "description": "", "members": []}
    return {"users": [user], "groups": [group, nested]}


def mapping():
    def e(kind, rid, old, new, **more):
        return {"old_name": old, "old_sid": f"{SID}-{rid}", "new_name": new, "status": "active",
                "new_dn": f"CN={old},{OU}", **more}
    return {"users": [e("user", 1105, "hmueller", "ald-hmueller", upn="ald-hmueller@rz.test", new_uid=200000)],
            "groups": [e("group", 1101, "Bauamt", "ald-bauamt", new_gid=200001),
                       e("group", 1102, "Bauamt-Lesen", "ald-bauamt-lesen"),
                       e("group", 1103, "Weg", "ald-weg", status="gone")]}


def test_desired_objects():
    want = desired(source(), mapping(), SETTINGS)
    user = want["users"][f"CN=hmueller,{OU}"]
    assert user["attrs"]["sAMAccountName"] == "ald-hmueller"
    assert user["attrs"]["homeDirectory"] == "\\\\rz-fs\\altdorf-home\\ald-hmueller"
    assert user["attrs"]["accountExpires"] == NEVER
    assert user["attrs"]["uidNumber"] == "200000"
    assert user["enabled"] is False
    group = want["groups"][f"CN=Bauamt,{OU}"]
    # The nested group, and the user whose primary group it was; the unmapped member is dropped.
    assert group["members"] == [f"CN=Bauamt-Lesen,{OU}", f"CN=hmueller,{OU}"]
    assert group["attrs"]["groupType"] == "-2147483646"
    assert want["groups"][f"CN=Bauamt-Lesen,{OU}"]["attrs"]["groupType"] == "-2147483644"
    assert f"CN=Weg,{OU}" not in want["groups"]


def applied(want):
    """What the directory holds once every operation for ``want`` has been carried out."""
    have = copy.deepcopy({k: want[k] for k in ("users", "groups")})
    have["ous"] = list(want["ous"])
    return have


def empty():
    return {"ous": [], "users": {}, "groups": {}}


def test_first_run_creates_everything_second_run_nothing():
    want = desired(source(), mapping(), SETTINGS)
    kinds = [op[0] for op in changes(want, empty())]
    assert kinds.count("add_ou") == 2
    assert kinds.count("add") == 3
    assert kinds.count("add_members") == 1
    assert changes(want, applied(want)) == []


def test_changed_attribute_and_state_are_synced():
    want = desired(source(), mapping(), SETTINGS)
    have = applied(want)
    dn = f"CN=hmueller,{OU}"
    have["users"][dn]["attrs"]["sn"] = "Mueller"
    have["users"][dn]["attrs"]["profilePath"] = "\\\\old\\p"
    have["users"][dn]["enabled"] = True
    ops = changes(want, have)
    assert ("modify", dn, {"sn": ("Mueller", "Müller"), "profilePath": ("\\\\old\\p", None)}) in ops
    assert ("disable", dn) in ops


@pytest.mark.parametrize(("on_removed", "expected"), [
    ("disable", [("disable", f"CN=gone,{OU}")]),
    ("keep", []),
    ("delete", [("delete", f"CN=gone,{OU}")]),
])
def test_removed_at_the_source(on_removed, expected):
    want = desired(source(), mapping(), SETTINGS)
    have = applied(want)
    have["users"][f"CN=gone,{OU}"] = {"enabled": True, "attrs": {"sAMAccountName": "ald-gone"}}
    assert changes(want, have, on_removed) == expected


@pytest.mark.parametrize(("managed", "expected"), [
    ([f"cn=gone,{OU}"], [("disable", f"CN=gone,{OU}")]),
    ([], []),
])
def test_only_objects_umzug_created_are_disabled_when_gone(managed, expected):
    want = desired(source(), mapping(), SETTINGS)
    have = applied(want)
    have["users"][f"CN=gone,{OU}"] = {"enabled": True, "attrs": {"sAMAccountName": "ald-gone"}}
    assert changes(want, have, "delete" if not managed else "disable", managed) == expected


def test_membership_delta():
    want = desired(source(), mapping(), SETTINGS)
    have = applied(want)
    dn = f"CN=Bauamt,{OU}"
    have["groups"][dn]["members"] = [f"CN=hmueller,{OU}".upper(), f"CN=fremd,{OU}"]
    assert changes(want, have) == [("add_members", dn, [f"CN=Bauamt-Lesen,{OU}"]),
                                ("remove_members", dn, [f"CN=fremd,{OU}"])]
