# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where reports live on the controller: one folder per run, plus the dry-run baselines.

<report_dir>/<run id>/report.json and report.html, the links ``latest`` and
``latest-dry-run``, and state/<kommune>.json: the findings of the Kommune's last complete
dry run, which the next report compares against. Every file is replaced atomically so that a
run stopped by a signal never leaves half a report behind.

Run folders are named ``<UTC start, %Y%m%dT%H%M%SZ>-<pid>``, so their names sort by the time
the run started; the gate and the Abnahme read them back newest first. The folder itself,
and the waiver file, are the report callback's options: ``ReportSettings.configured()``
reads them as the callback does, so the gate and the Abnahme never work them out again.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason
from ansible_collections.kommunal.umzug.plugins.plugin_utils.files import link_atomic, write_atomic
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    Waiver,
    WaiverError,
    parse_waivers,
    read_waiver_file,
    snapshot,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.render import (
    render_html,
    render_json,
    terminal_summary,
)

CALLBACK = "kommunal.umzug.report"
RUN_FOLDER = re.compile(r"^\d{8}T\d{6}Z-\d+$")


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Around building and writing a report: that makes millions of dicts and strings in one go,
    none of them in a reference cycle, and Python's cyclic collector would walk all of them again
    and again while they grow (a third of the time for 100,000 findings). Reference counting still
    frees each object when it is no longer used; the collector runs as before afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_id(started: datetime, pid: int) -> str:
    """The name of a run's folder (matches RUN_FOLDER)."""
    return f"{started.strftime('%Y%m%dT%H%M%SZ')}-{pid}"


@dataclass(frozen=True)
class ReportSettings:
    """The report callback's options that other plugins need: where reports are, which waivers apply."""

    report_dir: Path
    waiver_file: str | None
    language: str

    @classmethod
    def of(cls, plugin) -> ReportSettings:
        """From a plugin whose options are set: the report callback itself."""
        return cls(
            report_dir=Path(plugin.get_option("report_dir")),
            waiver_file=plugin.get_option("waiver_file") or None,
            language=plugin.get_option("language"),
        )

    @classmethod
    def configured(cls) -> ReportSettings:
        """As the report callback sees them (ansible.cfg, environment, defaults), whether it is enabled or not."""
        from ansible.plugins.loader import callback_loader

        callback = callback_loader.get(CALLBACK)
        callback.set_options()
        return cls.of(callback)


def task_waivers(
    waivers: list | None, waiver_file: str | None, settings: Callable[[], ReportSettings]
) -> list[Waiver]:
    """A task's waivers: those it lists, else those of its waiver file, else the report callback's.

    Raises WaiverError naming the file when a waiver file cannot be used.
    """
    if waivers is not None:
        return parse_waivers(waivers)
    path = waiver_file or settings().waiver_file
    if not path:
        return []
    try:
        return read_waiver_file(path)
    except WaiverError as err:
        raise WaiverError(Reason("waiver_file_unusable", path=path, error=err.reason)) from err


def reports_newest_first(report_dir: str | os.PathLike) -> Iterator[tuple[str, dict]]:
    """Yields ``(path, report)`` for every run folder, newest first.

    A folder without a readable report.json (a run killed before it wrote one) is passed over.
    """
    try:
        names = sorted((name for name in os.listdir(report_dir) if RUN_FOLDER.match(name)), reverse=True)
    except FileNotFoundError:
        return
    for name in names:
        path = os.path.join(report_dir, name, "report.json")
        try:
            with open(path, encoding="utf-8") as handle:
                yield path, json.load(handle)
        except (OSError, ValueError):
            continue


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class ReportStore:
    def __init__(self, root: Path):
        self.root = root

    def state_file(self, kommune: str) -> Path:
        return self.root / "state" / f"{kommune}.json"

    def previous(self) -> dict[str, dict]:
        """The last complete dry run of every Kommune that had one."""
        folder = self.root / "state"
        if not folder.is_dir():
            return {}
        return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")}

    def write(self, report: dict, language: str) -> Path:
        run = report["run"]
        folder = self.root / run["id"]
        write_atomic(folder / "report.json", render_json(report))
        write_atomic(folder / "report.html", render_html(report, language))
        link_atomic(self.root / "latest", run["id"])
        if run["check_mode"] and run["complete"]:
            link_atomic(self.root / "latest-dry-run", run["id"])
            for kommune in report["kommunen"]:
                baseline = {"run_id": run["id"], "findings": snapshot(kommune["findings"])}
                write_atomic(self.state_file(kommune["id"]), json.dumps(baseline, ensure_ascii=False))
        return folder / "report.html"

    @staticmethod
    def summary_lines(report: dict, language: str) -> list[str]:
        return terminal_summary(report, language)
