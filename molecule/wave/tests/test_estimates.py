"""The dry runs' estimates (docs/wave.md "Estimates"): side_effect runs one dry run before the
seed and one after it. Each report's estimate is checked against what it must follow from:
the files and bytes on the Kommune's file server, the plan's link and schedule, the journals'
passes, the window (Kommune B's is one minute: wave.window_too_short, waived), and for Kommune A,
whose passes are compressed, what zstd -3 makes of its shares' content."""

import json
import os
import statistics
from datetime import datetime
from pathlib import Path

import pytest
import testinfra

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, load_plan
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.estimate import DEFAULTS, MEASURE_MIN_SECONDS

PLAN = inventory_model(load_plan(Path(__file__).resolve().parents[1] / "inventory" / "wave.umzug.yml"))
STATE = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "artifacts" / "molecule" / "wave"
KOMMUNEN = ("kommune-a", "kommune-b")
BEFORE_SEED, AFTER_SEED = 0, 1


def host_of(kommune_id, role):
    group = "kommune_" + kommune_id.split("-", 1)[1]
    return next(h for h in PLAN.groups[group]["hosts"] if h in PLAN.groups[role]["hosts"])


def context(kommune_id):
    return PLAN.hostvars[host_of(kommune_id, "fs")]["umzug_kommune"]


def dry_runs():
    """The scenario's dry-run reports, in the order they ran (run ids sort by time)."""
    # each run's own folder, not the links latest and latest-dry-run to them
    paths = sorted(path for path in (STATE / "reports").glob("*/report.json") if not path.parent.is_symlink())
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    return [report for report in reports if report["run"]["check_mode"]]


def estimate(run, kommune_id):
    return next(k for k in dry_runs()[run]["kommunen"] if k["id"] == kommune_id)["estimate"]


def journal(kommune_id):
    return json.loads((STATE / "journal" / "wave-1" / f"{kommune_id}.json").read_text(encoding="utf-8"))


def seed_passes(kommune_id):
    return [item for entry in journal(kommune_id)["phases"]["seed"] if entry["step"].startswith("shares_seed@")
            for item in entry["record"]["passes"]]


def wire_rate(limit, bandwidth):
    """Bytes/s of a pass: the limit in force (the limiter keeps it), at most what the link carries."""
    carried = rate.mbit_to_bytes(bandwidth) * DEFAULTS["efficiency"]
    return carried if limit is None else min(rate.mbit_to_bytes(limit), carried)


@pytest.fixture(scope="module")
def lab_host(request):
    inventory = request.config.option.ansible_inventory
    return lambda name: testinfra.get_host(f"ansible://{name}", ansible_inventory=inventory)


def test_both_dry_runs_have_an_estimate_for_each_kommune():
    assert len(dry_runs()) == 2
    for run in (BEFORE_SEED, AFTER_SEED):
        for kommune_id in KOMMUNEN:
            inputs = estimate(run, kommune_id)["inputs"]
            assert inputs["shares"] == len(inputs["by_share"]) > 0
            assert inputs["files"] == sum(share["files"] for share in inputs["by_share"])
            assert inputs["bytes"] == sum(share["bytes"] for share in inputs["by_share"])


@pytest.mark.parametrize("kommune_id", KOMMUNEN)
def test_the_sizes_are_those_on_the_kommunes_file_server(lab_host, kommune_id):
    """What the estimate counted per share is what the share's folder holds: its files and their bytes."""
    fs = lab_host(host_of(kommune_id, "fs"))
    for share in estimate(BEFORE_SEED, kommune_id)["inputs"]["by_share"]:
        path = fs.check_output("testparm -s --section-name=%s --parameter-name=path 2>/dev/null", share["name"])
        sizes = [int(size) for size in fs.check_output("find %s -type f -printf '%%s\\n'", path).split()]
        assert (share["files"], share["bytes"]) == (len(sizes), sum(sizes)), share["name"]
    before, after = (estimate(run, kommune_id)["inputs"]["by_share"] for run in (BEFORE_SEED, AFTER_SEED))
    assert after == before


@pytest.mark.parametrize("kommune_id", KOMMUNEN)
def test_the_seed_copied_the_bytes_and_files_the_estimate_counted(kommune_id):
    """The seed onto empty shares copies all of each share: its journal record against the estimate."""
    copied = {item["share"]: (item["files"], item["bytes"]) for item in seed_passes(kommune_id)}
    counted = {s["name"]: (s["files"], s["bytes"]) for s in estimate(BEFORE_SEED, kommune_id)["inputs"]["by_share"]}
    assert {name: value[1] for name, value in copied.items()} == {name: value[1] for name, value in counted.items()}
    # files: the pass counts its own work (a hard link's names, say), so only that it copied some
    assert all(copied[name][0] > 0 for name in counted if counted[name][0])


def test_the_seed_walks_kommune_as_schedule_within_its_link():
    """Kommune A: 100 Mbit/s, 50 in office hours; each stretch of the walk at the limit then in force."""
    plan = context("kommune-a")
    for run in (BEFORE_SEED, AFTER_SEED):
        result = estimate(run, "kommune-a")
        assert result["inputs"]["link"] == {"bandwidth": 100, "latency": 20, "assumed_bandwidth": None}
        assert result["inputs"]["throughput"]["source"] == "link"
        assert result["seed"]["start_source"] == "now"
        stretches = result["seed"]["stretches"]
        moved = sum(stretch["bytes"] for stretch in stretches)
        # compressed: the bytes on the wire
        wire = result["inputs"]["bytes"] * result["inputs"]["wire_share"]["value"]
        assert moved == pytest.approx(wire, abs=len(stretches))
        for stretch in stretches:
            limit = rate.limit_at(plan["transfer"]["schedule"], datetime.fromisoformat(stretch["start"]))
            assert stretch["limit_mbit"] == limit
            assert stretch["seconds"] == pytest.approx(stretch["bytes"] / wire_rate(limit, 100), abs=0.1)
        assert result["seed"]["parts"]["data"] == pytest.approx(sum(s["seconds"] for s in stretches), abs=0.2)


def test_without_a_link_the_estimate_assumes_a_lan_and_says_so():
    result = estimate(BEFORE_SEED, "kommune-b")
    assert result["inputs"]["link"] == {"bandwidth": None, "latency": None, "assumed_bandwidth": 1000.0}
    assert result["inputs"]["schedule"] is None
    assert result["seed"]["parts"]["data"] == pytest.approx(result["inputs"]["bytes"] / wire_rate(None, 1000), abs=0.1)


@pytest.mark.parametrize("kommune_id", KOMMUNEN)
def test_before_the_seed_every_input_is_the_link_or_a_default(kommune_id):
    inputs = estimate(BEFORE_SEED, kommune_id)["inputs"]
    assert inputs["throughput"]["source"] == "link"
    assert inputs["share_seconds"] == {"source": "default", "seconds": DEFAULTS["share_seconds"]}
    assert inputs["daily_change"]["source"] == "default"
    steps = estimate(BEFORE_SEED, kommune_id)["cutover"]["steps"]
    assert {step["source"] for step in steps.values()} == {"default"}


@pytest.mark.parametrize("kommune_id", KOMMUNEN)
def test_after_the_seed_its_passes_measure_the_cost_per_share_not_the_throughput(kommune_id):
    """The lab's shares are a few MB: too little to measure a throughput (the link's is used), enough
    to measure what a share's pass costs besides its data."""
    passes = seed_passes(kommune_id)
    result = estimate(AFTER_SEED, kommune_id)
    assert sorted(item["share"] for item in passes) == sorted(s["name"] for s in result["inputs"]["by_share"])
    link = rate.mbit_to_bytes((context(kommune_id)["link"] or {}).get("bandwidth") or 1000)
    assert all(item["bytes"] / link < MEASURE_MIN_SECONDS for item in passes)
    assert result["inputs"]["throughput"]["source"] == "link"
    # the time each share's pass took the Welle, its start and following included
    assert all(item["wall_seconds"] >= item["seconds"] > 0 for item in passes)
    fixed = [item["wall_seconds"] - item["files"] * DEFAULTS["file_seconds"]
             - item["bytes"] / (link * DEFAULTS["efficiency"]) for item in passes]
    measured = round(max(statistics.median(fixed), 0), 2)
    assert result["inputs"]["share_seconds"] == {"source": "kommune", "seconds": measured}
    # passes minutes apart say nothing of a day's changes
    assert result["inputs"]["daily_change"]["source"] == "default"


@pytest.mark.parametrize("kommune_id", KOMMUNEN)
def test_the_final_pass_is_a_typical_days_share_of_the_data(kommune_id):
    result = estimate(AFTER_SEED, kommune_id)
    change = result["inputs"]["daily_change"]
    assert result["final_sync"]["bytes"] == round(result["inputs"]["bytes"] * change["bytes_percent"] / 100)
    assert result["final_sync"]["files"] == round(result["inputs"]["files"] * change["files_percent"] / 100)
    window_start = datetime.fromisoformat(context(kommune_id)["window"]["start"])
    assert datetime.fromisoformat(result["final_sync"]["start"]) >= window_start


def test_kommune_as_cutover_fits_its_window():
    for run in (BEFORE_SEED, AFTER_SEED):
        cutover = estimate(run, "kommune-a")["cutover"]
        assert cutover["window_seconds"] == 48 * 3600 and cutover["fits"] is True
        kommune = next(k for k in dry_runs()[run]["kommunen"] if k["id"] == "kommune-a")
        assert "wave.window_too_short" not in [f["key"] for f in kommune["findings"]]


@pytest.mark.parametrize("kommune_id", KOMMUNEN)
def test_the_downtime_is_the_cutover_but_the_acceptance_run_after_service_resumed(kommune_id):
    for run in (BEFORE_SEED, AFTER_SEED):
        cutover = estimate(run, kommune_id)["cutover"]
        downtime = cutover["downtime"]
        assert downtime["after"] == ["acceptance"]
        assert downtime["steps"] == ["final_sync", *[name for name in cutover["steps"] if name != "acceptance"]]
        assert downtime["seconds"] == pytest.approx(cutover["seconds"] - cutover["steps"]["acceptance"]["seconds"],
                                                    abs=0.2)


def test_kommune_bs_one_minute_window_is_too_short_an_inhibitor_waived_by_the_scenario():
    for run in (BEFORE_SEED, AFTER_SEED):
        kommune = next(k for k in dry_runs()[run]["kommunen"] if k["id"] == "kommune-b")
        cutover = kommune["estimate"]["cutover"]
        assert cutover["window_seconds"] == 60 and cutover["fits"] is False
        assert cutover["seconds"] > 60
        (finding,) = [f for f in kommune["findings"] if f["key"] == "wave.window_too_short"]
        assert finding["inhibitor"] is True and finding["severity"] == "high"
        assert finding["waiver"]["owner"] == "Molecule scenario wave"
        assert "2025-03-21 18:00 to 2025-03-21 18:01 (Europe/Berlin) is 1 min 0 s long" in finding["summary"]
        assert "waived_inhibitors" in kommune["reasons"] and kommune["verdict"] != "no_go"


def zstd_share(fs, path):
    """zstd -3's bytes of all of a share's files one after another, and their bytes."""
    files = "find %s -type f -print0 | sort -z"
    size = int(fs.check_output(f"{files} | xargs -0 -r cat | zstd -{share_wire.ZSTD_LEVEL} -q -c | wc -c", path))
    content = int(fs.check_output(f"{files} | xargs -0 -r cat | wc -c", path))
    return size, content


def test_a_compressed_kommunes_estimate_takes_the_wire_share_its_shares_sample_found(lab_host):
    """Kommune A's passes are compressed, and its seed moves too little to measure what that
    saves (the lab's shares are a few MB): both dry runs take discovery's sample of its shares,
    compressed with zstd -3 on its file server. Against zstd -3 of each share's whole content
    (the sample reads all of a share up to 8 MiB; bauamt's 8 MiB sparse image, zeros, shrinks
    to nothing either way), weighted by the shares' bytes: well below 1 with the office files."""
    fs = lab_host(host_of("kommune-a", "fs"))
    inputs = estimate(BEFORE_SEED, "kommune-a")["inputs"]
    weighted = 0.0
    for share in inputs["by_share"]:
        path = fs.check_output("testparm -s --section-name=%s --parameter-name=path 2>/dev/null", share["name"])
        size, content = zstd_share(fs, path)
        assert content == share["bytes"], share["name"]
        weighted += share["bytes"] * size / max(content, 1)
    expected = weighted / inputs["bytes"]
    assert 0.05 < expected < 0.5
    for run in (BEFORE_SEED, AFTER_SEED):
        wire = estimate(run, "kommune-a")["inputs"]["wire_share"]
        assert (wire["compress"], wire["source"]) == (True, "sample")
        assert wire["value"] == pytest.approx(expected, abs=0.02)
    # the seed was compressed, and moved too little for its passes to say more than the sample
    passes = seed_passes("kommune-a")
    assert {item["codec"] for item in passes if item["bytes"]} == {"zstd"}
    assert all(item["bytes"] / rate.mbit_to_bytes(100) < MEASURE_MIN_SECONDS for item in passes)


def test_an_uncompressed_kommune_puts_every_byte_of_content_on_the_wire():
    for run in (BEFORE_SEED, AFTER_SEED):
        assert estimate(run, "kommune-b")["inputs"]["wire_share"] == {"compress": False, "source": None, "value": 1.0}


def test_the_terminal_summary_of_the_dry_run_states_the_estimates():
    log = (STATE / "dryrun-after-seed.log").read_text(encoding="utf-8")
    assert "Schätzung kommune-a: Erster Kopierlauf " in log and ", passt in das Fenster" in log
    assert "Schätzung kommune-b: Erster Kopierlauf " in log and ", passt nicht in das Fenster" in log
    # Kommune A's passes are compressed: its line names the wire share and where it came from
    value = estimate(AFTER_SEED, "kommune-a")["inputs"]["wire_share"]["value"]
    lines = [line for line in log.splitlines() if "Schätzung kommune-a:" in line]
    assert lines and all(f"komprimiert auf der Leitung je Byte: {value} (Stichprobe der Freigaben, komprimiert "
                         "gemessen)" in line for line in lines)
    assert not any("komprimiert" in line for line in log.splitlines() if "Schätzung kommune-b:" in line)


def test_the_cutovers_final_pass_recorded_what_it_measured():
    (entry,) = [e for e in journal("kommune-a")["phases"]["cutover"] if e["step"].startswith("final_sync@")]
    assert {item["pass"] for item in entry["record"]["passes"]} == {"final"}
    assert all(item["seconds"] > 0 for item in entry["record"]["passes"])
