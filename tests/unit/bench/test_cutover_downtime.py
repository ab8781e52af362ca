"""bench/cutover_downtime.py's pure parts: the cut-over's steps from a journal, the downtime,
the per-extra-share figure and the lab's seed extended."""

import sys
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(TOP / "bench"))
import cutover_downtime as bench  # noqa: E402  (bench/ is a folder of scripts, not a package)

T0 = bench.parse_time("2026-12-05T03:40:00+00:00")


def entry(step, second, record=None):
    item = {"step": step, "at": f"2026-12-05T03:{40 + second // 60:02d}:{second % 60:02d}+00:00", "run": "1@vm"}
    if record:
        item["record"] = record
    return item


def a_pass(share, seconds, files=0, size=0):
    return {"share": share, "pass": "final", "seconds": seconds, "wall_seconds": seconds + 6, "files": files,
            "bytes": size}


CUTOVER = [
    entry("gate", 4),
    entry("freeze@fs", 8),
    entry("final_sync@fs", 80, {"passes": [a_pass("bauamt", 1.5, 2, 1000), a_pass("home", 0.5)]}),
    entry("accounts_delta@dc", 92),
    entry("acceptance", 130),
]
JOURNAL = {"phases": {"seed": [entry("shares_seed@fs", 1)], "cutover": CUTOVER}}


def test_steps_are_the_journals_in_its_order_each_from_the_end_of_the_one_before():
    rows = bench.step_times(bench.phase_entries(JOURNAL), T0)
    assert [(row["step"], row["seconds"]) for row in rows] == [
        ("gate", 4), ("freeze@fs", 4), ("final_sync@fs", 72), ("accounts_delta@dc", 12), ("acceptance", 38)]


def test_an_observed_end_is_preferred_to_the_journals_whole_second():
    rows = bench.step_times(CUTOVER[:2], T0, {"freeze@fs": T0 + 8.6})
    assert [(row["seconds"], row["seen"]) for row in rows] == [(4, False), (4.6, True)]


def test_a_journal_second_before_the_observed_end_of_the_step_before_gives_no_negative_time():
    rows = bench.step_times(CUTOVER[:2], T0, {"gate": T0 + 8.4})
    assert [row["seconds"] for row in rows] == [8.4, 0]


def test_freeze_to_done_starts_where_the_freeze_starts():
    summary = bench.summarize(JOURNAL, T0, T0 + 133, {})
    assert (summary["freeze_step"], summary["freeze_to_done"]) == ("freeze@fs", 126)
    assert summary["freeze_to_resumed"] is None
    assert (summary["phase_wall"], summary["after_last_step"]) == (133, 3)


def test_moving_data_is_the_final_passes_engine_time_and_the_rest_is_beyond_it():
    summary = bench.summarize(JOURNAL, T0, T0 + 133, {})
    assert summary["data"] == {"shares": 2, "files": 2, "bytes": 1000, "seconds": 2.0, "wall_seconds": 14.0}
    assert summary["beyond_data"] == 124


@pytest.mark.parametrize("steps, expected", [
    # A step named for the service resuming, wherever it is.
    ([*CUTOVER[:4], entry("service_resumed", 100), entry("acceptance", 130)], ("service_resumed", 96)),
    # A mark in a step's record.
    ([*CUTOVER[:4], entry("acceptance", 130, {"service_resumed": "2026-12-05T03:41:35+00:00"})],
     ("record service_resumed", 91)),
])
def test_freeze_to_the_service_resuming_where_the_journal_marks_it(steps, expected):
    summary = bench.summarize({"phases": {"cutover": steps}}, T0, T0 + 131, {})
    assert (summary["resumed_step"], summary["freeze_to_resumed"]) == expected
    assert summary["freeze_to_done"] == 126


def test_a_cutover_without_steps_has_no_downtime_figure():
    summary = bench.summarize({"phases": {}}, T0, T0 + 10, {})
    assert (summary["steps"], summary["freeze_to_done"], summary["beyond_data"]) == ([], None, None)


def test_per_extra_share_figure():
    base = {"data": {"shares": 6}, "beyond_data": 70.0}
    more = {"data": {"shares": 30}, "beyond_data": 118.0}
    assert bench.per_extra_share(base, more) == {
        "extra_shares": 24, "beyond_data_base": 70.0, "beyond_data_more": 118.0, "seconds_per_extra_share": 2.0}


def test_per_extra_share_figure_needs_more_shares_in_the_second_run():
    with pytest.raises(ValueError, match="not more than"):
        bench.per_extra_share({"data": {"shares": 6}, "beyond_data": 1}, {"data": {"shares": 6}, "beyond_data": 2})


SEED = yaml.safe_load((TOP / "lab" / "seed.yml").read_text(encoding="utf-8"))["lab_seed_kommunen"]


def test_the_lab_as_it_is_stays_as_it_is():
    assert bench.extended_seed(SEED, "kommune-a") == SEED


def test_shares_are_made_up_to_the_number_asked_as_copies_of_the_labs_plain_shares():
    seed = bench.extended_seed(SEED, "kommune-a", shares=30)
    shares = seed["kommune-a"]["shares"]
    assert len(shares) == 30
    assert len({share["name"] for share in shares}) == 30
    assert len({share["path"] for share in shares}) == 30
    added = shares[len(SEED["kommune-a"]["shares"]):]
    bauamt = SEED["kommune-a"]["shares"][0]
    assert added[0] == {"name": "bauamt01", "path": "/srv/shares/bauamt01",
                        "comment": "Bauamt - Bauanträge und Pläne (1)", "acl": bauamt["acl"], "files": bauamt["files"]}
    assert not any(share.get("awkward") or share.get("homes") for share in added)
    assert seed["kommune-b"] == SEED["kommune-b"]
    assert len(SEED["kommune-a"]["shares"]) == 6  # the lab's own data is not changed


def test_users_are_multiplied_with_the_labs_groups_and_unique_names():
    lab = SEED["kommune-a"]["users"]
    users = bench.extended_seed(SEED, "kommune-a", users_factor=10)["kommune-a"]["users"]
    assert len(users) == 10 * len(lab)
    names = [user["name"] for user in users]
    assert len(set(names)) == len(names) and max(map(len, names)) <= 20
    assert len({(user["ou"], user["given"], user["surname"]) for user in users}) == len(users)
    uids = [user["uid_number"] for user in users if "uid_number" in user]
    assert len(set(uids)) == len(uids)
    for number, user in enumerate(users):
        model = lab[number % len(lab)]
        assert (user.get("groups"), user["ou"], user.get("enabled", True), user.get("service")) == (
            model.get("groups"), model["ou"], model.get("enabled", True), model.get("service"))
