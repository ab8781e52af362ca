"""Runs a playbook as AWX and Automation Platform run a job template's job: through ansible-runner.

AWX (awx/main/tasks/jobs.py, BaseTask.run and RunJob) builds a private data directory per job
and hands it to ansible-runner, which starts ``ansible-playbook`` with no terminal of its own and
turns its output into job events. This builds the same directory:

- ``inventory/``: the job's inventory (AWX writes its database's export there; here the
  inventory folder is copied as it is, plan included),
- ``env/extravars``: the job's extra vars and the variables AWX adds to every job
  (``awx_job_id``, ``awx_user_name``, ... and their ``tower_`` twins),
- ``env/envvars``: what AWX sets for a job (``JOB_ID``, ``INVENTORY_ID``, ``AWX_HOST``,
  its ``ANSIBLE_*`` settings, the collections path with ``requirements_collections`` first)
  and the caller's variables (the callbacks to enable, for one),
- ``env/settings``: ``job_timeout`` and ``suppress_ansible_output`` as AWX writes them,
- ``env/cmdline``: the arguments AWX adds (``-u root``, ``--limit``),
- ``project``: the checkout (AWX copies the project's revision there; here a link to it),

then runs ``ansible-runner run`` on it with the caller's environment stripped of every
``ANSIBLE_*`` and ``MOLECULE_*`` variable (an execution node has none of them: the job's come
from ``env/envvars`` and the project's ansible.cfg). ansible-runner sets the stdout callback to
its own ``awx_display``, the one AWX's job output comes from, and writes the job's events,
``stdout``, ``rc`` and ``status`` to ``artifacts/<job id>/``.

    python -m tests.support.awx_job --jobs DIR --project TOP --inventory INV \
        --playbook playbooks/wave.yml --extra-vars '{"wave_phase": "dryrun"}' \
        --env ANSIBLE_CALLBACKS_ENABLED=kommunal.umzug.report --log dryrun.log

prints the job as JSON (id, private data dir, artifacts, rc, status) and exits 0 when
ansible-runner ran the job, whatever the playbook's outcome (the job's ``rc`` and ``status``
say it); the job's output as AWX shows it (the job events' stdout) goes to ``--log``.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

# AWX's settings (awx/settings/defaults.py) that reach every job as environment variables.
AWX_ANSIBLE_SETTINGS = {
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "ANSIBLE_PARAMIKO_RECORD_HOST_KEYS": "False",
    "ANSIBLE_FORCE_COLOR": "True",
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
}
# MAX_EVENT_RES_DATA: how much of a task's result AWX keeps in an event.
MAX_EVENT_RES = "700000"
# AWX's own address as its jobs see it (TOWER_URL_BASE); here only a name.
AWX_HOST = "https://awx.invalid"
# Who launched the job and from what, as AWX puts it into the extra vars (awx_meta_vars).
LAUNCH = {"user_id": 1, "user_name": "admin", "user_email": "", "user_first_name": "", "user_last_name": "",
          "inventory_id": 1, "job_template_id": 1, "job_launch_type": "manual"}
PREFIXES = ("awx", "tower")
# AWX's default search paths (RunJob.build_env) behind what the project's ansible.cfg sets.
DEFAULT_PATHS = {
    "ANSIBLE_COLLECTIONS_PATH": ("collections_path", "requirements_collections",
                                 "~/.ansible/collections:/usr/share/ansible/collections"),
    "ANSIBLE_ROLES_PATH": ("roles_path", "requirements_roles",
                           "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles"),
}
# What an execution node does not inherit from this machine's shell.
STRIPPED = re.compile(r"^(ANSIBLE_|MOLECULE_)")
# A job whose playbook hangs ends as AWX ends it: status timeout (seconds; AWX's default is none).
JOB_TIMEOUT = 1200
# The ends a job of ansible-runner comes to (artifacts/<id>/status).
STATUSES = ("successful", "failed", "timeout", "canceled")
# A job event ansible-runner counted (artifacts/<id>/job_events/<counter>-<uuid>.json).
COUNTED = re.compile(r"^\d+-[0-9a-f-]+\.json$")


def meta_vars(job_id: int, inventory_name: str, template_name: str, revision: str) -> dict:
    """The extra vars AWX adds to a job (UnifiedJob.awx_meta_vars and Job.awx_meta_vars)."""
    values = {"job_id": job_id, "inventory_name": inventory_name, "job_template_name": template_name,
              "project_revision": revision, **LAUNCH}
    return {f"{prefix}_{key}": value for prefix in PREFIXES for key, value in values.items()}


def ansible_cfg_paths(project: Path) -> dict[str, str]:
    """The search paths the project's ansible.cfg sets (AWX reads them with read_ansible_config)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(project / "ansible.cfg", encoding="utf-8")
    return {key: parser.get("defaults", key) for key, _, _ in DEFAULT_PATHS.values()
            if parser.has_option("defaults", key)}


def search_paths(private: Path, project: Path) -> dict[str, str]:
    """RunJob.build_env's rule: the job's requirements folder, then the project's paths, then the defaults."""
    configured = ansible_cfg_paths(project)
    paths = {}
    for variable, (setting, folder, default) in DEFAULT_PATHS.items():
        found = default.split(":")
        found = [path for path in configured.get(setting, "").split(":") if path and path not in found] + found
        paths[variable] = os.pathsep.join([str(private / folder), *found])
    return paths


def job_env(job_id: int, private: Path, project: Path, extra: dict[str, str]) -> dict[str, str]:
    """env/envvars: what AWX sets for a job, then the caller's variables."""
    env = dict(AWX_ANSIBLE_SETTINGS)
    env.update({
        "AWX_PRIVATE_DATA_DIR": str(private),
        "JOB_ID": str(job_id),
        "INVENTORY_ID": str(LAUNCH["inventory_id"]),
        "PROJECT_REVISION": revision_of(project),
        "MAX_EVENT_RES": MAX_EVENT_RES,
        "AWX_HOST": AWX_HOST,
        # one folder of SSH control sockets per job (AWX: /runner/cp inside the execution environment)
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(private / "cp"),
    })
    env.update(search_paths(private, project))
    env.update(extra)
    return env


def revision_of(project: Path) -> str:
    """The checkout's commit, as AWX knows its project's revision; empty outside a git checkout."""
    found = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], capture_output=True, text=True,
                           check=False)
    return found.stdout.strip() if found.returncode == 0 else ""


def next_job_id(jobs: Path) -> int:
    """AWX numbers its jobs; here the next number after the jobs already in the folder."""
    numbers = [int(m.group(1)) for path in jobs.glob("awx_*") if (m := re.fullmatch(r"awx_(\d+)", path.name))]
    return max(numbers, default=0) + 1


def build_private_data_dir(jobs: Path, job_id: int, project: Path, inventory: Path, extra_vars: dict,
                           env: dict[str, str], limit: str | None, template_name: str) -> Path:
    """The job's private data directory, as AWX's BaseTask.run leaves it for ansible-runner."""
    private = jobs / f"awx_{job_id}"
    if private.exists():
        raise FileExistsError(f"{private} exists: a job's private data directory is new for every job")
    (private / "env").mkdir(parents=True)
    (private / "cp").mkdir(mode=0o700)
    shutil.copytree(inventory, private / "inventory")
    (private / "project").symlink_to(project.resolve(), target_is_directory=True)
    variables = {**extra_vars, **meta_vars(job_id, inventory.name, template_name, revision_of(project))}
    write(private / "env" / "extravars", yaml.safe_dump(variables, sort_keys=True))
    write(private / "env" / "envvars", yaml.safe_dump(job_env(job_id, private, project, env), sort_keys=True))
    # AWX: suppress_output_file too (its events go to its database); kept here, the stdout artifact
    # is the whole job output for diagnosis.
    write(private / "env" / "settings", json.dumps({"job_timeout": JOB_TIMEOUT, "suppress_ansible_output": True,
                                                    "suppress_output_file": False}))
    # RunJob.build_args: the SSH user root unless a machine credential names one (the inventory's
    # ansible_user outranks it), the job template's limit.
    args = ["-u", "root"] + (["--limit", limit] if limit else [])
    write(private / "env" / "cmdline", shlex.join(args))
    return private


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def node_environment(environ: dict[str, str], venv_bin: Path) -> dict[str, str]:
    """The environment ansible-runner starts from: this machine's without the Ansible and Molecule
    settings of the shell that called it, the project's tools first on PATH."""
    env = {key: value for key, value in environ.items() if not STRIPPED.match(key)}
    env["PATH"] = os.pathsep.join([str(venv_bin), env.get("PATH", "")])
    return env


def run(private: Path, job_id: int, playbook: str, venv_bin: Path) -> subprocess.CompletedProcess:
    """ansible-runner on the private data directory: no terminal, its own output to a pipe."""
    return subprocess.run(
        # AWX_RUNNER_OMIT_ENV_FILES: the env files are not copied into the artifacts
        [sys.executable, "-m", "ansible_runner", "run", str(private), "--playbook", playbook,
         "--ident", str(job_id), "--omit-env-files"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
        env=node_environment(dict(os.environ), venv_bin), start_new_session=True)


# --- reading a job's artifacts ---------------------------------------------------------------

def events(artifacts: Path) -> list[dict]:
    """The job's events in the order ansible-runner counted them: the files ``<counter>-<uuid>.json``.
    ``<uuid>-partial.json`` are the halves awx_display writes before ansible-runner completes them
    from the output; Ansible run inside the job (the acceptance suite's testinfra calls
    ansible-inventory, which inherits the job's environment) leaves some no output completes."""
    found = [json.loads(path.read_text(encoding="utf-8")) for path in (artifacts / "job_events").glob("*.json")
             if COUNTED.match(path.name)]
    return sorted(found, key=lambda event: event["counter"])


def output(artifacts: Path) -> str:
    """The job's output as AWX shows it: its events' stdout, one after another (the lines end as
    they do in a file, not as on the terminal ansible-runner gives ansible-playbook)."""
    return "".join(event["stdout"].replace("\r\n", "\n") + "\n" for event in events(artifacts) if event.get("stdout"))


def outcome(artifacts: Path) -> tuple[int, str]:
    """The job's exit code and status as ansible-runner recorded them."""
    rc = int((artifacts / "rc").read_text(encoding="utf-8").strip())
    status = (artifacts / "status").read_text(encoding="utf-8").strip()
    if status not in STATUSES:
        raise ValueError(f"{artifacts}/status: {status!r} is not one of {', '.join(STATUSES)}")
    return rc, status


def env_pairs(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"{item}: --env takes NAME=VALUE")
        pairs[key] = value
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=Path, required=True, help="folder of the jobs' private data directories")
    parser.add_argument("--project", type=Path, required=True, help="the checkout (the job's project)")
    parser.add_argument("--inventory", type=Path, required=True, help="the inventory folder of the job")
    parser.add_argument("--playbook", required=True, help="relative to the project")
    parser.add_argument("--template", default="umzug", help="the job template's name")
    parser.add_argument("--extra-vars", type=json.loads, default={}, help="the job's extra vars (JSON)")
    parser.add_argument("--limit")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="into env/envvars")
    parser.add_argument("--log", type=Path, help="where the job's output (its events' stdout) goes")
    args = parser.parse_args(argv)
    args.jobs.mkdir(parents=True, exist_ok=True)
    job_id = next_job_id(args.jobs)
    private = build_private_data_dir(args.jobs, job_id, args.project, args.inventory, args.extra_vars,
                                     env_pairs(args.env), args.limit, args.template)
    runner = run(private, job_id, args.playbook, args.project.resolve() / ".venv" / "bin")
    artifacts = private / "artifacts" / str(job_id)
    if not (artifacts / "rc").exists():
        print(f"ansible-runner did not run the job (exit code {runner.returncode}):\n{runner.stdout}{runner.stderr}",
              file=sys.stderr)
        return 2
    rc, status = outcome(artifacts)
    if args.log:
        args.log.write_text(output(artifacts), encoding="utf-8")
    print(json.dumps({"id": job_id, "private_data_dir": str(private), "artifacts": str(artifacts), "rc": rc,
                      "status": status, "runner_output": runner.stdout + runner.stderr}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
