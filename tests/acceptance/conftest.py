"""Options and the shared Kommune of the acceptance suite, and its machine-readable result.

    pytest tests/acceptance --kommune kommune-a --inventory inventories/lab \\
        --junitxml artifacts/acceptance/kommune-a.xml --acceptance-json artifacts/acceptance/kommune-a.json
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

# TOP is the collection: a checkout (collections/ links it as ansible_collections/kommunal/umzug)
# or the installed collection, whose collections folder is three levels up.
TOP = Path(__file__).resolve().parents[2]
INSTALLED = TOP.parents[1].name == "ansible_collections"
for path in (TOP, TOP.parents[2] if INSTALLED else TOP / "collections"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# testinfra's Ansible backend runs ansible and ansible-inventory from PATH: the same
# environment as the Python running this suite.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

from tests.acceptance.gather import Gathered  # noqa: E402
from tests.acceptance.kommune import AcceptanceSetupError, Kommune  # noqa: E402

# The skip policy's hooks apply through this import.
from tests.acceptance.skips import (  # noqa: E402, F401  # pylint: disable=unused-import
    expected_skip_of,
    pytest_make_collect_report,
    pytest_runtest_makereport,
)


def lab_credentials() -> Path:
    """Without --credentials-dir: the lab's credentials, in a checkout that has the lab.
    The installed collection has no lab, so there the folder must be named."""
    try:
        from tests.support.lab import state_dir
    except (ImportError, OSError):
        raise AcceptanceSetupError(
            "--credentials-dir is needed: the folder of <WORKGROUP>.yml files with the test users' passwords "
            "(the lab's default exists only in a checkout with the lab)") from None
    return state_dir() / "credentials"


# The suite's parts, each one test file; --parts names those to run.
PARTS = {"shares": "test_shares.py", "accounts": "test_accounts.py", "clients": "test_clients.py",
         "names": "test_names.py"}


def chosen_parts(config) -> list[str]:
    value = config.getoption("--parts")
    parts = [part.strip() for part in value.split(",") if part.strip()] if value else list(PARTS)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        raise pytest.UsageError(f"--parts takes some of {', '.join(PARTS)}, comma-separated; not {unknown or value!r}")
    return [part for part in PARTS if part in parts]


def pytest_ignore_collect(collection_path, config):
    """A part not named in --parts is not collected; the JSON summary lists it as not run."""
    if collection_path.name in PARTS.values() and collection_path.parent == Path(__file__).parent:
        part = next(name for name, file in PARTS.items() if file == collection_path.name)
        return part not in chosen_parts(config) or None
    return None


def pytest_addoption(parser):
    group = parser.getgroup("umzug acceptance")
    group.addoption("--kommune", help="id of the migrated Kommune, e.g. kommune-a")
    group.addoption("--inventory", default=str(TOP / "inventories" / "lab"),
                    help="the plan inventory (file or folder); default: the lab's")
    group.addoption("--credentials-dir", default=None,
                    help="folder of <WORKGROUP>.yml files with test users' passwords; default: the lab's "
                         "(in a checkout with the lab)")
    group.addoption("--mapping-dir", default=None,
                    help="folder of the accounts payload's mapping files; default: accounts_mapping_dir from "
                         "the inventory, else artifacts/mapping")
    group.addoption("--parts", default=None,
                    help=f"comma-separated parts to run, of {', '.join(PARTS)}; default: all. A part left out "
                         "is recorded as not run, never as passed")
    group.addoption("--acceptance-json", default=None, help="write a JSON summary of the run to this file")


@pytest.fixture(scope="session")
def kommune(request) -> Kommune:
    return _kommune(request.config)


@pytest.fixture(scope="session")
def gathered(request, kommune) -> Gathered:
    """The reads of the parts this run checks, all started when the first test that checks
    the hosts' data sets up, in parallel (gather.py); the run's SSH sessions close when it ends."""
    reads = Gathered(kommune)
    reads.start(chosen_parts(request.config))
    yield reads
    reads.close()
    kommune.sessions.close()


def _kommune(config) -> Kommune:
    cached = getattr(config, "_umzug_kommune", None)
    if cached is None:
        kommune_id = config.getoption("--kommune")
        if not kommune_id:
            raise pytest.UsageError("the acceptance suite needs --kommune <id> (e.g. kommune-a)")
        credentials = config.getoption("--credentials-dir")
        mapping = config.getoption("--mapping-dir")
        try:
            cached = Kommune.load(kommune_id, config.getoption("--inventory"),
                                  Path(credentials) if credentials else lab_credentials(),
                                  Path(mapping) if mapping else None)
        except AcceptanceSetupError as err:
            raise pytest.UsageError(str(err)) from None
        config._umzug_kommune = cached
    return cached


def pytest_generate_tests(metafunc):
    """Shares and accounts are parameters, so one failure does not hide the next."""
    if not {"share", "user", "test_user", "group", "client_host"} & set(metafunc.fixturenames):
        return
    kommune = _kommune(metafunc.config)
    if "share" in metafunc.fixturenames:
        shares = sorted(kommune.source_shares)
        metafunc.parametrize("share", shares, ids=shares)
    if "user" in metafunc.fixturenames:
        users = kommune.active("users")
        metafunc.parametrize("user", users, ids=[u["old_name"] for u in users])
    if "test_user" in metafunc.fixturenames:
        users = kommune.sample_users()
        metafunc.parametrize("test_user", users, ids=[u["old_name"] for u in users])
    if "group" in metafunc.fixturenames:
        groups = kommune.active("groups")
        metafunc.parametrize("group", groups, ids=[g["old_name"] for g in groups])
    if "client_host" in metafunc.fixturenames:
        clients = [h for h in kommune.group("clients") if h in kommune.members]
        metafunc.parametrize("client_host", clients, ids=clients)


# --- the JSON summary ------------------------------------------------------------------

_RESULTS: list[dict] = []


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        entry = {"test": report.nodeid.split("::", 1)[-1], "file": report.nodeid.split("::")[0],
                 "outcome": "error" if report.when == "setup" and report.failed else report.outcome}
        if report.failed:
            entry["message"] = str(report.longrepr.reprcrash.message if hasattr(report.longrepr, "reprcrash")
                                   else report.longrepr).splitlines()[0][:500]
        elif report.skipped and isinstance(report.longrepr, tuple):
            entry["message"] = report.longrepr[2]
        if report.skipped:
            entry["expected_skip"] = expected_skip_of(report)
        _RESULTS.append(entry)


def pytest_sessionfinish(session, exitstatus):
    target = session.config.getoption("--acceptance-json")
    if not target:
        return
    counts, expected_skips = {}, {}
    for entry in _RESULTS:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
        if entry.get("expected_skip"):
            expected_skips[entry["expected_skip"]] = expected_skips.get(entry["expected_skip"], 0) + 1
    summary = {
        "schema_version": 1,
        "kommune": session.config.getoption("--kommune"),
        "inventory": session.config.getoption("--inventory"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": int(exitstatus) == 0,
        "counts": counts,
        "expected_skips": expected_skips,
        "parts_run": chosen_parts(session.config),
        "parts_not_run": [part for part in PARTS if part not in chosen_parts(session.config)],
        "tests": _RESULTS,
    }
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
