# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where reports live on the controller: one folder per run, plus the dry-run baselines.

<report_dir>/<run id>/report.json and report.html, the links ``latest`` and
``latest-dry-run``, and state/<kommune>.json: the findings of the Kommune's last complete
dry run, which the next report compares against. Every file is replaced atomically so that a
run stopped by a signal never leaves half a report behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ansible_collections.kommunal.umzug.plugins.module_utils.report_model import snapshot
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report_render import (
    render_html,
    render_json,
    terminal_summary,
)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def link_atomically(link: Path, target: str) -> None:
    temporary = link.with_name(f".{link.name}.tmp")
    if temporary.is_symlink():
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, link)


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
        write_atomically(folder / "report.json", render_json(report))
        write_atomically(folder / "report.html", render_html(report, language))
        link_atomically(self.root / "latest", run["id"])
        if run["check_mode"] and run["complete"]:
            link_atomically(self.root / "latest-dry-run", run["id"])
            for kommune in report["kommunen"]:
                baseline = {"run_id": run["id"], "findings": snapshot(kommune["findings"])}
                write_atomically(self.state_file(kommune["id"]), json.dumps(baseline, ensure_ascii=False))
        return folder / "report.html"

    @staticmethod
    def summary_lines(report: dict, language: str) -> list[str]:
        return terminal_summary(report, language)
