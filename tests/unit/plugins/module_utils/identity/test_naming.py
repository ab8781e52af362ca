import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.identity.naming import (
    NAME_LIMITS,
    NamingError,
    NamingPolicy,
    SourceObject,
    assign_names,
    escape_rdn_value,
    group_template_for,
    initials,
    make_dn,
    make_upn,
    sam_account_name_problems,
    transliterate,
)

OU = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"
DOMAIN = "S-1-5-21-1000-2000-3000"
GENERATED_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


def policy(**over) -> NamingPolicy:
    values = {"ou": OU, "upn_suffix": "rz.test", "kommune": "altdorf"}
    values.update(over)
    return NamingPolicy(**values)


def user(old_name, rid=None, given_name="", surname="", **over) -> SourceObject:
    sid = f"{DOMAIN}-{rid}" if rid is not None else None
    return SourceObject("user", old_name, sid, given_name=given_name, surname=surname, **over)


def sams(names) -> dict[str, str]:
    return {obj.old_name: new.sam_account_name for obj, new in names.items()}


# --- transliteration -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Müller-Lüdenscheidt", "Mueller-Luedenscheidt"),
        ("Groß", "Gross"),
        ("Äpfel Öl Übel", "Aepfel-Oel-Uebel"),
        ("ÖZTÜRK", "OEZTUERK"),
        ("GROẞ", "GROSS"),
        ("Łukasz", "Lukasz"),
        ("Đorđe", "Dorde"),
        ("O'Brien", "OBrien"),
        ("O\u2019Brien", "OBrien"),
        ("van der Heyde", "van-der-Heyde"),
        ("José Ñúñez", "Jose-Nunez"),
        ("Søren Ærø", "Soren-Aero"),
        ("Œuvre", "Oeuvre"),
        ("Ǆemal", "DZemal"),
        ("ﬁscher", "fischer"),
        ("Mu\u0308ller", "Mueller"),  # decomposed ü, as macOS writes it
        ("  a  b  ", "a-b"),
        ("h.mueller", "h.mueller"),
        ("a..b--c", "a.b-c"),
        ("-lead_", "lead"),
        ("Иван", ""),
        ("李", ""),
        ("", ""),
        ("Meier/Schmidt@Amt", "Meier-Schmidt-Amt"),
    ],
)
def test_transliterate(text, expected):
    assert transliterate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hans\u200dPeter", "HansPeter"),  # zero-width joiner
        ("Hans\u200bPeter", "HansPeter"),  # zero-width space
        ("Verwal\u00adtung", "Verwaltung"),  # soft hyphen, as Word hyphenates
        ("\u202eM\u00fcller\u202c", "Mueller"),  # right-to-left override ... pop
        ("\u2067Meier\u2069", "Meier"),  # right-to-left isolate ... pop
        ("\u200eSchmidt\u200f", "Schmidt"),  # LRM, RLM
        ("\ufeffKrause", "Krause"),  # byte order mark
        ("Hans-Peter", "Hans-Peter"),
    ],
)
def test_invisible_characters_never_become_hyphens(text, expected):
    assert transliterate(text) == expected


@pytest.mark.parametrize(
    ("obj", "sam", "cn", "reported"),
    [
        (user("hpm\u00fcller", 1001, "Hans\u200dPeter", "M\u00fcller"), "hpmueller", "M\u00fcller, HansPeter",
         "given name: U+200D ZERO WIDTH JOINER"),
        (user("sch\u00admidt", 1002, display_name="\u202eSchmidt, Anna\u202c"), "schmidt", "Schmidt, Anna",
         "name: U+00AD SOFT HYPHEN; display name: U+202C POP DIRECTIONAL FORMATTING, "
         "U+202E RIGHT-TO-LEFT OVERRIDE"),
        (user("meier", 1003, "Eva", "\u2066Meier\u2069\u200e"), "meier", "Meier, Eva",
         "surname: U+200E LEFT-TO-RIGHT MARK, U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE"),
        (user("krause", 1004, "Ute", "Krause"), "krause", "Krause, Ute", None),
    ],
)
def test_invisible_characters_are_removed_from_name_and_cn_and_reported(obj, sam, cn, reported):
    names, findings = assign_names([obj], policy())
    assert (names[obj].sam_account_name, names[obj].cn) == (sam, cn)
    invisible = [f for f in findings if f.key == "accounts.invisible_characters"]
    if reported is None:
        assert invisible == []
    else:
        (finding,) = invisible
        assert reported in finding.summary
        assert finding.resources == (obj.old_name,)


@given(st.text())
def test_transliterate_gives_only_safe_characters_and_is_idempotent(text):
    result = transliterate(text)
    assert result == "" or GENERATED_NAME.match(result)
    assert "--" not in result and ".." not in result
    assert transliterate(result) == result


@pytest.mark.parametrize(
    ("given_name", "surname", "expected"),
    [("Hans-Peter", "Müller", "HPM"), ("Hans Peter", "van der Heyde", "HPvdH"), ("", "Иванов", ""),
     ("Ülrich", "", "U")],
)
def test_initials(given_name, surname, expected):
    assert initials(given_name, surname) == expected


# --- validity, UPN, DN -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "kind", "problem"),
    [
        ("hmueller", "user", None),
        ("a" * 20, "user", None),
        ("a" * 21, "user", "is 21 characters long, a user may have 20"),
        ("a" * 64, "group", None),
        ("a" * 65, "group", "is 65 characters long, a group may have 64"),
        ("", "user", "is empty"),
        ("h@mueller", "user", "forbidden character(s) @"),
        ('a"b/c', "user", 'forbidden character(s) " /'),
        ("mueller.", "user", "ends in a dot"),
        (". .", "user", "consists only of dots and spaces"),
        ("tab\there", "user", "control characters"),
    ],
)
def test_sam_account_name_problems(name, kind, problem):
    problems = sam_account_name_problems(name, kind)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in text for text in problems), problems


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("Müller, Hans", "Müller\\, Hans"),
        ("a+b;c", "a\\+b\\;c"),
        ('say "hi"', 'say \\"hi\\"'),
        ("back\\slash", "back\\\\slash"),
        ("<x>=y", "\\<x\\>\\=y"),
        (" lead", "\\ lead"),
        ("trail ", "trail\\ "),
        ("#hash", "\\#hash"),
        ("in#side", "in#side"),
        ("line\nbreak", "line\\0Abreak"),
    ],
)
def test_escape_rdn_value(value, escaped):
    assert escape_rdn_value(value) == escaped


def test_make_dn_and_upn():
    assert make_dn("Müller, Hans", OU) == f"CN=Müller\\, Hans,{OU}"
    assert make_upn("ald-hmueller", "altdorf.rz.test") == "ald-hmueller@altdorf.rz.test"


@pytest.mark.parametrize("suffix", ["", "rz..test", "-rz.test", "rz test", "rz.test."])
def test_bad_upn_suffix_is_refused(suffix):
    with pytest.raises(NamingError, match="is not a DNS name"):
        make_upn("x", suffix)


# --- the policy ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"user_template": "{prefix}"}, "has no name field"),
        ({"user_template": "fix"}, "has no name field"),
        ({"user_template": "{vorname}.{name}"}, r"unknown field \{vorname\}"),
        ({"user_template": "{given0}{name}"}, r"unknown field \{given0\}"),
        ({"user_template": "a b{name}"}, "literal text 'a b'"),
        ({"user_template": "{name"}, "literal text"),
        ({"prefix": "ald "}, "prefix 'ald ' may only contain"),
        ({"prefix": "kommune-musterstadt-"}, "uses 20 fixed characters; a user name may have 20"),
        ({"ou": "Altdorf"}, "is not a DN"),
        ({"ou": ""}, "OU .ou. is not set"),
        ({"upn_suffix": "x y"}, "is not a DNS name"),
        ({"cn": "full"}, "cn 'full' is not one of display, name"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(over, message):
    with pytest.raises(NamingError, match=message):
        policy(**over)


@pytest.mark.parametrize(
    ("kommune", "user_template", "group_template", "prefix"),
    [
        ({"id": "altdorf", "ou": OU, "account_prefix": "ald-"}, "{prefix}{name}", "{prefix}{name}", "ald-"),
        ({"id": "altdorf", "ou": OU, "account_template": "ald-{given1}.{surname}"},
         "ald-{given1}.{surname}", "ald-{name}", ""),
        ({"id": "altdorf", "ou": OU, "account_template": "ald_{name}"}, "ald_{name}", "ald_{name}", ""),
        ({"id": "altdorf", "ou": OU, "account_template": "{given}.{surname}"},
         "{given}.{surname}", "{name}", ""),
    ],
)
def test_policy_from_kommune_context(kommune, user_template, group_template, prefix):
    built = NamingPolicy.from_kommune(kommune, "rz.test")
    assert built.user_template == user_template
    assert (built.group_template, built.prefix) == (group_template, prefix)
    assert built.kommune == "altdorf"


def test_from_kommune_refuses_unknown_options_and_a_missing_ou():
    with pytest.raises(NamingError, match=r"unknown option.*reserved"):
        NamingPolicy.from_kommune({"id": "a", "ou": OU, "account_prefix": "a-"}, "rz.test", {"reserved": []})
    with pytest.raises(NamingError, match="Kommune 'a': the plan gives no ou"):
        NamingPolicy.from_kommune({"id": "a", "account_prefix": "a-"}, "rz.test")


def test_from_kommune_takes_options():
    options = {"reserved_names": ["chef"], "user_ou": f"OU=Benutzer,{OU}", "cn": "name"}
    built = NamingPolicy.from_kommune({"id": "a", "ou": OU, "account_prefix": "a-"}, "rz.test", options)
    assert built.is_reserved("CHEF")
    assert (built.ou_for("user"), built.ou_for("group")) == (f"OU=Benutzer,{OU}", OU)


def test_group_template_of_a_template_without_person_fields_is_the_template():
    assert group_template_for("{prefix}x-{name}") == "{prefix}x-{name}"


# --- single names ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("over", "obj", "expected"),
    [
        ({"prefix": "ald-"}, user("hmueller", 1105), "ald-hmueller"),
        ({"prefix": "ald-", "lowercase": False}, user("HMueller", 1105), "ald-HMueller"),
        ({"user_template": "ald-{given1}.{surname}"}, user("x", 1105, "Hans", "Müller"), "ald-h.mueller"),
        ({"user_template": "{given}.{surname}"}, user("x", 1105, "Jürgen", "Groß"), "juergen.gross"),
        ({"user_template": "{initials}{name}"}, user("mueller", 1105, "Hans Peter", "Müller"), "hpmmueller"),
        ({"user_template": "{surname}{given2}"}, user("x", 1105, "Łukasz", "Nowak"), "nowaklu"),
        ({"user_template": "{given1}{surname}"}, user("x", 1105, "Sean", "O'Brien"), "sobrien"),
        ({"user_template": "{given1}.{surname}"}, user("x", 1105, "Ann", "van der Heyde"), "a.van-der-heyde"),
        # An empty field leaves no stray separator behind.
        ({"user_template": "{given1}.{surname}"}, user("x", 1105, "", "Madonna"), "madonna"),
    ],
)
def test_template_names(over, obj, expected):
    names, findings = assign_names([obj], policy(**over))
    assert names[obj].sam_account_name == expected
    assert findings == []


@pytest.mark.parametrize(
    ("template", "obj", "expected"),
    [
        # The surname field is cut first; prefix and literal text are never cut.
        ("ald-{given1}.{surname}", user("x", 1, "Hans", "Müller-Lüdenscheidt"), "ald-h.mueller-lueden"),
        # The longest field gives first, so both keep a readable part.
        ("{given}.{surname}", user("x", 1, "Maximilian-Alexander", "Müller-Lüdenscheidt"),
         "maximilian.mueller-l"),
        # A cut never leaves a separator at the end.
        ("{surname}", user("x", 1, "", "Schmidt-Hohenzollern-von"), "schmidt-hohenzollern"),
        ("ald-{name}", user("verwaltung.bauamt.sachgebiet3", 1), "ald-verwaltung.bauam"),
    ],
)
def test_long_names_are_shortened_deterministically(template, obj, expected):
    names, findings = assign_names([obj], policy(user_template=template))
    assert names[obj].sam_account_name == expected
    assert len(expected) <= 20
    assert [f.key for f in findings] == ["accounts.name_shortened"]


def test_group_names_may_be_longer_than_user_names():
    group = SourceObject("group", "Fachbereich Bauen und Umwelt Mitarbeiter", f"{DOMAIN}-2000")
    names, _ = assign_names([group], policy(prefix="ald-"))
    assert names[group].sam_account_name == "ald-fachbereich-bauen-und-umwelt-mitarbeiter"
    assert names[group].upn is None
    assert names[group].dn == f"CN=Fachbereich Bauen und Umwelt Mitarbeiter,{OU}"


def test_fallback_keeps_the_leading_fixed_text_and_is_reported():
    cyrillic = user("ivanov", 1105, "Иван", "Иванов")
    names, findings = assign_names([cyrillic], policy(user_template="ald-{given1}.{surname}"))
    assert names[cyrillic].sam_account_name == "ald-ivanov"
    assert [f.key for f in findings] == ["accounts.name_fallback"]


def test_fallback_without_any_latin_name_uses_a_stable_hash():
    obj = user("Иван", 1105)
    first, _ = assign_names([obj], policy(prefix="ald-"))
    again, _ = assign_names([obj], policy(prefix="ald-"))
    assert re.match(r"^ald-x[0-9a-f]{8}$", first[obj].sam_account_name)
    assert first == again


# --- collisions ------------------------------------------------------------------------

def test_the_older_account_keeps_the_plain_name_whatever_the_input_order():
    newer = user("hmueller2", 1200, "Hans", "Müller")
    older = user("hmueller", 1105, "Heinz", "Müller")
    for objects in ([newer, older], [older, newer]):
        names, findings = assign_names(objects, policy(user_template="{given1}{surname}"))
        assert sams(names) == {"hmueller": "hmueller", "hmueller2": "hmueller2"}
        assert [f.key for f in findings] == ["accounts.name_collision"]
        assert findings[0].resources == ("hmueller2", "hmueller2")


def test_a_name_ending_in_a_digit_gets_a_dash_before_the_suffix():
    a, b = user("user1", 1001, "", ""), user("USER1", 1002)
    names, _ = assign_names([a, b], policy())
    assert sams(names) == {"user1": "user1", "USER1": "user1-2"}


def test_live_names_are_taken_case_insensitively_and_the_suffix_still_fits():
    obj = user("x", 1105, "Hans", "Müller-Lüdenscheidt")
    taken = ["ALD-H.MUELLER-LUEDEN", "ald-h.mueller-luede2"]
    names, _ = assign_names([obj], policy(user_template="ald-{given1}.{surname}"), taken=taken)
    assert names[obj].sam_account_name == "ald-h.mueller-luede3"


def test_users_and_groups_share_one_namespace_and_the_user_wins():
    member = user("bauamt", 1500)
    group = SourceObject("group", "bauamt", f"{DOMAIN}-1100")
    names, _ = assign_names([group, member], policy(prefix="ald-"))
    assert names[member].sam_account_name == "ald-bauamt"
    assert names[group].sam_account_name == "ald-bauamt2"


def test_a_natural_name_is_not_stolen_by_a_suffixed_one():
    # "mueller2" exists in the old directory; the second "mueller" must not take it.
    objects = [user("mueller", 1001), user("Mueller", 1002), user("mueller2", 1003)]
    names, _ = assign_names(objects, policy())
    assert sams(names) == {"mueller": "mueller", "Mueller": "mueller3", "mueller2": "mueller2"}


@pytest.mark.parametrize(
    ("old_name", "reserved", "expected"),
    [("Administrator", (), "administrator2"), ("root", (), "root2"), ("Domain Users", (), "domain-users"),
     ("chef", ("Chef",), "chef2")],
)
def test_reserved_names_are_avoided(old_name, reserved, expected):
    obj = user(old_name, 1105)
    names, findings = assign_names([obj], policy(reserved_names=reserved))
    assert names[obj].sam_account_name == expected
    assert [f.key for f in findings] == (["accounts.reserved_name"] if expected.endswith("2") else [])


def test_same_cn_in_one_ou_gets_the_account_name_appended():
    first = user("hmueller", 1001, "Hans", "Müller")
    second = user("hmueller2", 1002, "Hans", "Müller")
    names, _ = assign_names([second, first], policy())
    assert names[first].dn == f"CN=Müller\\, Hans,{OU}"
    assert names[second].dn == f"CN=Müller\\, Hans (hmueller2),{OU}"


def test_cn_from_display_name_or_account_name():
    obj = user("hm", 1001, "Hans", "Müller", display_name="Dr. Hans Müller")
    assert assign_names([obj], policy())[0][obj].cn == "Dr. Hans Müller"
    assert assign_names([obj], policy(cn="name"))[0][obj].dn == f"CN=hm,{OU}"
    assert assign_names([obj], policy(prefix="ald-"))[0][obj].upn == "ald-hm@rz.test"


def test_taken_dns_are_avoided():
    obj = user("hm", 1001, "Hans", "Müller")
    names, _ = assign_names([obj], policy(), taken_dns=[f"cn=müller\\, hans,{OU}".upper()])
    assert names[obj].cn == "Müller, Hans (hm)"


@pytest.mark.parametrize(
    ("kind", "old_name", "old_sid", "message"),
    [("computer", "pc1", None, "kind 'computer'"), ("user", "", None, "old name is empty"),
     ("user", "x", "1-5-21", "is not a SID")],
)
def test_bad_source_objects_are_refused(kind, old_name, old_sid, message):
    with pytest.raises(NamingError, match=message):
        SourceObject(kind, old_name, old_sid)


# --- properties ------------------------------------------------------------------------

person_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
source_objects = st.builds(
    SourceObject,
    kind=st.sampled_from(["user", "user", "group"]),
    old_name=person_text.filter(bool),
    old_sid=st.one_of(st.none(), st.integers(500, 5000).map(lambda rid: f"{DOMAIN}-{rid}")),
    given_name=person_text,
    surname=person_text,
    display_name=person_text,
)
templates = st.sampled_from(["{prefix}{name}", "{prefix}{given1}.{surname}", "{given}.{surname}",
                             "x_{initials}{surname3}", "{surname}-{given}-{name}"])
taken_names = st.lists(st.sampled_from(["ald-hmueller", "HMUELLER", "ald-x", "mueller", "root2", "a"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(source_objects, max_size=12), templates, taken_names)
def test_names_are_valid_unique_free_and_deterministic(objects, template, taken):
    rules = policy(prefix="ald-", user_template=template, group_template=template)
    names, findings = assign_names(objects, rules, taken=taken)
    again, findings_again = assign_names(list(objects), rules, taken=list(taken))
    assert (names, findings) == (again, findings_again)
    lowered = [new.sam_account_name.lower() for new in names.values()]
    assert len(set(lowered)) == len(lowered) == len(set(objects))
    assert not set(lowered) & {name.lower() for name in taken}
    for obj, new in names.items():
        assert sam_account_name_problems(new.sam_account_name, obj.kind) == []
        assert len(new.sam_account_name) <= NAME_LIMITS[obj.kind]
        assert GENERATED_NAME.match(new.sam_account_name)
        assert not rules.is_reserved(new.sam_account_name)
    assert len({new.dn.lower() for new in names.values()}) == len(names)


@settings(max_examples=100, deadline=None)
@given(st.lists(source_objects, max_size=10), st.randoms(use_true_random=False))
def test_input_order_never_matters(objects, random):
    rules = policy(user_template="{given1}{surname}")
    shuffled = list(objects)
    random.shuffle(shuffled)
    assert assign_names(objects, rules) == assign_names(shuffled, rules)


def test_many_equal_names_are_numbered_in_rid_order_around_taken_ones():
    objects = [user(f"m{rid}", rid, "Hans", "Müller") for rid in range(1030, 1000, -1)]
    names, findings = assign_names(objects, policy(user_template="{given1}{surname}"), taken=["HMUELLER5"])
    expected = ["hmueller"] + [f"hmueller{n}" for n in (2, 3, 4, *range(6, 32))]
    assert [sams(names)[f"m{rid}"] for rid in range(1001, 1031)] == expected
    assert len(findings) == 29
