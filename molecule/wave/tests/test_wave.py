"""The Welle's end states, seen from each Kommune's workstation: Kommune A's old names
served by the RZ, Kommune B's back at its own file server. Names and addresses come from
the scenario's plan, nothing here restates them."""

from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, load_plan
from tests.support.lab import admin_password, run_with_password

testinfra_hosts = ["ansible://clients"]

PLAN = inventory_model(load_plan(Path(__file__).resolve().parents[1] / "inventory" / "wave.umzug.yml"))
RZ_FS = next(h for h in PLAN.groups["fs"]["hosts"] if h in PLAN.groups["rz"]["hosts"])
SERVICE = PLAN.hostvars[RZ_FS]["name_switch_service_addresses"]
SWITCHED = {"kommune-a": True, "kommune-b": False}


@pytest.fixture(scope="module")
def kommune(host):
    name = host.backend.get_hostname()
    return PLAN.hostvars[name]["umzug_kommune"], PLAN.hostvars[name]["umzug_domain"]


def own_file_server(kommune_id):
    group = "kommune_" + kommune_id.split("-", 1)[1]
    fs = next(h for h in PLAN.groups[group]["hosts"] if h in PLAN.groups["fs"]["hosts"])
    return PLAN.hostvars[fs]["ansible_host"]


def addresses(host, name):
    result = host.run("getent ahostsv4 %s", name)
    assert result.rc == 0, f"{name} does not resolve"
    return sorted({line.split()[0] for line in result.stdout.splitlines()})


def test_old_file_server_name_resolves_as_the_wave_left_it(host, kommune):
    context, domain = kommune
    old = f"{context['id']}-fs"
    want = SERVICE[context["id"]] if SWITCHED[context["id"]] else own_file_server(context["id"])
    assert addresses(host, old) == [want]
    assert addresses(host, f"{old}.{domain['dns_domain']}") == [want]


def status(host, server, share):
    """smbclient's verdict on listing a share as the RZ's Administrator: ok or the NT_STATUS."""
    outcome = run_with_password(host, admin_password("RZ"),
                                ["smbclient", f"//{server}/{share}", "-U", "RZ\\Administrator", "-c", "ls"])
    found = [word for word in outcome.output.split() if word.startswith("NT_STATUS_")]
    return found[0] if found else ("ok" if outcome.rc == 0 else f"rc {outcome.rc}")


def test_old_unc_paths_reach_what_the_wave_left(host, kommune):
    """Switched: the old UNC path answers exactly as the migrated share does (the alias is
    there: no NT_STATUS_BAD_NETWORK_NAME). Switched back: the Kommune's own server answers,
    which does not know the RZ's accounts."""
    context, _ = kommune
    shares = sorted({unc.split("\\")[3].lower() for unc in context["endpoints"]["shares"]})
    seen = {share: status(host, f"{context['id']}-fs", share) for share in shares}
    if SWITCHED[context["id"]]:
        direct = {share: status(host, RZ_FS, f"{context['share_namespace']}-{share}") for share in shares}
        assert seen == direct
        assert "NT_STATUS_BAD_NETWORK_NAME" not in seen.values()
    else:
        assert set(seen.values()) == {"NT_STATUS_LOGON_FAILURE"}
