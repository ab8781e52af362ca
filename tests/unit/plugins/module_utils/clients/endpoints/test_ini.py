import pytest
from endpoint_strategies import assert_round_trip, blank, endpoint, eol, words
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    KEY_NO_MATCH,
    KEY_UNPARSEABLE,
    KEY_UNRECOGNISED,
    ProfileError,
    Refused,
    Unparseable,
)

# A Meldewesen client's INI as Windows tools leave it: CRLF, cp1252 umlauts, comments,
# a quoted value, odd spacing, and a key that only looks like the endpoint.
MELDEWESEN = (
    "; Konfiguration Meldewesen-Client \xe4\xf6\xfc\r\n"
    "[Allgemein]\r\n"
    "Mandant=Kommune A\r\n"
    "\r\n"
    "[Server]\r\n"
    "Host = kommune-a-app01.kommune-a.local   \r\n"
    "Port=8080\r\n"
    "URL=\"https://kommune-a-app01:8080/melde/api/\"\r\n"
    "# alter Server: kommune-a-app01\r\n"
    "BackupHost=kommune-a-app01\r\n"
    "[Druck]\r\n"
    "Ablage=\\\\kommune-a-fs\\Bauamt\\Druck\r\n"
).encode("cp1252")


def test_meldewesen_ini_rewrites_only_the_endpoints(check_rewrite):
    selectors = [{"section": "server", "key": "HOST"}, {"section": "Server", "key": "URL"},
                 {"section": "Druck", "key": "Ablage"}]
    expected = MELDEWESEN.replace(b"Host = kommune-a-app01.kommune-a.local   ",
                                  b"Host = rz-app07.rz.example   ")
    expected = expected.replace(b'"https://kommune-a-app01:8080/', b'"https://rz-app07.rz.example:18080/')
    expected = expected.replace(b"\\\\kommune-a-fs\\Bauamt\\Druck", b"\\\\rz-fs\\kommune-a\\bauamt\\Druck")
    changes = check_rewrite("ini", MELDEWESEN, selectors, expected, "cp1252")
    assert [(c.line, c.old, c.new) for c in changes] == [
        (6, "kommune-a-app01.kommune-a.local", "rz-app07.rz.example"),
        (8, "https://kommune-a-app01:8080/melde/api/", "https://rz-app07.rz.example:18080/melde/api/"),
        (12, "\\\\kommune-a-fs\\Bauamt\\Druck", "\\\\rz-fs\\kommune-a\\bauamt\\Druck"),
    ]
    assert b"# alter Server: kommune-a-app01\r\n" in expected


def test_find_reports_line_value_and_byte_span():
    data = b"[Server]\nHost=kommune-a-app01\n"
    [occ] = FORMATS["ini"].find(data, [{"section": "Server", "key": "Host"}])
    assert (occ.line, occ.value, occ.selector) == (2, "kommune-a-app01", "section=Server key=Host")
    assert data[occ.span[0]:occ.span[1]] == b"kommune-a-app01"


def test_utf8_bom_and_lf_are_kept(check_rewrite):
    before = b"\xef\xbb\xbf[Server]\nHost=kommune-a-app01\n; Kommentar \xc3\xa4\n"
    check_rewrite("ini", before, [{"section": "Server", "key": "Host"}],
                  b"\xef\xbb\xbf[Server]\nHost=rz-app07.rz.example\n; Kommentar \xc3\xa4\n")


def test_utf16_bom_ini_is_spliced_in_utf16(check_rewrite):
    before = "\ufeff[Server]\r\nHost=kommune-a-app01\r\n".encode("utf-16-le")
    check_rewrite("ini", before, [{"section": "Server", "key": "Host"}],
                  "\ufeff[Server]\r\nHost=rz-app07.rz.example\r\n".encode("utf-16-le"))


def test_every_duplicate_key_is_rewritten(check_rewrite):
    check_rewrite("ini", b"[S]\nHost=kommune-a-fs\nhost=kommune-a-fs\n", [{"section": "S", "key": "Host"}],
                  b"[S]\nHost=rz-fs\nhost=rz-fs\n")


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"[Server]\nHost=x\n[Druck\n", 3, "unterminated section header"),
        (b"[Server]\r\nHost=x\r\nnur Text ohne Gleichheitszeichen\r\n", 3,
         "not a section, key=value or comment"),
        (b"[Server]\nHost=k\xe4\n", 2, "not valid utf-8"),
    ],
)
def test_unparseable_ini_is_a_finding_with_line(data, line, message):
    with pytest.raises(Unparseable, match=message) as err:
        FORMATS["ini"].rewrite(data, [{"section": "Server", "key": "Host"}], {})
    [finding] = err.value.findings("C:/Programme/Melde/melde.ini", kommune="kommune-a")
    assert finding.key == KEY_UNPARSEABLE
    assert finding.payload == "clients" and finding.inhibitor
    assert finding.summary.startswith(f"C:/Programme/Melde/melde.ini:{line}: ")


def test_missing_selector_and_unrecognised_value_are_all_reported(mapping):
    data = b"[Server]\nHost=${MELDE_HOST}\n"
    with pytest.raises(Refused) as err:
        FORMATS["ini"].rewrite(data, [{"section": "Server", "key": "Host"},
                                      {"section": "Server", "key": "Url"},
                                      {"section": "Server", "key": "Proxy", "optional": True}], mapping)
    assert [(p.key, p.line, p.selector) for p in err.value.problems] == [
        (KEY_NO_MATCH, 1, "section=Server key=Url"), (KEY_UNRECOGNISED, 2, "section=Server key=Host")]
    assert [f.resources for f in err.value.findings("melde.ini")] == [
        ("melde.ini", "section=Server key=Url"), ("melde.ini", "section=Server key=Host")]


def test_empty_value_is_refused(mapping):
    with pytest.raises(Refused, match="empty"):
        FORMATS["ini"].rewrite(b"[Server]\nHost=\n", [{"section": "Server", "key": "Host"}], mapping)


@pytest.mark.parametrize(
    ("selectors", "message"),
    [
        ([{"section": "Server"}], "missing key"),
        ([{"section": "Server", "key": "Host", "xpath": "/a"}], "unknown xpath"),
        ([{"section": "Server", "key": 3}], "key must be str"),
        ([], "non-empty list"),
        (["Server/Host"], "expected a mapping"),
    ],
)
def test_malformed_selectors_are_profile_errors(selectors, message):
    with pytest.raises(ProfileError, match=message):
        FORMATS["ini"].find(b"[Server]\nHost=x\n", selectors)


def test_declared_encoding_contradicting_the_bom_is_refused():
    with pytest.raises(Unparseable, match="declares cp1252 but the file starts with a utf-8 BOM"):
        FORMATS["ini"].find(b"\xef\xbb\xbf[S]\nHost=x\n", [{"section": "S", "key": "Host"}], "cp1252")


# --- property tests: generated INI files -------------------------------------------------

@st.composite
def ini_documents(draw):
    lines, selectors = [], []
    for number in range(draw(st.integers(1, 4))):
        section = f"Abschnitt{number}"
        lines.append(f"[{section}]{draw(eol)}")
        for key_number in range(draw(st.integers(0, 4))):
            lines.append(draw(st.sampled_from([";", "#"])) + draw(words) + draw(eol))
            key = f"Key{key_number}"
            lines.append(f"{draw(blank)}{key}{draw(blank)}={draw(blank)}{draw(endpoint)}{draw(blank)}{draw(eol)}")
            selectors.append({"section": section, "key": key})
    selectors = selectors or [{"section": "Abschnitt0", "key": "Key0", "optional": True}]
    return draw(st.sampled_from(["", "\ufeff"])) + "".join(lines), selectors


@settings(max_examples=150, deadline=None)
@given(ini_documents())
def test_generated_ini_rewrites_only_endpoint_spans_and_inverts(document):
    text, selectors = document
    assert_round_trip("ini", text.encode("utf-8"), selectors)


def test_replacement_the_encoding_cannot_hold_is_refused():
    greek = {"hosts": [{"old": "kommune-a-fs", "new": "rz-fs"}],
             "shares": {"\\\\kommune-a-fs\\bauamt": "\\\\rz-fs\\\u03a9"}}
    with pytest.raises(Refused, match="cannot be written in this file's encoding \\(cp1252\\)") as err:
        FORMATS["ini"].rewrite(MELDEWESEN, [{"section": "Druck", "key": "Ablage"}], greek, "cp1252")
    assert err.value.findings("melde.ini")[0].key == "clients.replacement_unencodable"
