"""What the acceptance suite knows about one migrated Kommune: its hosts, shares, mapping
and credentials, all read from the plan inventory and the files the payloads write.

Loaded once per run (``Kommune.load``) and shared by the tests; remote facts (share lists,
share paths) are read through testinfra, with the connection settings Ansible uses, over one
SSH session per host (sessions.py). A windows
Kommune's source (``umzug_source.kind: windows``) is never logged on to: its reads go over SMB
and LDAPS from the RZ file server (windows.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf
from ansible_collections.kommunal.umzug.plugins.module_utils.name_switch.dns_smb import aliases_from_shares
from tests.acceptance.sessions import Sessions
from tests.acceptance.windows import WindowsSource

TOP = Path(__file__).resolve().parents[2]
ANSIBLE_INVENTORY = Path(sys.executable).with_name("ansible-inventory")
NOT_SHARES = {"global", "homes", "printers", "print$", "ipc$", "netlogon", "sysvol"}


class AcceptanceSetupError(RuntimeError):
    """The suite cannot start: inventory, Kommune or files missing. One sentence, what and where."""


def group_name(kommune_id: str) -> str:
    # The plan inventory's rule (plugin_utils.plan.group_name): kommune-a -> kommune_a.
    name = kommune_id.replace("-", "_")
    return name if name.startswith("kommune_") else f"kommune_{name}"


def read_inventory(inventory: str) -> dict:
    proc = subprocess.run([str(ANSIBLE_INVENTORY), "-i", inventory, "--list"], cwd=TOP,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise AcceptanceSetupError(f"the inventory {inventory} cannot be read: {last}")
    return plain(json.loads(proc.stdout))


def plain(value):
    """ansible-inventory marks values it must not template (the plan's data) as
    {"__ansible_unsafe": value}; the suite only reads them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@dataclass
class Kommune:
    kommune_id: str
    inventory: str
    data: dict
    credentials_dir: Path
    mapping_dir: Path | None = None

    @classmethod
    def load(cls, kommune_id: str, inventory: str, credentials_dir: Path, mapping_dir: Path | None) -> Kommune:
        data = read_inventory(inventory)
        kommune = cls(kommune_id, inventory, data, credentials_dir, mapping_dir)
        if not kommune.members:
            raise AcceptanceSetupError(f"the inventory {inventory} has no Kommune {kommune_id!r} "
                                       f"(group {group_name(kommune_id)})")
        if not kommune.sample_users():
            # Without them the log-on and access tests could not run, and a suite that did not
            # check the Kommune's users must not pass (tests/acceptance/skips.py).
            raise AcceptanceSetupError(
                f"no test credentials for {kommune_id}: {kommune.credentials_dir / kommune.domain['workgroup']}.yml "
                "names no mapped user with a password; the suite checks log-ons and share access as test users "
                "(give --credentials-dir)")
        return kommune

    # --- inventory ---------------------------------------------------------------------

    def group(self, name: str) -> list[str]:
        entry = self.data.get(name, {})
        hosts = list(entry.get("hosts", []))
        for child in entry.get("children", []):
            hosts += [h for h in self.group(child) if h not in hosts]
        return hosts

    @property
    def members(self) -> list[str]:
        return self.group(group_name(self.kommune_id))

    def hostvars(self, name: str) -> dict:
        return self.data["_meta"]["hostvars"][name]

    def one(self, role: str, *, rz: bool = False) -> str | None:
        pool = self.group("rz") if rz else self.members
        return next((h for h in self.group(role) if h in pool), None)

    @property
    def context(self) -> dict:
        return self.hostvars(self.members[0])["umzug_kommune"]

    @property
    def domain(self) -> dict:
        return self.hostvars(self.members[0])["umzug_domain"]

    @property
    def rz_fs(self) -> str:
        return self.one("fs", rz=True)

    @property
    def rz_workgroup(self) -> str:
        return self.hostvars(self.rz_fs)["umzug_domain"]["workgroup"]

    @cached_property
    def sessions(self) -> Sessions:
        """The run's SSH sessions: to the Kommune's hosts and the RZ's."""
        return Sessions(self.inventory, self.members + [h for h in self.group("rz") if h not in self.members])

    def templated(self, name: str) -> bool:
        """Whether the inventory computes a connection setting of ``name`` (the lab's key path
        from its state folder): testinfra's Ansible backend reads them without templating, so
        it must then go through Ansible itself for every command."""
        return any("{{" in str(value) for key, value in self.hostvars(name).items() if key.startswith("ansible_"))

    def host(self, name: str):
        """The testinfra host to run commands on ``name`` (one SSH session for the run)."""
        return self.sessions.host(name, templated=self.templated(name))

    def ansible_host(self, name: str):
        """The testinfra host to run Ansible modules on ``name``."""
        return self.sessions.ansible_host(name, templated=self.templated(name))

    @property
    def workstation(self) -> str:
        """Where SMB clients run: a Kommune PC, else the Kommune's file server (a windows
        Kommune's, which umzug does not log on to: the RZ file server)."""
        return self.one("clients") or (self.rz_fs if self.windows else self.one("fs"))

    @property
    def resolver(self) -> str:
        """Where the old file server names are looked up as a PC looks them up: a Kommune PC,
        else the Kommune's DC (a Samba Kommune's; it asks the Kommune's DNS), else as
        `workstation`. Never the old file server itself: it finds its own name in its
        /etc/hosts, whatever the Kommune's DNS says."""
        return self.one("clients") or (self.rz_fs if self.windows else self.one("dc") or self.workstation)

    @property
    def source(self) -> dict:
        return self.hostvars(self.members[0]).get("umzug_source") or {}

    @cached_property
    def windows(self) -> WindowsSource | None:
        """The reads over SMB and LDAPS of a windows Kommune; None for a Samba one."""
        return WindowsSource(self) if self.source.get("kind") == "windows" else None

    @property
    def plan_accounts(self) -> set[str]:
        """umzug's own accounts in the plan (source.smb, its admin, source.drsuapi): never test users."""
        smb = self.source.get("smb") or {}
        names = [smb.get("username"), (smb.get("admin") or {}).get("username"),
                 (self.source.get("drsuapi") or {}).get("username")]
        return {name.split("\\")[-1].split("@")[0].lower() for name in names if name}

    # --- shares ------------------------------------------------------------------------

    @cached_property
    def source_shares(self) -> dict[str, str]:
        """Share name -> path on the Kommune's file server (Samba's own view; a windows
        Kommune's as srvsvc gives it)."""
        if self.windows:
            return self.windows.shares()
        result = self.host(self.one("fs")).run("testparm -s")
        return {name: params["path"] for name, params in samba_conf.sections(result.stdout).items()
                if name.lower() not in NOT_SHARES and "path" in params}

    def target_share(self, share: str) -> str:
        return f"{self.context['share_namespace']}-{share.lower()}"

    @cached_property
    def target_shares(self) -> dict[str, str]:
        result = self.host(self.rz_fs).run("testparm -s")
        return {name: params.get("path", "") for name, params in samba_conf.sections(result.stdout).items()}

    # --- accounts ----------------------------------------------------------------------

    @cached_property
    def mapping(self) -> dict:
        folder = self.mapping_dir or Path(self.hostvars(self.members[0]).get(
            "accounts_mapping_dir", TOP / "artifacts" / "mapping"))
        path = Path(folder) / f"{self.kommune_id}.yml"
        if not path.exists():
            raise AcceptanceSetupError(f"no identity mapping at {path}: run the accounts payload "
                                       "(or give --mapping-dir)")
        return yaml.safe_load(path.read_text(encoding="utf-8"))

    def active(self, kind: str) -> list[dict]:
        return [e for e in self.mapping.get(kind, []) if e.get("status", "active") == "active" and e.get("new_sid")]

    @cached_property
    def passwords(self) -> dict[str, str]:
        """Test credentials of the Kommune's people (old name -> password): the lab's files."""
        path = self.credentials_dir / f"{self.domain['workgroup']}.yml"
        if not path.exists():
            return {}
        return yaml.safe_load(path.read_text(encoding="utf-8")).get("passwords", {})

    def rz_account(self, user: dict) -> str:
        """The user's new account as an SMB log-on names it."""
        return f"{self.rz_workgroup}\\{user['new_name']}"

    def switched(self) -> dict[str, dict[str, str]]:
        """Old file server name -> {old share: migrated share}: what the name switch serves
        (docs/name_switch.md), from the plan's share mapping."""
        aliases, _dummy = aliases_from_shares(self.context["endpoints"]["shares"], self.domain["dns_domain"],
                                              self.rz_fs)
        return aliases

    def sample_users(self) -> list[dict]:
        """Mapped users the suite can log on as: active, with a known password, and none of
        umzug's own accounts in the plan."""
        return [e for e in self.active("users")
                if e["old_name"] in self.passwords and e["old_name"].lower() not in self.plan_accounts]


# What opening a share's root needs: FILE_LIST_DIRECTORY, or a generic right that maps to it.
LIST_RIGHTS = 0x1 | 0x80000000 | 0x10000000
ACCESS_ALLOWED, ACCESS_DENIED, INHERIT_ONLY = 0, 1, 0x08


def may_list(sd, token: set[str]) -> bool:
    """Whether the ACL lets a token list the folder: the DACL in order, denies first as
    Windows orders them, inherit-only entries not applying to the folder itself."""
    if sd is None or sd.dacl is None:
        return True  # no DACL: everyone
    granted = False
    for ace in sd.dacl.aces:
        if ace.flags & INHERIT_ONLY or ace.sid not in token or not (ace.mask or 0) & LIST_RIGHTS:
            continue
        if ace.type == ACCESS_DENIED:
            return False
        if ace.type == ACCESS_ALLOWED:
            granted = True
    return granted
