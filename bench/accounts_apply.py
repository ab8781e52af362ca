"""Benchmark: apply 5,000 users, 500 groups and 20,000 memberships to a Samba sam.ldb,
side by side with loading the equivalent LDIF with ldbadd; then a no-op re-run.

    /usr/bin/python3 bench/accounts_apply.py [--users 5000] [--groups 500] [--memberships 20000]

Needs Samba's Python bindings and samba-tool (Debian: python3-samba, samba-ad-provision,
ldb-tools) on the machine that runs it; it provisions two throw-away domains under a
temporary folder, so no lab host is touched. The apply runs the accounts_apply module's
own code (accounts_state.desired/changes and the module's run) against a local sam.ldb, as
the module does on the RZ DC. Prints the seconds each step takes; docs/benchmarks.md
records the figures.
"""

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "collections"))
# Ansible's module_utils for the module import: the .venv's, same Python minor version.
sys.path.extend(str(p) for p in (TOP / ".venv" / "lib").glob("python3*/site-packages"))

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import state as accounts_state  # noqa: E402
from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.samba_directory import Directory  # noqa: E402
from ansible_collections.kommunal.umzug.plugins.module_utils.identity.mapping import (  # noqa: E402
    IdRange,
    MapSettings,
    regenerate,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.identity.naming import NamingPolicy  # noqa: E402
from ansible_collections.kommunal.umzug.plugins.modules import accounts_apply  # noqa: E402
from ansible_collections.kommunal.umzug.plugins.modules.accounts_mapping import (  # noqa: E402
    map_data,
    source_objects,
)

OU = "OU=Bench,OU=Kommunen,DC=rz,DC=test"
OLD = "S-1-5-21-111-222-333"
GIVEN = ["Anna", "Jürgen", "Zoë", "Łukasz", "Ingrid", "Hans-Peter", "Ayşe", "Renate", "Dieter", "Friederike"]
SURNAMES = ["Müller", "Schäfer-Özdemir", "Weiß", "Große", "Bäßler", "Öztürk", "von Bülow-Straßberg", "Kühn"]


def export(users: int, groups: int, memberships: int) -> dict:
    rng = random.Random(5)
    user_objs = []
    for i in range(users):
        given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
        name = f"u{i:05d}"
        user_objs.append({
            "key": f"{OLD}-{10000 + i}", "dn": f"CN={name},OU=Alt,DC=old", "name": name, "sid": f"{OLD}-{10000 + i}",
            "given": given, "surname": surname, "display": f"{given} {surname} {i}", "description": "",
            "mail": f"{name}@bench.example", "upn": "", "enabled": i % 20 != 0, "expires": None,
            "home_directory": f"\\\\old-fs\\home\\{name}", "home_drive": "H:", "profile_path": "",
            "script_path": "anmeldung.cmd", "uid": None, "gid": None, "primary_group": None, "service": False})
    group_objs = [{"key": f"{OLD}-{50000 + g}", "dn": f"CN=g{g},OU=Alt,DC=old", "name": f"Gruppe {g:03d}",
                   "sid": f"{OLD}-{50000 + g}", "scope": "global", "security": True, "description": "",
                   "gid": None, "members": set()} for g in range(groups)]
    while sum(len(g["members"]) for g in group_objs) < memberships:
        group_objs[rng.randrange(groups)]["members"].add(user_objs[rng.randrange(users)]["key"])
    for group in group_objs:
        group["members"] = sorted(group["members"])
    return {"domain_sid": OLD, "users": user_objs, "groups": group_objs}


def provision(folder: Path) -> Path:
    subprocess.run(["samba-tool", "domain", "provision", f"--targetdir={folder}", "--realm=RZ.TEST",
                    "--domain=RZ", "--server-role=dc", "--dns-backend=NONE", "--use-rfc2307",
                    "--adminpass=Bench-Adm1n-Pass", "--option=vfs objects=dfs_samba4 xattr_tdb acl_xattr"],
                   capture_output=True, check=False)
    samdb = folder / "private" / "sam.ldb"
    if not samdb.exists():
        sys.exit(f"samba-tool domain provision did not create {samdb}")
    return samdb


def ldif(want: dict) -> str:
    blocks = [f"dn: {dn}\nobjectClass: organizationalUnit\n" for dn in want["ous"]]
    for dn, user in want["users"].items():
        lines = [f"dn: {dn}", "objectClass: user", "userAccountControl: 514"]
        lines += [f"{a}: {v}" for a, v in user["attrs"].items()]
        blocks.append("\n".join(lines) + "\n")
    for dn, group in want["groups"].items():
        lines = [f"dn: {dn}", "objectClass: group"] + [f"{a}: {v}" for a, v in group["attrs"].items()]
        lines += [f"member: {m}" for m in group["members"]]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def timed(label: str, func):
    start = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - start
    print(f"{label:<52} {seconds:8.1f} s", flush=True)
    return value, seconds


def apply_once(samdb: Path, model: dict, mapping: dict) -> int:
    directory = Directory(str(samdb))
    settings = {"server": "rz-fs", "namespace": "bench", "ou": OU, "domain_dn": directory.domain_dn()}
    want = accounts_state.desired(model, mapping, settings)
    have, _ = directory.read(OU)
    have["ous"] = [dn for dn in want["ous"] if directory.exists(dn)]
    ops = accounts_state.changes(want, have)
    ops, _ = accounts_apply.without_uncredentialed_enables(ops, want, {}, {})
    if ops:
        accounts_apply.run(directory, ops, want, {}, {}, [], [])
    return len(ops)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--memberships", type=int, default=20000)
    args = parser.parse_args()
    model = export(args.users, args.groups, args.memberships)
    kommune = {"id": "bench", "ou": OU, "account_prefix": "bch-"}
    settings = MapSettings(NamingPolicy.from_kommune(kommune, "rz.test"), IdRange(300000, 399999),
                           IdRange(300000, 399999), source_domain_sid=OLD)
    (identity_map, _), _ = timed("naming policy + mapping (regenerate)",
                                 lambda: regenerate(None, source_objects(model), settings))
    mapping = map_data(identity_map)
    with tempfile.TemporaryDirectory(prefix="umzug-bench-") as tmp:
        bulk_db, apply_db = provision(Path(tmp) / "bulk"), provision(Path(tmp) / "apply")
        want = accounts_state.desired(model, mapping, {"server": "rz-fs", "namespace": "bench", "ou": OU,
                                                       "domain_dn": "DC=rz,DC=test"})
        ldif_file = Path(tmp) / "bench.ldif"
        ldif_file.write_text(ldif(want), encoding="utf-8")
        _, bulk = timed("ldbadd of the equivalent LDIF (bulk load)",
                        lambda: subprocess.run(["ldbadd", "-H", str(bulk_db), str(ldif_file)],
                                               capture_output=True, check=True))
        ops, full = timed("full apply (read, compare, write)", lambda: apply_once(apply_db, model, mapping))
        again, noop = timed("no-op re-run (read, compare)", lambda: apply_once(apply_db, model, mapping))
    print(f"operations: full {ops}, re-run {again}; full apply / bulk load = {full / bulk:.2f}x "
          f"(target <= 3x); no-op re-run {noop:.1f} s (target < 10 s)")
    return 0 if again == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
