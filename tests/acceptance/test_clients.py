"""Clients pointing at the RZ with probes passing: on each of the Kommune's workstations,
discovery by the clients payload's catalog finds no configuration value that still names an
old endpoint, the values name RZ hosts, and every installed client's probes pass."""

import json

from tests.acceptance.gather import value


def test_client_configs_name_only_rz_endpoints(kommune, client_host, gathered):
    result = value(gathered.get("client_discovery")[client_host])
    assert result["clients"], f"no Fachverfahren client found on {client_host}"
    still_old = [f"{f['path']}: {v.get('value', v)}" for c in result["clients"] for f in c["files"]
                 for v in f["values"] if v.get("moves")]
    assert not still_old, f"values that still name an old endpoint: {still_old}"
    rz_hosts = set(kommune.group("rz"))
    text = json.dumps([f["values"] for c in result["clients"] for f in c["files"]])
    assert any(name in text for name in rz_hosts), "no configuration value names an RZ host"


def test_client_probes_pass(client_host, gathered):
    value(gathered.get("client_discovery")[client_host])
    failed = {}
    for client_id, found in gathered.get("client_probes")[client_host].items():
        probe = value(found)
        if probe["failed_probes"]:
            failed[client_id] = [p for p in probe["probes"] if not p["ok"]]
    assert not failed, f"failed probes: {failed}"
