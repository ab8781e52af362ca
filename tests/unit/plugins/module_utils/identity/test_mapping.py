import os
from dataclasses import replace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.identity.mapping import (
    SID_DOMAIN_WELL_KNOWN,
    SID_FOREIGN,
    SID_MAPPED,
    SID_UNIVERSAL,
    SID_UNIX,
    SID_UNMAPPED,
    Entry,
    IdentityMap,
    IdRange,
    LiveDirectory,
    MappingFileError,
    MapSettings,
    dump_map,
    load_map,
    parse_map,
    regenerate,
    write_map,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.identity.naming import NamingPolicy, SourceObject

OU = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"
OLD = "S-1-5-21-1000-2000-3000"
NEW = "S-1-5-21-7000-8000-9000"


def make_settings(uid_range=(200000, 200099), gid_range=(200000, 200099), **policy_over) -> MapSettings:
    kommune = {"id": "altdorf", "ou": OU, "account_prefix": "ald-", **policy_over}
    policy = NamingPolicy.from_kommune(kommune, "rz.test")
    return MapSettings(policy, IdRange(*uid_range), IdRange(*gid_range), source_domain_sid=OLD,
                       target_domain_sid=NEW)


def user(name, rid, **over) -> SourceObject:
    return SourceObject("user", name, f"{OLD}-{rid}" if rid else None, **over)


def group(name, rid, **over) -> SourceObject:
    return SourceObject("group", name, f"{OLD}-{rid}" if rid else None, **over)


OBJECTS = [
    user("hmueller", 1105, given_name="Hans", surname="Müller", old_uid=10001, old_gid=10000),
    user("eschmidt", 1106, given_name="Erika", surname="Schmidt", old_uid=200005, old_gid=513),
    user("Administrator", 500),
    group("Domain Users", 513),
    group("bauamt", 1300, old_gid=10000),
    group("Ordnungsamt, Bürgerbüro", 1301),
]


def generate(objects=OBJECTS, previous=None, live=None, settings_=None):
    return regenerate(previous, objects, settings_ or make_settings(), live)


def by_old(identity_map: IdentityMap) -> dict[str, Entry]:
    return {entry.old_name: entry for entry in identity_map.entries}


def keys(findings) -> list[str]:
    return [finding.key for finding in findings]


# --- regeneration ----------------------------------------------------------------------

def test_first_generation():
    identity_map, findings = generate()
    entries = by_old(identity_map)
    assert findings == []
    # Well-known objects are translated by rule, never created again.
    assert set(entries) == {"hmueller", "eschmidt", "bauamt", "Ordnungsamt, Bürgerbüro"}
    hans = entries["hmueller"]
    assert (hans.new_name, hans.upn) == ("ald-hmueller", "ald-hmueller@rz.test")
    assert hans.new_dn == f"CN=Müller\\, Hans,{OU}"
    assert (hans.new_sid, hans.source, hans.status) == (None, "generated", "active")
    assert entries["Ordnungsamt, Bürgerbüro"].new_name == "ald-ordnungsamt-buergerbuero"
    assert entries["Ordnungsamt, Bürgerbüro"].new_dn == f"CN=Ordnungsamt\\, Bürgerbüro,{OU}"


def test_ids_prefer_the_old_id_in_range_then_the_lowest_free_one():
    entries = by_old(generate()[0])
    # eschmidt's old uid lies in the range: files keep their owner.
    assert entries["eschmidt"].new_uid == 200005
    assert entries["hmueller"].new_uid == 200000
    assert entries["bauamt"].new_gid == 200000
    assert entries["Ordnungsamt, Bürgerbüro"].new_gid == 200001


def test_a_users_gid_is_its_old_primary_groups_new_gid():
    entries = by_old(generate()[0])
    assert entries["hmueller"].new_gid == entries["bauamt"].new_gid
    # Primary group Domain Users (513 as gid here) is not migrated: no gid without a default.
    assert entries["eschmidt"].new_gid is None
    with_default = replace(make_settings(), default_user_gid=200099)
    assert by_old(generate(settings_=with_default)[0])["eschmidt"].new_gid == 200099


def test_live_ids_are_skipped():
    live = LiveDirectory(uids=frozenset({200000, 200001}), gids=frozenset({200000}))
    entries = by_old(generate(live=live)[0])
    assert entries["hmueller"].new_uid == 200002
    assert entries["bauamt"].new_gid == 200001


def test_regeneration_of_its_own_output_changes_nothing():
    first, _ = generate()
    again, findings = generate(previous=first)
    assert again == first
    assert findings == []
    assert dump_map(again) == dump_map(first)


def test_input_order_does_not_matter():
    assert generate(OBJECTS) == generate(list(reversed(OBJECTS)))


def test_manual_entries_win():
    first, _ = generate()
    hans = by_old(first)["hmueller"]
    edited = replace(hans, new_name="hans.mueller", upn="hans.mueller@altdorf.de", new_uid=200050,
                     source="manual", note="agreed with Altdorf")
    previous = replace(first, users=tuple(edited if e is hans else e for e in first.users))
    again, _ = generate(previous=previous)
    assert by_old(again)["hmueller"] == edited


def test_a_manual_entry_gets_its_empty_fields_filled():
    first, _ = generate()
    hans = by_old(first)["hmueller"]
    edited = replace(hans, new_name="hans.m", upn=None, new_dn=None, new_uid=None, source="manual")
    previous = replace(first, users=tuple(edited if e is hans else e for e in first.users))
    filled = by_old(generate(previous=previous)[0])["hmueller"]
    assert (filled.new_name, filled.upn, filled.new_dn) == ("hans.m", "hans.m@rz.test", f"CN=hans.m,{OU}")
    assert filled.new_uid == 200000


def test_a_policy_change_renames_only_what_nothing_depends_on_yet():
    first, _ = generate()
    hans = by_old(first)["hmueller"]
    created = replace(hans, new_sid=f"{NEW}-4001")
    previous = replace(first, users=tuple(created if e is hans else e for e in first.users))
    again, _ = generate(previous=previous, settings_=make_settings(account_prefix="alt-"))
    entries = by_old(again)
    assert entries["hmueller"].new_name == "ald-hmueller"   # created: kept
    assert entries["eschmidt"].new_name == "alt-eschmidt"   # not created: renamed
    assert entries["eschmidt"].new_uid == by_old(first)["eschmidt"].new_uid   # ids survive


def test_a_name_already_in_the_central_directory_is_kept_and_flagged():
    first, _ = generate()
    live = LiveDirectory(names={"ALD-HMUELLER": f"{NEW}-4001"})
    again, findings = generate(previous=first, live=live, settings_=make_settings(account_prefix="alt-"))
    assert by_old(again)["hmueller"].new_name == "ald-hmueller"
    assert keys(findings) == ["accounts.fixed_name_taken"]
    assert findings[0].inhibitor


def test_a_manual_name_held_by_someone_else_is_an_inhibitor():
    first, _ = generate()
    hans = replace(by_old(first)["hmueller"], new_name="chef", source="manual")
    previous = replace(first, users=tuple(hans if e.old_name == "hmueller" else e for e in first.users))
    _, findings = generate(previous=previous, live=LiveDirectory(names={"Chef": f"{NEW}-1234"}))
    assert keys(findings) == ["accounts.fixed_name_taken"]
    assert "chef" in findings[0].summary and findings[0].kommune == "altdorf"


def test_a_gone_object_is_kept_flagged_and_its_ids_are_not_reused():
    first, _ = generate()
    without_hans = [o for o in OBJECTS if o.old_name != "hmueller"]
    newcomer = user("hmueller-neu", 1400, given_name="Hans", surname="Müller")
    again, findings = generate([*without_hans, newcomer], previous=first)
    entries = by_old(again)
    assert entries["hmueller"].status == "gone"
    assert entries["hmueller"].new_uid == 200000
    assert entries["hmueller-neu"].new_uid == 200001
    assert keys(findings) == ["accounts.source_object_gone"]
    assert "# gone:" in dump_map(again)


def test_collisions_with_live_names_are_resolved_and_reported():
    live = LiveDirectory(names={"ald-bauamt": f"{NEW}-5000"})
    identity_map, findings = generate(live=live)
    assert by_old(identity_map)["bauamt"].new_name == "ald-bauamt2"
    assert keys(findings) == ["accounts.name_collision"]


def test_an_exhausted_range_is_an_inhibitor():
    identity_map, findings = generate(settings_=make_settings(uid_range=(200000, 200000)))
    assert keys(findings) == ["accounts.uid_range_exhausted"]
    assert findings[0].inhibitor and findings[0].resources == ("eschmidt",)
    assert by_old(identity_map)["eschmidt"].new_uid is None


def test_an_old_uid_shared_by_two_users_is_reported_and_not_translated():
    objects = [user("a", 1101, old_uid=500), user("b", 1102, old_uid=500), user("c", 1103, old_uid=501)]
    identity_map, findings = generate(objects)
    assert keys(findings) == ["accounts.old_id_ambiguous"]
    assert identity_map.translate_uid(500) is None
    assert identity_map.translate_uid(501) == by_old(identity_map)["c"].new_uid


def test_an_object_without_sid_is_matched_by_kind_and_name():
    objects = [user("hmueller", None, old_uid=10001), group("hmueller", None, old_gid=10001)]
    first, _ = generate(objects)
    names = {(e.kind, e.new_name) for e in first.entries}
    assert names == {("user", "ald-hmueller"), ("group", "ald-hmueller2")}
    assert generate(objects, previous=first)[0] == first


@settings(max_examples=60, deadline=None)
@given(st.permutations(OBJECTS), st.lists(st.sampled_from(["ald-hmueller", "ALD-BAUAMT", "x"]), max_size=3))
def test_regeneration_is_deterministic_for_any_order_and_live_names(objects, live_names):
    live = LiveDirectory(names=dict.fromkeys(live_names))
    assert generate(objects, live=live) == generate(OBJECTS, live=live)


# --- translation -----------------------------------------------------------------------

@pytest.fixture
def created_map() -> IdentityMap:
    identity_map, _ = generate()
    users = tuple(replace(e, new_sid=f"{NEW}-{4000 + i}") for i, e in enumerate(identity_map.users))
    return replace(identity_map, users=users)


@pytest.mark.parametrize(
    ("old_sid", "kind", "new_sid"),
    [
        ("S-1-1-0", SID_UNIVERSAL, "S-1-1-0"),                          # Everyone
        ("S-1-3-0", SID_UNIVERSAL, "S-1-3-0"),                          # CREATOR OWNER
        ("S-1-5-11", SID_UNIVERSAL, "S-1-5-11"),                        # Authenticated Users
        ("S-1-5-18", SID_UNIVERSAL, "S-1-5-18"),                        # SYSTEM
        ("S-1-5-32-544", SID_UNIVERSAL, "S-1-5-32-544"),                # BUILTIN\Administrators
        (f"{OLD}-500", SID_DOMAIN_WELL_KNOWN, f"{NEW}-500"),            # Administrator
        (f"{OLD}-512", SID_DOMAIN_WELL_KNOWN, f"{NEW}-512"),            # Domain Admins
        (f"{OLD}-513", SID_DOMAIN_WELL_KNOWN, f"{NEW}-513"),            # Domain Users
        (f"{OLD}-514", SID_DOMAIN_WELL_KNOWN, f"{NEW}-514"),            # Domain Guests
        (f"{OLD}-1300", SID_MAPPED, None),                              # group not created yet
        (f"{OLD}-9999", SID_UNMAPPED, None),
        ("S-1-5-21-1-2-3-1105", SID_FOREIGN, None),
        ("s-1-1-0", SID_UNIVERSAL, "S-1-1-0"),
        ("S-1-22-1-10001-5", SID_FOREIGN, None),                        # no Unix SID: one id only
        ("S-1-22-3-10001", SID_FOREIGN, None),                          # neither uid nor gid
        ("S-1-5-32-0544", SID_UNIVERSAL, "S-1-5-32-544"),               # the SID's one spelling
    ],
)
def test_translate_sid(created_map, old_sid, kind, new_sid):
    assert created_map.classify_sid(old_sid) == kind
    assert created_map.translate_sid(old_sid) == new_sid


@pytest.mark.parametrize(
    ("old_sid", "expected"),
    [
        (f"{OLD}-1105", True),              # hmueller: an entry, its account not created yet
        (f"{OLD}-1300", True),              # group not created yet
        (f"{OLD}-513", True),               # Domain Users: the target's
        ("S-1-1-0", True),                  # Everyone
        ("S-1-22-1-10001", True),           # hmueller's uid has its new uid already
        (f"{OLD}-9999", False),             # an old-domain object without an entry
        ("S-1-5-21-1-2-3-1105", False),     # another domain
        ("S-1-22-1-4711", False),           # a uid no entry has
    ],
)
def test_will_translate_judges_the_mapping_as_planned(old_sid, expected):
    """A dry run has the mapping before any account exists: an active entry counts."""
    planned, _ = generate()
    assert planned.translate_sid(f"{OLD}-1105") is None
    assert planned.will_translate(old_sid) is expected


def test_a_gone_entry_without_new_sid_will_not_translate():
    planned, _ = generate()
    gone = replace(planned, users=tuple(replace(e, status="gone") for e in planned.users))
    assert gone.will_translate(f"{OLD}-1105") is False


def test_translate_sid_of_created_accounts_and_unix_sids(created_map):
    hans = created_map.user_for_old_name("hmueller")
    assert created_map.translate_sid(f"{OLD}-1105") == hans.new_sid
    assert created_map.classify_sid("S-1-22-1-10001") == SID_UNIX
    assert created_map.translate_sid("S-1-22-1-10001") == f"S-1-22-1-{hans.new_uid}"
    assert created_map.translate_sid("S-1-22-2-10000") == "S-1-22-2-200000"
    assert created_map.translate_sid("S-1-22-1-4711") is None


def test_a_manual_entry_redirects_a_well_known_sid(created_map):
    own_users = Entry("group", "Domain Users", "ald-alle", old_sid=f"{OLD}-513", new_sid=f"{NEW}-6000",
                      new_gid=200010, source="manual")
    redirected = replace(created_map, groups=(*created_map.groups, own_users))
    assert redirected.translate_sid(f"{OLD}-513") == f"{NEW}-6000"


def test_translate_sid_refuses_garbage(created_map):
    with pytest.raises(ValueError, match="'Everyone' is not a SID"):
        created_map.translate_sid("Everyone")


def test_without_a_target_domain_sid_well_known_rids_cannot_be_translated(created_map):
    assert replace(created_map, target_domain_sid=None).translate_sid(f"{OLD}-512") is None


@pytest.mark.parametrize("name", ["hmueller", "HMUELLER", "ALTDORF\\hmueller", "hmueller@altdorf.local"])
def test_name_lookups(created_map, name):
    assert created_map.user_for_old_name(name).new_name == "ald-hmueller"
    assert created_map.group_for_old_name(name) is None


def test_id_translation(created_map):
    assert created_map.translate_uid(10001) == created_map.user_for_old_name("hmueller").new_uid
    assert created_map.translate_gid(10000) == created_map.group_for_old_name("BAUAMT").new_gid
    assert created_map.translate_uid(99) is None
    assert created_map.entry_for_old_sid(f"{OLD}-1300").new_name == "ald-bauamt"


# --- the file --------------------------------------------------------------------------

def test_file_round_trip_and_stable_text(created_map):
    text = dump_map(created_map)
    assert parse_map(text) == created_map
    assert dump_map(parse_map(text)) == text
    assert text.startswith("# umzug identity mapping of Kommune altdorf")
    assert "schema_version: 1\n" in text


def test_the_file_is_ordered_for_review():
    objects = [user(name, 2000 - i) for i, name in enumerate(["zeller", "Anton", "mayer"])]
    text = dump_map(generate(objects)[0])
    positions = [text.index(f'old_name: "{name}"') for name in ("Anton", "mayer", "zeller")]
    assert positions == sorted(positions)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_any_text_survives_the_emitter(text):
    identity_map = IdentityMap(kommune="altdorf", users=(
        Entry("user", text or "x", "ald-x", note=text),))
    assert parse_map(dump_map(identity_map)) == identity_map


def test_write_and_load(tmp_path, created_map):
    path = tmp_path / "altdorf.identity.yml"
    write_map(str(path), created_map)
    write_map(str(path), created_map)
    assert load_map(str(path)) == created_map
    assert os.listdir(tmp_path) == ["altdorf.identity.yml"]


def test_loading_a_missing_file_names_it(tmp_path):
    with pytest.raises(MappingFileError, match=r"nothere\.yml: cannot read"):
        load_map(str(tmp_path / "nothere.yml"))


GOOD_ENTRY = {"old_name": "hmueller", "old_sid": f"{OLD}-1105", "new_name": "ald-hmueller",
              "upn": "ald-hmueller@rz.test", "new_dn": f"CN=x,{OU}", "new_uid": 200000, "source": "generated"}


def file_text(users=(GOOD_ENTRY,), groups=(), **top) -> str:
    data = {"schema_version": 1, "kommune": "altdorf", "source_domain_sid": OLD, "target_domain_sid": NEW,
            "users": list(users) if isinstance(users, tuple | list) else users, "groups": list(groups)}
    data.update(top)
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users: [", r"a\.yml: not valid YAML"),
        ("- 1\n", r"a\.yml: is not a mapping file"),
        (file_text(schema_version=2), "schema_version 2 was written by a newer umzug"),
        (file_text(schema_version="one"), "schema_version is 'one', expected 1"),
        (file_text(extra=1), "unknown key 'extra'"),
        (file_text(kommune=None), "kommune is missing"),
        (file_text(source_domain_sid="S-1-5-32"), "source_domain_sid 'S-1-5-32' is not a domain SID"),
        (file_text(users={"a": 1}), "users is not a list"),
        (file_text(users=["x"]), "users entry 1: is not a mapping of fields"),
        (file_text(users=[{**GOOD_ENTRY, "new_name": None}]),
         "users entry 1 \\(old_name 'hmueller'\\): new_name is missing"),
        (file_text(users=[{**GOOD_ENTRY, "new_name": "h@mueller"}]),
         "new_name 'h@mueller' contains forbidden character"),
        (file_text(users=[{**GOOD_ENTRY, "new_name": "a" * 21}]), "is 21 characters long"),
        (file_text(users=[{**GOOD_ENTRY, "new_nmae": "x"}]), "unknown field 'new_nmae'"),
        (file_text(users=[{**GOOD_ENTRY, "new_uid": "abc"}]), "new_uid is 'abc', expected a whole number"),
        (file_text(users=[{**GOOD_ENTRY, "new_uid": True}]), "new_uid is True"),
        (file_text(users=[{**GOOD_ENTRY, "new_uid": -1}]), "new_uid is -1"),
        (file_text(users=[{**GOOD_ENTRY, "old_name": False}]),
         "users entry 1 \\(old_name False\\): old_name is bool False, expected text \\(quote it\\)"),
        (file_text(users=[{**GOOD_ENTRY, "old_sid": "S-1-5-21-x"}]), "old_sid 'S-1-5-21-x' is not a SID"),
        (file_text(users=[{**GOOD_ENTRY, "upn": "nobody"}]), "upn 'nobody' is not name@suffix"),
        (file_text(users=[{**GOOD_ENTRY, "new_dn": "OU=x"}]), "new_dn 'OU=x' is not a DN"),
        (file_text(users=[{**GOOD_ENTRY, "source": "auto"}]), "source 'auto' is not one of generated, man"),
        (file_text(users=[{**GOOD_ENTRY, "status": "deleted"}]), "status 'deleted' is not one of active, g"),
        (file_text(groups=[{**GOOD_ENTRY, "upn": None}]), "groups entry 1 .*unknown field 'upn'"),
        (file_text(users=[GOOD_ENTRY, {**GOOD_ENTRY, "old_name": "b", "new_name": "ALD-HMUELLER",
                                       "old_sid": None, "new_uid": 1}]),
         "users entry 2 \\(old_name 'b'\\): same new_name as users entry 1 \\(old_name 'hmueller'\\)"),
        (file_text(users=[GOOD_ENTRY, {**GOOD_ENTRY, "new_name": "b"}]), "users entry 2 .*: same old object"),
        (file_text(users=[GOOD_ENTRY, {**GOOD_ENTRY, "old_sid": None, "new_name": "b"}]),
         "users entry 2 .*: same new_uid as users entry 1"),
        (file_text(groups=[{k: v for k, v in GOOD_ENTRY.items() if k not in ("upn", "new_uid")}]),
         "groups entry 1 .*same old object as users entry 1"),
    ],
)
def test_broken_files_are_refused_naming_file_entry_and_problem(text, message):
    with pytest.raises(MappingFileError, match=message):
        parse_map(text, "a.yml")


def test_all_problems_of_one_entry_are_named_at_once():
    text = file_text(users=[{**GOOD_ENTRY, "source": "auto", "new_uid": "x"}])
    with pytest.raises(MappingFileError, match=r"new_uid is 'x'.*; source 'auto'"):
        parse_map(text, "a.yml")


def test_an_engineers_hand_written_entry_loads():
    text = dump_map(generate()[0]).replace(
        'new_name: "ald-hmueller"', "new_name: hans.mueller  # wish of the Kommune").replace(
        '  - old_name: "hmueller"', '  - old_name: hmueller')
    assert parse_map(text).user_for_old_name("hmueller").new_name == "hans.mueller"


def test_id_range_is_checked():
    with pytest.raises(ValueError, match="id range 10-5 is empty"):
        IdRange(10, 5)
    assert IdRange.from_context({"start": 200000, "end": 209999}) == IdRange(200000, 209999)


def test_settings_refuse_a_bad_domain_sid():
    with pytest.raises(ValueError, match="target_domain_sid 'S-1-5-21-1' is not a domain SID"):
        replace(make_settings(), target_domain_sid="S-1-5-21-1")
