"""A report in German says everything in German, one in English everything in English: the
findings' parameters are data (names, paths, numbers, reasons by code), and the catalog words
them. Findings are made the way the payloads make them, taken through report.json (JSON) and
rendered as the report renders them (``localised``)."""

from __future__ import annotations

import io
import json
import os
import re
import string
import threading
from pathlib import Path

import jsonschema
import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.callback import report as report_callback
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
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import send as share_send
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import sync as share_sync
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.modules import share_sync as share_sync_module
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    WaiverError,
    read_waiver_file,
    waiver_file_finding,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.scrub import Scrubber
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import task_waivers
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps

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
    ("acceptance_not_run", {"parts": ["clients", "names"]},
     "not run: clients, names (wave_acceptance_parts); nothing of them was checked",
     "nicht ausgeführt: clients, names (wave_acceptance_parts); davon wurde nichts geprüft"),
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


# --- reasons from the source's agent, the wave's step table and the report's own errors ----------

def _skipped_by_the_sender(src) -> dict:
    """What the source's sender reports for paths that changed after the listing: a folder now a
    symlink, a file now a symlink, one gone, one a folder now (as share_send runs in the agent)."""
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    for name in ("a/f", "b/g", "weg", "datei"):
        (src / name).write_bytes(b"x")
    paths, kinds = [b"a/f", b"b/g", b"datei", b"weg"], [share_tree.FILE] * 4
    (src / "a").rename(src.parent / "a.old")
    os.symlink(src.parent / "a.old", src / "a")
    (src / "b" / "g").unlink()
    os.symlink("/etc/hostname", src / "b" / "g")
    (src / "weg").unlink()
    (src / "datei").unlink()
    (src / "datei").mkdir()
    report = io.BytesIO()
    read, write = os.pipe()
    try:
        reader = threading.Thread(target=lambda: _drain(read))
        reader.start()
        share_send.send(os.fsencode(src), share_send.request(paths, kinds), write, report)
    finally:
        os.close(write)
    reader.join()
    os.close(read)
    return share_sync.skipped_from(report.getvalue())[0]


def _drain(fd):
    while os.read(fd, 1 << 20):
        pass


def test_paths_the_agent_skipped_travel_as_codes_and_read_german_in_a_german_report(tmp_path):
    skipped = _skipped_by_the_sender(tmp_path / "src")
    assert {path: reason.data() for path, reason in skipped.items()} == {
        b"a/f": {"code": "path_in_folder", "folder": "a", "reason": {"code": "path_symlink_now"}},
        b"b/g": {"code": "path_symlink_now"}, b"weg": {"code": "path_gone"}, b"datei": {"code": "path_other_type_now"}}
    (finding,) = share_sync_module.changed_during_copy_findings("bauamt", skipped, {"kommune": "kommune-a"})
    assert "a/f (folder a: a symlink now); b/g (a symlink now); datei (of another type now); weg (gone)" \
        in finding.summary
    german = _german(finding)
    assert "a/f (Ordner a: jetzt ein Symlink); b/g (jetzt ein Symlink); datei (jetzt von anderer Art); " \
        "weg (nicht mehr vorhanden)" in german["summary"]
    text = _without_data(_words(german), finding)
    assert not ENGLISH.search(text), _words(german)


def test_the_agents_english_for_logs_is_the_catalogs():
    """share_tree cannot import the catalog (it runs in the agent); its log words must not drift."""
    assert {code: REASONS[code]["en"] for code in share_tree.CHANGED} == share_tree.CHANGED
    assert str(share_tree.PathChanged(b"a", "path_symlink_now")) == "a: a symlink now"


def test_a_rollback_names_the_steps_it_undid_in_the_reports_language():
    table = wave_steps.load()
    labels = [step.labels for step in table.phase_steps("rollback")[:3]]
    finding = Finding.of("wave.rolled_back", steps=labels, variant="keep", kommune="bergheim")
    assert finding.summary.startswith("Rolled back: names back, client configs restored, accounts created in the "
                                      "RZ removed.")
    german = _german(finding)
    assert german["summary"].startswith("Zurückgerollt: Namen zurückgestellt, Client-Konfigurationen "
                                        "wiederhergestellt, im RZ angelegte Konten entfernt.")
    schema = json.loads((Path(wave_steps.TABLE).parents[3] / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(finding.to_dict()["params"])),
                        {"$defs": schema["$defs"], "additionalProperties": {"$ref": "#/$defs/param"}})
    for step in table.steps.values():
        assert step.labels["en"] == step.label and step.labels["de"], step.id
        assert not ENGLISH.search(step.labels["de"]), step.id


def test_the_rollback_step_reports_the_labels_in_each_language():
    """roles/wave/tasks/steps/rolled_back.yml hands the table's labels over whole, not one language's."""
    tasks = yaml.safe_load((Path(wave_steps.TABLE).parents[1] / "tasks" / "steps" / "rolled_back.yml").read_text())
    (report,) = [task for task in tasks if task.get("kommunal.umzug.finding", {}).get("key") == "wave.rolled_back"]
    assert report["kommunal.umzug.finding"]["params"]["steps"] == "{{ __wave_done_labels }}"
    assert report["vars"]["__wave_done_labels"].rstrip().endswith("| map(attribute='label') | list }}")


def test_a_step_table_without_a_german_label_is_refused():
    step = {"group": "fs", "tasks": "steps/x.yml"}
    for label in ("x", {"en": "x"}, {"en": "x", "de": ""}):
        with pytest.raises(wave_steps.TableError, match="step x: label names the step in each of de, en"):
            wave_steps.parse({"__wave_phases": {}, "__wave_steps": {"x": {**step, "label": label}}})


@pytest.mark.parametrize(("content", "german"), [
    ("waivers:\n  - key: a.b\n", "Ausnahme 1 (a.b): es fehlt owner, reason, expires"),
    ("waivers: 7\n", "die Ausnahmen müssen eine Liste sein"),
    ("waivers:\n  - {key: a.b, owner: E, reason: r, expires: '31.03.2025'}\n",
     "Ausnahme 1 (a.b): expires '31.03.2025' ist kein Datum JJJJ-MM-TT"),
    ("waivers:\n  - {key: a.b, owner: E, reason: r, expires: 2999-01-01, until: x}\n",
     "Ausnahme 1 (a.b): unbekannter Schlüssel until"),
    ("waivers: [", "ungültiges YAML: "),
    (None, "die Datei kann nicht gelesen werden: "),
])
def test_a_waiver_file_that_cannot_be_used_is_worded_in_the_reports_language(tmp_path, content, german):
    path = tmp_path / "waivers.yml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(WaiverError) as caught:
        read_waiver_file(str(path))
    finding = Finding.from_dict(waiver_file_finding(str(path), caught.value))
    assert finding.summary == f"{path}: {caught.value}. No risk counts as accepted until it is fixed."
    words = _german(finding)
    assert words["summary"].startswith(f"{path}: {german}"), words["summary"]
    assert words["summary"].endswith("Bis sie korrigiert ist, gilt kein Risiko als akzeptiert.")
    assert not ENGLISH.search(_without_data(_words(words), finding)), _words(words)
    with pytest.raises(WaiverError) as named:
        task_waivers(None, str(path), lambda: None)
    assert named.value.reason.text("de").startswith(f"die Ausnahmedatei {path} ist nicht verwendbar: {german}")


@pytest.mark.parametrize(("record", "english", "german"), [
    ({"key": "x.y", "title": "t", "severity": "urgent", "payload": "shares"},
     "finding x.y: severity 'urgent' is not one of info, low, medium, high",
     "Befund x.y: Schweregrad 'urgent' ist keiner von info, low, medium, high"),
    ({"key": "x.y", "title": "t", "severity": "low"}, "finding x.y: missing field 'payload'",
     "Befund x.y: das Feld 'payload' fehlt"),
    ({"key": "Nope", "title": "t", "severity": "low", "payload": "shares"},
     "finding key 'Nope' is not a dotted lower-case key like 'shares.path_too_long'",
     "Befundschlüssel 'Nope' ist kein Schlüssel aus Kleinbuchstaben mit Punkten wie 'shares.path_too_long'"),
    ({"key": "x.y", "title": "", "severity": "low", "payload": "shares"}, "finding x.y: title is empty",
     "Befund x.y: der Titel ist leer"),
])
def test_a_finding_the_report_cannot_read_is_worded_in_the_reports_language(record, english, german):
    with pytest.raises(FindingError) as caught:
        Finding.from_dict(record)
    assert str(caught.value) == english
    finding = Finding.of("report.invalid_finding", error=caught.value.reason)
    assert finding.summary == english
    assert _german(finding)["summary"] == german


class _Builder:
    """Takes findings as the report's builder does: one it cannot read raises."""

    def __init__(self):
        self.added = []

    def add_finding(self, finding, *where):
        self.added.append(Finding.from_dict(finding).to_dict())


@pytest.mark.parametrize(("returned", "english", "german"), [
    ({"key": "x.y", "title": "t", "severity": "urgent", "payload": "shares"},
     "finding x.y: severity 'urgent' is not one of info, low, medium, high",
     "Befund x.y: Schweregrad 'urgent' ist keiner von info, low, medium, high"),
    ("x.y", "'str' object has no attribute 'get'", "'str' object has no attribute 'get'"),
])
def test_the_report_callback_words_an_unreadable_finding_from_its_reason(returned, english, german):
    callback = report_callback.CallbackModule.__new__(report_callback.CallbackModule)
    callback._builder, callback._hosts, callback._scrubber = _Builder(), {}, Scrubber()
    callback._take({"umzug_findings": [returned]}, "rz-fs", "t")
    (finding,) = callback._builder.added
    assert finding["key"] == "report.invalid_finding" and finding["summary"] == english
    assert localised(json.loads(json.dumps(finding)), "de")["summary"] == german
