"""share_progress: one readable line from the engine's progress file."""

import json

from ansible_collections.kommunal.umzug.plugins.modules import share_progress


def test_a_line_with_files_bytes_rate_and_time_left(run_module, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"files": 12, "files_total": 50, "bytes": 3 * 1024**2, "bytes_total": 10 * 1024**2,
                                "rate_bytes_per_s": 1024**2, "seconds_left": 7}))
    result = run_module(share_progress.main, {"path": str(path), "label": "bauamt (seed)", "wait": 0})
    assert result["msg"] == "bauamt (seed): 12/50 files, 3.0 MiB/10.0 MiB, 1.0 MiB/s, 7 s left"
    assert not result["changed"]


def test_before_content_moves(run_module, tmp_path):
    result = run_module(share_progress.main, {"path": str(tmp_path / "none.json"), "wait": 0})
    assert result["msg"] == "listing source and target" and result["progress"] == {}


def test_the_line_travels_as_a_payload_progress_event(run_module, tmp_path):
    """The progress callback prints it from the result's data (plugins/callback/progress.py)."""
    result = run_module(share_progress.main, {"path": str(tmp_path / "none.json"), "label": "bauamt (final)",
                                              "wait": 0})
    assert result["umzug_progress"] == {"event": "payload", "message": "bauamt (final): listing source and target"}


def test_a_limit_in_force_shows_the_rate_against_it_and_the_time_left_at_it(run_module, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"files": 12, "files_total": 50, "bytes": 3 * 1024**2, "bytes_total": 10 * 1024**2,
                                "rate_bytes_per_s": 1024**2, "seconds_left": 7,
                                "recent_wire_rate_bytes_per_s": 2_475_000, "limit_bytes_per_s": 2_500_000,
                                "seconds_left_at_limit": 3}))
    result = run_module(share_progress.main, {"path": str(path), "label": "bauamt (seed)", "wait": 0})
    assert result["msg"] == ("bauamt (seed): 12/50 files, 3.0 MiB/10.0 MiB, 1.0 MiB/s, 7 s left; "
                             "now 19.8 of 20 Mbit/s allowed, 3 s left at that limit")


def test_a_compressed_pass_compares_the_rate_on_the_wire_with_the_limit(run_module, tmp_path):
    """Content at 4 MiB/s, of which the wire carries 2.5 MB/s: the limit counts the wire."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"files": 12, "files_total": 50, "bytes": 8 * 1024**2, "bytes_total": 20 * 1024**2,
                                "rate_bytes_per_s": 4 * 1024**2, "seconds_left": 3, "wire_bytes": 4 * 1024**2,
                                "codec": "zstd", "recent_wire_rate_bytes_per_s": 2_500_000,
                                "limit_bytes_per_s": 2_500_000, "seconds_left_at_limit": 3}))
    result = run_module(share_progress.main, {"path": str(path), "label": "bauamt (seed)", "wait": 0})
    assert result["msg"] == ("bauamt (seed): 12/50 files, 8.0 MiB/20.0 MiB, 4.0 MiB/s, 3 s left; "
                             "now 20.0 of 20 Mbit/s allowed on the wire (zstd), 3 s left at that limit")


def test_several_passes_are_one_line_with_the_ones_moving_content_and_the_rest_counted(run_module, tmp_path):
    path = tmp_path / "bauamt.json"
    path.write_text(json.dumps({"files": 1, "files_total": 2, "bytes": 1024**2, "bytes_total": 2 * 1024**2,
                                "rate_bytes_per_s": 1024**2, "seconds_left": 1}))
    paths = [{"path": str(path), "label": "bauamt (final)"},
             {"path": str(tmp_path / "kasse.json"), "label": "kasse (final)"},
             {"path": str(tmp_path / "amt.json"), "label": "amt (final)"}]
    result = run_module(share_progress.main, {"paths": paths, "wait": 0})
    assert result["msg"] == ("bauamt (final): 1/2 files, 1.0 MiB/2.0 MiB, 1.0 MiB/s, 1 s left; "
                             "2 shares listing source and target or with nothing to copy")
    assert result["progress"][0]["files"] == 1 and result["progress"][1:] == [{}, {}]
