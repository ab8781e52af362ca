"""A seed pass that reaches the end of its allowed time (converge's seed_stop.yml): it stops
cleanly with part of the data, a pass started while the limit is 0 copies nothing, and the
next allowed pass copies only the rest and completes the seed.

Judged from the passes' results and, apart from them, from the target's files as a listing
on the RZ file server found them after each pass (SHA-256, inode, mtime, ctime)."""

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

RECORD = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "shares"
FILES = [f"akte-{n:02d}.bin" for n in range(1, 13)]


@pytest.fixture(scope="module")
def evidence():
    return json.loads((RECORD / "seed-stop.json").read_text(encoding="utf-8"))


def test_the_first_pass_stops_where_the_limit_becomes_zero(evidence):
    first, plan = evidence["first"], evidence["plan"]
    assert not first.get("failed") and first["complete"] is False
    stopped = first["stopped"]
    assert stopped["reason"] == "schedule"
    assert datetime.fromisoformat(stopped["at"]).timestamp() >= plan["boundary"]
    assert stopped["next_allowed"] == plan["next_allowed"]
    assert "limit 0" in stopped["message"]
    # Part of the data: some files whole, not all.
    assert 0 < first["counts"]["not_copied"] < len(FILES) - 1
    assert first["progress"]["files_total"] == len(FILES)
    assert first["progress"]["files"] == len(FILES) - first["counts"]["not_copied"]
    assert first["progress"]["bytes"] == first["progress"]["files"] * 2 * 1024 * 1024


def test_after_the_first_pass_the_target_holds_only_whole_files(evidence):
    after, source = evidence["after_first"], evidence["source"]
    # The file tar was writing when the stream ended is not there under its name.
    assert len(after) == len(FILES) - evidence["first"]["counts"]["not_copied"]
    for name, there in after.items():
        assert there["sha256"] == source[name]["sha256"], name


def test_a_pass_started_while_the_limit_is_zero_copies_nothing(evidence):
    at_zero = evidence["at_zero"]
    assert at_zero["complete"] is False and at_zero["changed"] is False
    assert at_zero["stopped"]["reason"] == "schedule"
    assert at_zero["stopped"]["next_allowed"] == evidence["plan"]["next_allowed"]
    assert sum(at_zero["counts"].values()) == 0 and at_zero["transfer"] == []


def test_the_next_pass_copies_only_the_rest_and_completes_the_seed(evidence):
    second, after_first = evidence["second"], evidence["after_first"]
    assert second["complete"] is True and second["stopped"] is None
    assert sorted(second["first"]["copy"]) == sorted(set(FILES) - set(after_first))
    assert second["counts"]["copy"] == evidence["first"]["counts"]["not_copied"]
    assert second["progress"] == {"files": len(FILES), "files_total": len(FILES),
                                  "bytes": len(FILES) * 2 * 1024 * 1024, "bytes_total": len(FILES) * 2 * 1024 * 1024}


def test_the_seed_is_whole_and_the_first_pass_files_were_not_rewritten(evidence):
    after_first, after_second, source = evidence["after_first"], evidence["after_second"], evidence["source"]
    assert sorted(after_second) == sorted(source) == FILES
    for name in FILES:
        assert after_second[name]["sha256"] == source[name]["sha256"], name
    for name, there in after_first.items():
        kept = after_second[name]
        assert (kept["ino"], kept["mtime_ns"], kept["ctime_ns"]) == (there["ino"], there["mtime_ns"],
                                                                     there["ctime_ns"]), name
