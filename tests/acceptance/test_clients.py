"""Clients pointing at the RZ with probes passing: on each of the Kommune's workstations,
discovery by the clients payload's catalog finds no configuration value that still names an
old endpoint, the values name RZ hosts, and every installed client's probes pass."""

import json
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
PROFILES = [yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((TOP / "roles/clients/files/profiles").glob("*.yml"))]


def module(host, name, args, *, check=False):
    result = host.ansible(f"kommunal.umzug.{name}", json.dumps(args), check=check)
    assert not result.get("failed"), result.get("msg")
    return result


@pytest.fixture(scope="module")
def found(kommune):
    return {}


def discovered(kommune, client_host, cache):
    if client_host not in cache:
        cache[client_host] = module(kommune.host(client_host), "client_discover", {
            "profiles": PROFILES, "endpoints": kommune.context["endpoints"], "search_paths": ["/opt", "/srv", "/etc"],
            "kommune": kommune.kommune_id}, check=True)
    return cache[client_host]


def test_client_configs_name_only_rz_endpoints(kommune, client_host, found):
    result = discovered(kommune, client_host, found)
    assert result["clients"], f"no Fachverfahren client found on {client_host}"
    still_old = [f"{f['path']}: {v.get('value', v)}" for c in result["clients"] for f in c["files"]
                 for v in f["values"] if v.get("moves")]
    assert not still_old, f"values that still name an old endpoint: {still_old}"
    rz_hosts = set(kommune.group("rz"))
    text = json.dumps([f["values"] for c in result["clients"] for f in c["files"]])
    assert any(name in text for name in rz_hosts), "no configuration value names an RZ host"


def test_client_probes_pass(kommune, client_host, found):
    result = discovered(kommune, client_host, found)
    auth = kommune.hostvars(client_host).get("clients_probe_smb_auth_file")
    failed = {}
    for client in result["clients"]:
        profile = next(p for p in PROFILES if p["id"] == client["id"])
        args = {"profile": profile, "timeout": 15, "kommune": kommune.kommune_id}
        if auth:
            args["smb_auth_file"] = auth
        probe = module(kommune.host(client_host), "client_probe", args)
        if probe["failed_probes"]:
            failed[client["id"]] = [p for p in probe["probes"] if not p["ok"]]
    assert not failed, f"failed probes: {failed}"
