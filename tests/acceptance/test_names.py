"""Old names resolving and serving via the name switch: on a Kommune PC (else its DC:
Kommune.resolver) the old file server names (from the plan's share mapping) resolve to the
address the name switch gave them on the RZ file server, and an old UNC path shows what the
migrated share shows."""


def expected_address(kommune):
    rz = kommune.hostvars(kommune.rz_fs)
    return rz.get("name_switch_service_addresses", {}).get(kommune.kommune_id, rz.get("ansible_host"))


def test_old_names_resolve_to_the_rz_file_server(kommune, gathered):
    wanted = expected_address(kommune)
    resolved = gathered.get("resolved")
    wrong = {}
    for name in kommune.switched():
        for form in (name, f"{name}.{kommune.domain['dns_domain']}"):
            found = resolved[form]
            if found != [wanted]:
                wrong[form] = found
    assert kommune.switched(), "the plan's share mapping names no old file server"
    assert not wrong, f"should resolve to {wanted}: {wrong}"


def test_old_unc_paths_serve_the_migrated_shares(kommune, gathered):
    # Test users are never none: Kommune.load refuses a Kommune without them. For each old
    # share, the first test user who may open the migrated share compares both paths.
    differs, served = {}, 0
    for (name, old), (user, direct, via_old) in gathered.get("rz_listings").items():
        if user is None:
            continue  # no test user may open this share
        if via_old != direct:
            differs[f"\\\\{name}\\{old}"] = {"via the old name": via_old, "direct": sorted(direct)}
        served += 1
    assert not differs, f"old UNC paths that differ from the migrated share: {differs}"
    assert served, "no test user could open any migrated share to compare"
