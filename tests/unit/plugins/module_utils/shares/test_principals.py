"""Share settings naming principals, translated through the identity mapping: Samba's
list syntax, group prefixes, built-in names, local names kept, and every name that cannot
be translated kept and returned as a problem."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import mapping as identity_map
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import principals as share_principals

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
MAPPING = {
    "schema_version": 1, "kommune": "kommune-a", "source_domain_sid": OLD, "target_domain_sid": NEW,
    "users": [
        {"old_name": "hmueller", "old_sid": f"{OLD}-1105", "new_name": "ald-hmueller", "source": "generated",
         "status": "active"},
        {"old_name": "weg", "old_sid": f"{OLD}-1106", "new_name": "ald-weg", "source": "generated",
         "status": "gone"},
    ],
    "groups": [
        {"old_name": "Bauamt", "old_sid": f"{OLD}-1200", "new_name": "ald-bauamt", "source": "generated",
         "status": "active"},
        {"old_name": "Bauamt Lesen", "old_sid": f"{OLD}-1201", "new_name": "ald Bauamt Lesen", "source": "manual",
         "status": "active"},
    ],
}
DOMAINS = share_principals.Domains(("KOMMUNEA", "KOMMUNE-A.TEST", "kommune-a.test"), "RZ")
LOOKUP = share_principals.mapping_lookup(identity_map.map_from_data(MAPPING))


def translate(key, value):
    return share_principals.translate_setting(key, value, LOOKUP, DOMAINS)


@pytest.mark.parametrize(("value", "names"), [
    ("a, b c", ["a", "b", "c"]),
    ('@"KOMMUNEA\\Domain Admins", KOMMUNEA\\hmueller', ['@KOMMUNEA\\Domain Admins', "KOMMUNEA\\hmueller"]),
    ('  "x y",,z ', ["x y", "z"]),
    ("", []),
])
def test_samba_list_syntax(value, names):
    assert share_principals.split_list(value) == names


def test_unbalanced_quote_is_an_error():
    with pytest.raises(ValueError, match="unbalanced"):
        share_principals.split_list('@"KOMMUNEA\\Domain Admins')


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("valid users", "KOMMUNEA\\hmueller, @KOMMUNEA\\bauamt", "RZ\\ald-hmueller, @RZ\\ald-bauamt"),
    ("write list", "+kommunea\\BAUAMT &KOMMUNEA\\Bauamt", "+RZ\\ald-bauamt, &RZ\\ald-bauamt"),
    ("read list", '@"KOMMUNEA\\Bauamt Lesen"', '@"RZ\\ald Bauamt Lesen"'),
    ("admin users", "hmueller@kommune-a.test", "RZ\\ald-hmueller"),
    ("valid users", '@"KOMMUNEA\\Domain Admins", KOMMUNEA\\Administrator',
     '@"RZ\\Domain Admins", RZ\\Administrator'),
    ("valid users", "root, @users, %S", "root, @users, %S"),  # local names, substitutions
    ("valid users", "hmueller", "RZ\\ald-hmueller"),  # a bare name the mapping knows
    ("force user", "KOMMUNEA\\hmueller", "RZ\\ald-hmueller"),
    ("force group", "KOMMUNEA\\Bauamt", "RZ\\ald-bauamt"),  # force group names a group without prefix
    ("force group", '"KOMMUNEA\\Bauamt Lesen"', '"RZ\\ald Bauamt Lesen"'),
])
def test_names_are_translated(key, value, expected):
    assert translate(key, value) == (expected, [])


def test_a_user_name_is_not_taken_for_a_group():
    text, problems = translate("valid users", "KOMMUNEA\\Bauamt")
    assert text == "KOMMUNEA\\Bauamt"
    assert [(p.setting, p.name) for p in problems] == [("valid users", "KOMMUNEA\\Bauamt")]


@pytest.mark.parametrize(("value", "reason"), [
    ("KOMMUNEA\\unbekannt", "no new user for unbekannt"),
    ("KOMMUNEA\\weg", "no new user for weg"),  # its old object is gone
    ("@ALTDOMAENE\\Bauamt", "ALTDOMAENE is not the Kommune's old domain"),
])
def test_what_cannot_be_translated_stays_and_is_a_problem(value, reason):
    text, problems = translate("invalid users", f"KOMMUNEA\\hmueller, {value}")
    assert text == f"RZ\\ald-hmueller, {value}"  # never dropped
    assert len(problems) == 1 and problems[0].name == value and reason in problems[0].reason


def test_without_a_mapping_every_old_name_is_a_problem():
    lookup = share_principals.mapping_lookup(None)
    text, problems = share_principals.translate_setting("write list", "@KOMMUNEA\\bauamt, root", lookup, DOMAINS)
    assert text == "@KOMMUNEA\\bauamt, root"
    assert [p.name for p in problems] == ["@KOMMUNEA\\bauamt"]
