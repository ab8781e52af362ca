"""One SSH session per host for the whole run of the acceptance suite.

testinfra's Ansible backend starts an ``ansible`` process for every command when the
inventory computes a connection setting (the lab's key path from its state folder), and
otherwise opens a new SSH connection for every command. Here Ansible itself resolves each
host's connection settings once, for all hosts in one run (templates included; a ``debug``
task, which connects to nothing), and every command of the run goes over one SSH control
connection per host, opened on first use and closed at the end of the run.

A host that is not reached over SSH with a key (another connection plugin, a password in the
inventory, ``become``) keeps testinfra's Ansible backend.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import testinfra

TOP = Path(__file__).resolve().parents[2]
ANSIBLE = Path(sys.executable).with_name("ansible")
# The callbacks a Welle enables (its report and progress) are not this run's.
FOREIGN_ENV = ("ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_LOG_PATH", "UMZUG_REPORT_DIR")
SSH_CONNECTIONS = {"ssh", "smart", "ansible.builtin.ssh"}
# A control connection stays this long after its last command: the run closes it itself.
PERSIST_SECONDS = 120

# What a debug task tells of a host's connection: no secret, only whether there is one.
_SETTINGS = (
    "msg={{ {'connection': ansible_connection | default('ssh'),"
    " 'address': ansible_host | default(inventory_hostname),"
    " 'port': ansible_port | default(ansible_ssh_port | default('')),"
    " 'user': ansible_user | default(ansible_ssh_user | default('')),"
    " 'key': ansible_ssh_private_key_file | default(ansible_private_key_file | default('')),"
    " 'common_args': ansible_ssh_common_args | default(''),"
    " 'extra_args': ansible_ssh_extra_args | default(''),"
    " 'password': ansible_password is defined or ansible_ssh_pass is defined,"
    " 'become': ansible_become | default(false) | bool} }}"
)


def ansible_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_ENV}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    return env


def resolve(inventory: str, hosts: list[str]) -> dict[str, dict]:
    """host -> its connection settings as Ansible computes them; {} when Ansible cannot say
    (then every host keeps testinfra's Ansible backend)."""
    if not hosts:
        return {}
    proc = subprocess.run([str(ANSIBLE), "-i", inventory, ":".join(hosts), "-m", "ansible.builtin.debug",
                           "-a", _SETTINGS], cwd=TOP, env=ansible_env(), capture_output=True, text=True,
                          check=False)
    try:
        plays = json.loads(proc.stdout)["plays"]
        results = plays[0]["tasks"][0]["hosts"]
    except (ValueError, KeyError, IndexError):
        return {}
    return {host: result["msg"] for host, result in results.items()
            if isinstance(result.get("msg"), dict) and not result.get("failed")}


def ssh_spec(settings: dict) -> tuple[str, dict] | None:
    """testinfra's ssh:// host spec and options for a host reached over SSH with a key;
    None for any other host."""
    if (str(settings.get("connection")) not in SSH_CONNECTIONS or settings.get("password")
            or settings.get("become")):
        return None
    address = str(settings["address"])
    spec = "ssh://" + (f"{settings['user']}@" if settings.get("user") else "")
    spec += f"[{address}]" if ":" in address else address
    if settings.get("port"):
        spec += f":{settings['port']}"
    extra = " ".join(str(settings.get(key) or "") for key in ("common_args", "extra_args")).strip()
    options = {"ssh_extra_args": extra}
    if settings.get("key"):
        options["ssh_identity_file"] = str(settings["key"])
    return spec, options


class Sessions:
    """testinfra hosts of one run: over one SSH control connection each where the host is
    reached over SSH with a key, else testinfra's Ansible backend. Thread-safe."""

    def __init__(self, inventory: str, names: list[str]):
        self.inventory = inventory
        self.names = list(names)
        self._lock = threading.Lock()
        self._settings: dict[str, dict] | None = None
        self._hosts: dict[str, object] = {}
        self._host_locks: dict[str, threading.Lock] = {}
        self._folder: str | None = None

    def settings(self) -> dict[str, dict]:
        with self._lock:
            if self._settings is None:
                self._settings = resolve(self.inventory, self.names)
            return self._settings

    def _control_folder(self) -> str:
        if self._folder is None:
            # Short: a control socket's path must fit into a Unix socket address.
            self._folder = tempfile.mkdtemp(prefix="umzug-acc-")
        return self._folder

    def host(self, name: str, *, templated: bool = False):
        """The testinfra host to run commands on ``name``."""
        settings = self.settings().get(name)
        with self._lock:
            lock = self._host_locks.setdefault(name, threading.Lock())
            folder = self._control_folder()
        with lock:
            if name not in self._hosts:
                found = ssh_spec(settings) if settings else None
                if found:
                    spec, options = found
                    control = (f"-o ControlMaster=auto -o ControlPath={folder}/%C "
                               f"-o ControlPersist={PERSIST_SECONDS}s -o BatchMode=yes")
                    options["ssh_extra_args"] = f"{options['ssh_extra_args']} {control}".strip()
                    host = testinfra.get_host(spec, **options)
                    # The control connection, opened before any read uses the host: the reads
                    # that run at the same time then share it rather than each opening one.
                    with contextlib.suppress(Exception):  # the reads report an unreachable host
                        host.run("true")
                else:
                    host = self.ansible_host(name, templated=templated)
                self._hosts[name] = host
            return self._hosts[name]

    def ansible_host(self, name: str, *, templated: bool = False):
        """testinfra's Ansible backend, for running Ansible modules on ``name``."""
        spec = f"ansible://{name}" + ("?force_ansible=True" if templated else "")
        return testinfra.get_host(spec, ansible_inventory=self.inventory)

    def close(self) -> None:
        """Close the control connections of the run."""
        with self._lock:
            folder, self._folder = self._folder, None
        if folder is None or not Path(folder).exists():
            return
        for socket in Path(folder).iterdir():
            subprocess.run(["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "closing"],
                           capture_output=True, check=False, timeout=30)
        for leftover in Path(folder).iterdir():
            leftover.unlink(missing_ok=True)
        Path(folder).rmdir()
