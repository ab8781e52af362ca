"""The inventory plugin, run as Ansible runs it: the lab's plan is the lab inventory.

ansible-inventory runs in a subprocess because the tests import the collection as a plain
package (tests/conftest.py), which Ansible's own collection loader refuses to share.
"""

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")
LAB_PLAN = ROOT / "inventories" / "lab" / "lab.umzug.yml"
LAB_INVENTORY = ROOT / "inventories" / "lab"
# host: (address, role, image, domain's DC, Kommune id); images and capabilities come
# from the role groups' group_vars next to the plan.
LAB_HOSTS = {
    "kommune-a-dc": ("10.89.42.11", "dc", "samba", "kommune-a-dc", "kommune-a"),
    "kommune-a-fs": ("10.89.42.12", "fs", "samba", "kommune-a-dc", "kommune-a"),
    "kommune-a-client": ("10.89.42.13", "clients", "client", "kommune-a-dc", "kommune-a"),
    "kommune-b-dc": ("10.89.42.21", "dc", "samba", "kommune-b-dc", "kommune-b"),
    "kommune-b-fs": ("10.89.42.22", "fs", "samba", "kommune-b-dc", "kommune-b"),
    "kommune-b-client": ("10.89.42.23", "clients", "client", "kommune-b-dc", "kommune-b"),
    "rz-dc": ("10.89.42.31", "dc", "samba", "rz-dc", None),
    "rz-fs": ("10.89.42.32", "fs", "samba", "rz-dc", None),
    "rz-app": ("10.89.42.33", "app", "app", "rz-dc", None),
}
LAB_GROUPS = {
    "wave_1": ([], ["kommune_a", "kommune_b"]),
    "kommune_a": (["kommune-a-client", "kommune-a-dc", "kommune-a-fs"], []),
    "kommune_b": (["kommune-b-client", "kommune-b-dc", "kommune-b-fs"], []),
    "rz": (["rz-app", "rz-dc", "rz-fs"], []),
    "dc": (["kommune-a-dc", "kommune-b-dc", "rz-dc"], []),
    "fs": (["kommune-a-fs", "kommune-b-fs", "rz-fs"], []),
    "clients": (["kommune-a-client", "kommune-b-client"], []),
    "app": (["rz-app"], []),
}


def run_inventory(source: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(source), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@cache
def listing(source: Path) -> dict:
    result = run_inventory(source, "--list")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout, object_hook=unwrap_unsafe)


def unwrap_unsafe(entry: dict):
    """The plan's data is marked not-a-template ({"__ansible_unsafe": value}); compare the values."""
    return entry["__ansible_unsafe"] if set(entry) == {"__ansible_unsafe"} else entry


def groups(data: dict) -> dict:
    return {
        name: (sorted(entry.get("hosts", [])), sorted(entry.get("children", [])))
        for name, entry in data.items()
        if name != "_meta"
    }


def test_lab_inventory_has_the_wave_groups():
    listed = groups(listing(LAB_INVENTORY))
    assert {name: listed.get(name) for name in LAB_GROUPS} == LAB_GROUPS


@pytest.mark.parametrize("host", sorted(LAB_HOSTS))
def test_lab_inventory_has_the_host_variables(host):
    address, role, image, dc, kommune = LAB_HOSTS[host]
    variables = listing(LAB_INVENTORY)["_meta"]["hostvars"][host]
    assert variables["ansible_host"] == address
    assert variables["umzug_role"] == role
    assert variables["umzug_lab_image"] == image
    # Samba stores NT ACLs in security.* xattrs (SYS_ADMIN); the RZ file server also takes
    # the Kommunen's service addresses for the name switch (NET_ADMIN).
    expected = (["SYS_ADMIN"] if image == "samba" else []) + (["NET_ADMIN"] if host == "rz-fs" else [])
    assert variables["umzug_lab_capabilities"] == expected
    assert variables["umzug_domain"]["dc"] == dc
    assert variables.get("umzug_kommune", {}).get("id") == kommune


def test_lab_plan_adds_the_mapping_context():
    variables = listing(LAB_PLAN)["_meta"]["hostvars"]["kommune-b-fs"]
    assert variables["umzug_kommune"]["share_namespace"] == "bergheim"
    assert variables["umzug_kommune"]["gid_range"] == {"start": 210000, "end": 219999}
    assert variables["umzug_plan_hash"] == listing(LAB_PLAN)["_meta"]["hostvars"]["rz-dc"]["umzug_plan_hash"]
    assert len(variables["umzug_plan_hash"]) == 64


def test_engineer_variables_stay_templates_and_plan_data_does_not(tmp_path):
    plan = tmp_path / "templated.umzug.yml"
    plan.write_text(
        LAB_PLAN.read_text()
        .replace("ansible_host: 10.89.42.33", 'ansible_host: 10.89.42.33\n        umzug_lab_image: "{{ 1 + 1 }}"')
        .replace("name: Stadt Bergheim", 'name: "Stadt {{ 1 + 1 }}"')
    )
    app = json.loads(run_inventory(plan, "--host", "rz-app").stdout)
    assert app["umzug_lab_image"] == "{{ 1 + 1 }}"
    listed = json.loads(run_inventory(plan, "--list").stdout)["_meta"]["hostvars"]
    assert listed["rz-app"]["umzug_lab_image"] == "{{ 1 + 1 }}"
    assert listed["kommune-b-fs"]["umzug_kommune"]["name"] == {"__ansible_unsafe": "Stadt {{ 1 + 1 }}"}


def test_broken_plan_stops_the_inventory_with_the_plan_message(tmp_path):
    broken = tmp_path / "broken.umzug.yml"
    text = LAB_PLAN.read_text()
    line = text[: text.index('ags: "05362008"')].count("\n") + 1
    broken.write_text(text.replace('ags: "05362008"', 'ags: "5362008"'))
    result = run_inventory(broken, "--list")
    flat = " ".join(result.stderr.split())
    assert f"{broken}:{line}: waves[0].kommunen[1].ags: '5362008' is not an AGS" in flat
