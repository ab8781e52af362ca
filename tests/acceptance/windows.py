"""The acceptance suite's reads of a windows Kommune's source (``umzug_source.kind: windows``,
docs/plan.md): its file server and DC are never logged on to, so what the Samba flavour reads
over SSH (``testparm``, ``getfattr``, ``ldbsearch``) comes here over the protocols Windows
speaks, from the RZ file server, as the Welle's own steps read it:

- the shares, their trees and the security descriptor of each share's root: the shares
  payload's SMB lister (``kommunal.umzug.share_discover_smb`` with ``list_sd``) in the shares
  role's SMB venv on the RZ file server, as the plan's backup account (``source.smb``);
- tokens and group memberships: ``ldapsearch`` over LDAPS (certificate verified) on the RZ
  file server to the Kommune's DC, bound as the same account.

Each read is one small playbook run with the plan inventory. The account's password is the
plan's vault reference and stays with Ansible: it reaches the module as its ``no_log``
option and ``ldapsearch`` through the environment, never this process, a command line or
a result (the task is ``no_log``; its registered result has no password in it).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
from functools import cached_property
from pathlib import Path

import yaml

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from tests.acceptance.remote import parse_ldif

TOP = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
# The shares role's default venv (roles/shares/defaults/main.yml, shares_smb_python); an
# inventory that moves it sets shares_smb_python on the RZ file server.
DEFAULT_SMB_PYTHON = "/opt/umzug/venv/bin/python"
# Every object of a share, not a sample.
LIST_ALL = 10_000_000
# What the source's own listing says the shares payload cannot carry; each is a finding of
# the shares payload before the cut-over (docs/shares.md), so its absence on the RZ is no
# loss the acceptance must find again.
HELD = frozenset({"shares.file_locked", "shares.offline_file", "shares.reparse_point", "shares.access_denied"})
# share_discover_smb's kinds as find's %y letters (the RZ side's tree).
KIND_LETTER = {"dir": "d", "file": "f", "reparse": "l"}


class WindowsReadError(AssertionError):
    """A read over SMB or LDAPS failed; the message names what, never a password."""


def run_task(inventory: str, host: str, task: dict, variables: dict) -> dict:
    """Run ``task`` on ``host`` of the plan inventory and return its registered result.

    The task may carry the plan's secrets as templates; it is ``no_log`` and its output is
    thrown away, so only the registered result (written by Ansible to a private folder) comes
    back. The report and progress callbacks a Welle enables are not this run's."""
    with tempfile.TemporaryDirectory(prefix="umzug-acceptance-") as folder:
        result_file = Path(folder) / "result.json"
        play = [{
            "name": "acceptance read", "hosts": host, "gather_facts": False,
            "tasks": [
                {**task, "register": "__acceptance_read", "no_log": True, "ignore_errors": True},
                {"name": "keep the result", "delegate_to": "localhost",
                 "ansible.builtin.copy": {"content": "{{ __acceptance_read | to_json }}",
                                          "dest": str(result_file), "mode": "0600"}},
            ],
        }]
        (Path(folder) / "read.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
        (Path(folder) / "vars.json").write_text(json.dumps(variables), encoding="utf-8")
        env = {key: value for key, value in os.environ.items()
               if key not in ("ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_LOG_PATH", "UMZUG_REPORT_DIR")}
        env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal")
        proc = subprocess.run(
            [str(ANSIBLE_PLAYBOOK), "-i", inventory, str(Path(folder) / "read.yml"), "-e", f"@{folder}/vars.json"],
            cwd=TOP, env=env, capture_output=True, text=True, check=False)
        if not result_file.exists():
            last = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()][-1:]
            raise WindowsReadError(f"the read on {host} did not run: {last[0][:300] if last else 'no output'}")
        return json.loads(result_file.read_text(encoding="utf-8"))


# Binary over LDAP (base64 in LDIF): kept as bytes by parse_ldif.
SID_ATTRIBUTES = ("objectSid", "tokenGroups")


def sid_value(value: bytes | str) -> str:
    """objectSid and tokenGroups come binary over LDAP."""
    return sid_codec.from_bytes(value) if isinstance(value, bytes) else value


class WindowsSource:
    """The source of a windows Kommune as the RZ file server reads it."""

    def __init__(self, kommune):
        self.kommune = kommune

    @property
    def fs(self) -> str:
        return self.kommune.one("fs")

    @property
    def dc(self) -> str:
        return self.kommune.one("dc")

    def _address(self, host: str) -> str:
        return self.kommune.hostvars(host).get("ansible_host", host)

    @property
    def smb(self) -> dict:
        smb = (self.kommune.hostvars(self.fs).get("umzug_source") or {}).get("smb") or {}
        if not smb.get("username"):
            raise WindowsReadError(f"the plan gives {self.kommune.kommune_id} no source.smb account "
                                   "(docs/plan.md): the suite reads the source with it")
        return smb

    def _read(self, task: dict) -> dict:
        # The plan's reference to the password, resolved by Ansible in the file server's context.
        variables = {"__acceptance_source": self.fs}
        result = run_task(self.kommune.inventory, self.kommune.rz_fs, task, variables)
        if result.get("failed") or result.get("rc", 0) != 0:
            detail = result.get("msg") or (result.get("stderr") or "").strip()
            raise WindowsReadError(f"{task['name']} failed: {str(detail)[:500]}")
        return result

    # --- shares over SMB ---------------------------------------------------------------

    @cached_property
    def listing(self) -> dict[str, dict]:
        """share -> the lister's result for it (entries with their security descriptors)."""
        rz_vars = self.kommune.hostvars(self.kommune.rz_fs)
        task = {
            "name": f"list the shares of {self.fs} over SMB",
            "kommunal.umzug.share_discover_smb": {
                "server": self._address(self.fs),
                "username": self.smb["username"],
                "password": "{{ hostvars[__acceptance_source].umzug_source.smb.password }}",
                "auth": self.smb.get("auth") or "ntlm",
                "encrypt": (self.smb.get("protection") or "encrypt") == "encrypt",
                "list_limit": LIST_ALL, "list_sd": True,
                "namespace": self.kommune.context["share_namespace"],
                "target_server": self.kommune.rz_fs,
                "kommune": self.kommune.kommune_id,
            },
            "vars": {"ansible_python_interpreter": rz_vars.get("shares_smb_python", DEFAULT_SMB_PYTHON)},
        }
        return {share["name"]: share for share in self._read(task)["shares"]}

    def shares(self) -> dict[str, str | None]:
        """Share name -> its path on the source (as srvsvc gives it)."""
        return {name: share.get("path") for name, share in self.listing.items()}

    def root_sd(self, share: str):
        root = next((e for e in self.listing[share].get("entries", []) if e["path"] == "."), None)
        if root is None or not root.get("sd"):
            return None
        return ntacl.parse_sd(base64.b64decode(root["sd"]))

    def tree(self, share: str) -> tuple[list[str], list[str]]:
        """The share's tree as ``<find %y> <size> <path>`` lines (folders size 0), and the
        paths the listing itself holds back (HELD), each with everything below it."""
        lines, held = [], []
        for entry in self.listing[share].get("entries", []):
            if entry["path"] == ".":
                continue
            if HELD & set(entry.get("problems", [])):
                held.append(entry["path"])
                continue
            kind = KIND_LETTER.get(entry["kind"], "?")
            lines.append(f"{kind} {entry['size'] if kind == 'f' else 0} {entry['path']}")
        return sorted(lines), sorted(held)

    # --- the directory over LDAPS ------------------------------------------------------

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={part}" for part in self.kommune.domain["dns_domain"].split("."))

    @property
    def bind_name(self) -> str:
        """The plan's DOMAIN\\name as the UPN a simple bind takes."""
        name = self.smb["username"].split("\\")[-1]
        return name if "@" in name else f"{name}@{self.kommune.domain['realm'].lower()}"

    def search(self, base: str, scope: str, filt: str, *attrs: str) -> list[dict[str, list[str]]]:
        script = ('printf %s "$ACCEPTANCE_PASSWD" | ldapsearch -LLL -o ldif-wrap=no -H "ldaps://$1" -x -D "$2" '
                  '-y /dev/stdin -b "$3" -s "$4" "$5" "${@:6}"')
        task = {
            "name": f"search the directory of {self.dc} over LDAPS",
            "ansible.builtin.command": {"argv": ["bash", "-c", script, "ldaps", self._address(self.dc),
                                                 self.bind_name, base, scope, filt, *attrs]},
            "environment": {"ACCEPTANCE_PASSWD": "{{ hostvars[__acceptance_source].umzug_source.smb.password }}"},
            "changed_when": False,
        }
        result = self._read(task)
        return parse_ldif(result.get("stdout", ""), binary=SID_ATTRIBUTES)

    def token(self, old_sid: str) -> set[str]:
        """The SIDs of the user's log-on at home: its own and its groups' (tokenGroups,
        nested, as the Kommune's DC computes them). Where the account may not read tokenGroups
        (AD grants it to few), the same set from the directory: every group that holds the
        user, nested (LDAP_MATCHING_RULE_IN_CHAIN), and its primary group."""
        found = self.search(f"<SID={old_sid}>", "base", "(objectClass=*)", "tokenGroups", "objectSid",
                            "primaryGroupID")
        if not found:
            raise WindowsReadError(f"{old_sid} not found in the directory of {self.dc}")
        user = found[0]
        own = {sid_value(v) for v in user.get("objectSid", [])}
        if user.get("tokenGroups"):
            return own | {sid_value(v) for v in user["tokenGroups"]}
        domain_sid = old_sid.rsplit("-", 1)[0]
        primary = {f"{domain_sid}-{rid}" for rid in user.get("primaryGroupID", [])}
        dn = user["dn"][0]
        groups = self.search(self.base_dn, "sub", f"(member:1.2.840.113556.1.4.1941:={escape_filter(dn)})",
                             "objectSid")
        return own | primary | {sid_value(e["objectSid"][0]) for e in groups if e.get("objectSid")}

    def member_sids(self, group_sid: str) -> set[str] | None:
        """SIDs of the group's direct members, or None when the group does not exist."""
        found = self.search(f"<SID={group_sid}>", "base", "(objectClass=group)", "member")
        if not found:
            return None
        dns = list(found[0].get("member", []))
        if not dns:
            return set()
        filt = "(|" + "".join(f"(distinguishedName={escape_filter(dn)})" for dn in dns) + ")"
        members = self.search(self.base_dn, "sub", filt, "objectSid")
        return {sid_value(e["objectSid"][0]) for e in members if e.get("objectSid")}


def escape_filter(value: str) -> str:
    """An LDAP filter value (RFC 4515)."""
    return "".join(f"\\{ord(char):02x}" if char in "*()\\\0" else char for char in value)
