"""roles/shares, the passes of a Kommune's shares (tasks sync_passes.yml, both paths): a share whose
pass failed fails the role, after the outcome of every share (the passed ones and the failed one)
and the measurements of the passed ones are kept, in check mode (the job in the foreground) and
in the background job followed with async_status. The module is a stand-in that passes every
share but the one named kaputt, as share_sync and share_sync_smb return a failed share: its own
result in shares, the module failed naming it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

STAND_IN = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule, _load_params


def main():
    # Whatever the role passes, taken as given (the password kept out of the log).
    given = {name: dict(type="raw", no_log=name == "password") for name in _load_params()}
    module = AnsibleModule(argument_spec=given, supports_check_mode=True)
    results = []
    for item in module.params["shares"]:
        if item["share"] == "kaputt":
            results.append({"share": "kaputt", "sync_pass": "final", "failed": True, "changed": False,
                            "seconds": 0.1, "msg": "share kaputt, final pass: listing failed"})
        else:
            results.append({"share": item["share"], "sync_pass": "final", "failed": False, "changed": True,
                            "counts": {"copy": 2}, "bytes": 11, "seconds": 0.5, "complete": True,
                            "stopped": None, "progress": {"files": 2, "files_total": 2}, "transfer": []})
    failed = [r for r in results if r["failed"]]
    outcome = dict(changed=True, shares=results, complete=not failed, seconds=1.0, transfer=[],
                   umzug_findings=[], umzug_changes={})
    if failed:
        module.fail_json(msg="1 of %d shares failed: %s" % (len(results), failed[0]["msg"]), **outcome)
    module.exit_json(**outcome)


main()
'''


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """The collection with the stand-in for share_sync and share_sync_smb, all else linked."""
    base = tmp_path_factory.mktemp("collections")
    umzug = base / "ansible_collections" / "kommunal" / "umzug"
    (umzug / "plugins" / "modules").mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name in ("galaxy.yml", "meta", "roles"):
            (umzug / entry.name).symlink_to(entry)
    for entry in (ROOT / "plugins").iterdir():
        if entry.name != "modules":
            (umzug / "plugins" / entry.name).symlink_to(entry)
    for module in (ROOT / "plugins" / "modules").iterdir():
        target = umzug / "plugins" / "modules" / module.name
        if module.name in ("share_sync.py", "share_sync_smb.py"):
            target.write_text(STAND_IN)
        else:
            target.symlink_to(module)
    return base


@pytest.mark.parametrize(("protocol", "check"), [("ssh", True), ("smb", False)],
                         ids=["ssh, check mode", "smb, background job"])
def test_a_failed_share_fails_the_role_after_every_shares_outcome_is_kept(tmp_path, collection, protocol, check):
    kept = tmp_path / "kept.json"
    playbook = tmp_path / "sync.yml"
    listed = [{"name": name, "path": f"/srv/shares/{name}", "target_name": f"altdorf-{name}"}
              for name in ("bauamt", "kaputt", "kasse")]
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"shares_source_protocol": protocol, "shares_target_fs": "localhost", "shares_pass": "final",
                 "shares_namespace": "altdorf", "shares_kommune": "altdorf", "shares_state_dir": str(tmp_path),
                 "shares_progress_interval": 1, "shares_smb_python": sys.executable,
                 "shares_smb_server": "fs", "shares_smb_username": "ALTDORF\\umzug-backup",
                 "shares_smb_password": "geheim", "__shares_mapping": {}, "__shares_listed": {"shares": listed}},
        "tasks": [{"block": [{"ansible.builtin.include_role": {"name": "kommunal.umzug.shares",
                                                               "tasks_from": "sync_passes.yml"}}],
                   "rescue": [{"ansible.builtin.copy": {
                       "content": "{{ {'outcomes': shares_sync_outcomes, 'passes': shares_passes,"
                                  " 'msg': ansible_failed_result.msg} | to_json }}",
                       "dest": str(kept), "mode": "0600"}, "check_mode": False}]}],
    }]))
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             *(["--check"] if check else []), str(playbook)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
                            env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_PATH": str(collection),
                                 "ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    output = result.stdout + result.stderr
    assert result.returncode == 0 and kept.exists(), output  # the rescue ran: the role failed
    record = json.loads(kept.read_text())
    assert [(o["name"], o["complete"], o["failed"], o["msg"]) for o in record["outcomes"]] == [
        ("bauamt", True, False, None), ("kaputt", False, True, "share kaputt, final pass: listing failed"),
        ("kasse", True, False, None)]
    assert record["msg"].startswith("The final pass failed for 1 of 3 shares: share kaputt, final pass: "
                                    "listing failed.")
    # What the passed shares measured is kept for the journal; in check mode nothing is measured.
    assert [p["share"] for p in record["passes"]] == ([] if check else ["bauamt", "kasse"])
    assert "geheim" not in output
