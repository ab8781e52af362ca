"""The name switch's decisions: which names and shares, DNS records to change and to
restore, and the files it serves. Its include line in smb.conf, which a removal takes out
byte for byte, is the codec's (test_samba_conf.py)."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.name_switch.dns_smb import (
    NameSwitchError,
    aliases_from_shares,
    dns_changes,
    one_share_each,
    parse_alias_header,
    parse_dns_query,
    parse_testparm_section,
    render_alias_file,
    render_global_file,
    short_name,
)

SHARES = {
    "\\\\kommune-a-fs\\bauamt": "\\\\rz-fs\\altdorf-bauamt",
    "\\\\kommune-a-fs\\Home": "\\\\rz-fs\\altdorf-home",
    "\\\\kommune-a-fs.kommune-a.test\\austausch": "\\\\rz-fs\\altdorf-austausch",
    "\\\\10.89.42.12\\standesamt": "\\\\rz-fs\\altdorf-standesamt",
    "\\\\kommune-a-fs\\archiv": "\\\\archiv-fs\\altdorf-archiv",
    "\\\\kommune-a-fs\\scans": "\\\\rz-fs\\altdorf-bauamt\\Scans",
}


def test_aliases_from_the_plans_share_mapping():
    aliases, skipped = aliases_from_shares(SHARES, "kommune-a.test", "rz-fs")
    assert aliases == {"kommune-a-fs": {"bauamt": "altdorf-bauamt", "home": "altdorf-home",
                                        "austausch": "altdorf-austausch"}}
    assert [s.split(":")[0] for s in skipped] == [
        "\\\\10.89.42.12\\standesamt", "\\\\kommune-a-fs\\archiv", "\\\\kommune-a-fs\\scans"]


@pytest.mark.parametrize(("server", "expected"), [
    ("kommune-a-fs", "kommune-a-fs"),
    ("kommune-a-fs.kommune-a.test", "kommune-a-fs"),
    ("10.89.42.12", None),
])
def test_short_name(server, expected):
    assert short_name(server, "kommune-a.test") == expected


@pytest.mark.parametrize("server", ["fs.other.test", "a-name-longer-than-15", "bad_name"])
def test_short_name_refuses(server):
    with pytest.raises(NameSwitchError):
        short_name(server, "kommune-a.test")


def test_parse_dns_query():
    text = ("  Name=, Records=2, Children=0\n"
            "    A: 10.89.42.12 (flags=f0, serial=1, ttl=900)\n"
            "    AAAA: fd00::12 (flags=f0, serial=1, ttl=900)\n")
    assert parse_dns_query(text) == [("A", "10.89.42.12"), ("AAAA", "fd00::12")]


NEW = "10.89.42.34"
DNS_CASES = [
    # state, current records, saved, expected ops, expected kept state
    ("present", [("A", "10.89.42.12")], None, [("add", NEW), ("delete", "10.89.42.12")], ["10.89.42.12"]),
    ("present", [("A", NEW)], ["10.89.42.12"], [], ["10.89.42.12"]),
    # interrupted after the add: the saved state still says what was there
    ("present", [("A", "10.89.42.12"), ("A", NEW)], ["10.89.42.12"], [("delete", "10.89.42.12")], ["10.89.42.12"]),
    ("present", [], None, [("add", NEW)], []),
    ("absent", [("A", NEW)], ["10.89.42.12"], [("add", "10.89.42.12"), ("delete", NEW)], None),
    ("absent", [("A", NEW)], [], [("delete", NEW)], None),
    ("absent", [("A", "10.89.42.12")], None, [], None),
    ("absent", [("A", "10.89.42.12")], ["10.89.42.12"], [], None),
]


@pytest.mark.parametrize(("state", "records", "saved", "ops", "keep"), DNS_CASES)
def test_dns_changes(state, records, saved, ops, keep):
    assert dns_changes(state, records, NEW, saved) == (ops, keep)


def test_dns_changes_refuses_a_cname():
    with pytest.raises(NameSwitchError, match="CNAME"):
        dns_changes("present", [("CNAME", "fs.kommune-a.test.")], NEW, None)


TESTPARM = """
[altdorf-bauamt]
\tcomment = Altdorf Bauamt
\tinclude = \n\tpath = /srv/rz/altdorf-bauamt
\tread only = No
\tveto files = /Thumbs.db/
"""


def test_share_parameters_from_testparm():
    assert parse_testparm_section(TESTPARM, "altdorf-bauamt") == {
        "comment": "Altdorf Bauamt", "include": "", "path": "/srv/rz/altdorf-bauamt",
        "read only": "No", "veto files": "/Thumbs.db/"}
    with pytest.raises(NameSwitchError, match="not defined"):
        parse_testparm_section(TESTPARM, "altdorf-home")


def test_alias_file_copies_the_share_and_names_its_owner():
    params = parse_testparm_section(TESTPARM, "altdorf-bauamt")
    text = render_alias_file("kommune-a", NEW, ["kommune-a-fs"], {"bauamt": params})
    assert "[bauamt]\n\tcomment = Altdorf Bauamt\n\tpath = /srv/rz/altdorf-bauamt\n" in text
    assert "include" not in text.split("[bauamt]")[1]
    assert parse_alias_header(text) == {"kommune": "kommune-a", "names": "kommune-a-fs", "address": NEW}


def test_global_file_answers_to_every_old_name():
    text = render_global_file(["kommune-b-fs", "kommune-a-fs"], "/etc/samba/umzug-names/")
    assert text.splitlines()[1:] == ["[global]", "\tnetbios aliases = KOMMUNE-A-FS KOMMUNE-B-FS",
                                     "\tinclude = /etc/samba/umzug-names/%i.conf"]
    assert render_global_file([], "/x") is None


def test_two_old_servers_of_one_kommune_share_an_address_only_without_clashes():
    assert one_share_each({"fs1": {"daten": "a-daten"}, "fs2": {"scan": "a-scan", "daten": "a-daten"}}) == {
        "daten": "a-daten", "scan": "a-scan"}
    with pytest.raises(NameSwitchError, match="addresses of their own"):
        one_share_each({"fs1": {"daten": "a-daten"}, "fs2": {"daten": "a-daten2"}})
