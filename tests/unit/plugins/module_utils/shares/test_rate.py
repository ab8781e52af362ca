"""The transfer schedule and the rate limiter: fixed times, a fake clock, a real byte stream."""

import os
import threading
from datetime import UTC, datetime

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate
from tests.support.clock import FakeClock, berlin

OFFICE = {"default": 80, "entries": [
    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "17:00", "limit": 20},
    {"days": ["sun"], "start": "00:00", "end": "04:00", "limit": 5},
]}


@pytest.mark.parametrize(("now", "limit"), [
    (berlin("2026-12-04 06:59:59"), 80),    # Friday, just before office hours
    (berlin("2026-12-04 07:00:00"), 20),    # the boundary itself belongs to the period
    (berlin("2026-12-04 16:59:59"), 20),
    (berlin("2026-12-04 17:00:00"), 80),    # the end does not
    (berlin("2026-12-05 10:00:00"), 80),    # Saturday
    # Read in Europe/Berlin whatever zone the time comes in: 06:30 UTC is 07:30 in winter...
    (datetime(2026, 12, 4, 6, 30, tzinfo=UTC), 20),
    # ... and 08:30 in summer; 05:30 UTC is 06:30 in winter, outside.
    (datetime(2026, 7, 3, 5, 30, tzinfo=UTC), 20),
    (datetime(2026, 12, 4, 5, 30, tzinfo=UTC), 80),
    # The spring-forward night (29 March 2026, 02:00 -> 03:00): 00:59 UTC is 01:59 CET, 01:00 UTC 03:00 CEST.
    (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), 5),
    (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 5),
    (datetime(2026, 3, 29, 2, 0, tzinfo=UTC), 80),     # 04:00 CEST: the period has ended, an hour early in UTC
    # The fall-back night (25 October 2026): 03:00 CEST -> 02:00 CET, 04:00 CET is 03:00 UTC.
    (datetime(2026, 10, 25, 2, 59, tzinfo=UTC), 5),    # 03:59 CET
    (datetime(2026, 10, 25, 3, 0, tzinfo=UTC), 80),    # 04:00 CET
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 5),    # 02:30 CEST, the first of the two 02:30s
])
def test_limit_at_reads_the_schedule_in_berlin_time(now, limit):
    assert rate.limit_at(OFFICE, now) == limit


def test_without_schedule_or_default_there_is_no_limit():
    assert rate.limit_at(None, berlin("2026-12-04 10:00:00")) is None
    assert rate.limit_at({"entries": OFFICE["entries"]}, berlin("2026-12-05 10:00:00")) is None


@pytest.mark.parametrize(("value", "days"), [
    ("mon-fri", [0, 1, 2, 3, 4]), (["sat", "sun"], [5, 6]), (["Mon", "wed-thu", "mon"], [0, 2, 3]), ("sun", [6]),
])
def test_parse_days(value, days):
    assert rate.parse_days(value) == days


@pytest.mark.parametrize(("text", "seconds"), [("00:00", 0), ("07:30", 27000), ("24:00", 86400), ("12:00:05", 43205)])
def test_parse_clock(text, seconds):
    assert rate.parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["7:00", "07:60", "25:00", "24:01", "noon", "07-00"])
def test_parse_clock_refuses(text):
    with pytest.raises(ValueError, match="is not a time of day"):
        rate.parse_clock(text)


def pump(limiter: rate.Limiter, clock: FakeClock, until: float, chunk: int = 64 << 10) -> int:
    """Reads as fast as the limiter lets them until the clock reaches ``until``; the bytes moved."""
    moved = 0
    while clock.monotonic() < until:
        limiter.take(chunk)
        moved += chunk
    return moved


def limited(schedule: dict | None, start: str = "2026-12-04 10:00:00") -> tuple[rate.Limiter, FakeClock]:
    """A limiter for ``schedule`` on a fake clock that starts at ``start`` (Europe/Berlin) and moves
    only as the limiter waits: the tests keep to time without sleeping."""
    clock = FakeClock(start)
    return rate.Limiter(schedule, clock), clock


def relay_through(limiter: rate.Limiter, chunks) -> bytes:
    """``chunks`` written into a real pipe, relayed by ``rate.relay`` into another; what came out.
    The writer stops when the relay has ended the stream and closed the pipe."""
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    received = bytearray()

    def drain():
        while chunk := os.read(out_read, 1 << 16):
            received.extend(chunk)
        os.close(out_read)

    def fill():
        try:
            for chunk in chunks:
                os.write(in_write, chunk)
        except BrokenPipeError:
            pass
        os.close(in_write)

    threads = [threading.Thread(target=drain), threading.Thread(target=fill)]
    for thread in threads:
        thread.start()
    rate.relay(in_read, out_write, limiter)
    for thread in threads:
        thread.join()
    return bytes(received)


def test_rate_is_kept_within_ten_percent_over_a_window():
    limiter, clock = limited(OFFICE)  # office hours: 20 Mbit/s
    moved = pump(limiter, clock, 30.0)
    assert abs(moved / clock.monotonic() - 2_500_000) <= 250_000
    [stretch] = limiter.report()
    assert stretch["limit_bytes_per_s"] == 2_500_000
    assert abs(stretch["rate_bytes_per_s"] - 2_500_000) <= 250_000


def test_a_limit_change_takes_effect_mid_stream():
    limiter, clock = limited(OFFICE, "2026-12-04 16:59:50")  # 10 s before office hours end: 20, then 80 Mbit/s
    before = pump(limiter, clock, 10.0)
    after = pump(limiter, clock, 20.0)
    assert abs(before / 10 - 2_500_000) <= 250_000
    assert abs(after / 10 - 10_000_000) <= 1_000_000
    first, second = limiter.report()
    assert (first["limit_bytes_per_s"], second["limit_bytes_per_s"]) == (2_500_000, 10_000_000)
    assert abs(first["rate_bytes_per_s"] - 2_500_000) <= 250_000
    assert abs(second["rate_bytes_per_s"] - 10_000_000) <= 1_000_000


def test_no_limit_in_force_never_waits():
    limiter, clock = limited({"entries": OFFICE["entries"]}, "2026-12-05 10:00:00")  # Saturday, no default: no limit
    for _ in range(1000):
        limiter.take(1 << 20)
    assert clock.slept == 0
    assert limiter.report()[0]["limit_bytes_per_s"] is None


def test_without_schedule_the_limiter_does_nothing():
    limiter, _ = limited(None)
    assert not limiter.active
    limiter.take(1 << 30)
    assert limiter.report() == []


def test_relay_moves_a_real_stream_at_the_limit():
    """Real pipes through the limiter; the fake clock keeps the test from sleeping."""
    limiter, clock = limited(OFFICE)
    payload = os.urandom(4 << 20)
    pieces = (payload[offset:offset + (1 << 16)] for offset in range(0, len(payload), 1 << 16))
    received = relay_through(limiter, pieces)
    assert received == payload
    # 4 MiB at 20 Mbit/s (2.5 MB/s): 1.68 s on the limiter's clock.
    assert abs(clock.monotonic() - len(payload) / 2_500_000) <= 0.1 * len(payload) / 2_500_000
    [stretch] = limiter.report()
    assert stretch["bytes"] == len(payload)


def test_a_reader_that_goes_away_ends_the_relay():
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    os.close(out_read)
    os.write(in_write, b"x" * 1000)
    rate.relay(in_read, out_write, rate.Limiter(None))
    os.close(in_write)


def test_throttled_reads_keep_the_limit():
    limiter, clock = limited(OFFICE)
    chunks = [b"x" * 65536] * 400  # 26 MB at 20 Mbit/s: about 10.5 s
    assert b"".join(rate.throttled(chunks, limiter)) == b"".join(chunks)
    assert abs(clock.monotonic() - 400 * 65536 / 2_500_000) <= 0.1 * 400 * 65536 / 2_500_000


def test_progress_shows_the_limit_in_force_and_the_time_left_at_it(tmp_path):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import Progress

    limiter, _ = limited(OFFICE)
    progress = Progress(str(tmp_path / "p.json"), 10, 25_000_000, started=0.0, limiter=limiter)
    progress.bytes = 5_000_000
    figures = progress.figures(2.0)
    assert figures["limit_bytes_per_s"] == 2_500_000
    assert figures["seconds_left_at_limit"] == 8  # 20 MB at 2.5 MB/s
    assert figures["rate_bytes_per_s"] == 2_500_000


def test_progress_without_a_schedule_shows_no_limit(tmp_path):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import Progress

    figures = Progress(str(tmp_path / "p.json"), 1, 100, started=0.0).figures(1.0)
    assert figures["limit_bytes_per_s"] is None and figures["seconds_left_at_limit"] is None


@pytest.mark.parametrize(("schedule", "message"), [
    ({"entries": [{"days": ["mo"], "start": "07:00", "end": "17:00", "limit": 20}]},
     "bandwidth_schedule entry 1: 'mo' is not a weekday"),
    ({"entries": [{"days": ["mon"], "start": "17:00", "end": "07:00", "limit": 20}]},
     "bandwidth_schedule entry 1: it must end after it starts"),
    ({"default": -1, "entries": []}, "the default limit must be 0 Mbit/s \\(no transfer\\) or more"),
    ({"entries": [{"days": ["mon"], "start": "07:00", "end": "17:00", "limit": -5}]},
     "bandwidth_schedule entry 1: it must end after it starts and limit to 0 Mbit/s"),
    ({"default": 0, "entries": []}, "allows no transfer at any time"),
    ({"default": 0, "entries": [{"days": ["mon-sun"], "start": "00:00", "end": "24:00", "limit": 0}]},
     "allows no transfer at any time"),
])
def test_the_modules_refuse_a_malformed_schedule(schedule, message):
    with pytest.raises(ValueError, match=message):
        rate.limiter_of(schedule)


def test_a_schedule_that_limits_nothing_needs_no_limiter():
    assert not rate.limiter_of({"default": None, "entries": []}).active
    assert not rate.limiter_of(None).active
    assert rate.limiter_of({"default": 50, "entries": []}).active


OFFICE_PAUSED = {"default": 8, "entries": [
    {"days": ["mon-fri"], "start": "07:00", "end": "17:00", "limit": 0},  # office hours: no transfer
]}


def test_a_limit_of_zero_stops_the_limiter_and_names_when_transfer_is_next_allowed():
    limiter, clock = limited(OFFICE_PAUSED, "2026-12-04 06:59:58")  # Friday, 2 s before office hours
    with pytest.raises(rate.Paused) as paused:
        pump(limiter, clock, 10.0)
    stop = paused.value.stop
    assert stop.reason == "schedule" and 2.0 <= clock.monotonic() < 3.1
    assert stop.next_allowed == berlin("2026-12-04 17:00:00")
    assert "transfer is next allowed at 2026-12-04 17:00:00 (Europe/Berlin)" in str(paused.value)
    with pytest.raises(rate.Paused):  # it stays stopped for the rest of the pass
        limiter.take(1)
    assert limiter.report()[0]["limit_bytes_per_s"] == 1_000_000


@pytest.mark.parametrize(("now", "allowed"), [
    (berlin("2026-12-04 10:00:00"), berlin("2026-12-04 17:00:00")),
    (berlin("2026-12-04 18:00:00"), berlin("2026-12-04 18:00:00")),   # allowed now
    (berlin("2026-12-05 10:00:00"), berlin("2026-12-05 10:00:00")),   # Saturday
])
def test_next_allowed(now, allowed):
    assert rate.next_allowed(OFFICE_PAUSED, now) == allowed


def test_nights_only_next_allowed_is_the_evening_and_a_period_over_the_weekend():
    nights = {"default": 0, "entries": [{"days": ["mon-fri"], "start": "22:00", "end": "24:00", "limit": 50},
                                        {"days": ["mon-fri"], "start": "00:00", "end": "06:00", "limit": 50}]}
    assert rate.next_allowed(nights, berlin("2026-12-04 10:00:00")) == berlin("2026-12-04 22:00:00")
    # Friday 06:00 to Monday 00:00 nothing (Saturday and Sunday have no period, the default is 0).
    assert rate.next_allowed(nights, berlin("2026-12-05 03:00:00")) == berlin("2026-12-07 00:00:00")


def test_a_started_pass_at_zero_is_refused_before_it_reads():
    limiter, _ = limited(OFFICE_PAUSED)
    with pytest.raises(rate.Paused, match="from now on"):
        limiter.check()
    read = []
    with pytest.raises(rate.Paused):
        next(rate.throttled(iter(lambda: read.append(1) or b"x", None), limiter))
    assert read == []


def test_the_runs_end_time_stops_it_and_the_schedule_says_transfer_is_allowed():
    clock = FakeClock(berlin("2026-12-05 05:59:58"))
    limiter = rate.limiter_of(None, "06:00", now=clock.now())
    limiter.clock = clock
    assert limiter.active and limiter.until == berlin("2026-12-05 06:00:00")
    with pytest.raises(rate.Paused) as paused:  # no limit in force: the test moves the clock on
        for _ in range(100):
            limiter.take(rate.CHUNK)
            clock.advance(0.5)
    assert paused.value.stop.reason == "until" and clock.monotonic() == 2.0
    assert paused.value.stop.to_dict()["next_allowed"] == "2026-12-05T06:00:00+01:00"
    assert "the run's end time 2026-12-05 06:00:00 (Europe/Berlin) came" in str(paused.value)


@pytest.mark.parametrize(("text", "until"), [
    ("06:00", berlin("2026-12-05 06:00:00")),           # the next 06:00
    ("23:30", berlin("2026-12-04 23:30:00")),           # later today
    ("2026-12-06T05:00", berlin("2026-12-06 05:00:00")),
    ("2026-12-06T05:00+00:00", berlin("2026-12-06 06:00:00")),
])
def test_parse_until(text, until):
    assert rate.parse_until(text, berlin("2026-12-04 23:00:00")) == until


def test_parse_until_refuses_what_is_no_time():
    with pytest.raises(ValueError, match="until: 'morgen' is neither a time of day"):
        rate.parse_until("morgen", berlin("2026-12-04 23:00:00"))


def test_relay_ends_the_stream_where_the_limit_becomes_zero():
    limiter, _ = limited(OFFICE_PAUSED, "2026-12-04 06:59:59")  # 1 s at 8 Mbit/s, then office hours
    received = relay_through(limiter, [b"y" * 65536] * 64)  # 4 MiB, far more than a second at 1 MB/s
    assert limiter.stop is not None and limiter.stop.reason == "schedule"
    assert 1_000_000 <= len(received) <= 1_000_000 + 4 * rate.CHUNK


@pytest.mark.parametrize(("mbit", "chunk", "depth"), [
    (None, 1 << 20, 8),             # no limit: the reader's own window
    (2, 64 << 10, 1),               # 62.5 kB a quarter second: one piece of 64 KiB at least
    (8, 3 * (64 << 10), 1),         # 250 kB: three pieces, one read
    (100, 1 << 20, 2),              # 3.125 MB: two reads of 1 MiB
    (1000, 1 << 20, 8),             # 31 MB: as deep as the reader goes
])
def test_read_window_keeps_what_is_in_flight_within_a_quarter_second_of_the_limit(mbit, chunk, depth):
    limiter, _ = limited(None if mbit is None else {"default": mbit, "entries": []})
    window = rate.read_window(limiter)
    assert window == {"chunk": chunk, "depth": depth}
    if mbit is not None and mbit >= 8:
        assert window["chunk"] * window["depth"] <= rate.mbit_to_bytes(mbit) * rate.BURST_SECONDS



def test_passes_that_share_the_link_share_its_limit_and_each_keeps_its_own_bytes():
    """Four passes of one file server at once (share_sync's shares): together at the limit, not
    four times it; each part reports its own bytes, the limiter the link's."""
    limiter, clock = limited(OFFICE)  # office hours: 20 Mbit/s
    parts = [limiter.part() for _ in range(4)]
    moved = [0] * 4
    while clock.monotonic() < 20.0:
        for number, part in enumerate(parts):  # their reads interleave, as the passes' relays do
            part.take(64 << 10)
            moved[number] += 64 << 10
    assert abs(sum(moved) / clock.monotonic() - 2_500_000) <= 250_000
    [link] = limiter.report()
    assert link["bytes"] == sum(moved) and abs(link["rate_bytes_per_s"] - 2_500_000) <= 250_000
    for part, own in zip(parts, moved, strict=True):
        [stretch] = part.report()
        assert stretch["bytes"] == own and stretch["limit_bytes_per_s"] == 2_500_000
        assert abs(stretch["rate_bytes_per_s"] - 2_500_000 / 4) <= 2_500_000 / 40


def test_a_stop_of_the_link_stops_every_pass_on_it():
    limiter, clock = limited(OFFICE_PAUSED, "2026-12-04 06:59:58")  # Friday, 2 s before office hours (limit 0)
    first, second = limiter.part(), limiter.part()
    with pytest.raises(rate.Paused):
        pump(first, clock, 10.0)
    with pytest.raises(rate.Paused) as paused:
        second.check()
    assert paused.value.stop is first.stop is limiter.stop and second.stop.reason == "schedule"
