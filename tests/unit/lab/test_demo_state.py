"""lab/demo_state.py --verdicts: the dry run's verdict per Kommune and its unwaived inhibitors."""

import json
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(TOP / "lab"))
import demo_state  # noqa: E402  (lab/ is a folder of tools, not a package)


def finding(key, waiver=None):
    return {"key": key, "inhibitor": True, "waiver": waiver}


def test_a_waived_inhibitor_is_not_named_as_blocking(tmp_path, capsys):
    """The report marks an accepted finding with its waiver (report_model.apply_waivers)."""
    waiver = {"key": "clients.pinned_certificate_changed", "owner": "umzug lab (make demo)"}
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"kommunen": [
        {"id": "kommune-a", "verdict": "go_with_accepted_risks",
         "findings": [finding("clients.pinned_certificate_changed", waiver)]},
        {"id": "kommune-b", "verdict": "no_go", "findings": [finding("shares.path_too_long")]}]}))
    assert demo_state.verdicts(str(report)) == 0
    assert capsys.readouterr().out.splitlines() == ["   kommune-a: GO-WITH-ACCEPTED-RISKS",
                                                    "   kommune-b: NO-GO (shares.path_too_long)"]
