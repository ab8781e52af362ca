"""The inventory plugin and a Kommune's source, run as Ansible runs it: a windows Kommune's
servers land in 'agentless' with no connection setting, and its passwords stay references
that Ansible resolves from the vault only when they are read."""

import json
import subprocess

import pytest

from tests.unit.plugins.inventory.test_plan import (
    ANSIBLE_INVENTORY,
    LAB_INVENTORY,
    ROOT,
    listing,
    run_inventory,
    unwrap_unsafe,
)
from tests.unit.plugins.plugin_utils.test_plan_source import MIXED

ANSIBLE = ANSIBLE_INVENTORY.with_name("ansible")
SAMBA = {"kind": "samba", "smb": None, "drsuapi": None}


def ansible_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ANSIBLE), *args],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )


@pytest.fixture(scope="module")
def mixed_plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "mixed.umzug.yml"
    path.write_text(MIXED)
    return path


@pytest.fixture(scope="module")
def mixed_listing(mixed_plan):
    result = run_inventory(mixed_plan, "--list")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_lab_kommunen_are_samba_and_nothing_is_agentless():
    data = listing(LAB_INVENTORY)
    assert "agentless" in data["all"]["children"]
    assert data.get("agentless", {}).get("hosts", []) == []
    kommune_hosts = [host for name in ("kommune_a", "kommune_b") for host in data[name]["hosts"]]
    assert len(kommune_hosts) == 6
    for host in kommune_hosts:
        assert data["_meta"]["hostvars"][host]["umzug_source"] == SAMBA


def test_windows_servers_are_in_agentless(mixed_listing):
    assert sorted(mixed_listing["agentless"]["hosts"]) == ["colberg-dc", "colberg-fs", "colberg-fs2"]


@pytest.mark.parametrize("host", ["colberg-dc", "colberg-fs", "colberg-fs2"])
def test_agentless_hosts_carry_no_connection_setting(mixed_listing, host):
    variables = mixed_listing["_meta"]["hostvars"][host]
    assert [name for name in variables if name.startswith("ansible_")] in ([], ["ansible_host"])


def test_passwords_stay_references_and_nothing_else_is_a_template(mixed_listing):
    source = mixed_listing["_meta"]["hostvars"]["colberg-fs"]["umzug_source"]
    # Trusted templates are listed as plain strings, the plan's data as not-a-template.
    assert source["smb"]["password"] == "{{ vault_colberg_smb_password }}"
    assert source["drsuapi"]["password"] == "{{ vault.colberg.drs_password }}"
    assert source["smb"]["username"] == {"__ansible_unsafe": "COLBERG\\umzug-backup"}
    assert source["smb"]["admin"]["password"] == "{{ vault_colberg_fs_admin_password }}"
    assert source["smb"]["admin"]["username"] == {"__ansible_unsafe": "COLBERG\\umzug-admin"}
    assert json.loads(json.dumps(source), object_hook=unwrap_unsafe) == {
        "kind": "windows",
        "smb": {"auth": "kerberos", "protection": "encrypt", "username": "COLBERG\\umzug-backup",
                "password": "{{ vault_colberg_smb_password }}",
                "admin": {"username": "COLBERG\\umzug-admin", "password": "{{ vault_colberg_fs_admin_password }}"}},
        "drsuapi": {"username": "umzug-repl@COLBERG.LOCAL", "password": "{{ vault.colberg.drs_password }}"},
    }


def test_the_samba_kommune_of_the_same_welle_stays_samba(mixed_listing):
    hostvars = mixed_listing["_meta"]["hostvars"]
    assert json.loads(json.dumps(hostvars["altdorf-fs"]["umzug_source"]), object_hook=unwrap_unsafe) == SAMBA
    assert "altdorf-fs" not in mixed_listing["agentless"]["hosts"]


def test_passwords_resolve_from_the_vault_only_when_read(mixed_plan):
    """Without the vault's variables the inventory still loads; a task that reads a password gets
    the vault's value."""
    expression = "{{ hostvars['colberg-fs'].umzug_source.smb.password }}/" \
                 "{{ hostvars['colberg-dc'].umzug_source.drsuapi.password }}"
    result = ansible_command("localhost", "-i", str(mixed_plan), "-m", "ansible.builtin.debug",
                             "-a", f"msg={expression}", "-e", "vault_colberg_smb_password=smb-from-vault",
                             "-e", '{"vault": {"colberg": {"drs_password": "drs-from-vault"}}}')
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smb-from-vault/drs-from-vault" in result.stdout


def test_the_administrator_password_of_the_freeze_resolves_from_the_vault_when_read(mixed_plan):
    expression = "{{ hostvars['colberg-fs'].umzug_source.smb.admin.password }}"
    result = ansible_command("localhost", "-i", str(mixed_plan), "-m", "ansible.builtin.debug",
                             "-a", f"msg={expression}", "-e", "vault_colberg_fs_admin_password=admin-from-vault")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "admin-from-vault" in result.stdout


def test_ssh_plays_leave_the_agentless_hosts_out(mixed_plan):
    result = ansible_command("fs:!agentless", "-i", str(mixed_plan), "--list-hosts")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()[2:]) == ["altdorf-fs", "rz-fs"]


def test_plain_password_stops_the_inventory_without_showing_it(tmp_path):
    plan = tmp_path / "clear.umzug.yml"
    plan.write_text(MIXED.replace('"{{ vault_colberg_smb_password }}"', '"Geheim-1234"'))
    result = run_inventory(plan, "--list")
    flat = " ".join(result.stderr.split())
    assert json.loads(result.stdout)["_meta"]["hostvars"] == {}
    assert f"{plan}:35: waves[0].kommunen[1].source.smb.password: must be a Jinja reference" in flat
    assert "Geheim-1234" not in result.stderr + result.stdout
