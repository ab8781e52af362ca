"""The one smb.conf codec: odd but valid smb.conf read as Samba reads it, every line an
edit does not touch kept byte for byte, and only what reads back as written rendered."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf

SECTIONS = [
    # id, smb.conf text, sections as Samba reads them
    ("continuation", "[s]\n\tvalid users = @a \\\n\t\t@b\n", {"s": {"valid users": "@a @b"}}),
    ("continuation inside a word", "[s]\n\tpath = /srv/\\\nshares\n", {"s": {"path": "/srv/shares"}}),
    ("continuation after a space", "[s]\n\tcomment = a\\ \n b\n", {"s": {"comment": "a b"}}),
    ("continuation over three lines", "[s]\nwrite list = a \\\n b \\\n c\npath = /x\n",
     {"s": {"write list": "a b c", "path": "/x"}}),
    ("continuation at the end of the file", "[s]\npath = /x \\\n", {"s": {"path": "/x"}}),
    ("comments with ; and #", "# top\n; top\n[s]\n  ; path = /x\n\t# path = /y\npath = /z\n", {"s": {"path": "/z"}}),
    ("a comment does not continue", "[s]\n# note \\\npath = /z\n", {"s": {"path": "/z"}}),
    ("; and # inside a value are the value", "[s]\ncomment = a ; b # c\n", {"s": {"comment": "a ; b # c"}}),
    ("include lines", "[global]\ninclude = /etc/samba/a.conf\n[s]\npath = /x\ninclude = /etc/samba/%i.conf\n",
     {"global": {"include": "/etc/samba/a.conf"}, "s": {"path": "/x", "include": "/etc/samba/%i.conf"}}),
    ("parameters before the first section are global", "workgroup = KOMMUNEA\n[s]\npath=/x\n",
     {"global": {"workgroup": "KOMMUNEA"}, "s": {"path": "/x"}}),
    ("a duplicate parameter has its last value", "[s]\nread only = no\nread only = yes\n", {"s": {"read only": "yes"}}),
    ("keys in different spellings are one", "[s]\nread only = no\nReadOnly = yes\n\tREAD_ONLY=no\nRead  Only = yes\n",
     {"s": {"read only": "yes"}}),
    ("a key keeps its first spelling", "[global]\nNetBIOS   Aliases = A B\nnetbiosaliases = C\n",
     {"global": {"netbios aliases": "C"}}),
    ("a section given twice is one", "[Bauamt]\npath = /a\n[global]\nx = 1\n[bauamt]\ncomment = c\n",
     {"Bauamt": {"path": "/a", "comment": "c"}, "global": {"x": "1"}}),
    ("a header with text after it", "[s] ; the share\n  [t]\npath = /x\n", {"s": {}, "t": {"path": "/x"}}),
    ("white space runs are one", "[s]\n\tcomment   =   a \t  b  \n", {"s": {"comment": "a b"}}),
    ("CRLF line breaks", "[s]\r\npath = /x\r\ncomment = c \\\r\n d\r\n", {"s": {"path": "/x", "comment": "c d"}}),
    ("a line without = is ignored", "[s]\njunk\npath = /x\n", {"s": {"path": "/x"}}),
    ("an unclosed header is ignored", "[s\npath = /x\n", {"global": {"path": "/x"}}),
    ("an empty value", "[s]\n\tinclude = \n", {"s": {"include": ""}}),
    ("no final line break", "[s]\npath = /x", {"s": {"path": "/x"}}),
    ("nothing", "", {}),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in SECTIONS], ids=[case[0] for case in SECTIONS])
def test_sections_as_samba_reads_them(text, expected):
    assert samba_conf.sections(text) == expected


@pytest.mark.parametrize("text", [case[1] for case in SECTIONS], ids=[case[0] for case in SECTIONS])
def test_lines_give_the_text_back_byte_for_byte(text):
    assert samba_conf.join(samba_conf.lines(text)) == text


def test_line_kinds_and_sections():
    text = "# c\nworkgroup = X\n[s] ; x\n\n\tcomment = a \\\n  b\njunk\n[t\n"
    assert [(line.kind, line.section, line.name, line.value) for line in samba_conf.lines(text)] == [
        ("comment", "global", "", ""),
        ("parameter", "global", "workgroup", "X"),
        ("section", "s", "s", ""),
        ("blank", "s", "", ""),
        ("parameter", "s", "comment", "a b"),
        ("other", "s", "", ""),
        ("other", "s", "", ""),
    ]
    assert samba_conf.lines(text)[4].text == "\tcomment = a \\\n  b"


@pytest.mark.parametrize(("key", "normal", "display"), [
    ("NetBIOS Aliases", "netbiosaliases", "netbios aliases"),
    ("netbiosaliases", "netbiosaliases", "netbiosaliases"),
    ("netbios_aliases", "netbiosaliases", "netbios_aliases"),
    ("\tRead  Only ", "readonly", "read only"),
    ("idmap config * : range", "idmapconfig*:range", "idmap config * : range"),
])
def test_keys(key, normal, display):
    assert samba_conf.normal_key(key) == normal
    assert samba_conf.display_key(key) == display


@pytest.mark.parametrize(("text", "expected"), [
    ("    read only = no", ("read only", "no")),
    ("\twrite list = @a \\\n\t\t@b", ("write list", "@a @b")),
    ("Writeable=Yes", ("Writeable", "Yes")),
    ("# read only = no", None),
    ("; read only = no", None),
    ("[s]", None),
    ("read only", None),
])
def test_parameter_of_one_line(text, expected):
    assert samba_conf.parameter(text) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", True), ("Yes", True), ("true", True), ("1", True), ("on", True),
    ("no", False), ("False", False), ("0", False), ("off", False), (" no ", False),
    ("maybe", None), ("", None),
])
def test_boolean(value, expected):
    assert samba_conf.boolean(value) is expected


def test_section_and_get_ignore_case_and_spelling():
    text = "[Bauamt]\n\tRead_Only = no\n[leer]\n"
    assert samba_conf.section(text, "BAUAMT") == {"read_only": "no"}
    assert samba_conf.section(text, "leer") == {}
    assert samba_conf.section(text, "kaemmerei") is None
    assert samba_conf.get(samba_conf.section(text, "bauamt"), "read only") == "no"
    assert samba_conf.get({}, "read only", "yes") == "yes"


@pytest.mark.parametrize(("name", "expected"), [
    ("a", (1, 4)),
    ("B", (4, 6)),
    ("c", None),
])
def test_section_span_from_header_to_the_next(name, expected):
    parsed = samba_conf.lines("# x\n[a]\npath = /a\n\n[b]\npath = /b\n")
    assert samba_conf.section_span(parsed, name) == expected


# --- editing ------------------------------------------------------------------------------

CONF = ("[global]\n\tworkgroup = RZ\n\n[altdorf-bauamt]\n\tpath = /srv/rz/altdorf-bauamt\n"
        "include = /etc/samba/umzug/altdorf.conf\n")
GLOBAL = "/etc/samba/umzug/name-switch.conf"


def register_include(conf, path, present):
    return samba_conf.add_include(conf, path) if present else samba_conf.remove_include(conf, path)


@pytest.mark.parametrize("ending", ["\n", "", "\n\n"])
def test_include_goes_last_and_comes_out_byte_for_byte(ending):
    conf = CONF.rstrip("\n") + ending
    switched = register_include(conf, GLOBAL, True)
    assert switched.endswith(f"\ninclude = {GLOBAL}\n")
    assert register_include(switched, GLOBAL, True) == switched
    restored = register_include(switched, GLOBAL, False)
    assert restored == (conf if conf.endswith("\n") else conf + "\n")
    assert register_include(conf, GLOBAL, False) == conf


INCLUDES = [
    # id, smb.conf text, whether it includes GLOBAL, the text without that include
    ("as written", f"[s]\ninclude = {GLOBAL}\n", True, "[s]\n"),
    ("another spelling", f"[s]\n\tIn Clude={GLOBAL}\r\npath = /x\r\n", True, "[s]\npath = /x\r\n"),
    ("commented out", f"[s]\n# include = {GLOBAL}\n;include = {GLOBAL}\n", False, None),
    ("another file", f"[s]\ninclude = {GLOBAL}.old\n", False, None),
    ("twice", f"include = {GLOBAL}\n[s]\ninclude = {GLOBAL}\n", True, "[s]\n"),
    ("continued", "[s]\ninclude = /etc/samba/\\\numzug/name-switch.conf\npath = /x\n", True, "[s]\npath = /x\n"),
]


@pytest.mark.parametrize(("text", "included", "without"), [case[1:] for case in INCLUDES],
                         ids=[case[0] for case in INCLUDES])
def test_include_in_any_spelling(text, included, without):
    assert samba_conf.has_include(text, GLOBAL) is included
    assert (samba_conf.add_include(text, GLOBAL) == text) is included
    assert samba_conf.remove_include(text, GLOBAL) == (without if included else text)


@pytest.mark.parametrize("text", ["[s]\ncomment = a \\\n", "[s]\ncomment = a \\"])
def test_an_include_is_not_swallowed_by_a_continuation_left_open(text):
    added = samba_conf.add_include(text, GLOBAL)
    assert samba_conf.section(added, "s")["include"] == GLOBAL
    assert samba_conf.remove_include(added, GLOBAL).startswith(text)


def test_section_lines_read_back_as_written():
    parameters = [("path", "/srv/rz/a"), ("comment", "Bauamt; Pläne # 2"), ("veto files", "/Thumbs.db/"),
                  ("include", "")]
    text = samba_conf.text_of(["# header", "", *samba_conf.section_lines("altdorf-a", parameters)])
    assert text == ("# header\n\n[altdorf-a]\n\tpath = /srv/rz/a\n\tcomment = Bauamt; Pläne # 2\n"
                    "\tveto files = /Thumbs.db/\n\tinclude = \n")
    assert samba_conf.sections(text) == {"altdorf-a": dict(parameters)}


@pytest.mark.parametrize(("name", "parameters", "message"), [
    ("a]b", [], "share name 'a]b'"),
    ("", [], "share name ''"),
    ("a\nb", [], "share name"),
    ("s", [("comment", "a\n[evil]")], r"\[s\] comment 'a\\n\[evil\]'"),
    ("s", [("comment", "a\r")], r"\[s\] comment"),
    ("s", [("path", "C:\\")], r"\[s\] path 'C:\\\\'"),
    ("s", [("path", "/x\\  ")], r"\[s\] path"),
    ("s", [("a = b", "c")], r"\[s\] parameter 'a = b'"),
    ("s", [("", "c")], r"\[s\] parameter ''"),
    ("s", [("# x", "c")], r"\[s\] parameter '# x'"),
    ("s", [("[t]", "c")], r"\[s\] parameter '\[t\]'"),
])
def test_section_lines_refuse_what_would_not_read_back(name, parameters, message):
    with pytest.raises(samba_conf.SambaConfError, match=message):
        samba_conf.section_lines(name, parameters)
