# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long a Kommune's seed and final pass take, and whether its cut-over fits its window.

The one model of the dry run's estimates (docs/wave.md "Estimates"), pure functions with the
time passed in. A pass of one file server costs

    server_seconds                            once per file server
  + share_seconds x shares                    a share's pass: sessions, agent, listings
  + list_file_seconds x files                 comparing every path of the share
  + copying                                   the files copied and their bytes

where copying over SSH (a stream: the sender reads the next files while the stream carries
the ones before) is the longer of

    bytes copied x wire_share / rate          the rate in force, walked through the schedule
    file_seconds x files copied

and over SMB (each file opened, read, given its security descriptor and closed in turn)
their sum, with ``round trips x latency`` added to each file's seconds.

where the rate at a moment is the transfer schedule's limit in force then
(module_utils/shares/rate.py ``limit_at``; umzug's limiter keeps it itself, counting the bytes
it reads), at most the share of the link's bandwidth a pass reaches on the wire
(``efficiency``: TCP, SSH or SMB framing). The limiter and the link count the bytes on the
wire, so the content is walked as the bytes it takes there: with the Kommune's
``transfer.compress`` over SSH, ``wire_share`` of them (zstd makes documents a quarter of
their size and leaves scans as they are); otherwise all. Passes of several file servers and
shares are taken one after another (the shares of a Samba source now pass in parallel within
one job: an upper bound there).

What was measured takes the place of the defaults, this Kommune's first, else the other
Kommunen's of the Welle (their journals):
- the throughput: passes that moved enough data (``MEASURE_MIN_SECONDS`` of it at the link's
  rate) give the rate they reached; under a limit as the share of the limit they reached
  (``limit_share``), without one as the rate itself (a ceiling: the link, the disks);
- the fixed cost per share: passes that moved little give what a share costs besides its data;
- the bytes on the wire per byte of content of a compressed stream: compressed passes that
  moved enough data give the bytes they took on the wire (``wire_bytes``) against their content;
  before any such pass of the Kommune, the sample of its shares' content that discovery
  compressed as a pass would (share_discover's ``wire_sample``, ``SOURCE_SAMPLE``) comes
  before the other Kommunen's passes: how well data compresses is the Kommune's data's own;
- a typical day's change: successive passes of a share at least ``CHANGE_MIN_HOURS`` apart
  give the share of its data and files that changed per day;
- the other cut-over steps: the time between the steps of an earlier cut-over in the journal.
Otherwise the defaults below (overridable by the wave role's ``wave_estimate_*``).

Controller side only.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import Window

RESULT_ESTIMATE = "umzug_estimate"
SOURCE_KOMMUNE, SOURCE_WAVE, SOURCE_LINK, SOURCE_DEFAULT = "kommune", "wave", "link", "default"
SOURCE_SAMPLE = "sample"
# A pass whose data would take less than this at the link's rate tells nothing of the
# throughput (its time is fixed costs), only of those.
MEASURE_MIN_SECONDS = 10.0
# Passes closer together than this tell nothing about a day's changes.
CHANGE_MIN_HOURS = 6.0
# Without a link in the plan: a LAN.
DEFAULT_BANDWIDTH = 1000.0
# The cut-over's steps besides the final pass, as the estimate names them, in the order they
# run, and the journal's step ids each one covers (roles/wave/vars/main.yml). service_resumed,
# the journal's mark, ends the name switch.
CUTOVER_STEPS = {
    "gate_freeze": ("gate", "freeze", "disable_source"),
    "accounts_delta": ("accounts_delta",),
    "clients_rewrite": ("clients_rewrite",),
    "shares_verify": ("shares_verify",),
    "acceptance_frozen": ("acceptance_frozen",),
    "name_switch": ("name_switch", "service_resumed"),
    "acceptance": ("acceptance",),
}
# The Kommune's downtime: the final pass and these steps, from the freeze to service resumed
# (the gate's few seconds before the freeze count with it). The acceptance suite's parts that
# need no still data (``acceptance``) run after.
DOWNTIME_STEPS = ("gate_freeze", "accounts_delta", "clients_rewrite", "shares_verify", "acceptance_frozen",
                  "name_switch")
# A cut-over journaled before its acceptance suite ran in two has no service_resumed: its one
# ``acceptance`` ran every part inside the freeze, which is what ``acceptance_frozen`` takes.
SPLIT_MARK = "service_resumed"
FINAL_PASS_STEP = "final_sync"
PASS_STEPS = ("shares_seed", "final_sync")

# Seconds, each documented in docs/wave.md "Estimates"; the lab's make demo measured the
# cut-over's parts (6 shares: gate and freeze 5 s, about 7 s per share of a final pass of tiny
# shares, accounts, clients and names 18 s, verify 13 s), the Molecule scenario wave the
# acceptance suite's two runs (6 shares: 14 s inside the freeze, 36 s after; docs/wave.md "Estimates").
# The freeze's and verify's per share are the Molecule scenario shares' (six shares, one run of
# each module for all of them): the freeze 1.3 s, 0.26 s of it Samba's reload and the six
# shares' closing; verify 5.4 s, 1.7 s of it the five small shares beside the large one.
DEFAULTS = {
    "efficiency": 0.9,
    # The shares of a file server pass in one job over one SSH connection (docs/shares.md
    # "Several shares in one job"): its start, connection and following are paid once per file
    # server, a share adds its own listing and start inside the job. The lab's shares scenario
    # measured four final passes of its 6 tiny shares (two runs, each with its idempotence run):
    # the role's action 5.2 to 8.2 s, of which the job 1.0 to 2.6 s (0.17 to 0.43 s per share);
    # the rest, 4.2 to 5.8 s, is the file server's.
    "server_seconds": 5.0,
    "share_seconds": 0.3,
    "list_file_seconds": 0.0005,
    "file_seconds": 0.002,
    # Round trips per copied file: the SSH path streams (tar), the SMB path opens, reads,
    # sets the security descriptor and closes each file.
    "file_round_trips": {"samba": 0, "windows": 4},
    # Bytes on the wire per byte of content with transfer.compress, until a compressed pass or
    # discovery's sample measured it: nothing is assumed to shrink (a share of scans does not).
    "wire_share": 1.0,
    "daily_change": {"bytes_percent": 2.0, "files_percent": 1.0},
    "steps": {
        "gate_freeze": {"seconds": 3.0, "per_share": 0.05},
        "accounts_delta": {"seconds": 8.0, "per_share": 0.0},
        "clients_rewrite": {"seconds": 5.0, "per_share": 0.0},
        "shares_verify": {"seconds": 3.4, "per_share": 0.35},
        "acceptance_frozen": {"seconds": 8.0, "per_share": 1.0},
        "name_switch": {"seconds": 5.0, "per_share": 0.0},
        "acceptance": {"seconds": 36.0, "per_share": 0.0},
    },
}


class EstimateError(ValueError):
    """Inputs the estimate cannot use; the message names them."""


def settings(overrides: dict | None) -> dict:
    """The defaults with the overrides laid over them (nested mappings key by key)."""
    def merge(base: dict, extra: dict) -> dict:
        result = dict(base)
        for key, value in (extra or {}).items():
            if key not in base:
                raise EstimateError(f"'{key}' is not a setting of the estimate ({', '.join(sorted(base))})")
            result[key] = merge(base[key], value) if isinstance(base[key], dict) else float(value)
        return result
    return merge(DEFAULTS, overrides or {})


@dataclass(frozen=True)
class Share:
    name: str
    files: int
    bytes: int
    host: str = ""
    # Discovery's sample of the content, compressed as a pass would (0: none taken).
    sampled_bytes: int = 0
    sampled_wire_bytes: int = 0


def shares_of(entries: list[dict]) -> list[Share]:
    """The discovered shares (share_discover's ``shares``, with the host that found them)."""
    return [Share(name=str(e["name"]), files=int(e.get("files") or 0), bytes=int(e.get("bytes") or 0),
                  host=str(e.get("host") or ""),
                  sampled_bytes=int((e.get("wire_sample") or {}).get("sampled_bytes") or 0),
                  sampled_wire_bytes=int((e.get("wire_sample") or {}).get("wire_bytes") or 0)) for e in entries]


# --- the rate over time ---------------------------------------------------------------------

def link_bytes_per_second(link: dict | None) -> float:
    bandwidth = (link or {}).get("bandwidth") or DEFAULT_BANDWIDTH
    return rate.mbit_to_bytes(float(bandwidth))


def rate_at(moment: datetime, schedule: dict | None, link: dict | None, throughput: dict) -> float:
    """Bytes/s a pass moves at ``moment``: the limit in force (times the share of it passes reached),
    at most what the link carries (its bandwidth times the efficiency) and a measured ceiling."""
    result = link_bytes_per_second(link) * throughput["efficiency"]
    limit = rate.limit_at(schedule, moment)
    if limit is not None:
        result = min(result, rate.mbit_to_bytes(limit) * throughput["limit_share"])
    if throughput.get("ceiling_bytes_per_s"):
        result = min(result, throughput["ceiling_bytes_per_s"])
    return result


def next_change(schedule: dict | None, moment: datetime) -> datetime | None:
    """The first moment after ``moment`` at which the schedule's limit may change (an entry's
    start or end, in Europe/Berlin), None when it never changes."""
    periods = rate.periods(schedule)
    if not periods:
        return None
    zone = ZoneInfo(rate.TIMEZONE)
    local = moment.astimezone(zone)
    candidates = []
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        for period in periods:
            if day.weekday() not in period.days:
                continue
            for second in (period.start, period.end):
                edge = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(seconds=second)
                edge = edge.astimezone(zone)
                if edge > local:
                    candidates.append(edge)
    return min(candidates) if candidates else None


def walk(start: datetime, nbytes: float, schedule: dict | None, link: dict | None, throughput: dict) -> dict:
    """Moves ``nbytes`` from ``start`` through the schedule: when it ends, and each stretch at
    one rate (its start, the limit in force in Mbit/s or None, seconds, bytes). Reckoned in UTC:
    a day with the change to or from summer time is as long as it is."""
    moment, left, stretches = start.astimezone(UTC), float(nbytes), []
    # Less than a byte left is the rounding of the stretches before.
    while left >= 1:
        speed = rate_at(moment, schedule, link, throughput)
        change = next_change(schedule, moment)
        room = (change - moment).total_seconds() if change else None
        seconds = left / speed if room is None or left <= speed * room else room
        moved = min(left, speed * seconds)
        stretches.append({"start": local_text(moment),
                          "limit_mbit": rate.limit_at(schedule, moment), "seconds": round(seconds, 1),
                          "bytes": round(moved)})
        left -= moved
        moment += timedelta(seconds=seconds)
        if len(stretches) > 10000:
            raise EstimateError("the data would take more than ten thousand changes of the limit to move")
    return {"end": moment, "stretches": stretches}


# --- what was measured ----------------------------------------------------------------------

def step_id(step: str) -> str:
    """The step of a journal entry's name (``final_sync@kommune-a-fs``: ``final_sync``)."""
    return str(step).split("@", maxsplit=1)[0]


def journal_passes(journal: dict) -> list[dict]:
    """Every share pass a journal records (the seed's and final passes' step records, also of
    attempts moved into the history), each with when its step completed."""
    phases = [journal.get("phases") or {}] + [entry.get("phases") or {} for entry in journal.get("history") or ()]
    passes = []
    for phase_steps in phases:
        for entries in phase_steps.values():
            for entry in entries:
                if step_id(entry.get("step", "")) not in PASS_STEPS:
                    continue
                for item in (entry.get("record") or {}).get("passes") or ():
                    passes.append(dict(item, at=entry["at"]))
    return passes


def measured_throughput(passes: list[dict], link: dict | None, costs: dict) -> dict | None:
    """The share of the limit (under one) and the ceiling (without one) the data-heavy passes
    reached; None without such passes."""
    link_rate = link_bytes_per_second(link)
    limited, unlimited = [], []
    for item in passes:
        nbytes = int(item.get("bytes") or 0)
        if nbytes / link_rate < MEASURE_MIN_SECONDS:
            continue
        stretches = [s for s in item.get("transfer") or () if s.get("bytes") and s.get("seconds")]
        if stretches:
            for stretch in stretches:
                if stretch.get("limit_bytes_per_s"):
                    limited.append(stretch["bytes"] / stretch["seconds"] / stretch["limit_bytes_per_s"])
                else:
                    unlimited.append(stretch["bytes"] / stretch["seconds"])
            continue
        # The sync's own seconds (no Ansible around them): the listing besides the stream.
        fixed = int(item.get("paths") or item.get("files") or 0) * costs["list_file_seconds"]
        # In the bytes the walk moves: those on the wire (a compressed pass's fewer), where recorded.
        moved = int(item.get("wire_bytes") or 0) or nbytes
        unlimited.append(moved / max(float(item.get("seconds") or 0) - fixed, 1.0))
    if not limited and not unlimited:
        return None
    return {"efficiency": costs["efficiency"],
            "limit_share": round(min(statistics.median(limited), 1.0), 3) if limited else 1.0,
            "ceiling_bytes_per_s": round(statistics.median(unlimited)) if unlimited else None,
            "measured": len(limited) + len(unlimited)}


def measured_wire_share(passes: list[dict], link: dict | None) -> float | None:
    """The bytes on the wire per byte of content of compressed passes (their record names the
    codec and the bytes on the wire) that moved enough data; None without such passes."""
    link_rate = link_bytes_per_second(link)
    shares = [int(item["wire_bytes"]) / int(item["bytes"]) for item in passes
              if item.get("codec") not in (None, "none") and item.get("wire_bytes")
              and int(item.get("bytes") or 0) / link_rate >= MEASURE_MIN_SECONDS]
    return round(statistics.median(shares), 3) if shares else None


def sampled_wire_share(shares: list[Share]) -> float | None:
    """The bytes on the wire per byte of content discovery's samples found, each share's weighted
    by its bytes (a seed moves each share's bytes at its own share); shares without a sample
    count at the sampled ones' mix. None when no share was sampled."""
    sampled = [share for share in shares if share.sampled_bytes > 0]
    weight = sum(share.bytes for share in sampled)
    if not weight:
        total = sum(share.sampled_bytes for share in sampled)
        return round(sum(share.sampled_wire_bytes for share in sampled) / total, 3) if total else None
    return round(sum(share.bytes * share.sampled_wire_bytes / share.sampled_bytes for share in sampled) / weight, 3)


def pass_wall_seconds(item: dict) -> float:
    """What a share's pass took the Welle: from its start to its result (``wall_seconds``, the
    starting and following included), else the sync module's own seconds."""
    return float(item.get("wall_seconds") or item.get("seconds") or 0)


def measured_share_seconds(passes: list[dict], link: dict | None, costs: dict) -> float | None:
    """What a share's pass costs besides its data and files, from passes that moved little."""
    link_rate = link_bytes_per_second(link) * costs["efficiency"]
    fixed = [pass_wall_seconds(item) - int(item.get("files") or 0) * costs["file_seconds"]
             - int(item.get("bytes") or 0) / link_rate
             for item in passes if int(item.get("bytes") or 0) / link_rate < MEASURE_MIN_SECONDS]
    return round(max(statistics.median(fixed), 0.0), 2) if fixed else None


def measured_daily_change(passes: list[dict]) -> dict | None:
    """The share of data and files changed per day, from successive passes of a share at least
    CHANGE_MIN_HOURS apart (the later pass copies what changed since the earlier; the share's
    first pass copied all of it)."""
    by_share: dict[str, list[dict]] = {}
    for item in passes:
        by_share.setdefault(str(item.get("share")), []).append(item)
    byte_rates, file_rates = [], []
    for items in by_share.values():
        items.sort(key=lambda i: i["at"])
        first = items[0]
        for earlier, later in pairwise(items):
            days = (datetime.fromisoformat(later["at"]) - datetime.fromisoformat(earlier["at"])).total_seconds() / 86400
            if days * 24 < CHANGE_MIN_HOURS:
                continue
            byte_rates.append(100 * int(later.get("bytes") or 0) / max(int(first.get("bytes") or 0), 1) / days)
            file_rates.append(100 * int(later.get("files") or 0) / max(int(first.get("files") or 0), 1) / days)
    if not byte_rates:
        return None
    return {"bytes_percent": round(min(statistics.mean(byte_rates), 100.0), 3),
            "files_percent": round(min(statistics.mean(file_rates), 100.0), 3), "pairs": len(byte_rates)}


def step_seconds(journal: dict) -> dict[str, float]:
    """How long each cut-over step took in the journal's latest cut-over (also a rolled-back one):
    the time from the step before it to the step's own record, summed over its hosts' records."""
    attempts = [entry.get("phases", {}).get("cutover") for entry in journal.get("history") or ()]
    attempts.append((journal.get("phases") or {}).get("cutover"))
    attempts = [a for a in attempts if a]
    if not attempts:
        return {}
    entries = sorted(attempts[-1], key=lambda e: e["at"])
    split = any(step_id(entry["step"]) == SPLIT_MARK for entry in entries)
    seconds: dict[str, float] = {}
    for before, entry in pairwise(entries):
        if before.get("run") != entry.get("run"):
            continue
        ident = step_id(entry["step"])
        if ident == "acceptance" and not split:
            ident = "acceptance_frozen"
        took = (datetime.fromisoformat(entry["at"]) - datetime.fromisoformat(before["at"])).total_seconds()
        for name, steps in CUTOVER_STEPS.items():
            if ident in steps:
                seconds[name] = seconds.get(name, 0.0) + took
    return seconds


def first_measured(own, others, measure):
    """``(value, source)``: the Kommune's own measurement, else the Welle's, else (None, None)."""
    value = measure(own)
    if value is not None:
        return value, SOURCE_KOMMUNE
    value = measure(others)
    if value is not None:
        return value, SOURCE_WAVE
    return None, None


# --- the estimate ---------------------------------------------------------------------------

def pass_parts(shares: list[Share], copied_files: float, copied_bytes_seconds: float, costs: dict,
               latency_ms: float, kind: str) -> dict:
    """The parts of one pass over ``shares``: fixed, per file, and the data's seconds (walked).
    A stream (no round trips per file: the SSH path) copies its files while it carries their
    bytes, so ``files`` holds only what the files take beyond the data's seconds."""
    servers = len({share.host for share in shares}) or 1
    round_trips = costs["file_round_trips"].get(kind, costs["file_round_trips"]["samba"])
    per_file = costs["file_seconds"] + round_trips * latency_ms / 1000
    fixed = servers * costs["server_seconds"] + len(shares) * costs["share_seconds"]
    copying = copied_files * per_file
    if not round_trips:
        copying = max(copying - copied_bytes_seconds, 0.0)
    files = sum(share.files for share in shares) * costs["list_file_seconds"] + copying
    return {"fixed": round(fixed, 1), "files": round(files, 1), "data": round(copied_bytes_seconds, 1),
            "total": round(fixed + files + copied_bytes_seconds, 1)}


def estimate(*, shares: list[Share], link: dict | None, schedule: dict | None, window: Window | None,
             own_journal: dict | None, wave_journals: list[dict], now: datetime, seed_start: datetime | None = None,
             overrides: dict | None = None, kind: str = "samba", compress: bool = False) -> dict:
    """The Kommune's estimate as report.json carries it (``kommunen[].estimate``); ``window`` is the
    Kommune's (window.py), None without one; ``compress``: the Kommune's ``transfer.compress``
    (the SSH path compresses, the SMB path of a windows source does not)."""
    costs = settings(overrides)
    own = journal_passes(own_journal or {})
    others = [item for journal in wave_journals for item in journal_passes(journal)]
    latency = float((link or {}).get("latency") or 0)

    throughput, throughput_source = first_measured(own, others, lambda p: measured_throughput(p, link, costs))
    if throughput is None:
        throughput = {"efficiency": costs["efficiency"], "limit_share": 1.0, "ceiling_bytes_per_s": None,
                      "measured": 0}
        throughput_source = SOURCE_LINK
    share_cost, share_cost_source = first_measured(own, others, lambda p: measured_share_seconds(p, link, costs))
    if share_cost is not None:
        costs["share_seconds"] = share_cost
    change, change_source = first_measured(own, others, measured_daily_change)
    if change is None:
        change, change_source = dict(costs["daily_change"]), SOURCE_DEFAULT
    wire_share, wire_source = (wire_share_of(shares, own, others, link, costs) if compress and kind == "samba"
                               else (1.0, None))

    total_bytes, total_files = sum(s.bytes for s in shares), sum(s.files for s in shares)
    start, start_source = ((seed_start, "option") if seed_start else (now, "now"))
    start = start.astimezone(UTC)
    seed_walk = walk(start, total_bytes * wire_share, schedule, link, throughput)
    seed_data = (seed_walk["end"] - start).total_seconds()
    seed = pass_parts(shares, total_files, seed_data, costs, latency, kind)

    changed_bytes = round(total_bytes * change["bytes_percent"] / 100)
    changed_files = round(total_files * change["files_percent"] / 100)
    steps = cutover_steps(len(shares), costs, own_journal, wave_journals)
    final_start = _final_start(window, now).astimezone(UTC) + timedelta(seconds=steps["gate_freeze"]["seconds"])
    final_walk = walk(final_start, changed_bytes * wire_share, schedule, link, throughput)
    final = pass_parts(shares, changed_files, (final_walk["end"] - final_start).total_seconds(), costs,
                       latency, kind)
    needed = final["total"] + sum(step["seconds"] for step in steps.values())
    downtime = final["total"] + sum(steps[name]["seconds"] for name in DOWNTIME_STEPS)
    window_seconds = _window_seconds(window)
    return {
        "inputs": {
            "shares": len(shares), "files": total_files, "bytes": total_bytes,
            "by_share": [{"name": s.name, "host": s.host, "files": s.files, "bytes": s.bytes} for s in shares],
            "link": {"bandwidth": (link or {}).get("bandwidth"), "latency": (link or {}).get("latency"),
                     "assumed_bandwidth": None if (link or {}).get("bandwidth") else DEFAULT_BANDWIDTH},
            "schedule": schedule,
            "source_kind": kind,
            "throughput": {"source": throughput_source, "efficiency": round(throughput["efficiency"], 3),
                           "limit_share": throughput["limit_share"],
                           "ceiling_bytes_per_s": throughput["ceiling_bytes_per_s"],
                           "measured": throughput["measured"]},
            "share_seconds": {"source": share_cost_source or SOURCE_DEFAULT, "seconds": costs["share_seconds"]},
            # source None: the stream is not compressed, every byte of content is on the wire.
            "wire_share": {"compress": bool(compress and kind == "samba"), "source": wire_source,
                           "value": wire_share},
            "daily_change": {"source": change_source, "bytes_percent": change["bytes_percent"],
                             "files_percent": change["files_percent"]},
            "costs": {**{name: costs[name] for name in ("server_seconds", "list_file_seconds", "file_seconds")},
                      "file_round_trips": costs["file_round_trips"].get(kind, 0)},
        },
        "seed": {"start": local_text(start), "start_source": start_source,
                 "end": local_text(start + timedelta(seconds=seed["total"])),
                 "seconds": seed["total"], "parts": seed, "stretches": seed_walk["stretches"][:50]},
        "final_sync": {"start": local_text(final_start), "bytes": changed_bytes,
                       "files": changed_files, "seconds": final["total"], "parts": final},
        "cutover": {"steps": steps, "seconds": round(needed, 1),
                    # From the freeze to service resumed: the final pass and DOWNTIME_STEPS.
                    "downtime": {"seconds": round(downtime, 1), "steps": [FINAL_PASS_STEP, *DOWNTIME_STEPS],
                                 "after": [name for name in steps if name not in DOWNTIME_STEPS]},
                    "window_seconds": window_seconds,
                    "fits": None if window_seconds is None else needed <= window_seconds},
    }


def wire_share_of(shares: list[Share], own: list[dict], others: list[dict], link: dict | None,
                  costs: dict) -> tuple[float, str]:
    """``(bytes on the wire per byte of content, source)`` of a compressed stream: this Kommune's
    compressed passes, else discovery's sample of its shares, else the Welle's passes, else the
    default."""
    value = measured_wire_share(own, link)
    if value is not None:
        return value, SOURCE_KOMMUNE
    value = sampled_wire_share(shares)
    if value is not None:
        return value, SOURCE_SAMPLE
    value = measured_wire_share(others, link)
    if value is not None:
        return value, SOURCE_WAVE
    return costs["wire_share"], SOURCE_DEFAULT


def cutover_steps(nshares: int, costs: dict, own_journal: dict | None, wave_journals: list[dict]) -> dict:
    """Each cut-over step besides the final pass: measured in this Kommune's journal, else the
    longest of the Welle's, else the default with its cost per share."""
    own = step_seconds(own_journal or {})
    others = [step_seconds(journal) for journal in wave_journals]
    result = {}
    for name in CUTOVER_STEPS:
        if name in own:
            result[name] = {"seconds": round(own[name], 1), "source": SOURCE_KOMMUNE}
        elif any(name in other for other in others):
            result[name] = {"seconds": round(max(o[name] for o in others if name in o), 1), "source": SOURCE_WAVE}
        else:
            default = costs["steps"][name]
            result[name] = {"seconds": round(default["seconds"] + nshares * default["per_share"], 1),
                            "source": SOURCE_DEFAULT}
    return result


def _final_start(window: Window | None, now: datetime) -> datetime:
    """The final pass runs at the window's start (the schedule's limit then); without a window, now."""
    return window.start if window else now


def _window_seconds(window: Window | None) -> float | None:
    return (window.end - window.start).total_seconds() if window else None


def local_text(moment: datetime) -> str:
    """An instant as ISO 8601 in Europe/Berlin, with its offset."""
    return moment.astimezone(ZoneInfo(rate.TIMEZONE)).isoformat(timespec="seconds")


def duration_text(seconds: float) -> str:
    """``2 d 3 h``, ``3 h 20 min``, ``4 min 10 s``, ``12 s``: as long as it reads well."""
    seconds = round(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"
