"""A fake clock for the unit tests of what keeps to time (the rate limiter, the passes).

It has the three calls ``rate.SystemClock`` has. Monotonic time moves only when the code
under test sleeps or the test calls ``advance``; the wall clock (``now``) is the start plus
the monotonic time, so a schedule's boundary is crossed as the limiter waits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(text: str) -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` in Europe/Berlin, the schedules' zone."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BERLIN)


class FakeClock:
    """Monotonic time that moves only when the limiter sleeps (or the test says so)."""

    def __init__(self, start: datetime | str = "2026-12-04 10:00:00"):
        self.start = berlin(start) if isinstance(start, str) else start
        self.elapsed, self.slept = 0.0, 0.0

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.elapsed += seconds
        self.slept += seconds

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds
