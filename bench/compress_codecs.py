#!/usr/bin/env python3
"""Benchmark: the codecs a share pass could compress its tar stream with, on office-like data.

Builds bench/office_data.py's tree (office documents that compress as real ones do, plus
already-compressed files), makes a tar stream of each part and of both, and pipes each
stream through every candidate as the Kommune's side of a pass would: zstd at levels 1 and
3, with one compression thread (the CLI's default) and with -T0 (every core); gzip -1; and
Python's zlib at level 1 (what the agent falls back to where the Kommune's server has no
zstd) and level 6 (OpenSSH's fixed level for ssh -C). For each: the share of the bytes left
(wire / raw), the throughput (raw MB/s, wall clock), and CPU seconds per GiB of raw stream.
The decompression of the chosen codecs is timed too (the RZ side).

Streams live in /dev/shm, so the disk does not take part. Run: python3 bench/compress_codecs.py
[--office-mib N] [--packed-mib N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from office_data import write_tree

CHUNK = 1 << 20
COMMANDS = {
    "zstd -1": ["zstd", "-1", "-q", "-c"],
    "zstd -1 -T0": ["zstd", "-1", "-T0", "-q", "-c"],
    "zstd -3": ["zstd", "-3", "-q", "-c"],
    "zstd -3 -T0": ["zstd", "-3", "-T0", "-q", "-c"],
    "gzip -1": ["gzip", "-1", "-c"],
}
PYTHON_ZLIB = {"zlib -1 (Python)": 1, "zlib -6 (ssh -C)": 6}
DECOMPRESS = {"zstd -1": ["zstd", "-d", "-q", "-c"], "zlib -1 (Python)": ["gzip", "-d", "-c"]}


def run_command(argv: list[str], source: Path, target: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of argv reading source, writing target."""
    with source.open("rb") as inp, target.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=inp, stdout=out)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed")
    return wall, usage.ru_utime + usage.ru_stime


def run_zlib(level: int, source: Path, target: Path) -> tuple[float, float]:
    """The agent's fallback: gzip format from zlib, in 1 MiB chunks."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    with source.open("rb") as inp, target.open("wb") as out:
        while chunk := inp.read(CHUNK):
            out.write(compressor.compress(chunk))
        out.write(compressor.flush())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--office-mib", type=float, default=64)
    parser.add_argument("--packed-mib", type=float, default=32)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        work = Path(tmp)
        sizes = write_tree(work / "tree", args.office_mib, args.packed_mib)
        streams = {}
        for name, parts in (("office", ["office"]), ("packed", ["packed"]), ("mixed", ["office", "packed"])):
            streams[name] = work / f"{name}.tar"
            subprocess.run(["tar", "-C", str(work / "tree"), "-cf", str(streams[name]), *parts], check=True)
        print(f"tree: office {sizes['office'] / 2**20:.0f} MiB, packed {sizes['packed'] / 2**20:.0f} MiB; "
              f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
        print("| codec | stream | wire/raw | raw MB/s | CPU s/GiB |")
        print("|---|---|---|---|---|")
        out = work / "out"
        candidates = [*COMMANDS, *PYTHON_ZLIB]
        for codec in candidates:
            for name, stream in streams.items():
                raw = stream.stat().st_size
                runs = [run_command(COMMANDS[codec], stream, out) if codec in COMMANDS
                        else run_zlib(PYTHON_ZLIB[codec], stream, out) for _ in range(args.repeat)]
                wall, cpu = best(runs)
                print(f"| {codec} | {name} | {out.stat().st_size / raw:.3f} | {raw / wall / 1e6:.0f} | "
                      f"{cpu / (raw / 2**30):.1f} |")
                if name == "mixed" and codec in DECOMPRESS:
                    packed = work / "packed.out"
                    out.rename(packed)
                    dwall, dcpu = best([run_command(DECOMPRESS[codec], packed, out) for _ in range(args.repeat)])
                    print(f"| {codec}, decompress ({DECOMPRESS[codec][0]} -d) | {name} | | {raw / dwall / 1e6:.0f} | "
                          f"{dcpu / (raw / 2**30):.1f} |")
                    packed.unlink()
        print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
