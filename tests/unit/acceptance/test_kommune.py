"""What the acceptance suite needs before it starts: a Kommune without test credentials is a
setup error (the suite would otherwise skip the log-on and access tests and pass)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.acceptance.kommune import AcceptanceSetupError, Kommune

ROOT = Path(__file__).resolve().parents[3]
INVENTORY = {"all": {"children": {"kommune_altdorf": {"hosts": {"altdorf-fs": {
    "umzug_domain": {"workgroup": "ALTDORF"}, "umzug_kommune": {"id": "altdorf"}}}}}}}
MAPPING = {"users": [{"old_name": "eva", "new_name": "ald-eva", "new_sid": "S-1-5-21-1-2-3-1104", "status": "active"},
                     {"old_name": "gone", "new_name": "ald-gone", "new_sid": "S-1-5-21-1-2-3-1105", "status": "gone"}]}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / "mapping").mkdir()
    (tmp_path / "mapping" / "altdorf.yml").write_text(yaml.safe_dump(MAPPING))
    (tmp_path / "credentials").mkdir()
    return tmp_path


def load(files):
    return Kommune.load("altdorf", str(files / "inventory.yml"), files / "credentials", files / "mapping")


@pytest.mark.parametrize("passwords", [None, {}, {"gone": "x"}, {"someone-else": "x"}],
                         ids=["no-file", "empty", "only-a-gone-user", "not-in-the-mapping"])
def test_no_test_user_with_a_password_is_a_setup_error(files, passwords):
    if passwords is not None:
        (files / "credentials" / "ALTDORF.yml").write_text(yaml.safe_dump({"passwords": passwords}))
    with pytest.raises(AcceptanceSetupError, match=r"no test credentials for altdorf: .*/credentials/ALTDORF\.yml"):
        load(files)


def test_a_test_user_with_a_password_is_enough(files):
    (files / "credentials" / "ALTDORF.yml").write_text(yaml.safe_dump({"passwords": {"eva": "secret"}}))
    assert [u["old_name"] for u in load(files).sample_users()] == ["eva"]


def test_the_suite_without_credentials_fails_and_says_why(files):
    summary = files / "altdorf.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/acceptance", "--kommune", "altdorf",
         f"--inventory={files / 'inventory.yml'}", f"--mapping-dir={files / 'mapping'}",
         f"--credentials-dir={files / 'credentials'}", f"--acceptance-json={summary}"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
        check=False)
    assert proc.returncode != 0
    assert "no test credentials for altdorf" in proc.stdout + proc.stderr
    assert json.loads(summary.read_text())["passed"] is False


def kommune_with(files, pcs):
    """altdorf with a DC, a file server and `pcs`, and an RZ file server, from the inventory."""
    members = {name: {"umzug_domain": {"workgroup": "ALTDORF"}, "umzug_kommune": {"id": "altdorf"}}
               for name in ("altdorf-dc", "altdorf-fs", *pcs)}
    inventory = {"all": {"children": {
        "kommune_altdorf": {"hosts": members},
        "rz": {"hosts": {"rz-fs": {"umzug_domain": {"workgroup": "RZ"}}}},
        "dc": {"hosts": {"altdorf-dc": {}}}, "fs": {"hosts": {"altdorf-fs": {}, "rz-fs": {}}},
        "clients": {"hosts": {pc: {} for pc in pcs}}}}}
    (files / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (files / "credentials" / "ALTDORF.yml").write_text(yaml.safe_dump({"passwords": {"eva": "secret"}}))
    return load(files)


@pytest.mark.parametrize(("pcs", "resolver", "workstation"), [
    (["altdorf-pc"], "altdorf-pc", "altdorf-pc"),
    # Without a PC, not the old file server: its /etc/hosts holds its own name.
    ([], "altdorf-dc", "altdorf-fs"),
], ids=["a-pc", "no-pc"])
def test_the_old_names_are_looked_up_on_a_pc_else_the_dc_never_the_old_file_server(files, pcs, resolver,
                                                                                  workstation):
    kommune = kommune_with(files, pcs)
    assert (kommune.resolver, kommune.workstation) == (resolver, workstation)
