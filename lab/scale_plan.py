#!/usr/bin/env python3
"""Write a lab plan with N Kommunen: the lab of bench/wave_scale.py, or an inventory to measure.

One Welle of N Kommunen, each a DC and a file server (and a workstation with --clients), and
one RZ (DC, file server, application host), as an inventory folder the lab's own tools read:

    DIR/inventory/scale.umzug.yml         the plan (plugin kommunal.umzug.plan)
    DIR/inventory/group_vars/all/scale.yml  connection, network and where this lab keeps its state
    DIR/inventory/group_vars/<role>/lab.yml the lab's own (links to inventories/lab/group_vars)
    DIR/seed.json                         lab_seed_kommunen for the N Kommunen (extra vars of
                                          lab/provision.yml): a smaller copy of Kommune A's seed

Everything is named after N, so labs of several N never collide with each other, with the lab
(`umzug-lab`, 10.89.42.0/24) or with the Molecule scenarios (10.89.43-48.0/24): the network
`umzug-scale-<N>` with the subnet 10.<100+N>.0.0/16, hosts `s<N>-rz-dc`, `s<N>-k<k>-dc`,
`s<N>-k<k>-fs`, `s<N>-k<k>-cl`, Kommune ids `s<N>-k<k>`. Kommune k's hosts have addresses
10.<100+N>.<k>.11 (DC), .12 (file server), .13 (workstation); .14 is the address its file
server's name moves to in the RZ (the name switch); the RZ's are 10.<100+N>.0.31-33.

    lab/scale_plan.py N --out DIR [--clients]

The containers are started and provisioned by bench/wave_scale.py with lab/umzug_lab.py's
functions and lab/provision.yml, as `make lab` does for the lab.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parent.parent
LAB_GROUP_VARS = TOP / "inventories" / "lab" / "group_vars"
ROLES = ("dc", "fs", "clients", "app")
# 10.<100+N>.0.0/16: the second octet stays below 256 and clear of 10.89 (lab, scenarios).
MAX_KOMMUNEN = 155
# Kommune k's block of addresses is its third octet k (1 to 254): at most 254 per lab.
MAX_PER_OCTET = 254
# The seed of every generated Kommune: the lab's Kommune A with fewer shares (no awkward cases,
# no home folders) and no workstations' client configs unless --clients.
SEED_MODEL = "kommune-a"
SEED_SHARES = ("bauamt", "ordnungsamt", "austausch")
# Each Kommune's ids in the RZ: uid and gid ranges of 10,000 side by side from 200,000.
ID_BASE, ID_SPAN = 200_000, 10_000


def prefix(n: int) -> str:
    return f"s{n}"


def kommune_id(n: int, k: int) -> str:
    return f"{prefix(n)}-k{k:03d}"


def network(n: int) -> dict:
    return {"name": f"umzug-scale-{n}", "subnet": f"10.{100 + n}.0.0/16", "gateway": f"10.{100 + n}.0.1"}


def address(n: int, block: int, host: int) -> str:
    return f"10.{100 + n}.{block}.{host}"


def check_size(n: int, kommunen: int) -> None:
    if not 1 <= n <= MAX_KOMMUNEN:
        raise ValueError(f"N must be between 1 and {MAX_KOMMUNEN} (the subnet 10.<100+N>.0.0/16), not {n}")
    if not 1 <= kommunen <= MAX_PER_OCTET:
        raise ValueError(f"a lab plan holds 1 to {MAX_PER_OCTET} Kommunen, not {kommunen}")


def kommune(n: int, k: int, clients: bool) -> dict:
    ident = kommune_id(n, k)
    workgroup = f"S{n}K{k:03d}"  # NetBIOS: at most 15 characters
    hosts = {"dc": {f"{ident}-dc": {"ansible_host": address(n, k, 11)}},
             "fs": {f"{ident}-fs": {"ansible_host": address(n, k, 12)}}}
    if clients:
        hosts["clients"] = {f"{ident}-cl": {"ansible_host": address(n, k, 13)}}
    low = ID_BASE + (k - 1) * ID_SPAN
    return {
        "id": ident,
        "name": f"Gemeinde {k:03d} (Skalierung {n})",
        # A made-up AGS per Kommune (Land 13): 8 digits, unique within the plan.
        "ags": f"13{n:03d}{k:03d}",
        "domain": {"realm": f"{ident.upper()}.TEST", "workgroup": workgroup, "dns_domain": f"{ident}.test",
                   "dc": f"{ident}-dc", "idmap_range": "100000-199999"},
        "hosts": hosts,
        "target": {"ou": f"OU={workgroup},OU=Kommunen,DC=rz,DC=test", "share_namespace": f"k{k:03d}",
                   "account_prefix": f"k{k:03d}-", "uid_range": f"{low}-{low + ID_SPAN - 1}",
                   "gid_range": f"{low}-{low + ID_SPAN - 1}"},
        # In the past: the bench's cut-over runs by override (docs/wave.md "The window").
        "window": {"start": "2025-03-14 18:00", "end": "2025-03-16 18:00"},
        "contacts": [{"name": "Erika Muster", "role": "IT-Leitung", "email": f"it@{ident}.test"}],
        # The share mapping the name switch and the clients payload read: the seed's shares.
        "endpoints": {"shares": [{"old": f"\\\\{ident}-fs\\{share}"} for share in SEED_SHARES]},
    }


def plan(n: int, kommunen: int | None = None, clients: bool = False) -> dict:
    """The plan of lab N with `kommunen` Kommunen (default N) in one Welle."""
    kommunen = n if kommunen is None else kommunen
    check_size(n, kommunen)
    rz = f"{prefix(n)}-rz"
    return {
        "plugin": "kommunal.umzug.plan",
        "version": 1,
        "rz": {
            "domain": {"realm": "RZ.TEST", "workgroup": "RZ", "dns_domain": "rz.test", "dc": f"{rz}-dc",
                       "idmap_range": "100000-199999"},
            "hosts": {
                "dc": {f"{rz}-dc": {"ansible_host": address(n, 0, 31)}},
                "fs": {f"{rz}-fs": {
                    "ansible_host": address(n, 0, 32),
                    "name_switch_service_addresses": {kommune_id(n, k): address(n, k, 14)
                                                      for k in range(1, kommunen + 1)},
                    "name_switch_manage_address": True,
                    "umzug_lab_capabilities": ["SYS_ADMIN", "NET_ADMIN"],
                }},
                "app": {f"{rz}-app": {"ansible_host": address(n, 0, 33)}},
            },
        },
        "waves": [{"wave": 1, "name": f"Skalierung {n}",
                   "kommunen": [kommune(n, k, clients) for k in range(1, kommunen + 1)]}],
    }


def smaller_seed(model: dict, clients: bool) -> dict:
    """A generated Kommune's seed: the model's OUs, groups and users, a few of its shares."""
    seed = copy.deepcopy(model)
    seed["shares"] = [{key: value for key, value in share.items() if key != "awkward"}
                      for share in seed["shares"] if share["name"] in SEED_SHARES]
    if not clients:
        seed.pop("clients", None)
    return seed


def seed(the_plan: dict, clients: bool, seed_file: Path = TOP / "lab" / "seed.yml") -> dict:
    """Extra vars for lab/provision.yml: lab_seed_kommunen of every Kommune, the lab's RZ."""
    lab = yaml.safe_load(seed_file.read_text(encoding="utf-8"))
    model = smaller_seed(lab["lab_seed_kommunen"][SEED_MODEL], clients)
    ids = [entry["id"] for wave in the_plan["waves"] for entry in wave["kommunen"]]
    return {"lab_seed_kommunen": {ident: model for ident in ids}, "lab_seed_rz": lab.get("lab_seed_rz", {})}


def group_vars(n: int, out: Path, clients: bool) -> dict:
    """What every host of lab N shares: the lab key, this lab's network and state folders."""
    state = out / "state"
    artifacts = out / "artifacts"
    return {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(Path(os.environ.get("UMZUG_LAB_STATE") or TOP / ".lab")
                                            / "ssh" / "id_ed25519"),
        # The hosts are new on every run, so their host keys are too.
        "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR",
        "umzug_lab_network": network(n),
        "umzug_lab_image": "client",
        "umzug_lab_capabilities": [],
        "umzug_lab_state_dir": str(state),
        "umzug_lab_passwords_dir": str(state / "passwords"),
        "accounts_ca_file": str(state / "ca" / "ca.crt"),
        "accounts_letters_vault_password_file": str(state / "passwords" / "umzug-vault"),
        "accounts_letters_file": str(state / "letters") + "/{{ umzug_kommune.id }}.vault.yml",
        "accounts_mapping_dir": str(artifacts / "mapping"),
        "accounts_undo_dir": str(artifacts / "undo" / "accounts") + "/{{ umzug_kommune.id }}",
        "wave_acceptance_json_dir": str(artifacts / "acceptance"),
        "wave_acceptance_credentials_dir": str(state / "credentials"),
        # Without workstations the suite has no clients to check.
        "wave_acceptance_parts": ["shares", "accounts", "clients", "names"] if clients
        else ["shares", "accounts", "names"],
        # The shares payload provisions the RZ's shares; the lab's stand-ins would clash.
        "lab_seed_rz_standins": False,
    }


def write(n: int, out: Path, kommunen: int | None = None, clients: bool = False) -> Path:
    """Write the inventory folder and seed.json of lab N into `out`; returns the inventory folder."""
    the_plan = plan(n, kommunen, clients)
    inventory = out / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    (out / "state" / "letters").mkdir(parents=True, exist_ok=True, mode=0o700)
    header = f"# Generated by lab/scale_plan.py {n}: a lab plan with {kommunen or n} Kommunen.\n"
    (inventory / "scale.umzug.yml").write_text(
        header + yaml.safe_dump(the_plan, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (inventory / "group_vars" / "all" / "scale.yml").write_text(
        header + yaml.safe_dump(group_vars(n, out, clients), sort_keys=False), encoding="utf-8")
    for role in ROLES:
        link = inventory / "group_vars" / role
        if not link.exists():
            link.symlink_to(LAB_GROUP_VARS / role, target_is_directory=True)
    (out / "seed.json").write_text(json.dumps(seed(the_plan, clients), ensure_ascii=False), encoding="utf-8")
    return inventory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="the lab's number; its Kommunen unless --kommunen")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the inventory and seed into")
    parser.add_argument("--kommunen", type=int, help="this many Kommunen instead of N (an inventory to measure)")
    parser.add_argument("--clients", action="store_true", help="a workstation per Kommune (default: none)")
    args = parser.parse_args(argv)
    try:
        inventory = write(args.n, args.out.resolve(), args.kommunen, args.clients)
    except ValueError as err:
        print(f"scale_plan: {err}", file=sys.stderr)
        return 2
    print(inventory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
