"""Benchmark: build and render the report for one wave of 100 Kommunen with 1,000 findings each.

    .venv/bin/python bench/report_render.py [--kommunen 100] [--findings 1000] [--out artifacts/bench]

Prints the seconds each step takes; docs/benchmarks.md records the figures.
"""

import argparse
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
    render_html,
    render_json,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.scrub import Scrubber

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kommunen", type=int, default=100)
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    args = parser.parse_args()
    timings = {}
    start = time.perf_counter()
    builder = synthetic_builder(args.kommunen, args.findings)
    timings["collect (scrub + add)"] = time.perf_counter() - start
    start = time.perf_counter()
    report = builder.build({}, "2025-03-01T11:00:00+00:00")
    timings["build model"] = time.perf_counter() - start
    start = time.perf_counter()
    text = render_json(report)
    timings["report.json (validate + dump)"] = time.perf_counter() - start
    start = time.perf_counter()
    html = render_html(report, "de")
    timings["report.html"] = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(text, encoding="utf-8")
    (args.out / "report.html").write_text(html, encoding="utf-8")
    print(f"{args.kommunen} Kommunen x {args.findings} findings = {args.kommunen * args.findings} findings")
    for step, seconds in timings.items():
        print(f"  {step:<32} {seconds:6.2f} s")
    print(f"  {'total':<32} {sum(timings.values()):6.2f} s")
    print(f"  sizes: report.json {len(text) / 1e6:.1f} MB, report.html {len(html) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
