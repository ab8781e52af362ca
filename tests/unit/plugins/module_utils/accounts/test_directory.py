import struct

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.directory import (
    build_export,
    held_by_umzug,
    object_key,
    read_undo_record,
    undo_umzug_disable,
)

DOMAIN = "S-1-5-21-1-2-3"


def binary_sid(text: str) -> bytes:
    parts = [int(p) for p in text.split("-")[2:]]
    return bytes([1, len(parts) - 1]) + parts[0].to_bytes(6, "big") + struct.pack(f"<{len(parts) - 1}I", *parts[1:])


def ad_entries():
    user = {"dn": "CN=hmueller,OU=Bauamt,DC=a,DC=test", "sAMAccountName": [b"hmueller"],
            "objectSid": [binary_sid(DOMAIN + "-1105")], "sn": ["Müller".encode()], "givenName": [b"Hans"],
            "userAccountControl": [b"514"], "accountExpires": [b"9223372036854775807"],
            "homeDirectory": [b"\\\\a-fs\\home\\hmueller"], "primaryGroupID": [b"513"], "uidNumber": [b"10001"]}
    svc = {"dn": "CN=svc-scan,OU=Dienst,DC=a,DC=test", "sAMAccountName": [b"svc-scan"],
           "objectSid": [binary_sid(DOMAIN + "-1110")], "userAccountControl": [b"66048"],
           "accountExpires": [b"133000000000000000"]}
    bauamt = {"dn": "CN=Bauamt,OU=Gruppen,DC=a,DC=test", "sAMAccountName": [b"Bauamt"],
              "objectSid": [binary_sid(DOMAIN + "-1101")], "groupType": [b"-2147483646"],
              "member": [b"CN=hmueller,OU=Bauamt,DC=a,DC=test",
                         b"CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=a,DC=test"]}
    alle = {"dn": "CN=Alle,OU=Gruppen,DC=a,DC=test", "sAMAccountName": [b"Alle"],
            "objectSid": [binary_sid(DOMAIN + "-1102")], "groupType": [b"8"],
            "member": [b"CN=BAUAMT,OU=Gruppen,DC=a,DC=test"]}
    return {"users": [user, svc], "groups": [bauamt, alle], "ous": [{"dn": "OU=Bauamt,DC=a,DC=test"}],
            "computers": [{"dn": "CN=PC1,CN=Computers,DC=a,DC=test", "sAMAccountName": [b"PC1$"]}]}


def test_ad_export_model():
    model = build_export("ad", "DC=a,DC=test", ad_entries(), DOMAIN)
    users = {u["name"]: u for u in model["users"]}
    groups = {g["name"]: g for g in model["groups"]}
    assert users["hmueller"]["surname"] == "Müller"
    assert users["hmueller"]["enabled"] is False
    assert users["hmueller"]["expires"] is None
    assert users["hmueller"]["primary_group"] == DOMAIN + "-513"
    assert users["hmueller"]["uid"] == 10001
    assert users["hmueller"]["service"] is False
    assert users["svc-scan"]["service"] is True
    assert users["svc-scan"]["expires"] == 133000000000000000
    assert (groups["Bauamt"]["scope"], groups["Bauamt"]["security"]) == ("global", True)
    assert (groups["Alle"]["scope"], groups["Alle"]["security"]) == ("universal", False)
    assert groups["Bauamt"]["members"] == [DOMAIN + "-1105"]
    # Nested, matched case-insensitively by DN.
    assert groups["Alle"]["members"] == [DOMAIN + "-1101"]
    assert model["foreign_members"] == ["CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=a,DC=test"]
    assert model["computers"] == [{"dn": "CN=PC1,CN=Computers,DC=a,DC=test", "name": "PC1$"}]


def test_openldap_rfc2307_and_rfc2307bis_members():
    entries = {
        "users": [{"dn": "uid=jk,ou=people,dc=c", "uid": [b"jk"], "cn": ["Jürgen König".encode()],
                   "uidNumber": [b"3001"], "gidNumber": [b"4001"]},
                  {"dn": "uid=ms,ou=people,dc=c", "uid": [b"ms"], "pwdAccountLockedTime": [b"000001010000Z"]}],
        "groups": [{"dn": "cn=bau,ou=groups,dc=c", "cn": [b"bau"], "gidNumber": [b"4001"],
                    "memberUid": [b"jk", b"ghost"]},
                   {"dn": "cn=lead,ou=groups,dc=c", "cn": [b"lead"],
                    "member": [b"uid=ms,ou=people,dc=c", b"cn=bau,ou=groups,dc=c"]}],
    }
    model = build_export("openldap", "dc=c", entries)
    users = {u["name"]: u for u in model["users"]}
    groups = {g["name"]: g for g in model["groups"]}
    assert users["jk"]["display"] == "Jürgen König"
    assert users["jk"]["primary_group"] == object_key("group", None, "bau")
    assert users["ms"]["enabled"] is False
    assert groups["bau"]["members"] == ["user:jk"]
    assert groups["lead"]["members"] == ["group:bau", "user:ms"]
    assert model["foreign_members"] == ["memberUid=ghost"]


def test_unknown_flavour():
    with pytest.raises(ValueError, match="flavour"):
        build_export("novell", "o=x", {})


# --- source accounts umzug disabled (disable_source) -------------------------------------

def cutover_export():
    """Altdorf at the source after disable_source: hmueller and jgrosse disabled by umzug,
    pschneider disabled by the Kommune itself (never in the undo record), neu enabled."""
    def entry(rid, name, uac):
        return {"dn": f"CN={name},CN=Users,DC=a,DC=test", "sAMAccountName": [name.encode()],
                "objectSid": [binary_sid(f"{DOMAIN}-{rid}")], "userAccountControl": [str(uac).encode()]}
    return build_export("ad", "DC=a,DC=test", {"users": [
        entry(1105, "hmueller", 514), entry(1106, "jgrosse", 514), entry(1107, "pschneider", 514),
        entry(1108, "neu", 512)]}, DOMAIN)


def account(name, rid):
    return {"dn": f"CN={name},CN=Users,DC=a,DC=test", "sid": f"{DOMAIN}-{rid}", "name": name}


def enabled(model):
    return {u["name"]: u["enabled"] for u in model["users"]}


def test_umzug_disable_is_not_the_kommunes_state():
    model = cutover_export()
    undo_record = [{"source_disabled": [account("hmueller", 1105), account("jgrosse", 1106)]}]
    assert undo_umzug_disable(model, undo_record) == ["hmueller", "jgrosse"]
    assert enabled(model) == {"hmueller": True, "jgrosse": True, "pschneider": False, "neu": True}


def test_given_back_or_replaced_accounts_keep_the_sources_state():
    model = cutover_export()
    undo_record = [
        {"source_disabled": [account("hmueller", 1105), {**account("jgrosse", 1106), "sid": f"{DOMAIN}-1999"}]},
        # enable_source gave hmueller back; a later disable_source run found pschneider enabled then.
        {"source_enabled": [account("hmueller", 1105)]},
        {"source_disabled": [account("pschneider", 1107)]},
        {"created": [{"dn": "CN=ald-neu,OU=Altdorf,DC=rz,DC=test", "kind": "user"}]},
    ]
    assert [a["name"] for a in held_by_umzug(undo_record)] == ["jgrosse", "pschneider"]
    assert undo_umzug_disable(model, undo_record) == ["pschneider"]
    # hmueller: disabled again since (by the Kommune); jgrosse: another object at that DN now.
    assert enabled(model) == {"hmueller": False, "jgrosse": False, "pschneider": True, "neu": True}


def test_no_undo_record_changes_nothing():
    model = cutover_export()
    assert undo_umzug_disable(model, []) == []
    assert enabled(model) == {"hmueller": False, "jgrosse": False, "pschneider": False, "neu": True}


def test_read_undo_record_in_order_and_names_a_bad_file(tmp_path):
    assert read_undo_record(str(tmp_path / "none")) == []
    (tmp_path / "20261121T230000000000-source.yml").write_text("source_disabled:\n- {dn: CN=a, sid: S-1, name: a}\n")
    (tmp_path / "20261121T230100000000-source.yml").write_text("source_enabled: []\n")
    assert read_undo_record(str(tmp_path)) == [{"source_disabled": [{"dn": "CN=a", "sid": "S-1", "name": "a"}]},
                                               {"source_enabled": []}]
    (tmp_path / "20261121T230200000000.yml").write_text("- not a record\n")
    with pytest.raises(ValueError, match=r"20261121T230200000000\.yml"):
        read_undo_record(str(tmp_path))


@pytest.mark.parametrize(
    ("accounts", "left_out", "users", "bauamt_members"),
    [
        ([], [], ["hmueller", "svc-scan"], [DOMAIN + "-1105"]),
        (["umzug-repl@A.TEST"], [], ["hmueller", "svc-scan"], [DOMAIN + "-1105"]),
        (["svc-scan"], ["svc-scan"], ["hmueller"], [DOMAIN + "-1105"]),
        (["A\\HMUELLER"], ["hmueller"], ["svc-scan"], []),
        (["hmueller@a.test", "", "svc-scan"], ["hmueller", "svc-scan"], [], []),
    ],
)
def test_umzugs_own_accounts_are_left_out_of_the_export(accounts, left_out, users, bauamt_members):
    from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.directory import leave_out

    model = build_export("ad", "DC=a,DC=test", ad_entries(), DOMAIN)
    assert leave_out(model, accounts) == left_out
    assert [user["name"] for user in model["users"]] == users
    # nor is it a member of any group the RZ gets
    assert next(g for g in model["groups"] if g["name"] == "Bauamt")["members"] == bauamt_members
    assert next(g for g in model["groups"] if g["name"] == "Alle")["members"] == [DOMAIN + "-1101"]
