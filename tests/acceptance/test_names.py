"""Old names resolving and serving via the name switch: on the Kommune's workstation the
old file server names (from the plan's share mapping) resolve to the address the name
switch gave them on the RZ file server, and an old UNC path shows what the migrated
share shows."""

from ansible_collections.kommunal.umzug.plugins.module_utils.name_switch.dns_smb import aliases_from_shares
from tests.acceptance.smb import listing


def switched(kommune):
    aliases, _dummy = aliases_from_shares(kommune.context["endpoints"]["shares"], kommune.domain["dns_domain"],
                                          kommune.rz_fs)
    return aliases


def expected_address(kommune):
    rz = kommune.hostvars(kommune.rz_fs)
    return rz.get("name_switch_service_addresses", {}).get(kommune.kommune_id, rz.get("ansible_host"))


def resolve(host, name):
    result = host.run("getent ahostsv4 %s", name)
    return sorted({line.split()[0] for line in result.stdout.splitlines()}) if result.rc == 0 else []


def test_old_names_resolve_to_the_rz_file_server(kommune):
    host = kommune.host(kommune.workstation)
    wanted = expected_address(kommune)
    wrong = {}
    for name in switched(kommune):
        for form in (name, f"{name}.{kommune.domain['dns_domain']}"):
            found = resolve(host, form)
            if found != [wanted]:
                wrong[form] = found
    assert switched(kommune), "the plan's share mapping names no old file server"
    assert not wrong, f"should resolve to {wanted}: {wrong}"


def test_old_unc_paths_serve_the_migrated_shares(kommune):
    users = kommune.sample_users()  # never empty: Kommune.load refuses a Kommune without test users
    host = kommune.host(kommune.workstation)
    differs, served = {}, 0
    for name, shares in switched(kommune).items():
        for old, new in sorted(shares.items()):
            for user in users:
                secret = kommune.passwords[user["old_name"]]
                account = f"{kommune.rz_workgroup}\\{user['new_name']}"
                direct = listing(host, secret, kommune.rz_fs, account, new)
                if direct is None:
                    continue  # this user may not open the share; try the next
                via_old = listing(host, secret, f"{name}.{kommune.domain['dns_domain']}", account, old)
                if via_old != direct:
                    differs[f"\\\\{name}\\{old}"] = {"via the old name": via_old, "direct": sorted(direct)}
                served += 1
                break
    assert not differs, f"old UNC paths that differ from the migrated share: {differs}"
    assert served, "no test user could open any migrated share to compare"
