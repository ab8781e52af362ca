"""The rate of a pass on the lab's limited link, measured apart from umzug's code.

Both limited-link scenarios (molecule/shares/link.yml over SSH, molecule/windows/link_smb.yml
over SMB) keep a record a pass: the pass's result and progress, and the notes of a sampler on
the RZ file server (lab/tasks/link_sampler.yml) that wrote every 0.2 s, by that server's
clock, how many bytes were on the target. Their testinfra tests read the records and measure
the target's growth here.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

RECORD = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "shares"
# Bytes per second in a Mbit/s, the unit of the schedules' limits.
MBIT = 1_000_000 / 8
# How far a measured rate may be from the limit, as a share of it.
TOLERANCE = 0.10

Note = tuple[float, int]


def record(name: str) -> dict:
    """A pass's record, as the scenario's converge kept it."""
    return json.loads((RECORD / name).read_text(encoding="utf-8"))


def samples(evidence: dict) -> list[Note]:
    """(time, bytes on the target) of each note; the third figure, what the interfaces received, is
    kept for diagnosis only: it counts the protocol's, TCP's and the lab's own traffic as well."""
    return [(float(fields[0]), int(fields[1])) for fields in (line.split() for line in evidence["samples"])]


def step_slope(notes: list[Note], since: float, until: float) -> float:
    """Bytes per second on the target between ``since`` and ``until`` (seconds since the
    epoch), from edge to edge: tar writes what it has read a record (1 MiB) at a time, so the
    bytes on the target rise in steps, a second apart at 8 Mbit/s. Measured between the
    first and the last note at which the bytes rose, a stretch holds whole steps; between two
    arbitrary notes it could hold one step fewer than its length (a fifth less over 5 s)."""
    edges = [now for before, now in itertools.pairwise(notes) if now[1] > before[1] and since <= now[0] <= until]
    assert len(edges) >= 3, edges  # at least two steps to measure
    first, last = edges[0], edges[-1]
    assert last[0] - first[0] >= 2, (first, last)  # enough of a stretch to measure
    return (last[1] - first[1]) / (last[0] - first[0])


def line_slope(notes: list[Note], since: float, until: float) -> float:
    """Bytes per second on the target from ``since`` to ``until`` (seconds since the epoch): the
    least-squares line through the notes between them. The SMB sync's target does not rise in
    equal records as tar's does (``step_slope``): large files land in steps of one SMB read (1 MiB,
    a second's worth at 8 Mbit/s), the small files the walk reads in its compound land whole,
    64 KiB each, and each read is charged to the limiter when it arrives, so a rise is not always
    paid for before it. From edge to edge, the first and the last rise of a stretch could then
    differ in size and tilt the measure; a line through every note averages steps of any size,
    where two notes might each fall on a step's edge."""
    points = [n for n in notes if since <= n[0] <= until]
    assert len(points) > 5 and points[-1][0] - points[0][0] >= 2, points  # enough of a stretch to measure
    mean_t = sum(t for t, _ in points) / len(points)
    mean_b = sum(b for _, b in points) / len(points)
    return (sum((t - mean_t) * (b - mean_b) for t, b in points)
            / sum((t - mean_t) ** 2 for t, _ in points))


def within(measured: float, limit: float, share: float = TOLERANCE) -> bool:
    """Whether ``measured`` keeps to ``limit``, no further from it than ``share`` of it."""
    return abs(measured - limit) <= share * limit


def assert_steady_limit_kept(evidence: dict, limit: float, slope) -> None:
    """A pass under one limit kept it within the tolerance, by its own figures and by the
    sampler's notes; ``slope`` measures the target's growth over a stretch of the notes
    (``step_slope`` or ``line_slope``, whichever fits how the path writes)."""
    total, result = evidence["total"], evidence["pass"]
    # The pass's own figures: one stretch under the limit, its rate within the tolerance.
    [stretch] = result["transfer"]
    assert stretch["limit_bytes_per_s"] == limit and total <= stretch["bytes"] <= total * 1.01, stretch
    assert within(stretch["rate_bytes_per_s"], limit), stretch
    assert evidence["progress"]["limit_bytes_per_s"] == limit, evidence["progress"]
    assert evidence["progress"]["bytes"] == total, evidence["progress"]
    # Apart from umzug: the target's bytes by the clock. From the first byte to the last...
    notes = samples(evidence)
    assert notes[-1][1] == total, notes[-1]
    first = next(n for n in notes if n[1] > 0)
    full = next(n for n in notes if n[1] >= total)
    assert within((full[1] - first[1]) / (full[0] - first[0]), limit), (first, full)
    # ... and between 10 % and 90 % of them.
    start = next(n for n in notes if n[1] >= total / 10)[0]
    end = next(n for n in notes if n[1] >= total * 9 / 10)[0]
    assert within(slope(notes, start, end), limit), (start, end)


def assert_limit_change_took_effect(evidence: dict, slow: float, fast: float, slope) -> None:
    """A pass whose limit changed from ``slow`` to ``fast`` at the record's ``boundary`` kept
    each within the tolerance, by its own figures and by the sampler's notes (``slope`` as for
    ``assert_steady_limit_kept``)."""
    total, boundary, result = evidence["total"], evidence["boundary"], evidence["pass"]
    # The pass's own figures: the slow limit up to the boundary, the fast one after it, each kept.
    before, after = result["transfer"]
    assert (before["limit_bytes_per_s"], after["limit_bytes_per_s"]) == (slow, fast), (before, after)
    assert total <= before["bytes"] + after["bytes"] <= total * 1.01, (before, after)
    assert within(before["rate_bytes_per_s"], slow), before
    assert within(after["rate_bytes_per_s"], fast), after
    # Apart from umzug: content arrived before the boundary and after it, at each limit.
    notes = samples(evidence)
    started = next(n for n in notes if n[1] > 0)[0]
    full = next(n for n in notes if n[1] >= total)[0]
    assert started < boundary - 2 and full > boundary + 2, (started, boundary, full)
    assert within(slope(notes, started, boundary), slow), notes
    # The schedule is looked up once a second: the new limit holds from a second after the boundary.
    assert within(slope(notes, boundary + 1.2, full), fast), notes
