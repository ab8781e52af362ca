"""kommunal.umzug.wave_estimate: the estimate from the discovered shares and the Welle's journals, and the
finding when the cut-over does not fit the window."""

import json

from ansible_collections.kommunal.umzug.plugins.action.wave_estimate import ActionModule
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import parse_window_time

DISCOVERED = {"kommune-a-fs": {"shares": [{"name": "bauamt", "files": 1200, "bytes": 30_000_000_000},
                                          {"name": "austausch", "files": 40, "bytes": 2_000_000}]},
              "kommune-a-dc": {"skipped": True}}
TRANSFER = {"compress": False, "schedule": {"default": None, "entries": [
    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "17:00", "limit": 20}]}}


def window(start: str, end: str) -> dict:
    return {"start": parse_window_time(start).isoformat(), "end": parse_window_time(end).isoformat(),
            "timezone": "Europe/Berlin"}


def args(tmp_path, **extra) -> dict:
    return {"kommune": "kommune-a", "wave": "1", "journal_dir": str(tmp_path), "discovered": DISCOVERED,
            "link": {"bandwidth": 100, "latency": 20}, "transfer": TRANSFER,
            "window": window("2026-03-14 18:00", "2026-03-16 06:00")} | extra


def write_journal(tmp_path, kommune: str, phases: dict) -> None:
    folder = tmp_path / "wave-1"
    folder.mkdir(exist_ok=True)
    (folder / f"{kommune}.json").write_text(json.dumps({"schema_version": 1, "phases": phases, "history": []}))


def test_the_estimate_reads_the_discovered_shares_of_every_host(run_action, tmp_path):
    result = run_action(ActionModule, args(tmp_path), check=True)
    estimate = result["umzug_estimate"]
    assert (estimate["inputs"]["shares"], estimate["inputs"]["files"], estimate["inputs"]["bytes"]) == (
        2, 1240, 30_002_000_000)
    assert estimate["inputs"]["throughput"]["source"] == "link"
    assert estimate["cutover"]["fits"] is True
    assert result["umzug_findings"] == [] and result["changed"] is False


def test_another_kommunes_passes_measure_the_throughput(run_action, tmp_path):
    heavy = {"share": "daten", "pass": "seed", "bytes": 5_000_000_000, "files": 100, "paths": 120,
             "seconds": 620.0, "transfer": [{"limit_bytes_per_s": 12_500_000, "bytes": 5_000_000_000,
                                             "seconds": 600.0}]}
    write_journal(tmp_path, "kommune-b", {"seed": [
        {"step": "shares_seed@kommune-b-fs", "at": "2026-01-05T20:00:00+00:00", "run": "r",
         "record": {"passes": [heavy]}}]})
    throughput = run_action(ActionModule, args(tmp_path))["umzug_estimate"]["inputs"]["throughput"]
    assert throughput["source"] == "wave"
    assert throughput["limit_share"] == round(5_000_000_000 / 600 / 12_500_000, 3)


def test_the_plans_compress_reaches_the_model(run_action, tmp_path):
    plain = run_action(ActionModule, args(tmp_path))["umzug_estimate"]["inputs"]["wire_share"]
    assert plain == {"compress": False, "source": None, "value": 1.0}
    compressed = run_action(ActionModule, args(tmp_path, transfer=dict(TRANSFER, compress=True)))
    assert compressed["umzug_estimate"]["inputs"]["wire_share"]["compress"] is True


def test_the_discovered_sample_gives_a_compressed_kommunes_wire_share(run_action, tmp_path):
    sampled = {"kommune-a-fs": {"shares": [
        {"name": "bauamt", "files": 1200, "bytes": 30_000_000_000,
         "wire_sample": {"codec": "zstd", "sampled_bytes": 8_388_608, "wire_bytes": 2_516_582}}]}}
    result = run_action(ActionModule, args(tmp_path, discovered=sampled, transfer=dict(TRANSFER, compress=True)))
    assert result["umzug_estimate"]["inputs"]["wire_share"] == {"compress": True, "source": "sample", "value": 0.3}


def test_a_window_too_short_is_an_inhibitor_with_the_numbers(run_action, tmp_path):
    result = run_action(ActionModule, args(tmp_path, window=window("2026-03-14 18:00", "2026-03-14 18:02")))
    (finding,) = result["umzug_findings"]
    assert finding["key"] == "wave.window_too_short" and finding["inhibitor"] is True
    assert finding["kommune"] == "kommune-a" and finding["resources"] == ["kommune-a"]
    assert finding["params"]["window"] == "2 min 0 s"
    assert "2026-03-14 18:00 to 2026-03-14 18:02 (Europe/Berlin) is 2 min 0 s long" in finding["summary"]
    assert Finding.from_dict(finding).key == "wave.window_too_short"
    assert result["umzug_estimate"]["cutover"]["fits"] is False


def test_the_seed_start_is_a_plan_time_or_iso_and_nothing_else(run_action, tmp_path):
    seed = run_action(ActionModule, args(tmp_path, seed_start="2026-03-06 18:00"))["umzug_estimate"]["seed"]
    assert (seed["start"], seed["start_source"]) == ("2026-03-06T18:00:00+01:00", "option")
    refused = run_action(ActionModule, args(tmp_path, seed_start="Freitag abend"), fails=True)
    assert "wave_estimate_seed_start 'Freitag abend' is not a time" in refused["msg"]


def test_an_unknown_setting_fails_with_its_name(run_action, tmp_path):
    refused = run_action(ActionModule, args(tmp_path, settings={"bandbreite": 10}), fails=True)
    assert "'bandbreite' is not a setting of the estimate" in refused["msg"]


def test_an_unreadable_journal_is_a_warning_not_a_failure(run_action, tmp_path):
    (tmp_path / "wave-1").mkdir()
    (tmp_path / "wave-1" / "kommune-c.json").write_text("{not json")
    result = run_action(ActionModule, args(tmp_path))
    assert result["warnings"][0].startswith("journal not read for the estimate:")
