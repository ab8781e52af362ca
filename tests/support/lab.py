"""Helpers for testinfra tests against lab hosts (Molecule scenarios and `make lab`).

What the lab should contain is read from lab/seed.yml, the same data the seed created
it from, so a test never restates the seed. Passwords come from the credentials files
the seed writes into the ignored .lab/ folder; they reach remote commands as the
acceptance suite's do (tests/acceptance/remote.py: through the environment only).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.acceptance.remote import Outcome, run_with_password

TOP = Path(__file__).resolve().parents[2]
SEED = yaml.safe_load((TOP / "lab" / "seed.yml").read_text(encoding="utf-8"))["lab_seed_kommunen"]


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
