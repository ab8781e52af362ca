# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bandwidth a pass may use: the Kommune's transfer schedule and the one rate limiter.

A schedule says, by weekday and time of day in Europe/Berlin (the plan's zone, as its
window), how many Mbit/s a pass may take from the Kommune's link, e.g. 20 Mbit/s on
weekdays 07:00-17:00 and no limit otherwise. The plan model validates it with the parsers
here (``parse_days``, ``parse_clock``), the modules evaluate it with ``limit_at``: one
reading of a schedule for both.

``Limiter`` is a token bucket whose rate is the schedule's limit at the current time,
looked up again every second, so a pass that runs across a boundary changes its pace
there. Both sync paths charge it with the bytes they read from the Kommune (the SSH
path where the RZ side reads the tar stream, the SMB path per read); without a limit in
force ``take`` returns at once.

A limit of 0 Mbit/s means no transfer then (e.g. a Kommune's office hours, when the seed may
not touch its link); so does the end time a run may be given (``until``). The limiter then
stops the pass: ``take`` raises ``Paused``, which names why and when transfer is next allowed
(``next_allowed``); the sync paths end the pass at a clean point there and keep what is done.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Berlin"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SECONDS = 24 * 3600
# How often the schedule is looked up again during a pass.
RECHECK_SECONDS = 1.0
# The bucket holds at most this many seconds of the limit: enough to smooth the reads'
# chunks, too little to let a burst pass the link's limit noticeably.
BURST_SECONDS = 0.25


def mbit_to_bytes(mbit: float) -> float:
    return mbit * 1_000_000 / 8


def parse_days(value) -> list[int]:
    """Weekday numbers (0 = Monday) of ``mon``, ``sat-sun``, ``mon-fri`` or a list of them.
    ValueError names what is wrong."""
    items = value if isinstance(value, list) else [value]
    days: list[int] = []
    for item in items:
        text = str(item).strip().lower()
        first, dash, last = text.partition("-")
        for name in (first, last) if dash else (first,):
            if name not in WEEKDAYS:
                raise ValueError(f"'{item}' is not a weekday or a range of them "
                                 f"({', '.join(WEEKDAYS)}, e.g. 'mon-fri')")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise ValueError(f"'{item}' runs backwards; write the days from Monday on, e.g. 'sat-sun'")
        days.extend(day for day in range(start, end + 1) if day not in days)
    if not days:
        raise ValueError("names no weekday")
    return sorted(days)


def parse_clock(text) -> int:
    """Seconds after midnight of ``HH:MM`` (or ``HH:MM:SS``); ``24:00`` is the day's end."""
    parts = str(text).split(":")
    try:
        if len(parts) not in (2, 3) or not all(len(part) == 2 and part.isdigit() for part in parts):
            raise ValueError
        hours, minutes, seconds = (int(part) for part in (*parts, "00")[:3])
    except ValueError:
        raise ValueError(f"'{text}' is not a time of day 'HH:MM', e.g. '07:00'") from None
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"'{text}' is not a time of day 'HH:MM' between 00:00 and 24:00")
    return hours * 3600 + minutes * 60 + seconds


@dataclass(frozen=True)
class Period:
    days: tuple[int, ...]
    start: int
    end: int
    mbit: float | None


def periods(schedule: dict | None) -> list[Period]:
    """The schedule's entries, parsed (ValueError on a malformed one)."""
    return [Period(tuple(parse_days(entry["days"])), parse_clock(entry["start"]), parse_clock(entry["end"]),
                   entry.get("limit"))
            for entry in (schedule or {}).get("entries") or ()]


def argument_spec() -> dict:
    """The modules' ``bandwidth_schedule`` and ``until`` options (doc fragment kommunal.umzug.bandwidth)."""
    entry = dict(days=dict(type="list", elements="str", required=True), start=dict(type="str", required=True),
                 end=dict(type="str", required=True), limit=dict(type="float", required=True))
    return dict(bandwidth_schedule=dict(type="dict", options=dict(
        default=dict(type="float"), entries=dict(type="list", elements="dict", options=entry, default=[]))),
        until=dict(type="str"))


def limiter_of(schedule: dict | None, until: str | None = None, now: datetime | None = None) -> Limiter:
    """The pass's limiter; ValueError names an entry the plan model would have refused, or an
    end time that is not one."""
    for index, entry in enumerate((schedule or {}).get("entries") or ()):
        try:
            days, start, end = parse_days(entry["days"]), parse_clock(entry["start"]), parse_clock(entry["end"])
        except ValueError as err:
            raise ValueError(f"bandwidth_schedule entry {index + 1}: {err}") from None
        if end <= start or entry["limit"] < 0 or not days:
            raise ValueError(f"bandwidth_schedule entry {index + 1}: it must end after it starts and "
                             "limit to 0 Mbit/s (no transfer then) or more")
    if schedule and schedule.get("default") is not None and schedule["default"] < 0:
        raise ValueError("bandwidth_schedule: the default limit must be 0 Mbit/s (no transfer) or more")
    limits = bool(schedule and (schedule.get("entries") or schedule.get("default") is not None))
    if limits and not ever_allowed(schedule):
        raise ValueError("bandwidth_schedule allows no transfer at any time (every limit is 0)")
    end = parse_until(until, now or SystemClock.now()) if until else None
    return Limiter(schedule if limits else None, until=end)


def parse_until(text: str, now: datetime) -> datetime:
    """A run's end time: ``HH:MM`` (the next such time in Europe/Berlin after ``now``) or an
    ISO 8601 date and time (Europe/Berlin unless it gives its offset)."""
    text = str(text).strip()
    try:
        seconds = parse_clock(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"until: '{text}' is neither a time of day 'HH:MM' nor a date and time "
                             "'YYYY-MM-DDTHH:MM' (Europe/Berlin unless an offset follows)") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(TIMEZONE))
    local = now.astimezone(ZoneInfo(TIMEZONE))
    moment = _wall(local.date(), seconds)
    return moment if moment > now else _wall(local.date() + timedelta(days=1), seconds)


def _wall(date, seconds: int) -> datetime:
    """``seconds`` after midnight of ``date`` on the wall clock of Europe/Berlin."""
    return datetime.combine(date, day_time(), tzinfo=ZoneInfo(TIMEZONE)) + timedelta(seconds=seconds)


def next_allowed(schedule: dict | None, now: datetime) -> datetime | None:
    """The first moment from ``now`` on at which the schedule's limit is not 0 (``now`` itself
    when it allows transfer now); None when it never does. The limit changes only where a
    period starts or ends, or at midnight (another weekday), so only those are looked at."""
    if limit_at(schedule, now) != 0:
        return now
    local = now.astimezone(ZoneInfo(TIMEZONE))
    cuts = sorted({0, *(edge for p in periods(schedule) for edge in (p.start, p.end) if edge < DAY_SECONDS)})
    for day in range(8):
        for second in cuts:
            moment = _wall(local.date() + timedelta(days=day), second)
            if moment.astimezone(UTC) > now.astimezone(UTC) and limit_at(schedule, moment) != 0:
                return moment
    return None


def ever_allowed(schedule: dict | None) -> bool:
    """Whether the schedule allows transfer at some time of the week."""
    return next_allowed(schedule, _wall(datetime(2026, 1, 5).date(), 0)) is not None  # a Monday


@dataclass(frozen=True)
class Stop:
    """Why a pass stopped moving content (``schedule``: a limit of 0 came into force;
    ``until``: the run's end time came), when, and when transfer is next allowed."""

    reason: str
    at: datetime
    next_allowed: datetime | None
    until: datetime | None = None

    def message(self) -> str:
        local = self.at.astimezone(ZoneInfo(TIMEZONE))
        if self.reason == "until":
            why = f"the run's end time {_shown(self.until)} came"
        else:
            why = "the transfer schedule allows no transfer from now on (limit 0)"
        if self.next_allowed is None:
            then = "the schedule allows none at any time"
        elif self.next_allowed.astimezone(UTC) <= self.at.astimezone(UTC):
            then = "the schedule allows transfer now"
        else:
            then = f"transfer is next allowed at {_shown(self.next_allowed)}"
        return f"{why} at {_shown(local)}; {then}"

    def to_dict(self) -> dict:
        return {"reason": self.reason, "at": self.at.isoformat(timespec="seconds"),
                "next_allowed": None if self.next_allowed is None else self.next_allowed.isoformat(timespec="seconds"),
                "message": self.message()}


def _shown(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(TIMEZONE)).strftime("%Y-%m-%d %H:%M:%S") + f" ({TIMEZONE})"


def outcome(stop: Stop | None, progress: dict | None) -> dict:
    """What both sync modules return of how far the pass got: ``complete``, ``stopped``
    (why and until when, or None) and ``progress`` (the share's files and bytes on the target)."""
    return {"complete": stop is None, "stopped": None if stop is None else stop.to_dict(), "progress": progress}


class Paused(Exception):
    """No transfer now (``Stop`` says why and until when); the pass ends at a clean point."""

    def __init__(self, stop: Stop):
        super().__init__(stop.message())
        self.stop = stop


def limit_at(schedule: dict | None, now: datetime) -> float | None:
    """The limit in Mbit/s the schedule puts in force at ``now`` (an aware datetime; looked
    at in Europe/Berlin), None for none. An entry covers [start, end) on each of its days;
    outside every entry the schedule's ``default`` holds."""
    if not schedule:
        return None
    local = now.astimezone(ZoneInfo(TIMEZONE))
    second = local.hour * 3600 + local.minute * 60 + local.second
    for period in periods(schedule):
        if local.weekday() in period.days and period.start <= second < period.end:
            return period.mbit
    return schedule.get("default")


class SystemClock:
    """Time as the limiter sees it; tests give it a fake one."""

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    @staticmethod
    def now() -> datetime:
        return datetime.now(ZoneInfo(TIMEZONE))


@dataclass
class Stretch:
    """Bytes that went through under one limit (bytes/s, None: none), and for how long."""

    limit: float | None
    started: float
    bytes: int = 0
    last: float = 0.0

    @property
    def seconds(self) -> float:
        """From the stretch's first take to the moment its last bytes were let through."""
        return max(self.last - self.started, 0.0)


@dataclass
class Limiter:
    """A token bucket at the schedule's limit; ``take(n)`` returns once n bytes may pass.

    The bucket may go into debt by a large chunk and the next take waits it off, so the rate
    over a stretch is the limit however the reads are cut. Safe to share between threads.
    """

    schedule: dict | None
    clock: object = field(default_factory=SystemClock)
    stretches: list[Stretch] = field(default_factory=list)
    # The run's end time (an aware datetime), if it has one.
    until: datetime | None = None
    # Set once no transfer is allowed any more; it stays set for the rest of the pass.
    stop: Stop | None = None
    _limit: float | None = None
    _checked: float | None = None
    _tokens: float = 0.0
    _filled: float = 0.0
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def active(self) -> bool:
        """False without a schedule or end time: then nothing needs to go through the limiter at all."""
        return bool(self.schedule) or self.until is not None

    def limit(self) -> float | None:
        """The limit in force now, bytes/s (None: none; 0 once stopped), looked up at most once a second."""
        with self._lock:
            now = self.clock.monotonic()
            if self.stop is None and (self._checked is None or now - self._checked >= RECHECK_SECONDS):
                self._checked = now
                wall = self.clock.now()
                mbit = limit_at(self.schedule, wall)
                if self.until is not None and wall >= self.until:
                    self.stop = Stop("until", wall, next_allowed(self.schedule, wall), self.until)
                elif mbit == 0:
                    self.stop = Stop("schedule", wall, next_allowed(self.schedule, wall))
                else:
                    limit = None if mbit is None else mbit_to_bytes(mbit)
                    if limit != self._limit or not self.stretches:
                        self._switch(limit, now)
            return 0.0 if self.stop is not None else self._limit

    def check(self) -> None:
        """Raises ``Paused`` when no transfer is allowed now."""
        if self.active:
            self.limit()
            if self.stop is not None:
                raise Paused(self.stop)

    def _switch(self, limit: float | None, now: float) -> None:
        self.stretches.append(Stretch(limit, now, last=now))
        self._limit = limit
        self._tokens, self._filled = 0.0, now

    def take(self, nbytes: int) -> float | None:
        """Returns once ``nbytes`` may pass; the limit (bytes/s, None: none) they were charged under."""
        if not self.active or nbytes <= 0:
            return None
        with self._lock:
            limit = self.limit()
            if self.stop is not None:
                raise Paused(self.stop)
            stretch = self.stretches[-1]
            stretch.bytes += nbytes
            now = self.clock.monotonic()
            if limit is None:
                stretch.last = now
                return None
            self._tokens = min(self._tokens + (now - self._filled) * limit, limit * BURST_SECONDS) - nbytes
            self._filled = now
            wait = -self._tokens / limit if self._tokens < 0 else 0.0
        if wait > 0:
            self.clock.sleep(wait)
        with self._lock:  # two relays may take at once (a batch's and the next one's)
            stretch.last = max(stretch.last, self.clock.monotonic())
        return limit

    def report(self) -> list[dict]:
        """The stretches of the pass that moved bytes: the limit in force, the bytes and the
        seconds from the first to the last of them (the module's result)."""
        return _report(self.stretches)

    def part(self) -> Part:
        """A view of this limiter for one of several passes that share the link (Part)."""
        return Part(self)


@dataclass
class Part:
    """One pass's view of a limiter that several passes share: share_sync's shares pulled at
    the same time from one Kommune's file server share its one link, so the schedule's limit
    paces them together (four passes do not take four times the limit) and a stop (a limit
    of 0, the run's end time) stops them all. The part keeps the stretches of its own pass's
    bytes for that pass's result (their rate is the pass's share of the link's)."""

    link: Limiter
    stretches: list[Stretch] = field(default_factory=list)
    # Two relays of the pass may take at once (a batch's and the next one's, copy_batches).
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def active(self) -> bool:
        return self.link.active

    @property
    def stop(self) -> Stop | None:
        return self.link.stop

    def limit(self) -> float | None:
        return self.link.limit()

    def check(self) -> None:
        self.link.check()

    def take(self, nbytes: int) -> float | None:
        if not self.active or nbytes <= 0:
            return None
        begun = self.link.clock.monotonic()
        limit = self.link.take(nbytes)
        now = self.link.clock.monotonic()
        with self._lock:
            if not self.stretches or self.stretches[-1].limit != limit:
                self.stretches.append(Stretch(limit, begun, last=now))
            stretch = self.stretches[-1]
            stretch.bytes += nbytes
            stretch.last = max(stretch.last, now)
        return limit

    def report(self) -> list[dict]:
        return _report(self.stretches)


def _report(stretches: list[Stretch]) -> list[dict]:
    return [{"limit_bytes_per_s": None if s.limit is None else round(s.limit), "bytes": s.bytes,
             "seconds": round(s.seconds, 3),
             "rate_bytes_per_s": round(s.bytes / s.seconds) if s.seconds > 0 else None}
            for s in stretches if s.bytes]


# The pieces the limiter lets through at a time: small enough to keep the pace even at a
# few Mbit/s, large enough that an unlimited stretch costs a handful of calls per MiB.
CHUNK = 64 << 10


def read_window(limiter: Limiter, largest: int = 1 << 20, deepest: int = 8) -> dict:
    """How a reader that keeps requests in flight (the SMB path: ``chunk`` bytes per read,
    up to ``depth`` reads) cuts its reads while a limit is in force: it charges a read once
    it has arrived, so what is in flight passes the link unpaced. At most a quarter of a
    second of the limit (``BURST_SECONDS``, the bucket's own burst) is in flight, in pieces
    of whole ``CHUNK``s; without a limit (or once stopped) the reader's own ``largest`` and
    ``deepest``."""
    limit = limiter.limit() if limiter.active else None
    if not limit:
        return {"chunk": largest, "depth": deepest}
    budget = int(limit * BURST_SECONDS)
    chunk = min(max(budget // CHUNK * CHUNK, CHUNK), largest)
    return {"chunk": chunk, "depth": min(max(budget // chunk, 1), deepest)}


def throttled(chunks, limiter: Limiter):
    """The chunks of a read, each let through when the limiter allows it; nothing is read
    once no transfer is allowed (``Paused``)."""
    limiter.check()
    for chunk in chunks:
        limiter.take(len(chunk))
        yield chunk


def relay(source: int, target: int, limiter: Limiter) -> None:
    """Moves a stream from pipe ``source`` to pipe ``target`` (file descriptors, both closed
    at the end) at the limiter's pace; splice keeps the bytes in the kernel. Each piece is
    charged once it has moved, so the next one waits for it. A reader that went away (tar
    died) ends the relay; the caller learns why from the processes. When no transfer is
    allowed any more (``limiter.stop``) the relay ends too: tar sees the stream end there."""
    try:
        while moved := _move(source, target):
            limiter.take(moved)
    except (BrokenPipeError, Paused):
        pass
    finally:
        os.close(source)
        os.close(target)


def _move(source: int, target: int) -> int:
    if hasattr(os, "splice"):
        return os.splice(source, target, CHUNK)
    data = os.read(source, CHUNK)
    view = memoryview(data)
    while view:
        view = view[os.write(target, view):]
    return len(data)
