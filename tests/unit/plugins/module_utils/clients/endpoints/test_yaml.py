import builtins

import pytest
from endpoint_strategies import assert_round_trip, endpoint, eol
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    MissingDependency,
    Refused,
    Unparseable,
)

# A Linux client of the Ordnungswidrigkeiten-Fachverfahren: all three quoting styles, an
# anchor, comments after values, and a block scalar that happens to name the old server.
OWI = b"""# OWi-Client
server:
  host: kommune-a-app01.kommune-a.local   # Produktion
  url: 'https://kommune-a-app01:8080/owi/'
  ablage: "\\\\\\\\kommune-a-fs\\\\bauamt\\\\OWi"
  fallback: &fb kommune-a-app01
  ersatz: *fb
  port: 8080
notiz: |
  Server kommune-a-app01 ist alt
---
server:
  host: kommune-a-app01
"""


def test_owi_yaml_rewrites_all_quoting_styles(check_rewrite):
    expected = (OWI.replace(b"host: kommune-a-app01.kommune-a.local", b"host: rz-app07.rz.example")
                .replace(b"'https://kommune-a-app01:8080/owi/'", b"'https://rz-app07.rz.example:18080/owi/'")
                .replace(b'"\\\\\\\\kommune-a-fs\\\\bauamt\\\\OWi"',
                         b'"\\\\\\\\rz-fs\\\\kommune-a\\\\bauamt\\\\OWi"')
                .replace(b"&fb kommune-a-app01", b"&fb rz-app07.rz.example")
                .replace(b"host: kommune-a-app01\n", b"host: rz-app07.rz.example\n"))
    selectors = [{"path": "$.server.host"}, {"path": "$.server.url"}, {"path": "$.server.ablage"},
                 {"path": "$.server.fallback"}, {"path": "$.server.ersatz"}]
    changes = check_rewrite("yaml", OWI, selectors, expected)
    # The alias points at the anchored node: one change, not two.
    assert [c.line for c in changes] == [3, 4, 5, 6, 13]


def test_block_scalar_is_refused_only_if_it_would_change(mapping):
    with pytest.raises(Refused, match="block or multi-line") as err:
        FORMATS["yaml"].rewrite(b"notiz: |\n  kommune-a-fs\n", [{"path": "$.notiz"}], mapping)
    assert err.value.problems[0].line == 1
    unmoved = b"notiz: |\n  andere-app\n"
    assert FORMATS["yaml"].rewrite(unmoved, [{"path": "$.notiz"}], mapping) == (unmoved, [])


def test_number_is_no_endpoint(mapping):
    with pytest.raises(Refused, match="'8080' is not a string"):
        FORMATS["yaml"].rewrite(OWI, [{"path": "$.server.port"}], mapping)


def test_tagged_and_utf16_values(check_rewrite):
    before = "\ufeffa: !!str 'kommune-a-fs'\r\nb: [kommune-a-fs, x]\r\n".encode("utf-16-le")
    check_rewrite("yaml", before, [{"path": "$.a"}, {"path": "$.b[0]"}],
                  "\ufeffa: !!str 'rz-fs'\r\nb: [rz-fs, x]\r\n".encode("utf-16-le"))


def test_invalid_yaml_names_the_line():
    with pytest.raises(Unparseable, match="invalid YAML") as err:
        FORMATS["yaml"].find(b"a: 1\nb: [x, y\nc: 2\n", [{"path": "$.a"}])
    assert err.value.problems[0].line == 3


def test_missing_pyyaml_is_a_clear_error(monkeypatch):
    real_import = builtins.__import__

    def no_yaml(name, *args, **kwargs):
        if name == "yaml":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_yaml)
    with pytest.raises(MissingDependency, match="python3-yaml"):
        FORMATS["yaml"].find(OWI, [{"path": "$.server.host"}])


# YAML forbids control characters anywhere, comments included.
yaml_words = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=20)
# PyYAML rejects a tab after a plain scalar, so layout varies by spaces only.
blank = st.sampled_from(["", " ", "   "])


@st.composite
def yaml_documents(draw):
    lines, selectors = [], []
    for number in range(draw(st.integers(1, 6))):
        lines.append("#" + draw(yaml_words) + draw(eol))
        value = draw(endpoint)
        style = draw(st.sampled_from(["plain", "single", "double"]))
        if style == "single" or (style == "plain" and value.startswith("\\")):
            value = "'" + value + "'"
        elif style == "double":
            value = '"' + value.replace("\\", "\\\\") + '"'
        lines.append(f"key{number}:{draw(blank)} {value}{draw(blank)}{draw(eol)}")
        selectors.append({"path": f"$.key{number}"})
    return "".join(lines), selectors


@settings(max_examples=150, deadline=None)
@given(yaml_documents())
def test_generated_yaml_round_trip(document):
    text, selectors = document
    assert_round_trip("yaml", text.encode("utf-8"), selectors)
