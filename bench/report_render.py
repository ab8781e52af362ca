"""Benchmark: build and render the report for one wave of 100 Kommunen with 1,000 findings each.

    .venv/bin/python bench/report_render.py [--kommunen 100] [--findings 1000] [--out artifacts/bench] [--full-check]

Prints the seconds each part takes, as the report callback does them: collecting (each finding
scrubbed and checked by the findings model as it comes in), building the model, report.json
(the schema check of its structure, then the text) and report.html, the last three with the cyclic
garbage collector paused as the callback pauses it. --full-check also times the whole report against
the schema, every finding included (validate_report), which report.json's path no longer does.
Prints the load average too: the machine is shared. docs/benchmarks.md records the figures.
"""

import argparse
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "collections"))

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import SEVERITIES
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    ReportBuilder,
    parse_waivers,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.render import (
    json_text,
    render_html,
    validate_report,
    validate_structure,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.scrub import Scrubber
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import cyclic_gc_paused

KEYS = [
    "shares.path_too_long",
    "shares.acl_unmapped",
    "accounts.name_collision",
    "accounts.weak_hash",
    "clients.fachverfahren_path",
    "clients.drive_mapping",
]


def synthetic_builder(kommunen: int, findings: int, seed: int = 1) -> ReportBuilder:
    rng = random.Random(seed)
    waivers = parse_waivers(
        [{"key": "accounts.weak_hash", "owner": "RZ", "reason": "bench", "expires": "2999-01-01"}]
    )
    builder = ReportBuilder(
        {
            "id": "bench",
            "started": "2025-03-01T10:00:00+00:00",
            "check_mode": True,
            "playbooks": ["bench.yml"],
            "limit": None,
            "tags": [],
            "skip_tags": [],
            "ansible_version": "bench",
            "language": "de",
            "plan_hashes": [],
        },
        waivers,
        date(2025, 3, 1),
    )
    scrubber = Scrubber(["Bench-Secret-1"])
    for number in range(kommunen):
        ident = f"kommune-{number:03d}"
        builder.kommune(ident, name=f"Gemeinde {number:03d}", ags=f"09{number:06d}", wave=1)
        host = f"{ident}-fs"
        builder.add_host(host, ident)
        for index in range(findings):
            key = rng.choice(KEYS)
            finding = {
                "key": key,
                "title": f"Befund {index} in {ident}",
                "summary": f"Pfad \\\\{host}\\daten\\Abteilung{index % 40}\\Unterordner{index} ist betroffen.",
                "severity": rng.choice(SEVERITIES),
                "payload": key.split(".")[0],
                "inhibitor": rng.random() < 0.02,
                "resources": [f"\\\\{host}\\daten\\{index}"],
                "remediation": {"kind": "hint", "text": "Ordnernamen kürzen."},
            }
            builder.add_finding(scrubber.data(finding), host, ident, "Probelauf Freigaben")
        builder.add_changes(
            {
                "payload": "shares",
                "counts": {"copied": findings * 10},
                "items": {"copied": [f"datei{i}" for i in range(200)]},
                "truncated": True,
            },
            host,
            ident,
            "Freigaben kopieren",
        )
    return builder


class Clock:
    """The seconds of each part, in the order they ran: wall time, and the CPU time of this process
    (on a shared machine the wall time also counts the time other processes had the CPUs)."""

    def __init__(self):
        self.parts: dict[str, tuple[float, float]] = {}

    def part(self, name: str, work):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        self.parts[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    def total(self) -> tuple[float, float]:
        return sum(wall for wall, _cpu in self.parts.values()), sum(cpu for _wall, cpu in self.parts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kommunen", type=int, default=100)
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    parser.add_argument("--full-check", action="store_true", help="also time the schema check of every finding")
    args = parser.parse_args()
    load_before = os.getloadavg()
    clock = Clock()
    builder = clock.part("collect (scrub + findings model)", lambda: synthetic_builder(args.kommunen, args.findings))
    with cyclic_gc_paused():
        report = clock.part("build model", lambda: builder.build({}, "2025-03-01T11:00:00+00:00"))
        clock.part("report.json: schema, structure", lambda: validate_structure(report))
        text = clock.part("report.json: text", lambda: json_text(report))
        html = clock.part("report.html", lambda: render_html(report, "de"))
    total = clock.total()
    if args.full_check:
        with cyclic_gc_paused():
            clock.part("(not on the path) schema, every finding", lambda: validate_report(report))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(text, encoding="utf-8")
    (args.out / "report.html").write_text(html, encoding="utf-8")
    print(f"{args.kommunen} Kommunen x {args.findings} findings = {args.kommunen * args.findings} findings")
    print(f"  {'part':<42} {'wall':>8} {'CPU':>8}")
    for step, (wall, cpu) in clock.parts.items():
        print(f"  {step:<42} {wall:6.2f} s {cpu:6.2f} s")
        if step == "report.html":
            print(f"  {'total':<42} {total[0]:6.2f} s {total[1]:6.2f} s")
    print(f"  sizes: report.json {len(text) / 1e6:.1f} MB, report.html {len(html) / 1e6:.1f} MB")
    load_after = os.getloadavg()
    print(f"  load average (1, 5, 15 min) before: {' '.join(f'{v:.2f}' for v in load_before)}, "
          f"after: {' '.join(f'{v:.2f}' for v in load_after)} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
