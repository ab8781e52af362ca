"""Identities for the shares modules: SID translation from the mapping's data, and
winbind's answers (faked) with Samba's Unix SIDs handled without asking."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares.identity import Winbind, sid_judge, sid_translator

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
MAPPING = {
    "schema_version": 1, "kommune": "kommune-a", "source_domain_sid": OLD, "target_domain_sid": NEW,
    "users": [{"old_name": "hmueller", "old_sid": f"{OLD}-1105", "new_name": "ald-hmueller",
               "new_sid": f"{NEW}-1601", "source": "generated", "status": "active"}],
    "groups": [],
}


@pytest.mark.parametrize(("sid", "expected"), [
    (f"{OLD}-1105", f"{NEW}-1601"),     # an entry
    (f"{OLD}-512", f"{NEW}-512"),       # Domain Admins
    ("S-1-1-0", "S-1-1-0"),             # Everyone
    ("S-1-22-1-0", "S-1-22-1-0"),       # root stays root
    ("S-1-22-2-0", "S-1-22-2-0"),
    (f"{OLD}-9999", None),              # unknown account of the old domain
    ("S-1-5-21-4-5-6-1234", None),      # another domain
])
def test_translation_from_the_mapping(sid, expected):
    assert sid_translator(MAPPING)(sid) == expected


def test_without_a_mapping_only_universal_sids_and_root_pass():
    translate = sid_translator(None)
    assert [translate(s) for s in ("S-1-1-0", "S-1-22-1-0", f"{OLD}-512")] == ["S-1-1-0", "S-1-22-1-0", None]


@pytest.mark.parametrize(("sid", "expected"), [
    ("S-1-5-32-544", "S-1-5-32-544"),   # BUILTIN\Administrators
    ("S-1-22-1-1000", None),            # a Unix uid of the old server
    ("S-1-22-3-1", None),               # anything of a Unix host is no universal SID
    (f"{OLD}-1105".lower(), None),      # an old-domain account whatever its case
])
def test_without_a_mapping_the_universal_rule_is_the_codecs(sid, expected):
    assert sid_translator(None)(sid) == expected


def test_judged_against_the_mapping_before_its_accounts_exist():
    """The dry run's mapping: entries without new_sid; sid_translator cannot map them yet, sid_judge
    knows they will be."""
    planned = {**MAPPING, "users": [{**MAPPING["users"][0], "new_sid": None}]}
    assert sid_translator(planned)(f"{OLD}-1105") is None
    judge = sid_judge(planned)
    assert [judge(s) for s in (f"{OLD}-1105", f"{OLD}-513", "S-1-22-1-0", "S-1-1-0")] == [True] * 4
    assert [judge(s) for s in (f"{OLD}-9999", "S-1-5-21-4-5-6-1234")] == [False, False]
    assert [sid_judge(None)(s) for s in ("S-1-1-0", f"{OLD}-1105")] == [True, False]


def test_winbind_answers_are_cached_and_unix_sids_need_no_question():
    asked = []

    def run(argv):
        asked.append(argv)
        answers = {("--uid-to-sid", "100001"): f"{OLD}-1105\n", ("--sid-to-gid", f"{NEW}-513"): "300513\n",
                   ("--sid-to-name", f"{OLD}-1105"): "KOMMUNEA\\hmueller 1\n"}
        out = answers.get((argv[1], argv[2]))
        return (0, out) if out else (1, "")

    winbind = Winbind(run)
    assert winbind.uid_sid(100001) == f"{OLD}-1105"
    assert winbind.uid_sid(100001) == f"{OLD}-1105"
    assert winbind.uid_sid(5) == "S-1-22-1-5"
    assert winbind.target_id(f"{NEW}-513", "gid") == 300513
    assert winbind.target_id("S-1-22-1-0", "uid") == 0
    assert winbind.target_id(f"{NEW}-404", "uid") is None
    assert winbind.name(f"{OLD}-1105") == "KOMMUNEA\\hmueller"
    assert asked.count(["wbinfo", "--uid-to-sid", "100001"]) == 1
