"""How the wave role's per-host variables grow with the Welle: counted, never timed.

The role's variables (roles/wave/vars/main.yml) are templated for every host of a generated
plan (lab/scale_plan.py) by bench/wave_scale_vars.yml, which works as begin.yml and step.yml
do: the Kommune's hosts once, then a few steps of a few tasks each, every task with the step's
condition. What is counted is Ansible's variable resolution (VariableManager.get_vars): once per
host and task for the play itself, and once more for every read of another host's hostvars. A
host's count must not grow with the number of Kommunen, so the Welle's grows linearly with its
hosts. (Before, each host read the hostvars of every host of the play to find its Kommune's, and
every task of a step read those of its Kommune's hosts again: 45.8 resolutions per host with 2
Kommunen, 57.2 with 8.)
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "lab"))
import scale_plan  # noqa: E402  (lab/ is a folder of scripts)

PLAYBOOK = ROOT / "bench" / "wave_scale_vars.yml"
# Tasks per host in it: three of begin.yml's, then three steps of four tasks.
TASKS = 3 + 3 * 4
COUNTER = '''
import os
_path = os.environ.get("UMZUG_COUNT_FILE")
if _path:
    from ansible.vars import manager as _manager
    _get_vars = _manager.VariableManager.get_vars
    def _counted(self, *args, **kwargs):
        fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.write(fd, b"1\\n")
        os.close(fd)
        return _get_vars(self, *args, **kwargs)
    _manager.VariableManager.get_vars = _counted
'''


def variable_resolutions(tmp_path: Path, kommunen: int) -> tuple[int, int]:
    """(get_vars calls, hosts in the play) for a Welle of `kommunen` Kommunen."""
    folder = tmp_path / f"k{kommunen}"
    inventory = scale_plan.write(1, folder, kommunen=kommunen)
    site = folder / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(COUNTER, encoding="utf-8")
    count = folder / "count"
    env = {**os.environ, "PYTHONPATH": str(site), "UMZUG_COUNT_FILE": str(count),
           "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK)], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return len(count.read_text().splitlines()), 2 * kommunen


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cost")
    return {kommunen: variable_resolutions(tmp, kommunen) for kommunen in (2, 8)}


def test_variable_resolutions_per_host_do_not_grow_with_the_welle(counts):
    small_calls, small_hosts = counts[2]
    large_calls, large_hosts = counts[8]
    # Every host resolves its variables once per task at least; more than that per host would be
    # reads of other hosts' hostvars, and those must not depend on how many Kommunen there are.
    assert small_calls >= small_hosts * TASKS
    assert large_calls / large_hosts <= small_calls / small_hosts * 1.1, counts
