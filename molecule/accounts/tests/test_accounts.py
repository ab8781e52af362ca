"""The accounts payload's result: both Kommunen's seeded accounts in their OUs of the
central directory, with their memberships, logging on with their old passwords; and the
OpenLDAP directory read by the same export."""

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.acceptance.remote import parse_ldif, run_with_password
from tests.support.lab import SEED, password, users

testinfra_hosts = ["ansible://acc-rz-dc"]
SAM = "/var/lib/samba/private/sam.ldb"
STATE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
KOMMUNEN = {
    "kommune-a": {"ou": "OU=Altdorf,OU=Kommunen,DC=rz,DC=test", "workgroup": "KOMMUNEA"},
    "kommune-b": {"ou": "OU=Bergheim,OU=Kommunen,DC=rz,DC=test", "workgroup": "KOMMUNEB"},
}
# The names the naming policy must give: prefixes, the same person in both Kommunen,
# transliteration, and shortening to AD's 20 characters.
EXPECTED_NAMES = [
    ("kommune-a", "user", "hmueller", "ald-hmueller"),
    ("kommune-b", "user", "hmueller", "bgh-hmueller"),
    ("kommune-a", "user", "mschmidt", "ald-mschmidt"),
    ("kommune-b", "user", "mschmidt", "bgh-mschmidt"),
    ("kommune-a", "user", "kmueller-luedensche", "ald-kmueller-luedens"),
    ("kommune-b", "user", "fvonbuelow-strassb", "bgh-fvonbuelow-stras"),
    ("kommune-a", "group", "Kämmerei", "ald-kaemmerei"),
    ("kommune-b", "group", "Bürgerbüro", "bgh-buergerbuero"),
]


def mapping(kommune):
    return yaml.safe_load((STATE / "mapping" / f"{kommune}.yml").read_text(encoding="utf-8"))


def entry(kommune, kind, old_name):
    section = mapping(kommune)["users" if kind == "user" else "groups"]
    (found,) = [e for e in section if e["old_name"] == old_name]
    return found


def ldb(host, base, filt, *attrs):
    result = host.run(f"ldbsearch -H {SAM} -b %s %s " + " ".join(["%s"] * len(attrs)), base, filt, *attrs)
    assert result.rc == 0, result.stderr
    return parse_ldif(result.stdout)


@pytest.mark.parametrize(("kommune", "kind", "old", "new"), EXPECTED_NAMES)
def test_expected_name_in_the_kommunes_ou(host, kommune, kind, old, new):
    assert entry(kommune, kind, old)["new_name"] == new
    (found,) = ldb(host, KOMMUNEN[kommune]["ou"], f"(sAMAccountName={new})", "sAMAccountName")
    assert found["dn"][0].endswith(KOMMUNEN[kommune]["ou"])


@pytest.mark.parametrize(("kommune", "user"), [(k, u) for k in KOMMUNEN for u in users(k)],
                         ids=lambda v: v if isinstance(v, str) else v["name"])
def test_seeded_user_migrated_with_its_state(host, kommune, user):
    new = entry(kommune, "user", user["name"])
    assert new["new_sid"], "the mapping file records the new SID"
    (found,) = ldb(host, KOMMUNEN[kommune]["ou"], f"(sAMAccountName={new['new_name']})",
                   "userAccountControl", "sn", "objectSid", "userPrincipalName")
    assert found["sn"] == [user["surname"]]
    assert found["objectSid"] == [new["new_sid"]]
    assert found["userPrincipalName"] == [f"{new['new_name']}@rz.test"]
    disabled = bool(int(found["userAccountControl"][0]) & 0x2)
    assert disabled == (not user.get("enabled", True))


def _memberships(kommune):
    wanted = {}
    for group in SEED[kommune]["groups"]:
        wanted.setdefault(group["name"], set()).update(("group", m) for m in group.get("members", []))
    for user in SEED[kommune]["users"]:
        for group in user.get("groups", []):
            wanted.setdefault(group, set()).add(("user", user["name"]))
    return [(kommune, group, sorted(members)) for group, members in wanted.items() if members]


@pytest.mark.parametrize(("kommune", "group", "members"), [m for k in KOMMUNEN for m in _memberships(k)],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_memberships_match_the_source(host, kommune, group, members):
    new_group = entry(kommune, "group", group)
    (found,) = ldb(host, KOMMUNEN[kommune]["ou"], f"(sAMAccountName={new_group['new_name']})", "member")
    expected = {entry(kommune, kind, name)["new_dn"].lower() for kind, name in members}
    assert {dn.lower() for dn in found.get("member", [])} == expected


@pytest.mark.parametrize(("workgroup", "kommune", "old"), [("KOMMUNEA", "kommune-a", "hmueller"),
                                                          ("KOMMUNEB", "kommune-b", "ayilmaz")])
def test_user_logs_on_to_the_rz_file_server_with_the_old_password(host, workgroup, kommune, old):
    new = entry(kommune, "user", old)["new_name"]
    # smbclient on the DC, against the file server: a real client over the network.
    ok = run_with_password(host, password(workgroup, old),
                           ["smbclient", "//acc-rz-fs/IPC$", "-U", f"RZ\\{new}", "-c", "exit"])
    assert ok.rc == 0, ok.output
    wrong = run_with_password(host, password(workgroup, old) + "x",
                              ["smbclient", "//acc-rz-fs/IPC$", "-U", f"RZ\\{new}", "-c", "exit"])
    assert "NT_STATUS_LOGON_FAILURE" in wrong.output


def test_nothing_secret_in_mapping_or_undo_record():
    secrets = [password(wg, u["name"]) for k, v in KOMMUNEN.items() for wg in [v["workgroup"]] for u in users(k)]
    texts = [p.read_text(encoding="utf-8") for p in STATE.rglob("*.yml")]
    assert texts, "the scenario wrote its mapping and undo record files"
    assert not [s for s in secrets for t in texts if s in t]


def test_openldap_directory_read_by_the_same_export():
    export = json.loads((STATE / "openldap-export.json").read_text(encoding="utf-8"))
    users_by_name = {u["name"]: u for u in export["users"]}
    groups = {g["name"]: g for g in export["groups"]}
    assert users_by_name["jkoenig"]["surname"] == "König"
    assert users_by_name["jkoenig"]["uid"] == 3001
    # RFC 2307bis: groupOfNames + posixGroup in one entry; members by DN (and memberUid).
    assert set(groups["bauamt"]["members"]) == {"user:jkoenig", "user:mschmidt"}
    assert groups["bauamt"]["gid"] == 4001
    assert groups["ordnungsamt"]["members"] == ["user:jkoenig"]
    assert groups["ordnungsamt"]["gid"] == 4002
    assert set(groups["leitung"]["members"]) == {"user:mschmidt", "group:bauamt"}
    assert groups["leitung"]["gid"] is None
    assert users_by_name["mschmidt"]["primary_group"] == "group:bauamt"
    assert export["foreign_members"] == []
