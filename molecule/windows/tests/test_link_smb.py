"""The SMB sync on a limited link (converge's link_smb.yml): the rate kept within 10 % of the
limit, and a limit that changes during the pass taking effect there, for content read in
chunks and in the walk's compound alike.

Two measurements each: the pass's own (its result's ``transfer`` and its progress file) and
one apart from umzug's code, the bytes a sampler found on the target every 0.2 s by the RZ
file server's clock. The content on both sides is compared by its hashes, on the RZ file
server over SSH and on the Kommune's file server through podman."""

import json
import os
import subprocess
from pathlib import Path

import pytest

testinfra_hosts = ["ansible://win-rz-fs"]
RECORD = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "shares"
SOURCE_HOST, SOURCE, TARGET = "win-c-fs", "/srv/umzug-link", "/srv/lab-link-smb"
FILES = 8 + 96
MBIT = 1_000_000 / 8
HASHES = "cd {root} && find . -type f ! -name '.umzug-part-*' -print0 | sort -z | xargs -0 sha256sum"


def record(name):
    return json.loads((RECORD / name).read_text(encoding="utf-8"))


def samples(evidence):
    """(time, bytes on the target) of each note; the third figure, what the interfaces received, is
    kept for diagnosis only: it counts SMB's, TCP's and the lab's own traffic as well."""
    return [(float(fields[0]), int(fields[1])) for fields in (line.split() for line in evidence["samples"])]


def slope(notes, since, until):
    """Bytes per second on the target from ``since`` to ``until`` (seconds since the epoch): the
    least-squares line through the notes between them. Large files land on the target in steps
    of one SMB read (1 MiB, a second's worth at 8 Mbit/s); a line through every note averages
    them, where two notes might each fall on a step's edge."""
    points = [n for n in notes if since <= n[0] <= until]
    assert len(points) > 5 and points[-1][0] - points[0][0] >= 2, points  # enough of a stretch to measure
    mean_t = sum(t for t, _ in points) / len(points)
    mean_b = sum(b for _, b in points) / len(points)
    return (sum((t - mean_t) * (b - mean_b) for t, b in points)
            / sum((t - mean_t) ** 2 for t, _ in points))


def within(measured, limit, share=0.10):
    return abs(measured - limit) <= share * limit


@pytest.mark.parametrize("name", ["steady", "change"])
def test_the_pass_carried_every_file(host, name):
    evidence = record(f"link-smb-{name}.json")
    assert evidence["pass"]["counts"]["copy"] == FILES and evidence["pass"]["bytes"] == evidence["total"]
    source = subprocess.run(["podman", "exec", SOURCE_HOST, "bash", "-c", HASHES.format(root=SOURCE)],
                            check=True, capture_output=True, text=True).stdout
    target = host.check_output(HASHES.format(root=f"{TARGET}/{name}"))
    assert len(source.splitlines()) == FILES and source.strip() == target.strip()


def test_steady_limit_is_kept():
    evidence = record("link-smb-steady.json")
    total, limit = evidence["total"], 16 * MBIT
    result = evidence["pass"]
    # The pass's own figures: one stretch under 16 Mbit/s, its rate within 10 %. Over SMB it
    # counts the content read, large files' chunks and small files' compound reads alike.
    [stretch] = result["transfer"]
    assert stretch["limit_bytes_per_s"] == limit and total <= stretch["bytes"] <= total * 1.01, stretch
    assert within(stretch["rate_bytes_per_s"], limit), stretch
    assert evidence["progress"]["limit_bytes_per_s"] == limit
    assert evidence["progress"]["bytes"] == total
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


def test_limit_change_takes_effect_during_the_pass():
    evidence = record("link-smb-change.json")
    total, boundary = evidence["total"], evidence["boundary"]
    slow, fast = 8 * MBIT, 32 * MBIT
    result = evidence["pass"]
    # The pass's own figures: 8 Mbit/s up to the boundary, 32 after it, each kept.
    before, after = result["transfer"]
    assert (before["limit_bytes_per_s"], after["limit_bytes_per_s"]) == (slow, fast)
    assert total <= before["bytes"] + after["bytes"] <= total * 1.01
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
