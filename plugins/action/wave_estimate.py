# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs kommunal.umzug.wave_estimate on the controller, where the Welle's journals are.

The model is plugin_utils/wave/estimate.py's; this reads its inputs (the discovered shares,
the Kommune's link, transfer schedule and window, the journals of the Welle) and turns a
cut-over that does not fit the window into the finding wave.window_too_short.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ansible.plugins.action import ActionBase

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import parse_window_time
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import estimate as model
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import Window, WindowError

ARGUMENT_SPEC = {
    "kommune": {"type": "str", "required": True},
    "wave": {"type": "str", "required": True},
    "journal_dir": {"type": "path", "required": True},
    "discovered": {"type": "dict", "default": {}},
    "link": {"type": "dict"},
    "transfer": {"type": "dict"},
    "window": {"type": "dict"},
    "source_kind": {"type": "str", "default": "samba", "choices": ["samba", "windows"]},
    "seed_start": {"type": "str", "default": ""},
    "settings": {"type": "dict", "default": {}},
}


def read_journals(folder: Path, kommune: str) -> tuple[dict | None, list[dict], list[str]]:
    """This Kommune's journal, the other Kommunen's of the wave, and what could not be read."""
    own, others, unreadable = None, [], []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            unreadable.append(f"{path}: {err}")
            continue
        if path.stem == kommune:
            own = data
        else:
            others.append(data)
    return own, others, unreadable


def discovered_shares(discovered: dict) -> list[dict]:
    """The shares each host's discovery found (share_discover's result by host), with the host."""
    return [dict(share, host=host) for host, result in sorted(discovered.items())
            for share in (result or {}).get("shares") or ()]


def seed_start_of(text: str) -> datetime | None:
    """``YYYY-MM-DD HH:MM`` in Europe/Berlin as the plan writes times, or ISO 8601 with its offset."""
    if not text:
        return None
    local = parse_window_time(text)
    if local is not None:
        return local
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise model.EstimateError(f"wave_estimate_seed_start '{text}' is not a time 'YYYY-MM-DD HH:MM' "
                                  "(Europe/Berlin) nor ISO 8601 with its offset")
    return moment


def window_finding(kommune: str, result: dict, window: Window) -> dict | None:
    """wave.window_too_short when the estimated cut-over is longer than the window."""
    cutover = result["cutover"]
    if cutover["fits"] is not False:
        return None
    steps = sum(step["seconds"] for step in cutover["steps"].values())
    text = model.duration_text
    return Finding.of(
        "wave.window_too_short", kommune=kommune, resources=(kommune,),
        needed=text(cutover["seconds"]), final_sync=text(result["final_sync"]["seconds"]), steps=text(steps),
        start=window.local(window.start), end=window.local(window.end), timezone=window.timezone,
        window=text(cutover["window_seconds"]),
    ).to_dict()


def run_estimate(args: dict, now: datetime) -> dict:
    own, others, unreadable = read_journals(Path(args["journal_dir"]) / f"wave-{args['wave']}", args["kommune"])
    window = Window.of(args["window"]) if args["window"] else None
    result = model.estimate(
        shares=model.shares_of(discovered_shares(args["discovered"])), link=args["link"],
        schedule=(args["transfer"] or {}).get("schedule"), window=window, own_journal=own, wave_journals=others,
        now=now, seed_start=seed_start_of(args["seed_start"]), overrides=args["settings"], kind=args["source_kind"],
        compress=bool((args["transfer"] or {}).get("compress")),
    )
    finding = window_finding(args["kommune"], result, window) if window else None
    answer = {"changed": False, model.RESULT_ESTIMATE: result, RESULT_FINDINGS: [finding] if finding else []}
    if unreadable:
        answer["warnings"] = [f"journal not read for the estimate: {entry}" for entry in unreadable]
    return answer


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        # Check mode estimates as the real run does: nothing is changed either way.
        try:
            result.update(run_estimate(args, datetime.now(UTC)))
        except (model.EstimateError, WindowError) as err:
            result.update(failed=True, msg=str(err))
        return result
