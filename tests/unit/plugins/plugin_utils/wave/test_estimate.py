"""The estimate model: the schedule walked over time, measured against default throughput, the fit."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import parse_window_time
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import estimate as model
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import Window

BERLIN = ZoneInfo("Europe/Berlin")
LINK = {"bandwidth": 100, "latency": 20}
# Office hours throttled to 20 Mbit/s, the rest of the week the link's full 100.
OFFICE = {"default": None, "entries": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00",
                                        "end": "17:00", "limit": 20}]}
# Weekdays 10 Mbit/s all day, the weekend 50.
WEEKDAYS = {"default": 50, "entries": [{"days": ["mon-fri"], "start": "00:00", "end": "24:00", "limit": 10}]}
DEFAULT = {"efficiency": model.DEFAULTS["efficiency"], "limit_share": 1.0, "ceiling_bytes_per_s": None}


def berlin(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


def per_second(mbit: float, share: float = 1.0) -> float:
    """A limit's bytes/s: umzug's limiter keeps it (times the share of it passes reached)."""
    return rate.mbit_to_bytes(mbit) * share


def link_per_second(mbit: float = 100) -> float:
    """What the link carries: its bandwidth times the efficiency."""
    return rate.mbit_to_bytes(mbit) * model.DEFAULTS["efficiency"]


def window(start: str, end: str) -> Window:
    return Window.of({"start": parse_window_time(start).isoformat(), "end": parse_window_time(end).isoformat(),
                      "timezone": "Europe/Berlin"})


def journal(*entries, phase="seed", history=()) -> dict:
    return {"schema_version": 1, "phases": {phase: list(entries)} if entries else {}, "history": list(history),
            "refused": [], "finalized": None}


def seed_entry(at: str, passes: list[dict], step="shares_seed@kommune-a-fs", run="r1") -> dict:
    return {"step": step, "at": at, "run": run, "record": {"passes": passes}}


# --- the schedule walked over time -----------------------------------------------------------

def test_the_walk_changes_its_rate_where_the_limit_changes():
    """Friday 16:00: one hour at 20 Mbit/s, then the link's 100 from 17:00."""
    nbytes = per_second(20) * 3600 + link_per_second() * 3600
    result = model.walk(berlin("2026-01-09 16:00"), nbytes, OFFICE, LINK, DEFAULT)
    assert result["end"] == berlin("2026-01-09 18:00")
    assert [(s["limit_mbit"], s["seconds"]) for s in result["stretches"]] == [(20, 3600.0), (None, 3600.0)]
    assert sum(s["bytes"] for s in result["stretches"]) == pytest.approx(nbytes, abs=2)


def test_the_walk_runs_through_a_weekend_at_the_weekend_limit():
    """Friday 20:00: four hours at 10, the weekend (48 h) at 50, Monday on at 10 again."""
    friday, weekend, monday = per_second(10) * 4 * 3600, per_second(50) * 48 * 3600, per_second(10) * 2 * 3600
    result = model.walk(berlin("2026-01-09 20:00"), friday + weekend + monday, WEEKDAYS, LINK, DEFAULT)
    assert [s["limit_mbit"] for s in result["stretches"]] == [10, 50, 10]
    assert [s["seconds"] for s in result["stretches"]] == [4 * 3600.0, 48 * 3600.0, 2 * 3600.0]
    assert result["end"] == berlin("2026-01-12 02:00")


def test_a_limit_above_the_link_moves_at_the_link():
    schedule = {"default": 500, "entries": []}
    result = model.walk(berlin("2026-01-09 20:00"), link_per_second() * 60, schedule, LINK, DEFAULT)
    assert result["stretches"][0]["seconds"] == 60.0


def test_the_walk_keeps_the_hour_of_the_change_to_summer_time():
    """29 March 2026 has 23 hours: from Saturday 12:00 to Sunday 12:00 is 23 h of data."""
    schedule = {"default": 100, "entries": []}
    result = model.walk(berlin("2026-03-28 12:00"), link_per_second() * 23 * 3600, schedule, LINK, DEFAULT)
    assert result["end"] == berlin("2026-03-29 12:00")


def test_without_a_schedule_the_limit_never_changes():
    assert model.next_change(None, berlin("2026-01-09 12:00")) is None
    assert model.next_change(OFFICE, berlin("2026-01-09 12:00")) == berlin("2026-01-09 17:00")
    assert model.next_change(OFFICE, berlin("2026-01-09 18:00")) == berlin("2026-01-12 07:00")


# --- measured or default throughput ----------------------------------------------------------

HEAVY = {"share": "bauamt", "pass": "seed", "bytes": 2_000_000_000, "files": 1000, "paths": 1100, "seconds": 1020.0,
         "transfer": [{"limit_bytes_per_s": 2_500_000, "bytes": 2_000_000_000, "seconds": 1000.0,
                       "rate_bytes_per_s": 2_500_000 * 0.8}]}
SMALL = {"share": "austausch", "pass": "seed", "bytes": 4000, "files": 10, "paths": 12, "seconds": 3.02,
         "transfer": []}
SHARES = [model.Share("bauamt", 1000, 2_000_000_000, "kommune-a-fs"),
          model.Share("austausch", 10, 4000, "kommune-a-fs")]


def run(own=None, others=(), **kwargs) -> dict:
    args = {"shares": SHARES, "link": LINK, "schedule": None, "window": window("2026-03-13 18:00", "2026-03-15 18:00"),
            "own_journal": own, "wave_journals": list(others), "now": berlin("2026-01-09 20:00")}
    return model.estimate(**(args | kwargs))


@pytest.mark.parametrize("own, others, source, share", [
    (journal(seed_entry("2026-01-05T20:00:00+00:00", [HEAVY])), [], "kommune", 0.8),
    (None, [journal(seed_entry("2026-01-05T20:00:00+00:00", [HEAVY]))], "wave", 0.8),
    (journal(seed_entry("2026-01-05T20:00:00+00:00", [SMALL])), [], "link", 1.0),
    (None, [], "link", 1.0),
])
def test_the_throughput_comes_from_the_kommune_else_the_wave_else_the_link(own, others, source, share):
    """Under a limit of 50 Mbit/s the pass moves at the share of it the measured passes reached."""
    result = run(own, others, schedule={"default": 50, "entries": []})
    assert result["inputs"]["throughput"]["source"] == source
    assert result["inputs"]["throughput"]["limit_share"] == share
    data = result["seed"]["parts"]["data"]
    assert data == pytest.approx(2_000_004_000 / per_second(50, share), abs=0.1)
    # without a limit, what the link carries
    assert run(own, others)["seed"]["parts"]["data"] == pytest.approx(2_000_004_000 / link_per_second(), abs=0.1)


def test_a_measured_pass_without_a_limit_is_a_ceiling():
    # The sync's own seconds: the listing of its 1100 paths, then the stream.
    unlimited = dict(HEAVY, transfer=[], seconds=1100 * model.DEFAULTS["list_file_seconds"] + 200.0)
    result = run(journal(seed_entry("2026-01-05T20:00:00+00:00", [unlimited])))
    throughput = result["inputs"]["throughput"]
    assert throughput["ceiling_bytes_per_s"] == 10_000_000  # 2 GB in 200 s: less than the 100 Mbit/s link
    assert result["seed"]["parts"]["data"] == pytest.approx(200.0 + 4000 / 10_000_000, abs=0.1)


# 2 GB of content that took 600 MB on the wire without a limit (zstd -3 on a mix of documents and
# scans); without a limit the pass records no stretches.
COMPRESSED = dict(HEAVY, codec="zstd", wire_bytes=600_000_000, transfer=[],
                  seconds=1100 * model.DEFAULTS["list_file_seconds"] + 60.0)


@pytest.mark.parametrize("own, compress, kind, expected", [
    (None, False, "samba", {"compress": False, "source": None, "value": 1.0}),
    (None, True, "samba", {"compress": True, "source": "default", "value": model.DEFAULTS["wire_share"]}),
    ([COMPRESSED], True, "samba", {"compress": True, "source": "kommune", "value": 0.3}),
    # the plan no longer compresses: every byte of content is on the wire again
    ([COMPRESSED], False, "samba", {"compress": False, "source": None, "value": 1.0}),
    # an uncompressed pass tells nothing of what compression saves
    ([dict(COMPRESSED, codec="none")], True, "samba", {"compress": True, "source": "default", "value": 1.0}),
    ([dict(COMPRESSED, codec=None)], True, "samba", {"compress": True, "source": "default", "value": 1.0}),
    # the SMB path of a windows source does not compress
    ([COMPRESSED], True, "windows", {"compress": False, "source": None, "value": 1.0}),
])
def test_a_compressed_stream_moves_the_measured_share_of_its_content(own, compress, kind, expected):
    result = run(journal(seed_entry("2026-01-05T20:00:00+00:00", own)) if own else None, compress=compress,
                 kind=kind)
    assert result["inputs"]["wire_share"] == expected
    # its 600 MB on the wire in 60 s: 10 MB/s, less than the link's 11.25
    speed = 10_000_000 if own else link_per_second()
    assert result["seed"]["parts"]["data"] == pytest.approx(2_000_004_000 * expected["value"] / speed, abs=0.1)


# Discovery's samples: bauamt's 8 MiB took a quarter on the wire, austausch (read whole) as much as it is.
SAMPLED = [model.Share("bauamt", 1000, 2_000_000_000, "kommune-a-fs", sampled_bytes=8_388_608,
                       sampled_wire_bytes=2_097_152),
           model.Share("austausch", 10, 4000, "kommune-a-fs", sampled_bytes=4000, sampled_wire_bytes=4000)]
# each share at its own sample's share, weighted by its bytes
SAMPLED_SHARE = round((2_000_000_000 * 0.25 + 4000 * 1.0) / 2_000_004_000, 3)


@pytest.mark.parametrize("own, others, shares, kind, expected", [
    # the Kommune's own compressed passes come first
    ([COMPRESSED], [], SAMPLED, "samba", {"compress": True, "source": "kommune", "value": 0.3}),
    # before any: discovery's sample of its shares, also before another Kommune's passes (other data)
    (None, [], SAMPLED, "samba", {"compress": True, "source": "sample", "value": SAMPLED_SHARE}),
    (None, [COMPRESSED], SAMPLED, "samba", {"compress": True, "source": "sample", "value": SAMPLED_SHARE}),
    # an uncompressed own pass tells nothing of compression: the sample
    ([dict(COMPRESSED, codec="none")], [], SAMPLED, "samba",
     {"compress": True, "source": "sample", "value": SAMPLED_SHARE}),
    # without a sample: the Welle's passes, else the default
    (None, [COMPRESSED], SHARES, "samba", {"compress": True, "source": "wave", "value": 0.3}),
    (None, [], SHARES, "samba", {"compress": True, "source": "default", "value": model.DEFAULTS["wire_share"]}),
    # the SMB path of a windows source does not compress, whatever the sample found
    (None, [], SAMPLED, "windows", {"compress": False, "source": None, "value": 1.0}),
], ids=["own passes", "sample", "sample before the wave", "uncompressed own pass", "wave", "default", "windows"])
def test_the_wire_share_comes_from_own_passes_else_the_sample_else_the_wave_else_the_default(
        own, others, shares, kind, expected):
    def of(passes):
        return journal(seed_entry("2026-01-05T20:00:00+00:00", passes)) if passes else None
    result = run(of(own), [of(others)] if others else [], shares=shares, compress=True, kind=kind)
    assert result["inputs"]["wire_share"] == expected


def test_the_seed_of_a_sampled_kommune_moves_the_sampled_share_of_its_content():
    result = run(shares=SAMPLED, compress=True)
    assert result["seed"]["parts"]["data"] == pytest.approx(2_000_004_000 * SAMPLED_SHARE / link_per_second(),
                                                            abs=0.1)


@pytest.mark.parametrize("shares, expected", [
    (SAMPLED, SAMPLED_SHARE),
    # a share without a sample counts at the sampled ones' mix
    ([SAMPLED[0], model.Share("austausch", 10, 4000, "kommune-a-fs")], 0.25),
    (SHARES, None),
    # sampled, but none of their bytes left: the samples' own sum
    ([model.Share("leer", 0, 0, "fs", sampled_bytes=100, sampled_wire_bytes=40)], 0.4),
])
def test_the_sampled_share_weighs_each_share_by_its_bytes(shares, expected):
    assert model.sampled_wire_share(shares) == expected


def test_the_discovered_shares_carry_their_sample():
    (share,) = model.shares_of([{"name": "bauamt", "files": 3, "bytes": 300, "host": "fs",
                                 "wire_sample": {"codec": "zstd", "sampled_bytes": 300, "wire_bytes": 90}}])
    assert (share.sampled_bytes, share.sampled_wire_bytes) == (300, 90)
    (plain,) = model.shares_of([{"name": "bauamt", "files": 3, "bytes": 300}])
    assert (plain.sampled_bytes, plain.sampled_wire_bytes) == (0, 0)


def test_the_final_pass_moves_the_wire_share_of_a_days_changes():
    result = run(journal(seed_entry("2026-01-05T20:00:00+00:00", [COMPRESSED])), compress=True)
    changed = result["final_sync"]["bytes"]
    assert result["final_sync"]["parts"]["data"] == pytest.approx(changed * 0.3 / 10_000_000, abs=0.1)


def test_an_unlimited_compressed_pass_is_a_ceiling_in_bytes_on_the_wire():
    """Its content moved at 33 MB/s, its stream at 10 MB/s: the walk moves bytes on the wire."""
    result = run(journal(seed_entry("2026-01-05T20:00:00+00:00", [COMPRESSED])), compress=True)
    assert result["inputs"]["throughput"]["ceiling_bytes_per_s"] == 10_000_000


def test_small_passes_give_the_fixed_cost_per_share():
    """3.02 s for 10 files of 4 kB: 3 s per share besides its files and data."""
    result = run(journal(seed_entry("2026-01-05T20:00:00+00:00", [SMALL])))
    assert result["inputs"]["share_seconds"] == {"source": "kommune", "seconds": 3.0}
    assert run()["inputs"]["share_seconds"] == {"source": "default", "seconds": model.DEFAULTS["share_seconds"]}


def test_the_cost_per_share_is_what_the_pass_took_the_welle():
    """wall_seconds (start and following of the pass included) before the module's own seconds."""
    followed = dict(SMALL, wall_seconds=6.02)
    result = run(journal(seed_entry("2026-01-05T20:00:00+00:00", [followed])))
    assert result["inputs"]["share_seconds"] == {"source": "kommune", "seconds": 6.0}


def test_the_model_has_fixed_and_per_file_costs_not_only_bytes():
    """Two shares of one file server, 1010 files, 20 ms: what a small Kommune's pass costs besides its data."""
    parts = run()["seed"]["parts"]
    costs = model.DEFAULTS
    assert parts["fixed"] == costs["server_seconds"] + 2 * costs["share_seconds"]
    # Over SSH the files' 2 s go while the stream carries their 178 s of bytes: only the listing counts.
    assert parts["files"] == pytest.approx(1010 * costs["list_file_seconds"], abs=0.1)
    assert parts["total"] == pytest.approx(parts["fixed"] + parts["files"] + 2_000_004_000 / link_per_second(), abs=0.2)
    # Over SMB each file is opened, read, given its security descriptor and closed in turn.
    windows = run(kind="windows")["seed"]["parts"]["files"]
    assert windows == pytest.approx(parts["files"] + 1010 * (costs["file_seconds"] + 4 * 0.020), abs=0.1)


def test_a_stream_of_many_small_files_takes_what_its_files_take():
    """200,000 files of 10 kB over SSH: 400 s of files, longer than the 178 s their bytes take."""
    parts = run(shares=[model.Share("austausch", 200_000, 2_000_000_000, "kommune-a-fs")])["seed"]["parts"]
    costs = model.DEFAULTS
    data = 2_000_000_000 / link_per_second()
    assert parts["data"] == pytest.approx(data, abs=0.1)
    files = 200_000 * (costs["list_file_seconds"] + costs["file_seconds"])
    assert parts["files"] == pytest.approx(files - data, abs=0.2)
    assert parts["total"] == pytest.approx(parts["fixed"] + 200_000 * (costs["list_file_seconds"]
                                                                       + costs["file_seconds"]), abs=0.3)


def test_the_seed_says_which_start_it_assumed():
    assert run()["seed"]["start"] == "2026-01-09T20:00:00+01:00"
    assert run()["seed"]["start_source"] == "now"
    chosen = run(seed_start=berlin("2026-01-10 08:00"))["seed"]
    assert (chosen["start"], chosen["start_source"]) == ("2026-01-10T08:00:00+01:00", "option")


# --- a typical day ---------------------------------------------------------------------------

def test_a_typical_day_is_measured_from_passes_a_day_apart():
    later = dict(HEAVY, bytes=40_000_000, files=20, transfer=[])
    own = journal(seed_entry("2026-01-05T20:00:00+00:00", [HEAVY]),
                  seed_entry("2026-01-07T20:00:00+00:00", [later], step="final_sync@kommune-a-fs"))
    change = run(own)["inputs"]["daily_change"]
    assert change == {"source": "kommune", "bytes_percent": 1.0, "files_percent": 1.0}


def test_passes_minutes_apart_say_nothing_of_a_day():
    later = dict(HEAVY, bytes=40_000_000, files=20)
    own = journal(seed_entry("2026-01-05T20:00:00+00:00", [HEAVY]),
                  seed_entry("2026-01-05T20:30:00+00:00", [later], step="final_sync@kommune-a-fs"))
    result = run(own)
    assert result["inputs"]["daily_change"]["source"] == "default"
    assert result["final_sync"]["bytes"] == round(2_000_004_000 * model.DEFAULTS["daily_change"]["bytes_percent"] / 100)
    assert result["final_sync"]["files"] == round(1010 * model.DEFAULTS["daily_change"]["files_percent"] / 100)


def test_settings_override_the_defaults_and_refuse_unknown_names():
    result = run(overrides={"daily_change": {"bytes_percent": 10}})
    assert result["inputs"]["daily_change"]["bytes_percent"] == 10
    with pytest.raises(model.EstimateError, match="'speed' is not a setting"):
        run(overrides={"speed": 3})


# --- the cut-over against the window ---------------------------------------------------------

CUTOVER = [{"step": "gate", "at": "2026-01-10T10:00:00+00:00", "run": "c1"},
           {"step": "freeze@kommune-a-fs", "at": "2026-01-10T10:00:04+00:00", "run": "c1"},
           {"step": "final_sync@kommune-a-fs", "at": "2026-01-10T10:01:04+00:00", "run": "c1"},
           {"step": "accounts_delta@kommune-a-dc", "at": "2026-01-10T10:01:14+00:00", "run": "c1"},
           {"step": "clients_rewrite@kommune-a-cl", "at": "2026-01-10T10:01:20+00:00", "run": "c1"},
           {"step": "shares_verify@kommune-a-fs", "at": "2026-01-10T10:01:33+00:00", "run": "c1"},
           {"step": "acceptance_frozen", "at": "2026-01-10T10:01:45+00:00", "run": "c1"},
           {"step": "name_switch@kommune-a-dc", "at": "2026-01-10T10:01:47+00:00", "run": "c1"},
           {"step": "service_resumed", "at": "2026-01-10T10:01:48+00:00", "run": "c1"},
           {"step": "acceptance", "at": "2026-01-10T10:02:08+00:00", "run": "c1"}]
# A cut-over journaled before the acceptance suite ran in two: the name switch before the shares
# verify, and one acceptance step with every part, inside the freeze.
CUTOVER_BEFORE_SPLIT = [
    *CUTOVER[:5],
    {"step": "name_switch@kommune-a-dc", "at": "2026-01-10T10:01:22+00:00", "run": "c1"},
    {"step": "shares_verify@kommune-a-fs", "at": "2026-01-10T10:01:35+00:00", "run": "c1"},
    {"step": "acceptance", "at": "2026-01-10T10:06:45+00:00", "run": "c1"}]


def test_the_cutover_steps_are_measured_from_an_earlier_cutover():
    rolled_back = journal(history=[{"phases": {"cutover": CUTOVER}}])
    cutover = run(others=[rolled_back])["cutover"]
    assert {name: (step["seconds"], step["source"]) for name, step in cutover["steps"].items()} == {
        "gate_freeze": (4.0, "wave"), "accounts_delta": (10.0, "wave"), "clients_rewrite": (6.0, "wave"),
        "shares_verify": (13.0, "wave"), "acceptance_frozen": (12.0, "wave"), "name_switch": (3.0, "wave"),
        "acceptance": (20.0, "wave")}
    # From the freeze to service resumed: all but the acceptance suite's run after it.
    assert cutover["downtime"]["steps"] == ["final_sync", "gate_freeze", "accounts_delta", "clients_rewrite",
                                            "shares_verify", "acceptance_frozen", "name_switch"]
    assert cutover["downtime"]["after"] == ["acceptance"]
    assert cutover["downtime"]["seconds"] == pytest.approx(cutover["seconds"] - 20.0, abs=0.2)


def test_a_cutover_before_the_split_counts_its_whole_acceptance_suite_inside_the_freeze():
    earlier = journal(*CUTOVER_BEFORE_SPLIT, phase="cutover")
    steps = run(own=earlier)["cutover"]["steps"]
    assert steps["acceptance_frozen"] == {"seconds": 310.0, "source": "kommune"}
    assert steps["name_switch"] == {"seconds": 2.0, "source": "kommune"}
    # The run after service resumed was not measured there: the default.
    assert steps["acceptance"]["source"] == "default"


def test_without_a_cutover_the_steps_are_defaults_with_a_cost_per_share():
    cutover = run()["cutover"]
    for name in ("acceptance_frozen", "acceptance"):
        default = model.DEFAULTS["steps"][name]
        assert cutover["steps"][name] == {"seconds": round(default["seconds"] + 2 * default["per_share"], 1),
                                          "source": "default"}
    assert cutover["downtime"]["seconds"] == pytest.approx(
        cutover["seconds"] - cutover["steps"]["acceptance"]["seconds"], abs=0.2)


def test_the_cutover_is_the_final_pass_plus_the_steps_against_the_window():
    result = run()
    cutover = result["cutover"]
    assert cutover["seconds"] == pytest.approx(
        result["final_sync"]["seconds"] + sum(step["seconds"] for step in cutover["steps"].values()), abs=0.2)
    assert cutover["window_seconds"] == 48 * 3600 and cutover["fits"] is True
    short = run(window=window("2026-03-13 18:00", "2026-03-13 18:01"))["cutover"]
    assert short["window_seconds"] == 60 and short["fits"] is False
    assert run(window=None)["cutover"]["fits"] is None


def test_the_final_pass_runs_at_the_limit_in_force_in_the_window():
    """A window on a Monday at 08:00 meets the office-hours limit; one on a Saturday the link."""
    weekday = run(schedule=OFFICE, window=window("2026-03-16 08:00", "2026-03-16 20:00"))
    weekend = run(schedule=OFFICE, window=window("2026-03-14 08:00", "2026-03-14 20:00"))
    assert weekday["final_sync"]["parts"]["data"] == pytest.approx(
        weekday["final_sync"]["bytes"] / per_second(20), abs=0.1)
    assert weekend["final_sync"]["parts"]["data"] == pytest.approx(
        weekend["final_sync"]["bytes"] / link_per_second(), abs=0.1)


def test_durations_read_well():
    assert [model.duration_text(s) for s in (12, 250, 12000, 2 * 86400 + 3 * 3600)] == [
        "12 s", "4 min 10 s", "3 h 20 min", "2 d 3 h"]


def test_the_estimate_does_not_read_a_clock():
    now = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)
    assert run(now=now) == run(now=now)
    assert run(now=now + timedelta(hours=1))["seed"]["start"] != run(now=now)["seed"]["start"]
