import json

import pytest
from endpoint_strategies import assert_round_trip, endpoint
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    KEY_UNRECOGNISED,
    ProfileError,
    Refused,
    Unparseable,
)

# appsettings.json of a .NET Kita-Verwaltung client: nested, an array of services, escaped
# slashes and a UNC path with escaped backslashes, CRLF, 4-space indentation.
KITA = (
    b'{\r\n'
    b'    "Kita": {\r\n'
    b'        "Api": "https:\\/\\/kommune-a-app01:8080\\/kita\\/api",\r\n'
    b'        "Ablage": "\\\\\\\\kommune-a-fs\\\\bauamt\\\\Kita",\r\n'
    b'        "Port": 8080\r\n'
    b'    },\r\n'
    b'    "Dienste": [ {"Name": "Druck", "Host": "kommune-a-app01.kommune-a.local"},\r\n'
    b'                 {"Name": "Mail", "Host": "mail.extern.example"} ],\r\n'
    b'    "ConnectionStrings": {"Stamm.Daten": "tcp:kommune-a-sql01,1433"}\r\n'
    b'}\r\n'
)


def test_kita_appsettings_rewrite_keeps_escapes_and_layout(check_rewrite):
    expected = (KITA.replace(b"https:\\/\\/kommune-a-app01:8080\\/",
                             b"https:\\/\\/rz-app07.rz.example:18080\\/")
                .replace(b'"\\\\\\\\kommune-a-fs\\\\bauamt\\\\Kita"',
                         b'"\\\\\\\\rz-fs\\\\kommune-a\\\\bauamt\\\\Kita"')
                .replace(b'"kommune-a-app01.kommune-a.local"', b'"rz-app07.rz.example"')
                .replace(b"tcp:kommune-a-sql01,1433", b"tcp:rz-sql03.rz.example,14331"))
    changes = check_rewrite("json", KITA, [{"path": "$.Kita.Api"}, {"path": "$.Kita.Ablage"},
                                           {"path": "$.Dienste[*].Host"},
                                           {"path": "$.ConnectionStrings['Stamm.Daten']"}], expected)
    assert json.loads(expected)["Kita"]["Ablage"] == "\\\\rz-fs\\kommune-a\\bauamt\\Kita"
    assert [c.line for c in changes] == [3, 4, 7, 9]


def test_index_path_and_find():
    [occ] = FORMATS["json"].find(KITA, [{"path": "$.Dienste[1].Host"}])
    assert (occ.value, occ.line) == ("mail.extern.example", 8)


@pytest.mark.parametrize(
    ("path", "reason"),
    [("$.Kita.Port", "reaches 8080, not a string"), ("$.Kita", "reaches an object or array")],
)
def test_paths_to_non_strings_are_refused(mapping, path, reason):
    with pytest.raises(Refused, match=reason) as err:
        FORMATS["json"].rewrite(KITA, [{"path": path}], mapping)
    assert err.value.problems[0].key == KEY_UNRECOGNISED


def test_invalid_json_names_the_line():
    with pytest.raises(Unparseable, match="invalid JSON") as err:
        FORMATS["json"].find(b'{\n  "a": "b",\n  "c": \n}\n', [{"path": "$.a"}])
    assert err.value.problems[0].line == 4


@pytest.mark.parametrize("path", ["Kita.Api", "$.Kita..Api", "$[x]"])
def test_bad_paths_are_profile_errors(path):
    with pytest.raises(ProfileError, match="path"):
        FORMATS["json"].find(KITA, [{"path": path}])


def test_unicode_escape_and_bom_are_kept(check_rewrite):
    before = b'\xef\xbb\xbf{"Stra\\u00dfe": "\\u0068ttp://kommune-a-fs/x\\u00e4", "k": "\xc3\xa4"}'
    check_rewrite("json", before, [{"path": "$['Stra\u00dfe']"}],
                  b'\xef\xbb\xbf{"Stra\\u00dfe": "\\u0068ttp://rz-fs/x\\u00e4", "k": "\xc3\xa4"}')


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=8,
)


@st.composite
def json_documents(draw):
    """An object with random neighbours around endpoint strings, serialised in random styles."""
    document = {f"other{i}": draw(json_values) for i in range(draw(st.integers(0, 3)))}
    hosts = draw(st.lists(endpoint, min_size=1, max_size=4))
    document["servers"] = [{"host": host, "extra": draw(json_values)} for host in hosts]
    text = json.dumps(document, indent=draw(st.sampled_from([None, 2, "\t"])),
                      ensure_ascii=draw(st.booleans()), separators=draw(st.sampled_from([None, (",", ":")])))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text, [{"path": "$.servers[*].host"}]


@settings(max_examples=150, deadline=None)
@given(json_documents())
def test_generated_json_round_trip(document):
    text, selectors = document
    assert_round_trip("json", text.encode("utf-8"), selectors)
