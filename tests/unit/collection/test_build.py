"""The tarball `make build` makes (ansible-galaxy collection build, galaxy.yml's
build_ignore) holds what an RZ installs: the product roles and plugins, and the acceptance
suite the Welle's verify phase runs, which works from the installed collection. The lab
(its roles, inventory and state), the scenarios, the unit tests and their helpers stay out."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PRODUCT_ROLES = ["accounts", "clients", "name_switch", "shares", "wave"]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=120)
    (built,) = out.glob("kommunal-umzug-*.tar.gz")
    return built


@pytest.fixture(scope="module")
def members(tarball) -> set[str]:
    with tarfile.open(tarball) as tar:
        return {m.name.rstrip("/") for m in tar.getmembers()}


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory) -> Path:
    """The tarball unpacked where ansible-galaxy collection install puts it."""
    top = tmp_path_factory.mktemp("installed") / "ansible_collections" / "kommunal" / "umzug"
    top.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(top, filter="data")
    return top


def tracked(folder: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", folder], cwd=ROOT, check=True, capture_output=True, text=True)
    return listed.stdout.split()


# (what, a test of a path in the tarball that must never be true)
LEFT_OUT = [
    ("a lab role", lambda p: Path(p).name.startswith("lab_") and "/roles/" in f"/{p}"),
    ("the lab", lambda p: p == "lab" or p.startswith("lab/")),
    ("the lab's state", lambda p: p.split("/")[0] in (".lab", ".lab-fresh", "artifacts")),
    ("the lab's inventory", lambda p: p.startswith("inventories")),
    ("the checkout's configuration", lambda p: p in ("ansible.cfg", "Makefile", "pyproject.toml", "collections")),
    ("the Molecule scenarios", lambda p: p.split("/")[0] == "molecule"),
    ("the unit tests", lambda p: p.startswith("tests/unit")),
    ("the lab's test helpers", lambda p: p.startswith("tests/support") or p == "tests/conftest.py"),
    ("the benchmarks and scripts", lambda p: p.split("/")[0] in ("bench", "scripts")),
]


def test_the_lab_roles_live_in_the_lab():
    assert sorted(p.name for p in (ROOT / "roles").iterdir()) == PRODUCT_ROLES
    assert all(p.name.startswith("lab_") for p in (ROOT / "lab" / "roles").iterdir())


@pytest.mark.parametrize(("what", "forbidden"), LEFT_OUT, ids=[w for w, _f in LEFT_OUT])
def test_the_tarball_leaves_out(members, what, forbidden):
    assert sorted(p for p in members if forbidden(p)) == []


@pytest.mark.parametrize("role", PRODUCT_ROLES)
def test_the_tarball_holds_each_product_role_with_its_argument_spec(members, role):
    assert {f"roles/{role}/tasks/main.yml", f"roles/{role}/defaults/main.yml",
            f"roles/{role}/meta/argument_specs.yml"} <= members


def test_the_tarball_holds_the_acceptance_suite_the_verify_phase_runs(members):
    suite = tracked("tests/acceptance")
    assert "tests/acceptance/conftest.py" in suite and len(suite) > 5
    assert set(suite) <= members
    # The wave role finds it beside the playbooks, in the collection.
    default = yaml.safe_load((ROOT / "roles/wave/defaults/main.yml").read_text())["wave_acceptance_dir"]
    assert default == "{{ playbook_dir }}/../tests/acceptance" and "playbooks/wave.yml" in members


def test_the_tarball_holds_the_plugins_and_playbooks(members):
    assert set(tracked("plugins")) | set(tracked("playbooks")) | set(tracked("schemas")) <= members


@pytest.mark.parametrize("role", PRODUCT_ROLES)
def test_no_product_default_names_a_lab_path(role):
    text = (ROOT / "roles" / role / "defaults" / "main.yml").read_text()
    values = yaml.safe_load(text)
    assert [n for n, v in values.items() if ".lab" in yaml.safe_dump(v) or "lab/" in yaml.safe_dump(v)] == []


def run_suite(installed: Path, *args: str) -> subprocess.CompletedProcess:
    """The shipped suite from the installed collection, with nothing of the checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANSIBLE_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(installed / "tests" / "acceptance"),
         "--kommune", "altdorf", *args],
        cwd=installed, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_installed_suite_asks_for_credentials_the_lab_would_give(installed, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all: {}\n")
    proc = run_suite(installed, f"--inventory={inventory}")
    assert proc.returncode != 0
    assert "--credentials-dir is needed" in proc.stdout + proc.stderr


def test_the_installed_suite_reads_the_plan_inventory_and_checks_the_credentials(installed, tmp_path):
    inventory = {"all": {"children": {"kommune_altdorf": {"hosts": {"altdorf-fs": {
        "umzug_domain": {"workgroup": "ALTDORF"}, "umzug_kommune": {"id": "altdorf"}}}}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "mapping").mkdir()
    (tmp_path / "mapping" / "altdorf.yml").write_text(yaml.safe_dump({"users": []}))
    (tmp_path / "credentials").mkdir()
    proc = run_suite(installed, f"--inventory={tmp_path / 'inventory.yml'}", f"--mapping-dir={tmp_path / 'mapping'}",
                     f"--credentials-dir={tmp_path / 'credentials'}")
    assert proc.returncode != 0
    assert "no test credentials for altdorf" in proc.stdout + proc.stderr
