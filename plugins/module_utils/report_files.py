# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports the report callback left in its report_dir, newest first.

Run folders are named ``<UTC start, %Y%m%dT%H%M%SZ>-<pid>``, so their names sort by the
time the run started. A folder without a readable report.json (a run killed before it
wrote one) is passed over.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

RUN_FOLDER = re.compile(r"^\d{8}T\d{6}Z-\d+$")


def reports_newest_first(report_dir: str):
    """Yields ``(path, report)`` for every run folder, newest first."""
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


def kommune_entry(report: dict, kommune: str) -> dict | None:
    return next((k for k in report.get("kommunen") or () if k.get("id") == kommune), None)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
