"""The Welle for the Windows-like Kommune's file server (converge's last play, tasks/wave.yml):
the dry run, the seed and the verify phase of playbooks/wave.yml with the plan
wave/kommune-c.umzug.yml, limited to the file server's RZ side. Its shares steps ran over SMB
from the RZ file server, nothing stopped them as unsupported, the journal recorded them on
the RZ side, and what the seed carried is checked independently (sha256sum on both servers,
the source through podman, which umzug never logs on to).
"""

import json
import os
from pathlib import Path

import pytest
from test_sync_smb import HASHES, LOCKED, OFFLINE, PLAN, SOURCE, on_source, on_target, parse

testinfra_hosts = ["ansible://win-rz-fs"]
STATE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "wave"
KOMMUNE = "kommune-c"
SIDE = "win-c-fs@rz"
TARGET = "/srv/shares/cranach-welle-kaemmerei"
# The steps the Welle's table lifted for windows sources, and those that still have no path.
LIFTED = ("shares_dryrun", "shares_provision", "shares_seed", "final_sync", "shares_verify", "freeze", "unfreeze")
HELD_KEYS = {"shares.file_locked", "shares.offline_file", "shares.reparse_point", "shares.access_denied"}
STILL_UNSUPPORTED = []


def kommune(phase: str) -> dict:
    report = json.loads((STATE / f"{phase}-report.json").read_text(encoding="utf-8"))
    [entry] = [k for k in report["kommunen"] if k["id"] == KOMMUNE]
    return entry


def findings(phase: str) -> list[dict]:
    return kommune(phase)["findings"]


def unsupported(phase: str) -> list[str]:
    return [r for f in findings(phase) if f["key"] == "wave.source_unsupported" for r in f["resources"]]


@pytest.mark.parametrize(("phase", "expected"),
                         [("dryrun", STILL_UNSUPPORTED), ("seed", []), ("verify", [])])
def test_no_shares_step_was_unsupported(phase, expected):
    assert unsupported(phase) == expected
    assert [step for step in unsupported(phase) if step.startswith(LIFTED)] == []


def test_the_dry_run_read_the_share_over_smb_and_reported_what_the_seed_cannot_read():
    keys = {f["key"] for f in findings("dryrun")}
    assert {"shares.file_locked", "shares.offline_file"} <= keys


def test_the_dry_runs_provision_showed_the_share_it_would_create():
    created = [c["items"]["share_created"] for c in kommune("dryrun")["changes"] if "share_created" in c["items"]]
    assert created == [["cranach-welle-kaemmerei"]]


def test_the_journal_recorded_the_seed_on_the_file_servers_rz_side():
    journal = json.loads((STATE / "journal" / "wave-1" / f"{KOMMUNE}.json").read_text(encoding="utf-8"))
    assert [entry["step"] for entry in journal["phases"]["seed"]] == [f"shares_provision@{SIDE}",
                                                                     f"shares_seed@{SIDE}"]


def test_the_seed_again_ran_nothing_its_journal_holds():
    log = (STATE / "seed-again.log").read_text(encoding="utf-8")
    assert "[wave 1] kommune-c seed: 2/3 shares provision ... already done (journal)" in log
    assert "[wave 1] kommune-c seed: 3/3 shares seed pass ... already done (journal)" in log
    assert "Start the pass over SMB" not in log
    assert unsupported("seed-again") == []


def test_the_rz_samba_serves_the_share_the_welle_provisioned(host):
    config = host.run("testparm -s --section-name=cranach-welle-kaemmerei")
    assert config.rc == 0, config.stderr
    settings = dict(line.strip().split(" = ", 1) for line in config.stdout.splitlines() if " = " in line)
    assert settings["path"] == TARGET
    assert settings["vfs objects"].split() == ["acl_xattr", "streams_xattr"]


@pytest.fixture(scope="module")
def source_hashes():
    return parse(on_source(HASHES.format(root=SOURCE)))


@pytest.fixture(scope="module")
def target_hashes(host):
    return parse(on_target(host, HASHES.format(root=TARGET)))


def test_the_seeds_files_arrived_with_the_sources_content(source_hashes, target_hashes):
    assert len(target_hashes) > 300
    assert sorted(path for path, digest in target_hashes.items() if source_hashes.get(path) != digest) == []


def test_what_the_seed_left_out_is_what_its_report_says_it_could_not_read(source_hashes, target_hashes):
    held = {path for f in findings("seed") if f["key"] in HELD_KEYS for path in f["resources"][1:]}
    assert {LOCKED, OFFLINE} <= held
    missing = {path for path in source_hashes if path not in target_hashes}
    assert missing and all(path in held or any(path.startswith(h + "/") for h in held) for path in missing), \
        sorted(missing - held)


def test_the_verify_phase_read_the_rzs_share_as_the_rz_account_and_found_only_the_stream():
    """verify's target account is the RZ account the inventory keeps for the central directory
    (group_vars: accounts_central_bind_password); a wrong one reads nothing and fails the phase."""
    mismatches = [f["resources"] for f in findings("verify") if f["key"] == "shares.verify_mismatch"]
    assert mismatches == [["kaemmerei", PLAN]]
    assert not [f for f in findings("verify") if f["key"] in ("shares.verify_missing", "shares.verify_extra")]
