import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    ProfileError,
    Refused,
    Unparseable,
)

# app.config of a .NET Wohngeld client, declared ISO-8859-1, with comments, both quote
# styles, an entity in a URL, a CDATA connection target and an element text value.
WOHNGELD = (
    '<?xml version="1.0" encoding="ISO-8859-1"?>\r\n'
    '<!-- Wohngeld-Client: Verbindung zum Fachverfahren (Gr\xf6\xdfe egal) -->\r\n'
    '<configuration>\r\n'
    '  <appSettings>\r\n'
    '    <add key="ServerUrl" value="https://kommune-a-app01:8080/wg/?a=1&amp;b=2"/>\r\n'
    "    <add key='Ablage' value='\\\\kommune-a-fs\\bauamt\\Wohngeld' />\r\n"
    '    <add key="Timeout" value="30"/>\r\n'
    '  </appSettings>\r\n'
    '  <druck>\r\n'
    '    <server>\r\n'
    '      kommune-a-app01.kommune-a.local\r\n'
    '    </server>\r\n'
    '    <ziel><![CDATA[tcp:kommune-a-sql01,1433]]></ziel>\r\n'
    '  </druck>\r\n'
    '</configuration>\r\n'
).encode("latin-1")


def test_wohngeld_app_config_rewrite(check_rewrite):
    expected = (WOHNGELD.replace(b"https://kommune-a-app01:8080/", b"https://rz-app07.rz.example:18080/")
                .replace(b"'\\\\kommune-a-fs\\bauamt\\Wohngeld'", b"'\\\\rz-fs\\kommune-a\\bauamt\\Wohngeld'")
                .replace(b"      kommune-a-app01.kommune-a.local\r\n", b"      rz-app07.rz.example\r\n")
                .replace(b"tcp:kommune-a-sql01,1433", b"tcp:rz-sql03.rz.example,14331"))
    selectors = [{"xpath": "/configuration/appSettings/add[@key='ServerUrl']/@value"},
                 {"xpath": "//add[@key=\"Ablage\"]/@value"},
                 {"xpath": "/configuration/druck/server"},
                 {"xpath": "/configuration/druck/ziel/text()"}]
    changes = check_rewrite("xml", WOHNGELD, selectors, expected)
    assert [(c.line, c.old) for c in changes] == [
        (5, "https://kommune-a-app01:8080/wg/?a=1&b=2"), (6, "\\\\kommune-a-fs\\bauamt\\Wohngeld"),
        (11, "kommune-a-app01.kommune-a.local"), (13, "tcp:kommune-a-sql01,1433")]


def test_replacement_is_escaped_for_its_quote(mapping):
    weird = {"hosts": [{"old": "kommune-a-fs", "new": "rz-fs"}],
             "shares": {"\\\\kommune-a-fs\\x": "\\\\rz-fs\\a&b"}}
    after, _changes = FORMATS["xml"].rewrite(b"<c s='\\\\kommune-a-fs\\x\\y'/>", [{"xpath": "/c/@s"}], weird)
    assert after == b"<c s='\\\\rz-fs\\a&amp;b\\y'/>"


def test_mixed_content_is_refused(mapping):
    with pytest.raises(Refused, match="mixed content"):
        FORMATS["xml"].rewrite(b"<c><s>kommune-a-fs<b/></s></c>", [{"xpath": "/c/s"}], mapping)


@pytest.mark.parametrize(
    ("data", "line"),
    [(b"<c>\n  <s>x</t>\n</c>\n", 2), (b"<c>\n<s a=x/>\n</c>", 2), (b"<c>&unbekannt;</c>", 1)],
)
def test_malformed_xml_names_the_line(data, line):
    with pytest.raises(Unparseable, match="invalid XML") as err:
        FORMATS["xml"].find(data, [{"xpath": "/c/s"}])
    assert err.value.problems[0].line == line


def test_declaration_contradicting_the_profile_is_refused():
    with pytest.raises(Unparseable, match="declaration says ISO-8859-1"):
        FORMATS["xml"].find(WOHNGELD, [{"xpath": "/configuration"}], "utf-8")


@pytest.mark.parametrize("xpath", ["configuration/druck", "/a[position()=1]", "/a/@"])
def test_xpath_outside_the_subset_is_a_profile_error(xpath):
    with pytest.raises(ProfileError):
        FORMATS["xml"].find(b"<a/>", [{"xpath": xpath}])


def test_missing_attribute_matches_nothing(mapping):
    with pytest.raises(Refused, match="matches nothing"):
        FORMATS["xml"].rewrite(WOHNGELD, [{"xpath": "/configuration/druck/@host"}], mapping)
