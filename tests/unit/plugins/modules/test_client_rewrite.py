"""client_rewrite: check mode writes nothing, a rewrite is atomic and kept, a rollback restores bytes."""

import os
from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.modules import client_rewrite

MAPPING = {"hosts": [{"old": ["kommune-a-fs", "10.89.42.12"], "new": "rz-app.rz.test", "ports": {7001: 7101}}],
           "shares": {"\\\\kommune-a-fs\\standesamt": "\\\\rz-fs\\altdorf-standesamt"}}
# CRLF, a BOM, a comment naming the old server and an umlaut: all must survive byte for byte.
ORIGINAL = ("\ufeff; Server kommune-a-fs (alt) - Änderungen nur durch die IT\r\n[Server]\r\nHost=kommune-a-fs\r\n"
            "Port=7001\r\n[Daten]\r\nPfad=\\\\kommune-a-fs\\standesamt\\Register\r\n").encode()
REWRITTEN = ("\ufeff; Server kommune-a-fs (alt) - Änderungen nur durch die IT\r\n[Server]\r\nHost=rz-app.rz.test\r\n"
             "Port=7101\r\n[Daten]\r\nPfad=\\\\rz-fs\\altdorf-standesamt\\Register\r\n").encode()


@pytest.fixture
def client(tmp_path):
    config = tmp_path / "ewo.ini"
    config.write_bytes(ORIGINAL)
    os.chmod(config, 0o640)
    profile = {"id": "ewo", "fachverfahren": "EWO", "category": "Meldewesen", "platform": "linux",
               "files": [{"path": str(config), "format": "ini", "selectors": [
                   {"id": "server", "section": "Server", "key": "Host"},
                   {"section": "Server", "key": "Port", "port_of": "server"},
                   {"section": "Daten", "key": "Pfad"}]},
                   {"path": str(tmp_path / "not-installed.ini"), "format": "ini",
                    "selectors": [{"section": "a", "key": "b"}]}]}
    args = {"profile": profile, "endpoints": MAPPING, "state_dir": str(tmp_path / "state")}
    return config, args


def test_check_mode_shows_a_unified_diff_and_writes_nothing(run_module, client):
    config, args = client
    result = run_module(client_rewrite.main, args, check=True, diff=True)
    assert result["changed"] is True
    assert config.read_bytes() == ORIGINAL and not os.path.exists(args["state_dir"])
    [diff] = result["diff"]
    lines = diff["prepared"].splitlines(keepends=True)
    assert {"-Host=kommune-a-fs\r\n", "+Host=rz-app.rz.test\r\n", "-Port=7001\r\n", "+Port=7101\r\n"} <= set(lines)
    assert " [Server]\r\n" in lines  # context lines keep their CRLF
    assert result["umzug_changes"]["counts"] == {"rewritten": 3}


def test_rewrite_keeps_everything_but_the_endpoints_then_changes_nothing(run_module, client):
    config, args = client
    result = run_module(client_rewrite.main, args)
    assert result["changed"] is True and config.read_bytes() == REWRITTEN
    assert oct(config.stat().st_mode & 0o777) == "0o640"
    assert Path(result["files"][0]["backup"]).read_bytes() == ORIGINAL
    again = run_module(client_rewrite.main, args, diff=True)
    assert again["changed"] is False and "diff" not in again
    assert again["files"][0]["action"] == "unchanged"


def test_rollback_restores_the_original_byte_identical_once(run_module, client):
    config, args = client
    run_module(client_rewrite.main, args)
    run_module(client_rewrite.main, args)  # a second rewrite must not replace the kept original
    back = run_module(client_rewrite.main, {**args, "state": "rolled_back"})
    assert back["changed"] is True and config.read_bytes() == ORIGINAL
    assert back["umzug_changes"]["items"] == {"restored": [str(config)]}
    assert run_module(client_rewrite.main, {**args, "state": "rolled_back"})["changed"] is False


def test_rollback_in_check_mode_writes_nothing(run_module, client):
    config, args = client
    run_module(client_rewrite.main, args)
    result = run_module(client_rewrite.main, {**args, "state": "rolled_back"}, check=True)
    assert result["changed"] is True and config.read_bytes() == REWRITTEN


def test_unparseable_file_is_a_finding_and_stays_untouched(run_module, client):
    config, args = client
    config.write_bytes(b"[Server\nHost=kommune-a-fs\n")
    result = run_module(client_rewrite.main, args)
    assert result["changed"] is False and result["failed_files"] == 1
    assert [f["key"] for f in result["umzug_findings"]] == ["clients.unparseable_config"]
    assert config.read_bytes() == b"[Server\nHost=kommune-a-fs\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"endpoints": {}}, "state=rewritten needs the Kommune's endpoint mapping"),
        ({"endpoints": {"hosts": [{"old": ["a"], "new": "b"}, {"old": ["b"], "new": "c"}]}},
         "'b' is both a new and an old name"),
        ({"profile": {"id": "x"}}, "profile x: missing 'fachverfahren'"),
    ],
)
def test_bad_arguments_fail_with_one_sentence(run_module, client, change, message):
    _config, args = client
    assert message in run_module(client_rewrite.main, {**args, **change}, fails=True)["msg"]


def test_windows_copy_is_rewritten_where_paths_says(run_module, tmp_path):
    fetched = tmp_path / "fetched.ini"
    fetched.write_bytes(b"[Server]\r\nHost=kommune-a-fs\r\n")
    profile = {"id": "ewo-win", "fachverfahren": "EWO", "category": "Meldewesen", "platform": "windows",
               "files": [{"windows_path": "C:\\ProgramData\\EWO\\ewo.ini", "format": "ini",
                          "selectors": [{"section": "Server", "key": "Host"}]}]}
    result = run_module(client_rewrite.main, {"profile": profile, "endpoints": MAPPING,
                                              "state_dir": str(tmp_path / "s"),
                                              "paths": {"C:\\ProgramData\\EWO\\ewo.ini": str(fetched)}})
    assert result["changed"] is True and fetched.read_bytes() == b"[Server]\r\nHost=rz-app.rz.test\r\n"
