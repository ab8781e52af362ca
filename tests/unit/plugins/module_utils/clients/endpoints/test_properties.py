import pytest
from endpoint_strategies import assert_round_trip, blank, endpoint, eol, words
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, Unparseable

# A Java client of the Gewerbe-Fachverfahren: JDBC URL, a truststore on the file server,
# an escaped colon in a key, a continuation line and a latin-1 comment.
GEWERBE = (
    "# Gewerbeamt \u2013 Verbindungsdaten, gepflegt von der IT-Stelle\n"
    "! Stand: M\xe4rz\n"
    "db.url = jdbc:sqlserver://kommune-a-sql01:1433;databaseName=GEWERBE\n"
    "javax.net.ssl.trustStore=\\\\\\\\kommune-a-fs\\\\bauamt\\\\zert\\\\truststore.jks\n"
    "app.base\\:url:https://kommune-a-app01:8080/gewerbe/\n"
    "report.server   kommune-a-app01\n"
    "report.path=/berichte/\\\n"
    "    monat\n"
)


def test_gewerbe_properties_latin1_rewrite(check_rewrite):
    before = GEWERBE.replace("\u2013", "-").encode("latin-1")
    expected = (before.replace(b"sqlserver://kommune-a-sql01:1433;",
                               b"sqlserver://rz-sql03.rz.example:14331;")
                .replace(b"=\\\\\\\\kommune-a-fs\\\\bauamt\\\\zert",
                         b"=\\\\\\\\rz-fs\\\\kommune-a\\\\bauamt\\\\zert")
                .replace(b"https://kommune-a-app01:8080/", b"https://rz-app07.rz.example:18080/")
                .replace(b"report.server   kommune-a-app01", b"report.server   rz-app07.rz.example"))
    changes = check_rewrite("properties", before, [{"key": "db.url"}, {"key": "javax.net.ssl.trustStore"},
                                                   {"key": "app.base:url"}, {"key": "report.server"}],
                            expected, "latin-1")
    assert changes[1].old == "\\\\kommune-a-fs\\bauamt\\zert\\truststore.jks"
    assert changes[1].new == "\\\\rz-fs\\kommune-a\\bauamt\\zert\\truststore.jks"


def test_unicode_escapes_outside_the_host_survive(check_rewrite):
    before = b"url=https\\u003a//kommune-a-app01/Stra\\u00dfe\n"
    check_rewrite("properties", before, [{"key": "url"}],
                  b"url=https\\u003a//rz-app07.rz.example/Stra\\u00dfe\n")


def test_continuation_line_value_is_read_whole():
    before = b"report.path=/berichte/\\\n    monat\n"
    [occ] = FORMATS["properties"].find(before, [{"key": "report.path"}])
    assert (occ.value, occ.line) == ("/berichte/monat", 1)


def test_comment_ending_in_backslash_does_not_continue():
    before = b"# Kommentar \\\nhost=kommune-a-app01\n"
    [occ] = FORMATS["properties"].find(before, [{"key": "host"}])
    assert (occ.value, occ.line) == ("kommune-a-app01", 2)


def test_malformed_unicode_escape_is_unparseable():
    with pytest.raises(Unparseable, match="malformed") as err:
        FORMATS["properties"].find(b"a=b\nurl=jdbc:\\u00zz\n", [{"key": "url"}])
    assert err.value.problems[0].line == 2


def test_utf8_without_declaration_refuses_latin1_bytes():
    with pytest.raises(Unparseable, match="not valid utf-8"):
        FORMATS["properties"].find(b"# M\xe4rz\nurl=x\n", [{"key": "url"}])


@st.composite
def properties_documents(draw):
    lines, selectors = [], []
    for number in range(draw(st.integers(1, 8))):
        lines.append(draw(st.sampled_from(["#", "!"])) + draw(words) + draw(eol))
        key = f"fachverfahren.key{number}"
        separator = draw(st.sampled_from(["=", ":", " ", " = ", "\t:"]))
        value = draw(endpoint).replace("\\", "\\\\")  # properties escape backslashes
        lines.append(f"{draw(blank)}{key}{separator}{value}{draw(eol)}")
        selectors.append({"key": key})
    return draw(st.sampled_from(["", "\ufeff"])) + "".join(lines), selectors


@settings(max_examples=150, deadline=None)
@given(properties_documents())
def test_generated_properties_round_trip(document):
    text, selectors = document
    assert_round_trip("properties", text.encode("utf-8"), selectors)
