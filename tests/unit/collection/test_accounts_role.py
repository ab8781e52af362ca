"""roles/accounts: the central directory is exported for the names, SIDs and ids in use only;
its objects are not migrated, so its export must raise no finding of the Kommune (a dry run
reported accounts.foreign_members twice for each Kommune: once for its own directory, once for
the RZ's)."""

from pathlib import Path

import pytest
import yaml

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
