"""The report callback in real ansible-playbook runs against this machine (connection: local)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BIN = Path(sys.executable).parent
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
VAULT_PASSWORD = "vault-pass-for-tests"
VAULTED_VALUE = "Vaulted-S3cret-4242"
SECRETS = [
    "Plain-Pa55word-xyz",
    VAULTED_VALUE,
    "NoLogSecret-777",
    "Hunter2Hunter2",
    "$6$saltsalt$abcdefghijklmnopqrstuv",
    "8846f7eaee8fb117ad06bdd830b7586c",
    VAULT_PASSWORD,
]


class Lab:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.reports = tmp / "reports"
        self.waivers = tmp / "waivers.yml"
        self.waivers.write_text(
            "waivers:\n"
            "  - key: shares.path_too_long\n    kommune: bergheim\n    owner: Erika Muster\n"
            "    reason: Ticket 4711\n    expires: 2999-12-31\n"
            "  - key: accounts.name_collision\n    owner: Max Beispiel\n"
            "    reason: old\n    expires: 2001-01-01\n"
        )
        self.vault_file = tmp / "vault-password"
        self.vault_file.write_text(VAULT_PASSWORD)
        encrypted = subprocess.run(
            [
                str(BIN / "ansible-vault"),
                "encrypt_string",
                "--vault-password-file",
                str(self.vault_file),
                VAULTED_VALUE,
                "--name",
                "vaulted_secret",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        self.vars_file = tmp / "vault-vars.yml"
        self.vars_file.write_text(encrypted)

    def env(self, **extra):
        return {
            **os.environ,
            "ANSIBLE_CALLBACKS_ENABLED": "kommunal.umzug.report",
            "UMZUG_REPORT_DIR": str(self.reports),
            "UMZUG_WAIVER_FILE": str(self.waivers),
            "ANSIBLE_NOCOLOR": "1",
            **extra,
        }

    def command(self, playbook: str, *args: str) -> list[str]:
        return [
            str(BIN / "ansible-playbook"),
            "-i",
            str(FIXTURES / "local.umzug.yml"),
            str(FIXTURES / playbook),
            "--vault-password-file",
            str(self.vault_file),
            "-e",
            f"@{self.vars_file}",
            *args,
        ]

    def run(self, playbook: str, *args: str, **env) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(playbook, *args),
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def latest(self, name: str = "latest") -> tuple[dict, str]:
        folder = self.reports / name
        return json.loads((folder / "report.json").read_text()), (folder / "report.html").read_text()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return Lab(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def first_dry_run(lab):
    result = lab.run("dry-run.yml", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    report, html = lab.latest("latest-dry-run")
    return result, report, html


def kommune(report, ident):
    return next(k for k in report["kommunen"] if k["id"] == ident)


def test_report_json_fits_the_schema(first_dry_run):
    jsonschema.validate(first_dry_run[1], SCHEMA)


def test_dry_run_is_marked_and_complete(first_dry_run):
    _, report, html = first_dry_run
    assert report["run"]["check_mode"] is True
    assert report["run"]["complete"] is True
    assert report["run"]["playbooks"] == ["tests/unit/plugins/callback/fixtures/dry-run.yml"]
    assert len(report["run"]["plan_hashes"]) == 1
    assert 'id="dry-run"' in html and "PROBELAUF" in html


def test_verdicts_follow_inhibitors_and_waivers(first_dry_run):
    _, report, _ = first_dry_run
    altdorf, bergheim = kommune(report, "altdorf"), kommune(report, "bergheim")
    assert (altdorf["verdict"], altdorf["reasons"]) == ("no_go", ["unwaived_inhibitors"])
    assert (bergheim["verdict"], bergheim["reasons"]) == (
        "go_with_accepted_risks",
        ["waived_inhibitors", "high_findings"],
    )
    assert bergheim["counts"]["waived_inhibitors"] == 1
    assert report["summary"]["verdicts"] == {"go": 0, "go_with_accepted_risks": 1, "no_go": 1}
    assert [{k: w[k] for k in ("wave", "kommunen")} for w in report["waves"]] == [
        {"wave": 7, "kommunen": ["altdorf", "bergheim"]}]


def test_each_kommunes_window_from_the_plan_and_the_waves_timeline(first_dry_run):
    """The windows of the plan (fixtures/local.umzug.yml), in local time as the plan writes them."""
    _, report, html = first_dry_run
    assert kommune(report, "altdorf")["window"] == {
        "start": "2025-03-14 18:00", "end": "2025-03-16 18:00", "timezone": "Europe/Berlin", "hours": 48.0}
    assert [(w["kommune"], w["start"], w["overlaps"]) for w in report["waves"][0]["timeline"]] == [
        ("altdorf", "2025-03-14 18:00", []), ("bergheim", "2025-03-21 18:00", [])]
    assert "Fenster: 2025-03-14 18:00 \u2013 2025-03-16 18:00 (Europe/Berlin, 48 h)" in html


def test_findings_go_to_the_hosts_kommune_and_rz_findings_to_general(first_dry_run):
    _, report, _ = first_dry_run
    keys = {k["id"]: sorted(f["key"] for f in k["findings"]) for k in report["kommunen"]}
    assert keys == {
        "altdorf": ["accounts.name_collision", "report.waiver_expired", "shares.path_too_long"],
        "bergheim": ["accounts.weak_hash", "shares.path_too_long"],
    }
    assert [f["key"] for f in report["general"]["findings"]] == ["shares.quota_ok"]
    assert report["general"]["findings"][0]["host"] == "rz-dc"


def test_expired_waiver_is_a_finding_and_does_not_waive(first_dry_run):
    _, report, _ = first_dry_run
    altdorf = kommune(report, "altdorf")
    collision = next(f for f in altdorf["findings"] if f["key"] == "accounts.name_collision")
    assert collision["waiver"] is None
    expired = next(f for f in altdorf["findings"] if f["key"] == "report.waiver_expired")
    assert expired["resources"] == ["accounts.name_collision"]
    assert [w["status"] for w in report["waivers"]] == ["active", "expired"]


def test_terminal_summary_names_each_verdict(first_dry_run):
    stdout = first_dry_run[0].stdout
    assert "UMZUG REPORT" in stdout
    assert "NO-GO" in stdout and "altdorf" in stdout
    assert "GO mit akzeptierten Risiken" in stdout


def test_no_secret_enters_the_report(first_dry_run, lab):
    _, report, html = first_dry_run
    text = json.dumps(report) + html
    for folder in lab.reports.rglob("*.json"):
        text += folder.read_text()
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []
    assert report["withheld_results"] == 2
    collision = next(
        f for f in kommune(report, "altdorf")["findings"] if f["key"] == "accounts.name_collision"
    )
    assert collision["summary"] == "Admin password is ********, vault says ********"
    assert collision["remediation"]["text"] == "samba-tool user setpassword x --newpassword=********"


def test_second_dry_run_lists_what_changed(first_dry_run, lab):
    result = lab.run("dry-run.yml", "--check", "-e", "fixed=true")
    assert result.returncode == 0, result.stdout + result.stderr
    report, html = lab.latest("latest-dry-run")
    since = kommune(report, "altdorf")["since_previous"]
    assert since["previous_run"] == first_dry_run[1]["run"]["id"]
    assert (since["new"], since["resolved"], since["changed"]) == (1, 1, 0)
    assert (since["new_keys"], since["resolved_keys"]) == (["shares.acl_unmapped"], ["shares.path_too_long"])
    assert "neu 1, behoben 1, geändert 0" in html
    assert kommune(report, "bergheim")["since_previous"]["new"] == 0
    assert kommune(report, "altdorf")["verdict"] == "go"


def test_english_report(lab, first_dry_run):
    result = lab.run("dry-run.yml", "--check", UMZUG_REPORT_LANGUAGE="en")
    assert result.returncode == 0, result.stderr
    _, html = lab.latest()
    assert "DRY RUN (--check)" in html and 'lang="en"' in html


def test_gate_fails_on_unwaived_inhibitors_and_passes_accepted_risks(lab, first_dry_run):
    report_path = lab.reports / first_dry_run[1]["run"]["id"] / "report.json"
    result = lab.run("gate.yml", "-e", f"report={report_path}", "-e", f"waiver_file={lab.waivers}", "--check")
    assert result.returncode == 2, result.stdout
    assert "NO-GO for altdorf in " in result.stdout
    assert "unwaived inhibitors shares.path_too_long" in result.stdout
    gate_report, _ = lab.latest()
    assert [f["key"] for f in kommune(gate_report, "bergheim")["findings"]] == ["wave.gate_open"]
    assert "wave.gate_closed" in [f["key"] for f in kommune(gate_report, "altdorf")["findings"]]


def test_sigterm_marks_the_run_incomplete_and_no_go(lab):
    marker = lab.tmp / "sleeping"
    process = subprocess.Popen(
        lab.command("sleep.yml", "-e", f"marker={marker}"),
        cwd=ROOT,
        env=lab.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == -signal.SIGTERM
    report, html = lab.latest()
    assert report["run"]["complete"] is False
    assert report["run"]["interruptions"] == [{"kind": "signal", "detail": "SIGTERM", "host": None}]
    assert kommune(report, "altdorf")["verdict"] == "no_go"
    assert 'id="incomplete"' in html


def test_unreachable_host_marks_the_run_incomplete(lab):
    result = lab.run(
        "dry-run.yml",
        "--check",
        "--limit",
        "bergheim-fs",
        "-e",
        "ansible_connection=ssh",
        "-e",
        "ansible_host=127.0.0.1",
        "-e",
        "ansible_port=9",
        "-e",
        "ansible_ssh_retries=0",
    )
    assert result.returncode == 4, result.stdout
    report, _ = lab.latest()
    assert report["run"]["complete"] is False
    assert report["run"]["interruptions"][0]["kind"] == "unreachable"
    assert kommune(report, "bergheim")["verdict"] == "no_go"
    assert report["run"]["limit"] == "bergheim-fs"
