"""roles/accounts: the central directory is exported for the names, SIDs and ids in use only;
its objects are not migrated, so its export must raise no finding of the Kommune (a dry run
reported accounts.foreign_members twice for each Kommune: once for its own directory, once for
the RZ's)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.directory import account_name, leave_out

TASKS = Path(__file__).resolve().parents[3] / "roles" / "accounts" / "tasks"


def tasks(items):
    for task in items or ():
        yield task
        yield from tasks(task.get("block"))


EXPORTS = [(path.name, task) for path in sorted(TASKS.glob("*.yml"))
           for task in tasks(yaml.safe_load(path.read_text())) if "kommunal.umzug.accounts_export" in task]


def test_the_role_exports_both_directories():
    servers = {task["kommunal.umzug.accounts_export"]["server"] for _name, task in EXPORTS}
    assert servers == {"{{ accounts_source_uri }}", "{{ accounts_central_uri }}"}


@pytest.mark.parametrize(("name", "task"), EXPORTS, ids=[f"{n}: {t['name']}" for n, t in EXPORTS])
def test_only_the_kommunes_export_raises_findings(name, task):
    args = task["kommunal.umzug.accounts_export"]
    central = args["server"] == "{{ accounts_central_uri }}"
    assert args.get("findings", True) is not central, f"{name}: {task['name']}"


BIN = Path(sys.executable).parent
ROOT = TASKS.parents[2]
WINDOWS = {"kind": "windows", "smb": None, "drsuapi": None}
WINDOWS_DRS = {"kind": "windows", "smb": None,
               "drsuapi": {"username": "umzug-repl@COLBERG.LOCAL", "password": "Repl-Pass-1234"}}
SAMBA = {"kind": "samba", "smb": None, "drsuapi": None}


@pytest.mark.parametrize(
    ("source", "policy", "overrides", "refused"),
    [
        (WINDOWS, "hash", {}, True),
        (WINDOWS, "reset", {"azubi-*": "hash"}, True),
        (WINDOWS, "reset", {"azubi-*": "none"}, False),
        (WINDOWS, "none", {}, False),
        (WINDOWS_DRS, "hash", {}, False),
        (SAMBA, "hash", {}, False),
    ],
)
def test_a_windows_kommune_without_drsuapi_cannot_carry_hashes(tmp_path, source, policy, overrides, refused):
    """Refused before anything is read, in one sentence naming the Kommune and the plan; otherwise
    the role goes on (here to an export that cannot connect)."""
    plan = tmp_path / "wave-1.umzug.yml"
    plan.write_text("all:\n  hosts:\n    colberg-dc@rz:\n      ansible_connection: local\n")
    playbook = tmp_path / "accounts.yml"
    playbook.write_text(json.dumps([{
        "hosts": "all", "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable, "umzug_source": source,
                 "umzug_kommune": {"id": "colberg", "ou": "OU=Colberg,DC=rz,DC=test", "share_namespace": "colberg"},
                 "umzug_domain": {"dc": "colberg-dc", "realm": "COLBERG.LOCAL", "workgroup": "COLBERG",
                                  "dns_domain": "colberg.local"},
                 "accounts_action": "apply", "accounts_password_policy": policy,
                 "accounts_password_policy_overrides": overrides,
                 "accounts_source_uri": "ldaps://127.0.0.1:1", "accounts_central_dc": "colberg-dc@rz",
                 "accounts_central_uri": "ldaps://127.0.0.1:1", "accounts_central_bind_dn": "a@rz.test",
                 "accounts_upn_suffix": "rz.test", "accounts_file_server": "rz-fs",
                 "accounts_ca_file": str(tmp_path / "ca.crt"), "accounts_source_bind_password": "x" * 12,
                 "accounts_central_bind_password": "x" * 12, "accounts_hashes_server": "colberg-dc",
                 "accounts_undo_dir": str(tmp_path / "undo"), "accounts_mapping_dir": str(tmp_path / "mapping"),
                 "accounts_letters_vault_password_file": str(tmp_path / "vault-pass")},
        "tasks": [{"ansible.builtin.include_role": {"name": "kommunal.umzug.accounts"}}],
    }]))
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(plan), str(playbook)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False,
                            env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, output  # refused, or the export cannot connect
    sentence = (f"colberg is a windows Kommune in the plan {plan} without a source.drsuapi block, so its password "
                "hashes cannot be read")
    assert (sentence in output) is refused, output
    if not refused:
        assert "Export the Kommune's directory" in output


def _umzug_own(variables):
    """roles/accounts/vars/main.yml's __accounts_umzug_own as Ansible renders it."""
    loader = DataLoader()
    own = loader.load_from_file(str(ROOT / "roles" / "accounts" / "vars" / "main.yml"),
                                trusted_as_template=True)["__accounts_umzug_own"]
    return Templar(loader=loader, variables=variables).template(own)


SMB = {"auth": "ntlm", "protection": "encrypt", "username": "COLBERG\\umzug-backup",
       "password": "{{ vault_colberg_smb_password }}",
       "admin": {"username": "fs-admin@colberg.local", "password": "{{ vault_colberg_fs_admin_password }}"}}


@pytest.mark.parametrize(
    ("variables", "own"),
    [
        ({}, []),
        ({"umzug_source": SAMBA}, []),
        ({"umzug_source": WINDOWS}, []),
        ({"umzug_source": WINDOWS_DRS}, ["umzug-repl@COLBERG.LOCAL"]),
        # The SMB backup account and the SMB administrator account of a windows Kommune, in either
        # spelling the plan allows (DOMAIN\user, user@realm), as the plan writes them.
        ({"umzug_source": {**WINDOWS_DRS, "smb": SMB}},
         ["umzug-repl@COLBERG.LOCAL", "COLBERG\\umzug-backup", "fs-admin@colberg.local"]),
        ({"umzug_source": {**WINDOWS, "smb": {**SMB, "admin": None}}}, ["COLBERG\\umzug-backup"]),
        ({"umzug_source": {**WINDOWS, "smb": {**SMB, "username": "umzug-backup", "admin": {
            "username": "COLBERG\\umzug-backup", "password": "x"}}}}, ["umzug-backup", "COLBERG\\umzug-backup"]),
    ],
)
def test_umzugs_own_accounts_are_the_plans_replication_backup_and_admin_accounts(variables, own):
    """Never exported (so never mapped or created) and never disabled at the source: the
    modules take them by account name (directory.account_name), whichever way they are written."""
    assert _umzug_own(variables) == own
    assert {account_name(name) for name in own} <= {"umzug-repl", "umzug-backup", "fs-admin"}
    model = {"users": [{"key": f"user:{n}", "name": n} for n in ("umzug-repl", "umzug-backup", "fs-admin", "jvogel")],
             "groups": [{"members": ["user:jvogel", "user:umzug-backup"]}]}
    left_out = leave_out(model, own)
    assert sorted(left_out) == sorted({account_name(name) for name in own})
    assert "jvogel" in [user["name"] for user in model["users"]]
    assert model["groups"][0]["members"] == ["user:jvogel"] or "umzug-backup" not in [
        account_name(name) for name in own]


@pytest.mark.parametrize(("name", "task"), [
    ("export.yml", "Export the Kommune's directory"),
    ("source.yml", "Migrated accounts at the source, now {{ __accounts_state }}"),
])
def test_the_export_leaves_out_and_disable_source_keeps_umzugs_own_accounts(name, task):
    [found] = [t for t in tasks(yaml.safe_load((TASKS / name).read_text())) if t.get("name") == task]
    args = found.get("kommunal.umzug.accounts_export") or found["kommunal.umzug.accounts_source"]
    assert "__accounts_umzug_own" in str(args.get("exclude", args.get("keep")))
