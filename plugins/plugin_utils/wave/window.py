# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Kommune's agreed window for its cut-over: whether now is inside it, the override, the timeline.

The plan gives each Kommune a ``window`` in local time (Europe/Berlin, plugin_utils/plan.py);
its context carries it as ISO times with their offset (``umzug_kommune.window``). Every
decision about it is made here, with the time ``now`` passed in, never read from a clock: the
gate (plugins/action/gate.py) passes the controller's clock, the tests a fixed time.

- A window includes its start and excludes its end: at 18:00 of the end day it is over.
  Times compare as instants, so a window over the change to or from summer time is as long
  as the clock on the wall says it is, less or more the hour the change takes or gives.
- An override (``wave_window_override``) is the reason, as text, why the cut-over runs outside
  the window; a bare yes/no is refused, since the journal and the report must say why.
- The timeline of a Welle: its Kommunen's windows ordered by start, each with its length and
  the Kommunen whose windows overlap it.

Controller side only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import TIMEZONE

BEFORE, INSIDE, AFTER = "before", "inside", "after"
# What a yes/no looks like once Ansible has templated it into text: not a reason.
_YES_NO = {"true", "false", "yes", "no", "on", "off", "y", "n", "1", "0", "none", "null"}


class WindowError(ValueError):
    """A window or an override that cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    timezone: str = TIMEZONE

    @classmethod
    def of(cls, context: dict) -> Window:
        """From a Kommune's context (``umzug_kommune.window``: ISO times with offset, and the timezone)."""
        if not isinstance(context, dict):
            raise WindowError(f"the window {context!r} is not a mapping with start and end")
        try:
            start, end = (datetime.fromisoformat(str(context[edge])) for edge in ("start", "end"))
        except KeyError as err:
            raise WindowError(f"the window {context!r} has no {err.args[0]}") from None
        except ValueError as err:
            raise WindowError(f"the window {context!r} has a time that is not ISO 8601: {err}") from None
        if start.tzinfo is None or end.tzinfo is None:
            raise WindowError(f"the window {context!r} has a time without its offset")
        if end <= start:
            raise WindowError(f"the window {context!r} ends before it starts")
        return cls(start=start, end=end, timezone=str(context.get("timezone") or TIMEZONE))

    def position(self, now: datetime) -> str:
        """``before``, ``inside`` or ``after`` the window at the instant ``now`` (timezone-aware)."""
        if now.tzinfo is None:
            raise WindowError("now must carry its timezone")
        if now < self.start:
            return BEFORE
        if now < self.end:
            return INSIDE
        return AFTER

    def local(self, moment: datetime) -> str:
        """``moment`` as the plan writes times: local ``YYYY-MM-DD HH:MM`` in the window's timezone."""
        return moment.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M")

    @property
    def hours(self) -> float:
        # Between instants: two times in one ZoneInfo would subtract as the wall clock reads.
        return (self.end.timestamp() - self.start.timestamp()) / 3600

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end

    def describe(self, now: datetime) -> dict:
        """The window and now as the gate's result, the journal and the finding texts name them."""
        return {"start": self.local(self.start), "end": self.local(self.end), "timezone": self.timezone,
                "now": self.local(now), "position": self.position(now)}


def override_reason(value) -> str | None:
    """The reason of ``wave_window_override``, or None when no override is given.

    Unset, empty or the boolean false: no override. Text: the reason, trimmed. A bare true, or
    a yes/no as text, is refused: an override outside the agreed window needs its reason in the
    record.
    """
    if value is None or value is False:
        return None
    if value is True or not isinstance(value, str):
        raise WindowError(
            f"wave_window_override is {value!r}; it takes the reason for cutting over outside the "
            "window as text, e.g. -e '{\"wave_window_override\": \"Fenster verlegt, Ticket 4711\"}'"
        )
    reason = value.strip()
    if not reason:
        return None
    if reason.lower() in _YES_NO:
        raise WindowError(
            f"wave_window_override is '{value}', not a reason; it takes the reason for cutting over outside "
            "the window as text, e.g. -e '{\"wave_window_override\": \"Fenster verlegt, Ticket 4711\"}'"
        )
    return reason


def timeline(windows: dict[str, Window]) -> list[dict]:
    """The Kommunen's windows in the order they open (then by id), each with the ids of those it overlaps."""
    order = sorted(windows, key=lambda ident: (windows[ident].start, windows[ident].end, ident))
    return [
        {
            "kommune": ident,
            "start": windows[ident].local(windows[ident].start),
            "end": windows[ident].local(windows[ident].end),
            "timezone": windows[ident].timezone,
            "hours": round(windows[ident].hours, 2),
            "overlaps": [other for other in order if other != ident and windows[ident].overlaps(windows[other])],
        }
        for ident in order
    ]
