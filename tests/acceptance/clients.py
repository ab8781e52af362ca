"""The clients payload's own modules on a workstation, as the acceptance suite runs them:
discovery by the catalog's profiles (in check mode: it only reads) and each client's probes
(they connect, they do not write)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[2]
PROFILES = [yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((TOP / "roles/clients/files/profiles").glob("*.yml"))]


def module(host, name, args, *, check=False):
    result = host.ansible(f"kommunal.umzug.{name}", json.dumps(args), check=check)
    assert not result.get("failed"), result.get("msg")
    return result


def discover(kommune, client_host: str) -> dict:
    return module(kommune.ansible_host(client_host), "client_discover", {
        "profiles": PROFILES, "endpoints": kommune.context["endpoints"], "search_paths": ["/opt", "/srv", "/etc"],
        "kommune": kommune.kommune_id}, check=True)


def probe(kommune, client_host: str, client_id: str) -> dict:
    profile = next(p for p in PROFILES if p["id"] == client_id)
    args = {"profile": profile, "timeout": 15, "kommune": kommune.kommune_id}
    auth = kommune.hostvars(client_host).get("clients_probe_smb_auth_file")
    if auth:
        args["smb_auth_file"] = auth
    return module(kommune.ansible_host(client_host), "client_probe", args)
