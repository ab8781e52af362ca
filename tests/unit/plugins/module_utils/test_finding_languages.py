"""A report in German says everything in German, one in English everything in English: the
findings' parameters are data (names, paths, numbers, reasons by code), and the catalog words
them. Findings are made the way the payloads make them, taken through report.json (JSON) and
rendered as the report renders them (``localised``)."""

from __future__ import annotations

import json
import os
import re
import string

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, ConfigError
from ansible_collections.kommunal.umzug.plugins.module_utils.finding_catalog import CATALOG, LANGUAGES, REASONS
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    Finding,
    FindingError,
    Reason,
    localised,
    phrase,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import principals as share_principals
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree

# English words that must not be left in a German text (words of config syntax such as
# "source: manual" or "shares_safe_mode: false" are not among them).
ENGLISH = re.compile(r"\b(the|is|has|not|no|with|which|cannot|unknown|passed|failed|skipped|errors|empty|paths|"
                     r"contains|points|collides|allocated|more|names|inside|outside|invalid|value|line|column|"
                     r"string|selector|matches|nothing|declares|unbalanced|unknown|broken|after)\b")
GERMAN = re.compile(r"\b(der|die|das|den|dem|des|ein|eine|einen|keine|keinen|nicht|und|oder|für|ist|sind|hat|"
                    r"mit|von|in|auf|mehr|als|Pfade|bestanden|weitere|leer|kein|zeigt|kollidiert|belegt|trifft|"
                    r"unbekannt|ungültiges|Byte|Spalte|Wert|Zeichenkette|umstellen|Host|nennt)\b")


def _german(finding: Finding) -> dict:
    return localised(json.loads(json.dumps(finding.to_dict())), "de")


def _words(finding: dict) -> str:
    remedy = finding.get("remediation") or {}
    return " ".join((finding["title"], finding["summary"], remedy.get("text", "")))


def _data(value):
    if isinstance(value, dict):
        return [leaf for name, item in value.items() if name != "code" for leaf in _data(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _data(item)]
    return [value]


def _without_data(text: str, finding: Finding) -> str:
    """The text less the data it quotes (paths, names, file content, a parser library's own
    message), which has no language."""
    for value in sorted({*finding.resources, *_data(dict(finding.params))}, key=len, reverse=True):
        if len(value) > 2:
            text = text.replace(value, "")
    return re.sub(r"'[^']*'|\"[^\"]*\"", "", text)


@pytest.fixture
def share(tmp_path):
    root = tmp_path / "bauamt"
    (root / "Akten").mkdir(parents=True)
    for name in ("Angebot: Entwurf?.txt", "Protokoll.", "CON.txt", "Bericht.txt", "BERICHT.txt", "Plan.txt"):
        (root / "Akten" / name).write_text("x")
    os.link(root / "Akten" / "Plan.txt", root / "Akten" / "Plan-Kopie.txt")
    os.symlink("Plan.txt", root / "Akten" / "innen")
    os.symlink("/etc/hostname", root / "Akten" / "aussen")
    with open(root / "Akten" / "sparse.img", "wb") as handle:
        handle.truncate(1024 * 1024)
    os.mkfifo(root / "Akten" / "fifo")
    (root / os.fsdecode(b"Akten/M\xfcller.txt")).write_bytes(b"latin-1")
    (root / ("L" * 120) / ("M" * 120)).mkdir(parents=True)
    return root


def preflight_findings(root) -> list[Finding]:
    report = share_preflight.inspect("bauamt", share_tree.scan(os.fsencode(root)), "\\\\rz-fs\\bauamt", 260,
                                     lambda uid: f"S-1-22-1-{uid}", lambda gid: f"S-1-22-2-{gid}")
    unmapped = share_preflight.unmapped_sid_findings(
        "bauamt", {"S-1-5-21-1-2-3-1105": 4, "S-1-5-21-1-2-3-1106": 1}, lambda sid: False,
        {"S-1-5-21-1-2-3-1105": "KOMMUNEA\\hmueller"}, "kommune-a", "fs")
    return [*share_preflight.findings(report, "kommune-a", "fs"), *unmapped]


def principal_findings() -> list[Finding]:
    domains = share_principals.Domains(old=("KOMMUNEA",), new_workgroup="RZ")
    found = []
    for key, value in (("valid users", "KOMMUNEA\\unbekannt, @KOMMUNEA\\Bauamt, ALTDOMAENE\\x"),):
        _text, problems = share_principals.translate_setting(key, value, lambda kind, name: None, domains)
        found += [Finding.of("shares.setting_principal_unmapped", share="bauamt", setting=p.setting, name=p.name,
                             reason=p.reason, resources=("bauamt", p.setting, p.name)) for p in problems]
    return found


CLIENT_FILES = [
    ("json", b'{"server": ', [{"path": "$.server"}]),
    ("json", b'{"server": 5432}', [{"path": "$.server"}]),
    ("json", b'{"server": "kommune-a-fs x"}', [{"path": "$.server"}, {"path": "$.port"}]),
    ("ini", b"[db\nserver=alt\n", [{"section": "db", "key": "server"}]),
    ("reg", b"REGEDIT4\n", [{"key": "HKCU\\A", "value": "S"}]),
    ("xml", b"<a><b>x</b", [{"xpath": "/a/b"}]),
    ("xml", b"<c><s>kommune-a-fs<b/></s></c>", [{"xpath": "/c/s"}]),
    ("yaml", b"a: [1,\n", [{"path": "$.a"}]),
    ("yaml", b"notiz: |\n  kommune-a-fs\n", [{"path": "$.notiz"}]),
]
MAPPING = {"hosts": [{"old": ["kommune-a-fs"], "new": "rz-fs"}], "shares": {}}


def client_findings() -> list[Finding]:
    found = []
    for fmt, data, selectors in CLIENT_FILES:
        try:
            FORMATS[fmt].rewrite(data, selectors, MAPPING)
        except ConfigError as err:
            found += err.findings("/etc/app.conf", kommune="kommune-a")
    return found


def other_findings() -> list[Finding]:
    details = [{"code": "acceptance_counts_expected", "passed": 5, "failed": 2, "errors": 0, "skipped": 1,
                "expected": ["test_drucker keine Drucker"]},
               {"code": "tests_failed", "tests": ["test_login", "test_share"]}, {"code": "more", "count": 3}]
    return [
        Finding.of("accounts.source_object_gone", old_name="'hmueller'", old_sid=Reason("no_sid"),
                   new_name="'ald-hmueller'", resources=("hmueller",)),
        Finding.of("accounts.fixed_name_taken", new_name="'ald-x'", source="manual", old_name="'x'",
                   holder=Reason("unknown_sid_object"), new_sid=Reason("empty"), resources=("x",)),
        Finding.of("wave.acceptance_failed", details=details, kommune="kommune-a"),
        Finding.of("wave.acceptance_missing", details=[{"code": "acceptance_no_suite", "path": "/srv/abnahme"}],
                   kommune="kommune-a"),
        Finding.of("wave.acceptance_failed", kommune="kommune-a",
                   details=[{"code": "acceptance_no_results", "path": "/srv/abnahme/k.json"}]),
        Finding.of("clients.probe_failed", variant="after", name="EWO (ewo)", kind="http", target="https://rz/x",
                   detail=Reason("probe_http_status", url="https://rz/x", got=404, status=200)),
        Finding.of("clients.probe_failed", variant="before", name="EWO (ewo)", kind="odbc", target="ewo",
                   detail=Reason("probe_not_installed", program="isql (unixODBC)")),
        Finding.of("wave.gate_closed", reasons=[Reason("incomplete"), Reason("unwaived_inhibitors")],
                   kommune="kommune-a"),
        Finding.of("accounts.invisible_characters", old_name="'hpm\u00fcller'", resources=("hpm\u00fcller",),
                   described=[Reason("invisible_in_given_name", characters=["U+200D ZERO WIDTH JOINER"]),
                              Reason("invisible_in_display_name", characters=["U+00AD SOFT HYPHEN"])]),
        Finding.of("shares.path_beyond_path_max", share="bauamt", count=1, more="", variant="preflight",
                   first=[Reason("path_problem", path="a/b", reason=Reason("path_beyond_path_max_pass", bytes=4100,
                                                                          limit=4095))]),
    ]


def test_every_reason_is_worded_in_each_language_with_the_same_arguments():
    for code, words in REASONS.items():
        assert set(words) == set(LANGUAGES), code
        fields = {lang: {n for _l, n, _s, _c in string.Formatter().parse(words[lang]) if n} for lang in LANGUAGES}
        assert fields["de"] == fields["en"], code
        assert "code" not in fields["en"], code  # the record's own field
        assert words["de"] != words["en"] or not ENGLISH.search(words["de"]), code


@pytest.mark.parametrize(("code", "args", "english", "german"), [
    ("name_reserved", {"device": "CON"}, "CON is a reserved DOS device name",
     "CON ist ein reservierter DOS-Gerätename"),
    ("sid_unnamed", {"sid": "S-1-5-21-1", "paths": 2}, "S-1-5-21-1 (unknown, 2 paths)",
     "S-1-5-21-1 (unbekannt, 2 Pfade)"),
    ("no_sid", {}, "no SID", "keine SID"),
    ("acceptance_counts", {"passed": 5, "failed": 0, "errors": 0, "skipped": 1},
     "5 passed, 0 failed, 0 errors, 1 skipped", "5 bestanden, 0 fehlgeschlagen, 0 Fehler, 1 übersprungen"),
    ("tests_failed", {"tests": ["a", "b"]}, "FAILED a; FAILED b", "FEHLGESCHLAGEN a; FEHLGESCHLAGEN b"),
    ("case_collision", {"paths": ["A/b", "A/B"]}, "collides with A/b, A/B", "kollidiert mit A/b, A/B"),
])
def test_a_reason_reads_as_its_english_sentence_and_carries_its_code(code, args, english, german):
    reason = Reason(code, **args)
    assert reason == english
    assert reason.text("de") == german
    assert phrase(json.loads(json.dumps(reason.data())), "de") == german


def test_an_unknown_reason_is_refused():
    with pytest.raises(FindingError, match="reason 'nope' is not in the catalog"):
        Reason("nope")


def test_findings_as_the_payloads_make_them_read_german_in_a_german_report(share):
    findings = [*preflight_findings(share), *principal_findings(), *client_findings(), *other_findings()]
    keys = {f.key for f in findings}
    assert len(keys) >= 18
    assert {"shares.name_reserved", "shares.sid_unmapped", "shares.setting_principal_unmapped",
            "clients.unparseable_config", "clients.endpoint_unrecognised", "clients.selector_no_match",
            "accounts.source_object_gone", "wave.acceptance_failed", "wave.gate_closed",
            "accounts.invisible_characters"} <= keys
    for finding in findings:
        german = _german(finding)
        text = _without_data(_words(german), finding)
        assert not ENGLISH.search(text), f"{finding.key}: {ENGLISH.search(text)[0]!r} in {_words(german)!r}"
        assert GERMAN.search(text), f"{finding.key}: {_words(german)!r}"
        assert localised(json.loads(json.dumps(finding.to_dict())), "en")["summary"] == finding.summary


@pytest.mark.parametrize(("finding", "german"), [
    (Finding.of("accounts.source_object_gone", old_name="'h'", old_sid=Reason("no_sid"), new_name="'ald-h'"),
     "'h' (keine SID) ist nicht mehr im alten Verzeichnis; sein Eintrag 'ald-h' bleibt erhalten und ist als gone "
     "markiert."),
    (Finding.of("shares.setting_principal_unmapped", share="b", setting="valid users", name="KOMMUNEA\\x",
                reason=Reason("no_new_user", account="x")),
     "'valid users' der Freigabe b nennt KOMMUNEA\\x: die Identitätszuordnung hat keinen neuen Benutzer für x. "
     "Der Name bleibt in der Einstellung der RZ-Freigabe, wie er war (weggelassen könnte er den Zugriff erweitern "
     "oder einschränken), und trifft dort niemanden."),
    (Finding.of("wave.acceptance_passed", kommune="k", details=[
        {"code": "acceptance_counts", "passed": 3, "failed": 0, "errors": 0, "skipped": 0}]),
     "3 bestanden, 0 fehlgeschlagen, 0 Fehler, 0 übersprungen"),
])
def test_german_summaries_word_the_data(finding, german):
    assert _german(finding)["summary"] == german


def test_every_catalog_key_renders_in_each_language_with_reasons_as_parameters():
    """Each key, every placeholder filled with a reason record and a list of them: no template
    chokes on data where it used to get text."""
    for key, entry in CATALOG.items():
        variants = [None]
        for text in entry["en"].values():
            if isinstance(text, dict):
                variants = sorted(text)
        for variant in variants:
            names = {n for lang in LANGUAGES for t in entry[lang].values()
                     for v in ([t] if isinstance(t, str) else [t[variant]])
                     for _l, n, _s, _c in string.Formatter().parse(v) if n}
            params = {n: [Reason("empty"), Reason("no_sid")] for n in names - {"kommune"}}
            finding = Finding.of(key, variant=variant, kommune="k", **params) if variant else \
                Finding.of(key, kommune="k", **params)
            german = _german(finding)
            assert "leer" in _words(german) or not params, key
            assert "empty" in _words(finding.to_dict()) or not params, key
