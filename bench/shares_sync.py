#!/usr/bin/env python3
"""Benchmark: the shares sync engine side by side with rsync -aAXH --numeric-ids.

Builds a tree of N small files (4 KiB, each with user.DOSATTRIB and a security.NTACL,
every tenth with a POSIX ACL) in folders of 100, plus L large files (100 MiB), then times
in one run and on the same tree:

  first copy, a pass with nothing changed, a pass after 1 % of the small files changed
  -- once with umzug's engine (share_sync.run_pass with a local source: the same listing
  agent in a process of its own, tar stream and metadata pass as over SSH, minus the
  network), once with rsync; and verification: hashing the large files (SHA-256, one
  core; with SHA-NI it is faster here than BLAKE2b).

Identity translation is the identity here (SIDs and ids map to themselves), so the
engine does all its translation work but the trees stay comparable with rsync's. After
building, the run waits until the tree is older than share_tree.RACY_NS, as a share's
files are; a path changed within that window is read again by the next pass.
Run as root (security.* xattrs): .venv/bin/python bench/shares_sync.py [--files N] [--large L]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "collections"))

from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import LocalSource, run_pass  # noqa: E402
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import RACY_NS  # noqa: E402

FIXTURE = json.loads((TOP / "tests/unit/plugins/module_utils/shares/fixtures/ntacl_samba417.json").read_text())
NTACL = base64.b64decode(FIXTURE["file_v4"])
ACL = bytes.fromhex("02000000" "01000700ffffffff" "04000700ffffffff" "08000500e9030000" "10000700ffffffff"
                    "20000000ffffffff")  # u::rwx g::rwx g:1001:r-x m::rwx o::---


def build(root: Path, files: int, large: int) -> None:
    block = os.urandom(4096)
    for i in range(files):
        folder = root / f"Amt{i // 10000:02d}" / f"Vorgang{i // 100:04d}"
        if i % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"Dokument {i:06d}.txt"
        path.write_bytes(block[:4090] + f"{i:06d}".encode())
        os.setxattr(path, "user.DOSATTRIB", b"\x00\x00\x04\x00\x04\x00\x00\x00\x20\x00\x00\x00")
        os.setxattr(path, "security.NTACL", NTACL)
        if i % 10 == 0:
            os.setxattr(path, "system.posix_acl_access", ACL)
    chunk = os.urandom(1 << 20)
    for i in range(large):
        with open(root / f"Archiv {i:02d}.bin", "wb") as handle:
            for _ in range(100):
                handle.write(chunk)


def change_one_percent(root: Path, files: int) -> None:
    for i in range(0, files, 100):
        path = root / f"Amt{i // 10000:02d}" / f"Vorgang{i // 100:04d}" / f"Dokument {i:06d}.txt"
        path.write_bytes(path.read_bytes()[:-6] + b"change")


def umzug_pass(src: Path, dst: Path, state: str) -> float:
    # The owners (root) and the ACL's group 1001 have SIDs, as winbind would give them,
    # so every file's owner and ACL goes through the translation.
    source = LocalSource(os.fsencode(src), {0: "S-1-22-1-0"}, {0: "S-1-22-2-0", 1001: "S-1-22-2-1001"})
    started = time.monotonic()
    result = run_pass(source, os.fsencode(dst), state, lambda sid: sid,
                      lambda sid, kind: int(sid.rsplit("-", 1)[1]) if sid.startswith("S-1-22-") else None,
                      check=False)
    elapsed = time.monotonic() - started
    if result.translate.unmapped_ids or result.translate.unmapped_sids:
        raise SystemExit(f"unexpected unmapped ids or SIDs: {sorted(result.translate.unmapped_ids)[:5]} "
                         f"{sorted(result.translate.unmapped_sids)[:5]}")
    return elapsed


def rsync_pass(src: Path, dst: Path) -> float:
    started = time.monotonic()
    subprocess.run(["rsync", "-aAXH", "--numeric-ids", "--delete", f"{src}/", f"{dst}/"], check=True)
    return time.monotonic() - started


def hash_rate(root: Path, large: int) -> float:
    """SHA-256 of the large files as the manifest takes it: 4 MiB reads into one buffer."""
    buffer = bytearray(4 << 20)
    view = memoryview(buffer)
    started, total = time.monotonic(), 0
    for i in range(large):
        digest = hashlib.sha256()
        with open(root / f"Archiv {i:02d}.bin", "rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                digest.update(view[:count])
                total += count
        digest.hexdigest()
    return total / (time.monotonic() - started) / (1 << 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--dir", default="/var/tmp/umzug-bench-shares")
    args = parser.parse_args()
    if shutil.which("rsync") is None:
        print("rsync is not installed (Debian package rsync)", file=sys.stderr)
        return 2
    base = Path(args.dir)
    shutil.rmtree(base, ignore_errors=True)
    src, ours, theirs = base / "src", base / "umzug", base / "rsync"
    src.mkdir(parents=True)
    started = time.monotonic()
    build(src, args.files, args.large)
    built = time.monotonic()
    print(f"tree: {args.files} x 4 KiB + {args.large} x 100 MiB built in {time.monotonic() - started:.0f} s")
    subprocess.run(["sync"], check=True)
    # A share's files were not all written within the last seconds. Paths changed that
    # recently are read again by the next pass (share_tree.RACY_NS); a tree built just now
    # would make the unchanged pass pay for that once, which a real share does not.
    time.sleep(max(0.0, RACY_NS / 1e9 - (time.monotonic() - built)))
    state = str(base / "state.json")
    rows = []
    for label, action in (("first copy", None), ("nothing changed", None), ("1 % changed", "change")):
        if action == "change":
            change_one_percent(src, args.files)
        t_ours = umzug_pass(src, ours, state)
        t_theirs = rsync_pass(src, theirs)
        files = args.files + args.large
        rows.append((label, t_ours, t_theirs, files / t_ours, files / t_theirs))
    rate = hash_rate(ours, args.large)
    print("| pass | umzug s | rsync s | umzug files/s | rsync files/s | ratio (rsync time / umzug time) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, a, b, fa, fb in rows:
        print(f"| {label} | {a:.1f} | {b:.1f} | {fa:,.0f} | {fb:,.0f} | {b / a:.2f} |")
    print(f"verification: SHA-256 of the large files at {rate:.2f} GiB/s on one core")
    print("load average (1, 5, 15 min) at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
