"""execution-environment.yml installs what pyproject.toml pins, and the collection tarball
that `make build` writes for the version in galaxy.yml (it cannot be built here: no registry)."""

import re
import tomllib
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[3]
EE = yaml.safe_load((TOP / "execution-environment.yml").read_text())
PROJECT = tomllib.loads((TOP / "pyproject.toml").read_text())["project"]
VERSION = yaml.safe_load((TOP / "galaxy.yml").read_text())["version"]


def pins(requirements):
    return {re.split(r"[=<>\[]", line)[0].lower(): line for line in requirements}


def test_ansible_core_is_the_pinned_one():
    assert EE["dependencies"]["ansible_core"]["package_pip"] == pins(PROJECT["dependencies"])["ansible-core"]


def test_ansible_runner_is_the_one_the_scenario_runs_its_jobs_with():
    test_tools = pins(PROJECT["optional-dependencies"]["test"])
    assert EE["dependencies"]["ansible_runner"]["package_pip"] == test_tools["ansible-runner"]


def test_every_runtime_library_is_installed_with_its_pin():
    wanted = pins(PROJECT["dependencies"])
    wanted.pop("ansible-core")
    wanted.pop("ansible")  # only its collections; the EE installs the one it needs from Galaxy
    test_tools = pins(PROJECT["optional-dependencies"]["test"])
    for name in ("pytest", "pytest-testinfra"):  # the acceptance suite of the verify phase
        wanted[name] = test_tools[name]
    assert pins(EE["dependencies"]["python"]) == wanted


def test_the_collection_tarball_is_the_current_version():
    tarball = f"kommunal-umzug-{VERSION}.tar.gz"
    assert EE["additional_build_files"] == [{"src": tarball, "dest": "collections"}]
    assert {"name": f"collections/{tarball}", "type": "file"} in EE["dependencies"]["galaxy"]["collections"]
    assert EE["version"] == 3
