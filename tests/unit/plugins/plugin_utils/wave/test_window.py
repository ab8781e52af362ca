"""A Kommune's window: where a time lies, the override's reason, the timeline of a Welle."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import parse_window_time
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import (
    AFTER,
    BEFORE,
    INSIDE,
    Window,
    WindowError,
    override_reason,
    timeline,
)

BERLIN = ZoneInfo("Europe/Berlin")


def window(start: str, end: str) -> Window:
    """As the inventory hands it on (plan.kommune_context): the plan's local times, ISO with offset."""
    return Window.of({"start": parse_window_time(start).isoformat(), "end": parse_window_time(end).isoformat(),
                      "timezone": "Europe/Berlin"})


def berlin(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


WEEKEND = window("2025-03-14 18:00", "2025-03-16 18:00")


@pytest.mark.parametrize(
    ("now", "position"),
    [
        (berlin("2025-03-14 17:59"), BEFORE),
        (berlin("2025-03-14 18:00"), INSIDE),  # the start belongs to the window
        (berlin("2025-03-15 03:00"), INSIDE),
        (berlin("2025-03-16 17:59"), INSIDE),
        (berlin("2025-03-16 18:00"), AFTER),  # the end does not
        (berlin("2026-12-04 19:12"), AFTER),
        # the same instants in UTC (Berlin is UTC+1 in March before the change)
        (datetime(2025, 3, 14, 16, 59, tzinfo=UTC), BEFORE),
        (datetime(2025, 3, 14, 17, 0, tzinfo=UTC), INSIDE),
        (datetime(2025, 3, 16, 16, 59, 59, tzinfo=UTC), INSIDE),
        (datetime(2025, 3, 16, 17, 0, tzinfo=UTC), AFTER),
    ],
)
def test_where_now_lies(now, position):
    assert WEEKEND.position(now) == position


def test_a_window_over_the_change_to_summer_time_ends_at_its_wall_clock_end():
    """29/30 March 2025: 02:00 CET became 03:00 CEST. Saturday 18:00 to Sunday 18:00 is 23 hours."""
    spring = window("2025-03-29 18:00", "2025-03-30 18:00")
    assert spring.hours == 23
    assert spring.end.utcoffset() == timedelta(hours=2)
    assert spring.position(datetime(2025, 3, 30, 15, 59, tzinfo=UTC)) == INSIDE  # 17:59 CEST
    assert spring.position(datetime(2025, 3, 30, 16, 0, tzinfo=UTC)) == AFTER  # 18:00 CEST
    assert spring.local(datetime(2025, 3, 30, 1, 30, tzinfo=UTC)) == "2025-03-30 03:30"


def test_a_window_over_the_change_to_winter_time_has_the_extra_hour():
    """25/26 October 2025: 03:00 CEST became 02:00 CET; the hour 02:00-03:00 came twice."""
    autumn = window("2025-10-25 18:00", "2025-10-26 18:00")
    assert autumn.hours == 25
    assert autumn.position(datetime(2025, 10, 26, 16, 59, tzinfo=UTC)) == INSIDE  # 17:59 CET
    assert autumn.position(datetime(2025, 10, 26, 17, 0, tzinfo=UTC)) == AFTER
    # both 02:30 of that night are inside and read as the wall clock showed them
    assert autumn.local(datetime(2025, 10, 26, 0, 30, tzinfo=UTC)) == "2025-10-26 02:30"
    assert autumn.local(datetime(2025, 10, 26, 1, 30, tzinfo=UTC)) == "2025-10-26 02:30"


def test_describe_names_the_window_and_now_as_the_plan_writes_times():
    summer = window("2025-07-04 18:00", "2025-07-06 18:00")
    assert summer.describe(datetime(2025, 7, 6, 15, 30, tzinfo=UTC)) == {
        "start": "2025-07-04 18:00", "end": "2025-07-06 18:00", "timezone": "Europe/Berlin",
        "now": "2025-07-06 17:30", "position": INSIDE}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ("2025-03-14", "is not a mapping"),
        ({"start": "2025-03-14T18:00:00+01:00"}, "has no end"),
        ({"start": "14.03.2025", "end": "2025-03-16T18:00:00+01:00"}, "not ISO 8601"),
        ({"start": "2025-03-14T18:00:00", "end": "2025-03-16T18:00:00"}, "without its offset"),
        ({"start": "2025-03-16T18:00:00+01:00", "end": "2025-03-14T18:00:00+01:00"}, "ends before it starts"),
    ],
)
def test_a_window_that_cannot_be_read_says_why(context, message):
    with pytest.raises(WindowError, match=message):
        Window.of(context)


def test_now_without_a_timezone_is_refused():
    with pytest.raises(WindowError, match="timezone"):
        WEEKEND.position(datetime(2025, 3, 15, 12, 0))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (False, None),
        ("Lab: kein vereinbartes Fenster", "Lab: kein vereinbartes Fenster"),
        ("  Fenster verlegt, Ticket 4711 ", "Fenster verlegt, Ticket 4711"),
    ],
)
def test_the_override_is_its_reason(value, reason):
    assert override_reason(value) == reason


@pytest.mark.parametrize("value", [True, "true", "True", "yes", "on", "1", 1, ["reason"]])
def test_an_override_without_a_reason_is_refused(value):
    with pytest.raises(WindowError, match=r"wave_window_override is .*the reason for cutting over outside the window"):
        override_reason(value)


def test_the_timeline_orders_by_start_and_names_overlaps():
    windows = {
        "kommune-c": window("2025-03-21 18:00", "2025-03-23 18:00"),
        "kommune-a": window("2025-03-14 18:00", "2025-03-16 18:00"),
        "kommune-b": window("2025-03-16 12:00", "2025-03-17 06:00"),  # overlaps a's last hours
        "kommune-d": window("2025-03-23 18:00", "2025-03-24 06:00"),  # starts as c ends: no overlap
    }
    assert timeline(windows) == [
        {"kommune": "kommune-a", "start": "2025-03-14 18:00", "end": "2025-03-16 18:00",
         "timezone": "Europe/Berlin", "hours": 48.0, "overlaps": ["kommune-b"]},
        {"kommune": "kommune-b", "start": "2025-03-16 12:00", "end": "2025-03-17 06:00",
         "timezone": "Europe/Berlin", "hours": 18.0, "overlaps": ["kommune-a"]},
        {"kommune": "kommune-c", "start": "2025-03-21 18:00", "end": "2025-03-23 18:00",
         "timezone": "Europe/Berlin", "hours": 48.0, "overlaps": []},
        {"kommune": "kommune-d", "start": "2025-03-23 18:00", "end": "2025-03-24 06:00",
         "timezone": "Europe/Berlin", "hours": 12.0, "overlaps": []},
    ]


@pytest.mark.parametrize(("start", "end", "hours"), [
    ("2025-03-29 18:00", "2025-03-30 18:00", 23),
    ("2025-10-25 18:00", "2025-10-26 18:00", 25),
])
def test_a_window_in_the_zone_itself_is_as_long_as_its_instants_are_apart(start, end, hours):
    """Times aware in Europe/Berlin's ZoneInfo (not with a fixed offset) over a change."""
    assert Window(start=berlin(start), end=berlin(end)).hours == hours
