"""Helpers for testinfra tests against lab hosts (Molecule scenarios and `make lab`).

What the lab should contain is read from lab/seed.yml, the same data the seed created
it from, so a test never restates the seed. Passwords come from the credentials files
the seed writes into the ignored .lab/ folder; they reach remote commands through the
environment only, and results are returned without the command line, so no password
can show up in an assertion message or a log.
"""

from __future__ import annotations

import base64
import logging
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[2]
SEED = yaml.safe_load((TOP / "lab" / "seed.yml").read_text(encoding="utf-8"))["lab_seed_kommunen"]

# testinfra logs every command line it runs; the lab's commands carry passwords in
# their environment assignments.
logging.getLogger("testinfra").setLevel(logging.WARNING)


def state_dir() -> Path:
    """Molecule scenarios keep their generated passwords apart from the lab's."""
    lab = Path(os.environ.get("UMZUG_LAB_STATE") or TOP / ".lab")
    return lab / "molecule" if os.environ.get("MOLECULE_SCENARIO_NAME") else lab


def password(workgroup: str, account: str) -> str:
    data = yaml.safe_load((state_dir() / "credentials" / f"{workgroup}.yml").read_text(encoding="utf-8"))
    return data["passwords"][account]


def admin_password(workgroup: str) -> str:
    """A domain's Administrator password, made by the lab's rule (lab/accounts.yml)."""
    rule = yaml.safe_load((TOP / "lab" / "accounts.yml").read_text(encoding="utf-8"))
    stored = (state_dir() / "passwords" / workgroup / "Administrator").read_text(encoding="utf-8").split()[0]
    return rule["umzug_lab_password_prefix"] + stored


def users(kommune: str, *, enabled_only: bool = False, people_only: bool = False) -> list[dict]:
    return [
        u for u in SEED[kommune]["users"]
        if (not enabled_only or u.get("enabled", True)) and (not people_only or not u.get("service"))
    ]


@dataclass(frozen=True)
class Outcome:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_with_password(host, secret: str, command: list[str]) -> Outcome:
    """Run `command` with the password in $PASSWD (read by smbclient, smbcacls, and by
    ldapsearch through -y); the result carries no trace of it."""
    line = " ".join(shlex.quote(part) for part in command)
    # testinfra raises on exit code 255 (it takes it for ssh's own failure) and puts the
    # whole command line, password included, into that error; so 255 never comes back,
    # and any backend error is replaced by one without the command.
    script = f"PASSWD={shlex.quote(secret)} {line}; rc=$?; [ $rc -eq 255 ] && rc=254; exit $rc"
    try:
        result = host.run(script)
    except Exception:
        raise AssertionError(f"{command[0]} could not be run on the lab host") from None
    return Outcome(result.rc, result.stdout, result.stderr)


def smbclient(host, server: str, share: str, workgroup: str, user: str, commands: str) -> Outcome:
    return run_with_password(
        host, password(workgroup, user),
        ["smbclient", f"//{server}/{share}", "-U", f"{workgroup}\\{user}", "-c", commands],
    )


def domain_of(host) -> dict:
    """The host's domain from the inventory (umzug_domain), plus the DC's FQDN, the
    Kommune's file server and the domain's base DN."""
    hostvars = host.ansible.get_variables()
    domain = dict(hostvars["umzug_domain"])
    kommune_group = next(g for g in hostvars["group_names"] if g.startswith("kommune_"))
    domain["dc_fqdn"] = f"{domain['dc']}.{domain['dns_domain']}"
    domain["fs"] = next(h for h in hostvars["groups"]["fs"] if h in hostvars["groups"][kommune_group])
    domain["base_dn"] = ",".join(f"DC={part}" for part in domain["dns_domain"].split("."))
    return domain


def ldaps_search(host, dc_fqdn: str, realm: str, workgroup: str, user: str, base: str, filt: str,
                 *attrs: str) -> Outcome:
    """ldapsearch over LDAPS with the certificate verified, bound as a domain user."""
    script = (
        'printf %s "$PASSWD" | ldapsearch -LLL -H ldaps://"$1" -x -D "$2" -y /dev/stdin -b "$3" "$4" "${@:5}"'
    )
    return run_with_password(
        host, password(workgroup, user),
        ["bash", "-c", script, "ldaps", dc_fqdn, f"{user}@{realm.lower()}", base, filt, *attrs],
    )


def parse_ldif(text: str) -> list[dict[str, list[str]]]:
    """Entries of ldbsearch/ldapsearch output as {attribute: [values]}, with folded lines
    joined and base64 values (`attr:: ...`, used for anything non-ASCII) decoded."""
    entries, current = [], None
    lines = []
    for raw in text.splitlines():
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    for line in lines:
        if not line or line.startswith("#"):
            current = None
            continue
        if current is None:
            current = {}
            entries.append(current)
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode("utf-8")
        else:
            value = value.strip()
        current.setdefault(key, []).append(value)
    return [e for e in entries if "dn" in e]
