"""roles/shares: freeze and unfreeze of a source read over SMB set the share ACLs over srvsvc as
the file server's administrator the plan names (umzug_source.smb.admin). Without that account
they are refused before anything runs, in one sentence naming the Kommune; with it the role goes
on to the RZ file server. provision carries the share ACLs as the same account
(share_acl_smb.yml). Every task that carries that password is no_log, and the record of a
freeze lies where the Samba freeze keeps its records, in a folder per source file server."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "shares"
ROOT = ROLE.parents[1]
BIN = Path(sys.executable).parent
SMB = {"auth": "ntlm", "protection": "encrypt", "username": "COLBERG\\umzug-backup", "password": "Backup-Pass-1234"}
ADMIN = {"username": "COLBERG\\umzug-admin", "password": "Admin-Pass-5678"}


def tasks(items):
    for task in items or ():
        yield task
        yield from tasks(task.get("block"))
        yield from tasks(task.get("rescue"))
        yield from tasks(task.get("always"))


ALL_TASKS = [(path.name, task) for path in sorted((ROLE / "tasks").glob("*.yml"))
             for task in tasks(yaml.safe_load(path.read_text(encoding="utf-8")))]
# Tasks whose templates read the password (a message that names the variable does not).
ADMIN_TASKS = [(name, task) for name, task in ALL_TASKS
               if re.search(r"\{\{[^}]*shares_smb_admin_password", json.dumps(task))]


def test_the_administrator_password_reaches_the_tasks_of_the_share_acls_only():
    assert [(name, task["name"]) for name, task in ADMIN_TASKS] == [
        ("freeze_state_smb.yml", "Set the share ACLs over srvsvc as the file server's administrator"),
        ("share_acl_smb.yml", "Carry the share ACLs as the file server's administrator")]


@pytest.mark.parametrize(("name", "task"), ADMIN_TASKS, ids=[f"{n}: {t['name']}" for n, t in ADMIN_TASKS])
def test_every_task_with_the_administrator_password_is_no_log(name, task):
    assert task.get("no_log") is True, f"{name}: {task['name']}"


@pytest.mark.parametrize(
    ("variables", "record"),
    [
        ({"inventory_hostname": "win-c-fs", "__share": {"name": "kaemmerei"}},
         "/var/lib/umzug/shares/freeze/win-c-fs/kaemmerei.json"),
        # The RZ side of an agentless host keeps the records under the host it works for.
        ({"inventory_hostname": "colberg-fs@rz", "umzug_agentless_host": "colberg-fs", "__share": {"name": "bauamt"}},
         "/var/lib/umzug/shares/freeze/colberg-fs/bauamt.json"),
        ({"inventory_hostname": "colberg-fs", "__share": {"name": "a/b"}, "shares_freeze_state_dir": "/x"},
         "/x/colberg-fs/a_b.json"),
    ],
)
def test_the_record_of_a_freeze_lies_beside_the_samba_freezes_records(variables, record):
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    private = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    values = {"shares_state_dir": defaults["shares_state_dir"], **variables}
    values.setdefault("shares_freeze_state_dir", env.from_string(defaults["shares_freeze_state_dir"]).render(**values))
    values["shares_source_names"] = [values.get("umzug_agentless_host", values["inventory_hostname"])]
    assert env.from_string(private["__shares_smb_freeze_record"]).render(**values).strip() == record


@pytest.mark.parametrize("action", ["freeze", "unfreeze"])
@pytest.mark.parametrize(("smb", "refused"), [(SMB, True), ({**SMB, "admin": ADMIN}, False)])
def test_freeze_over_smb_needs_the_administrator_account(tmp_path, action, smb, refused):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {
        "colberg-fs@rz": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                          "umzug_agentless_host": "colberg-fs", "ansible_host": "127.0.0.1"},
        "rz-fs": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    playbook = tmp_path / "shares.yml"
    playbook.write_text(json.dumps([{
        "hosts": "colberg-fs@rz", "gather_facts": False,
        "vars": {"umzug_source": {"kind": "windows", "smb": smb, "drsuapi": None},
                 "umzug_kommune": {"id": "colberg", "share_namespace": "colberg"},
                 "shares_action": action, "shares_target_fs": "rz-fs",
                 "shares_mapping_dir": str(tmp_path / "mapping"), "shares_smb_venv": str(tmp_path / "venv")},
        "tasks": [{"ansible.builtin.include_role": {"name": "kommunal.umzug.shares"}}],
    }]))
    # --check: with the account the role goes on to the SMB client on the RZ file server,
    # which changes nothing here (and fails without a venv); nothing reaches a real server.
    result = subprocess.run([str(BIN / "ansible-playbook"), "--check", "-i", str(inventory), str(playbook)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                            env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, output
    sentence = (f"shares_action {action} of a source read over SMB sets the share ACLs of 127.0.0.1 over srvsvc, "
                "which needs an account of its Administrators group: give it in the plan as source.smb.admin of "
                "Kommune colberg")
    assert (sentence in output) is refused, output
    assert ("The SMB client on the RZ file server" in output) is not refused, output
    assert "Admin-Pass-5678" not in output and "Backup-Pass-1234" not in output
