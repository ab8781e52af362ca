"""smb.conf reading and editing for the shares payload: testparm output, carried
settings, the per-Kommune include file, and a freeze that unfreeze undoes exactly."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_shares as share_samba_conf

TESTPARM = """# Global parameters
[global]
\tworkgroup = KOMMUNEA
\tvfs objects = acl_xattr

[bauamt]
\taccess based share enum = Yes
\tcomment = Bauamt - Bauanträge und Pläne
\tpath = /srv/shares/bauamt
\tread only = No
\tveto files = /Thumbs.db/.DS_Store/
\tvalid users = @KOMMUNEA\\bauamt

[home]
\tpath = /srv/home

[printers]
\tpath = /var/spool/samba
\tprintable = Yes

[IPC$]
\tpath = /tmp
"""

SMB_CONF = """[global]
    workgroup = KOMMUNEA

[bauamt]
    path = /srv/shares/bauamt
    comment = Bauamt
    read only = no
    write list = @bauamt
    browseable = yes

[austausch]
    path = /srv/shares/austausch
    writeable = yes
"""


def test_testparm_sections_and_file_shares():
    sections = samba_conf.sections(TESTPARM)
    assert sections["bauamt"]["comment"] == "Bauamt - Bauanträge und Pläne"
    assert sections["bauamt"]["veto files"] == "/Thumbs.db/.DS_Store/"
    assert sorted(share_samba_conf.file_shares(sections)) == ["bauamt", "home"]


def test_principal_and_host_settings_are_not_carried():
    settings = samba_conf.sections(TESTPARM)["bauamt"]
    carried, left = share_samba_conf.carried_settings(settings)
    assert carried == {"access based share enum": "Yes", "comment": "Bauamt - Bauanträge und Pläne",
                       "read only": "No", "veto files": "/Thumbs.db/.DS_Store/"}
    assert left == {"valid users": "@KOMMUNEA\\bauamt"}


@pytest.mark.parametrize(("namespace", "share", "expected"), [
    ("altdorf", "bauamt", "altdorf-bauamt"),
    ("altdorf", "Standesamt", "altdorf-standesamt"),
])
def test_target_share_name(namespace, share, expected):
    assert share_samba_conf.target_share_name(namespace, share) == expected


def test_include_file_round_trips_through_testparm_parsing():
    text = share_samba_conf.render_include("kommune-a", "altdorf", [
        {"name": "altdorf-bauamt", "path": "/srv/shares/altdorf-bauamt", "settings": {"comment": "Bauamt",
                                                                                   "read only": "No"}},
        {"name": "altdorf-austausch", "path": "/srv/shares/altdorf-austausch", "settings": {}},
    ])
    parsed = samba_conf.sections(text)
    assert list(parsed) == ["altdorf-austausch", "altdorf-bauamt"]
    assert parsed["altdorf-bauamt"] == {"path": "/srv/shares/altdorf-bauamt", "comment": "Bauamt", "read only": "No"}


def test_a_value_with_a_line_break_is_refused():
    with pytest.raises(samba_conf.SambaConfError, match="comment"):
        share_samba_conf.render_include("k", "ns", [{"name": "ns-a", "path": "/x",
                                                      "settings": {"comment": "a\n[evil]"}}])


def test_include_line_added_once_at_the_end():
    once = samba_conf.add_include(SMB_CONF, "/etc/samba/umzug/altdorf.conf")
    assert once.endswith("include = /etc/samba/umzug/altdorf.conf\n")
    assert samba_conf.add_include(once, "/etc/samba/umzug/altdorf.conf") == once


def test_freeze_takes_out_every_write_setting_and_unfreeze_restores_exactly():
    frozen, record = share_samba_conf.freeze_section(SMB_CONF, "bauamt")
    section = frozen.split("[bauamt]")[1].split("[austausch]")[0]
    assert "read only = yes" in section
    assert "write list" not in section and "read only = no" not in section
    assert "browseable = yes" in section
    assert share_samba_conf.is_frozen(frozen, "bauamt") and not share_samba_conf.is_frozen(frozen, "austausch")
    assert [line for _offset, line in record["removed"]] == ["    read only = no", "    write list = @bauamt"]
    assert share_samba_conf.unfreeze_section(frozen, "bauamt", record) == SMB_CONF


def test_freeze_of_a_synonym_and_of_the_last_section():
    frozen, record = share_samba_conf.freeze_section(SMB_CONF, "AUSTAUSCH")
    assert "writeable" not in frozen.split("[austausch]")[1]
    assert share_samba_conf.unfreeze_section(frozen, "austausch", record) == SMB_CONF


def test_freezing_twice_or_an_unknown_share_is_refused():
    frozen, _record = share_samba_conf.freeze_section(SMB_CONF, "bauamt")
    with pytest.raises(samba_conf.SambaConfError, match="already frozen"):
        share_samba_conf.freeze_section(frozen, "bauamt")
    with pytest.raises(samba_conf.SambaConfError, match="not defined"):
        share_samba_conf.freeze_section(SMB_CONF, "kaemmerei")
    with pytest.raises(samba_conf.SambaConfError, match="not frozen"):
        share_samba_conf.unfreeze_section(SMB_CONF, "bauamt", {"removed": []})


@pytest.mark.parametrize(("line", "expected"), [
    (("read only", "no"), ("read only", "No")),
    (("Writeable", "yes"), ("read only", "No")),
    (("write ok", "no"), ("read only", "Yes")),
    (("write list", "@bauamt"), ("write list", "@bauamt")),
])
def test_freeze_record_lines_read_back_as_testparm_shows_them(line, expected):
    assert share_samba_conf.as_testparm(*line) == expected


@pytest.mark.parametrize(("settings", "carried", "left"), [
    ({"Valid_Users": "@KOMMUNEA\\bauamt", "comment": "c"}, {"comment": "c"}, {"Valid_Users": "@KOMMUNEA\\bauamt"}),
    ({"writelist": "@bauamt"}, {}, {"writelist": "@bauamt"}),
    ({"VFS Objects": "acl_xattr", "Path": "/srv/x"}, {}, {"VFS Objects": "acl_xattr"}),
    ({"read only": "No"}, {"read only": "No"}, {}),
])
def test_settings_are_recognised_in_any_spelling(settings, carried, left):
    assert share_samba_conf.carried_settings(settings) == (carried, left)


@pytest.mark.parametrize(("text", "expected"), [
    ("[a]\npath = /a\n[p]\npath = /p\nprintable = on\n[q]\nPATH = /q\nPrintable = no\n", ["a", "q"]),
    ("[Homes]\npath = /h\n[IPC$]\npath = /tmp\n[leer]\ncomment = ohne Pfad\n", []),
])
def test_file_shares_read_samba_booleans_and_spellings(text, expected):
    assert sorted(share_samba_conf.file_shares(samba_conf.sections(text))) == expected


ODD_CONF = """[global]
\tworkgroup = KOMMUNEA

[bauamt] ; Bauamt
\tpath = /srv/shares/bauamt
\twrite list = @bauamt \\
\t\t@bauleitung
\tRead_Only = no
\t; writeable = yes
\tbrowseable = yes
"""


def test_freeze_takes_a_continued_line_out_whole_and_unfreeze_restores_exactly():
    frozen, record = share_samba_conf.freeze_section(ODD_CONF, "bauamt")
    assert samba_conf.section(frozen, "bauamt") == {"path": "/srv/shares/bauamt", "read only": "yes",
                                                    "browseable": "yes"}
    assert [line for _offset, line in record["removed"]] == ["\twrite list = @bauamt \\\n\t\t@bauleitung",
                                                             "\tRead_Only = no"]
    assert "; writeable = yes" in frozen
    assert share_samba_conf.unfreeze_section(frozen, "bauamt", record) == ODD_CONF
    assert share_samba_conf.record_settings(record) == {"write list": "@bauamt @bauleitung", "read only": "No"}
