"""lab/scale_plan.py: a valid plan of N Kommunen, no name or address twice, across labs of
several N and beside the lab and the Molecule scenarios; the lab's tools read its inventory."""

import ipaddress
import json
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, parse_plan

TOP = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(TOP / "lab"))
import scale_plan  # noqa: E402  (lab/ is a folder of tools, not a package)
import umzug_lab  # noqa: E402


def hosts_of(plan: dict) -> dict[str, str]:
    """host -> address, every host of the plan."""
    found = {}
    for owner in [plan["rz"], *plan["waves"][0]["kommunen"]]:
        for role_hosts in owner["hosts"].values():
            found.update({name: variables["ansible_host"] for name, variables in role_hosts.items()})
    return found


def addresses_of(plan: dict) -> list[str]:
    """Every address the plan uses: its hosts' and the name switch's."""
    fs = next(iter(plan["rz"]["hosts"]["fs"].values()))
    return list(hosts_of(plan).values()) + list(fs["name_switch_service_addresses"].values())


def parsed(plan: dict):
    return parse_plan(yaml.safe_dump(plan, sort_keys=False, allow_unicode=True), "scale.umzug.yml")


@pytest.mark.parametrize(("n", "kommunen", "clients"), [(1, None, False), (2, None, True), (4, None, False),
                                                        (1, 100, False), (155, 254, True)])
def test_the_plan_is_valid_and_has_its_kommunen_and_hosts(n, kommunen, clients):
    plan = scale_plan.plan(n, kommunen, clients)
    count = kommunen or n
    model = inventory_model(parsed(plan))  # the schema and the semantic checks (ranges, AGS, ...)
    assert len(model.groups["wave_1"]["children"]) == count
    assert len(model.groups["dc"]["hosts"]) == len(model.groups["fs"]["hosts"]) == count + 1
    assert len(model.groups.get("clients", {}).get("hosts", [])) == (count if clients else 0)
    assert model.groups["rz"]["hosts"] == [f"s{n}-rz-dc", f"s{n}-rz-fs", f"s{n}-rz-app"]


@pytest.mark.parametrize("kommunen", [1, 7, 100])
def test_no_name_or_address_twice_within_a_plan(kommunen):
    plan = scale_plan.plan(3, kommunen, clients=True)
    addresses = addresses_of(plan)
    assert len(set(addresses)) == len(addresses)
    kommunen_data = plan["waves"][0]["kommunen"]
    for key in ("id", "ags"):
        assert len({entry[key] for entry in kommunen_data}) == kommunen
    for key in ("workgroup", "realm", "dns_domain"):
        assert len({entry["domain"][key] for entry in kommunen_data}) == kommunen
    for key in ("share_namespace", "account_prefix"):
        assert len({entry["target"][key] for entry in kommunen_data}) == kommunen
    assert all(len(entry["domain"]["workgroup"]) <= 15 for entry in kommunen_data)  # NetBIOS
    subnet = ipaddress.ip_network(scale_plan.network(3)["subnet"])
    assert all(ipaddress.ip_address(address) in subnet for address in addresses)
    assert scale_plan.network(3)["gateway"] not in addresses


def test_labs_of_several_n_share_no_name_network_or_address_nor_with_the_lab_and_the_scenarios():
    names, networks, subnets = set(), set(), []
    for n in (1, 2, 4, 8, 16):
        plan = scale_plan.plan(n, clients=True)
        hosts = set(hosts_of(plan))
        assert not hosts & names
        names |= hosts
        net = scale_plan.network(n)
        assert net["name"] not in networks
        networks.add(net["name"])
        subnets.append(ipaddress.ip_network(net["subnet"]))
    taken = [ipaddress.ip_network("10.89.42.0/24")]  # the lab's (inventories/lab/group_vars/all/lab.yml)
    for scenario in sorted((TOP / "molecule").glob("*/molecule.yml")):
        taken.append(ipaddress.ip_network(umzug_lab.molecule_network(scenario.parent.name).subnet))
    for index, subnet in enumerate(subnets):
        assert not any(subnet.overlaps(other) for other in taken + subnets[index + 1:])
    assert not networks & {"umzug-lab"}


@pytest.mark.parametrize(("n", "kommunen"), [(0, None), (156, None), (1, 0), (1, 255)])
def test_sizes_that_do_not_fit_the_addresses_are_refused(n, kommunen):
    with pytest.raises(ValueError, match=r"must be between|holds 1 to"):
        scale_plan.plan(n, kommunen)


def test_each_kommune_gets_a_smaller_seed_of_its_own():
    plan = scale_plan.plan(2, clients=False)
    seed = scale_plan.seed(plan, clients=False)
    assert set(seed["lab_seed_kommunen"]) == {"s2-k001", "s2-k002"}
    for entry in seed["lab_seed_kommunen"].values():
        assert [share["name"] for share in entry["shares"]] == list(scale_plan.SEED_SHARES)
        assert not any("awkward" in share for share in entry["shares"])
        assert "clients" not in entry
        assert entry["users"] and entry["groups"]
    with_clients = scale_plan.seed(scale_plan.plan(2, clients=True), clients=True)
    assert all(entry.get("clients") for entry in with_clients["lab_seed_kommunen"].values())


def test_the_written_inventory_is_what_the_lab_tools_read(tmp_path):
    inventory = scale_plan.write(2, tmp_path)
    net, hosts = umzug_lab.load_topology(inventory)
    assert net == umzug_lab.LabNetwork(**scale_plan.network(2))
    by_name = {host.name: host for host in hosts}
    assert set(by_name) == {"s2-rz-dc", "s2-rz-fs", "s2-rz-app", "s2-k001-dc", "s2-k001-fs", "s2-k002-dc",
                            "s2-k002-fs"}
    # Images and capabilities from the lab's own group_vars of each role.
    assert (by_name["s2-k001-dc"].image, by_name["s2-k001-dc"].capabilities) == ("samba", ("SYS_ADMIN",))
    assert by_name["s2-rz-fs"].capabilities == ("SYS_ADMIN", "NET_ADMIN")
    assert by_name["s2-rz-app"].image == "app"
    assert (by_name["s2-k002-fs"].kommune, by_name["s2-k002-fs"].role) == ("s2-k002", "fs")
    seed = json.loads((tmp_path / "seed.json").read_text(encoding="utf-8"))
    assert set(seed["lab_seed_kommunen"]) == {"s2-k001", "s2-k002"}
    assert (tmp_path / "state" / "letters").is_dir()
