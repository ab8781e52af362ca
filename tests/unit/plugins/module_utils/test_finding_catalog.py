"""The finding catalog: every key raised in plugins/ and roles/ is in it, every entry is
complete in German and English, and every placeholder a call site can be checked for is
given there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.module_utils.finding_catalog import CATALOG, LANGUAGES, TEXT_FIELDS
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    PAYLOADS,
    REMEDIATION_KINDS,
    SEVERITIES,
    Finding,
    FindingError,
    localised,
    placeholders,
    texts,
)

TOP = Path(__file__).resolve().parents[4]
PYTHON_FILES = sorted((TOP / "plugins").rglob("*.py"))
TASK_FILES = sorted([*(TOP / "roles").rglob("*.yml"), *(TOP / "roles").rglob("*.j2")])
KEY = re.compile(r"^(?:" + "|".join(PAYLOADS) + r")\.[a-z][a-z0-9_]*$")
# Dotted strings that are file names or attribute paths, not finding keys.
NOT_KEYS = re.compile(r"\.(json|html|yml|yaml|md|j2|conf|py|txt|schema|lock|log|sha256)$")
QUOTED_KEY = re.compile(r"""(?:['"]|\bkey:\s*)((?:""" + "|".join(PAYLOADS) + r""")\.[a-z][a-z0-9_]*)\b""")
CATALOG_OWN = ("title", "summary", "severity", "payload", "inhibitor", "remediation")


def _variants(text) -> dict[str | None, str]:
    return {None: text} if isinstance(text, str) else dict(text)


def _placeholders_of(key: str, variant: str | None = None) -> set[str]:
    """The parameters the key's texts need (one variant where it is known, else all of them)."""
    needed = set()
    for language in LANGUAGES:
        for text in CATALOG[key][language].values():
            for name, template in _variants(text).items():
                if variant is None or name in (None, variant):
                    needed |= placeholders(template)
    return needed - {"kommune"}


def _key_like(value: str) -> bool:
    return bool(KEY.match(value)) and not NOT_KEYS.search(value)


def python_keys() -> dict[str, list[str]]:
    """Every finding key written as a string in plugins/: where it is raised, a table of
    problems, or a prefix (ending in '_') a module matches keys by."""
    found: dict[str, list[str]] = {}
    for path in PYTHON_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _key_like(node.value):
                found.setdefault(node.value, []).append(f"{path.relative_to(TOP)}:{node.lineno}")
    return found


def task_keys() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in TASK_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in QUOTED_KEY.finditer(line):
                if _key_like(match[1]):
                    found.setdefault(match[1], []).append(f"{path.relative_to(TOP)}:{number}")
    return found


def _known(key: str) -> bool:
    return key in CATALOG or (key.endswith("_") and any(k.startswith(key) for k in CATALOG))


@pytest.mark.parametrize("scan", [python_keys, task_keys], ids=["plugins", "roles"])
def test_every_key_raised_is_in_the_catalog(scan):
    keys = scan()
    assert keys, "the scan found no finding key at all"
    unknown = {key: where for key, where in keys.items() if not _known(key)}
    assert unknown == {}, "finding keys raised but not in plugins/module_utils/finding_catalog.py"


def test_every_catalog_key_is_raised_somewhere():
    raised = set(python_keys()) | set(task_keys())
    assert sorted(set(CATALOG) - raised) == []


def test_the_scan_sees_keys_the_way_call_sites_write_them():
    # a literal in a module, a table of problems, a prefix, a key in a task, a key in Jinja
    assert "shares.target_space_short" in python_keys()
    assert "shares.name_reserved" in python_keys()
    assert "shares.verify_" in python_keys()
    assert "shares.mapping_missing" in task_keys()
    assert "wave.acceptance_failed" in task_keys()
    assert "report.json" not in python_keys()


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_an_entry_is_complete_in_german_and_english(key):
    entry = CATALOG[key]
    assert entry["payload"] in PAYLOADS and key.split(".")[0] == entry["payload"]
    assert entry["severity"] in SEVERITIES
    assert isinstance(entry["inhibitor"], bool)
    assert entry["remediation"] is None or entry["remediation"] in REMEDIATION_KINDS
    wanted = {"title", "summary"} | ({"remediation"} if entry["remediation"] else set())
    for language in LANGUAGES:
        assert set(entry[language]) == wanted, f"{key} ({language})"
        assert set(entry[language]) <= set(TEXT_FIELDS)
        for field, text in entry[language].items():
            assert all(t.strip() for t in _variants(text).values()), f"{key} {language} {field} is empty"
    for field in wanted:
        german, english = _variants(entry["de"][field]), _variants(entry["en"][field])
        assert set(german) == set(english), f"{key} {field}: the variants differ"
        for variant in german:
            assert placeholders(german[variant]) == placeholders(english[variant]), f"{key} {field} {variant}"
    if entry["remediation"] in (None, "hint"):
        assert entry["de"]["title"] != entry["en"]["title"], f"{key}: German title not translated"


GERMAN_WORDS = re.compile(r"\b(der|die|das|den|dem|des|ein|eine|einen|nicht|und|oder|für|ist|sind|von|in)\b")


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_the_german_texts_read_as_german(key):
    words = " ".join(t for text in CATALOG[key]["de"].values() for t in _variants(text).values())
    assert GERMAN_WORDS.search(words) or len(words.split()) <= 6, key
    assert not re.search(r"\b(the|which|cannot|should)\b", words), key


def _calls_with_literal_keys():
    """(key, variant or None, parameter names, where) of each call site that names its key
    and all its parameters in the source: Finding.of(...) and the payloads' _finding helpers."""
    for path in PYTHON_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in ("of", "_finding") or any(k.arg is None for k in node.keywords):
                continue
            keys = [a.value if isinstance(a, ast.Constant) else constants.get(getattr(a, "id", None))
                    for a in node.args]
            keys = [k for k in keys if isinstance(k, str) and k in CATALOG]
            if not keys:
                continue
            variant = next((k.value.value for k in node.keywords
                            if k.arg == "variant" and isinstance(k.value, ast.Constant)), None)
            yield keys[0], variant, {k.arg for k in node.keywords}, f"{path.relative_to(TOP)}:{node.lineno}"


def _finding_tasks():
    for path in sorted((TOP / "roles").rglob("tasks/**/*.yml")):
        for task in _tasks(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            if "kommunal.umzug.finding" in task:
                yield path, task["kommunal.umzug.finding"]


def _tasks(items):
    for item in items:
        if isinstance(item, dict):
            yield item
            for nested in ("block", "rescue", "always"):
                yield from _tasks(item.get(nested) or [])


def test_python_call_sites_give_every_placeholder():
    calls = list(_calls_with_literal_keys())
    assert len(calls) >= 20
    missing = {where: sorted(_placeholders_of(key, variant) - given) for key, variant, given, where in calls
               if _placeholders_of(key, variant) - given}
    assert missing == {}


def test_role_tasks_give_every_placeholder_and_restate_nothing():
    tasks = list(_finding_tasks())
    assert len(tasks) >= 5
    for path, args in tasks:
        assert not set(args) & set(CATALOG_OWN), f"{path}: the catalog says {sorted(set(args) & set(CATALOG_OWN))}"
        if not isinstance(args.get("params"), dict):
            # key and params relayed from a module's result ("{{ item.params }}"): checked where made
            assert args["params"] == "{{ item.params }}", path
            continue
        keys = [args["key"]] if args["key"] in CATALOG else [k for k in CATALOG if k in path.read_text()]
        assert keys, f"{path}: {args['key']}"
        for key in keys:
            assert _placeholders_of(key) - set(args["params"]) == set(), f"{path}: {key}"


@pytest.mark.parametrize(
    ("key", "params", "language", "title", "remediation"),
    [
        ("shares.target_space_short", {"needed": 10, "margin": 5, "wanted": 10, "target": "rz-fs", "free": 3},
         "de", "Zu wenig freier Platz auf dem RZ-Dateiserver",
         "Das Dateisystem von rz-fs vor dem Erstkopierlauf vergrößern."),
        ("shares.target_space_short", {"needed": 10, "margin": 5, "wanted": 10, "target": "rz-fs", "free": 3},
         "en", "Not enough free space on the RZ file server", "Grow the file system of rz-fs before the seed pass."),
        ("shares.sid_unmapped", {"share": "daten", "count": 1, "paths": 2, "sids": "S-1-5-21-1", "variant": "pass"},
         "de", "SIDs ohne neue Identität in der Freigabe daten",
         "Manuelle Einträge in der Identitätszuordnung ergänzen, dann den nächsten Kopierlauf starten."),
        ("clients.probe_failed", {"variant": "before", "name": "EWO (ewo)", "kind": "tcp", "target": "rz:1",
                                  "detail": "refused"},
         "de", "Client-Test gegen den RZ-Endpunkt fehlgeschlagen (vor dem Umstellen)", None),
    ],
)
def test_texts_are_filled_in_each_language(key, params, language, title, remediation):
    words = texts(key, {k: str(v) for k, v in params.items()}, language)
    assert words["title"] == title
    if remediation:
        assert words["remediation"] == remediation


def test_kommune_comes_from_the_finding():
    finding = Finding.of("wave.gate_open", verdict="go", kommune="kommune-a")
    assert finding.title == "Cut-over allowed for kommune-a"
    assert texts(finding.key, finding.params, "de", finding.kommune)["title"] == "Umstellung für kommune-a freigegeben"


@pytest.mark.parametrize(
    ("key", "params", "message"),
    [
        ("shares.not_in_catalog", {}, "is not in the catalog"),
        ("shares.target_space_short", {"needed": 1}, "parameter 'margin' of its summary is missing"),
        ("shares.sid_unmapped", {"share": "x"}, "variant None is not one of pass, preflight"),
        ("shares.sid_unmapped", {"share": "x", "variant": "later"}, "variant 'later' is not one of"),
    ],
)
def test_the_model_refuses_what_the_catalog_does_not_hold(key, params, message):
    with pytest.raises(FindingError, match=message):
        Finding.of(key, **params)


def test_a_finding_from_the_catalog_carries_severity_texts_and_parameters():
    finding = Finding.of("accounts.no_password", count=2, resources=("b", "a"), kommune="kommune-a")
    assert (finding.severity, finding.inhibitor, finding.payload) == ("high", True, "accounts")
    assert finding.summary == "2 account(s) had neither a carried hash nor an initial password."
    assert finding.remediation.kind == "hint"
    assert finding.resources == ("b", "a")
    data = finding.to_dict()
    assert data["params"] == {"count": "2"}
    assert Finding.from_dict(data).params == {"count": "2"}


@pytest.mark.parametrize(
    ("finding", "title", "remediation"),
    [
        (Finding.of("accounts.no_password", count=2, kommune="k").to_dict(),
         "Ohne Passwort angelegte Konten bleiben deaktiviert",
         "Ihre Hashes auf dem Quell-DC auslesen oder für sie die Richtlinie mit zufälligem Erstpasswort wählen."),
        # a finding a site's playbook states itself keeps its words
        ({"key": "shares.quota_ok", "title": "Quota is sufficient", "summary": "", "remediation": None},
         "Quota is sufficient", None),
        # a catalog key raised without parameters (an older report) keeps its words too
        ({"key": "shares.path_too_long", "title": "A path is longer than 255 characters", "summary": "",
          "remediation": {"kind": "hint", "text": "Shorten the folder names."}},
         "A path is longer than 255 characters", "Shorten the folder names."),
    ],
)
def test_localised_renders_german_where_the_finding_allows(finding, title, remediation):
    german = localised(finding, "de")
    assert german["title"] == title
    assert (german["remediation"] or {}).get("text") == remediation
