"""The Fachverfahren clients of a Kommune A workstation after converge: re-pointed to the
RZ, probing the RZ's real services, and put back byte for byte when an endpoint is broken.

The expected files come from lab/seed.yml and the catalog (roles/clients/files/profiles),
the mapping from the scenario's inventory: nothing here restates them.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.lab import SEED

testinfra_hosts = ["ansible://clients"]

TOP = Path(__file__).resolve().parents[3]
CATALOG = {p["id"]: p for p in (yaml.safe_load(f.read_text(encoding="utf-8"))
                                 for f in sorted((TOP / "roles/clients/files/profiles").glob("*.yml")))}
SEEDED = SEED["kommune-a"]["clients"]
MANAGED = [f for f in SEEDED if "profile" in f]
INSTALLED = sorted({f["profile"] for f in MANAGED})
OLD_NAMES = ("kommune-a-fs", "10.89.42.12")


def seeded_bytes(entry: dict) -> bytes:
    spec = next(s for s in CATALOG[entry["profile"]]["files"] if s.get("path") == entry["path"])
    return entry["content"].encode(spec.get("encoding") or "utf-8")


def module(host, name: str, args: dict, *, check: bool = False, diff: bool = False) -> dict:
    result = host.ansible(f"kommunal.umzug.{name}", json.dumps(args), check=check, diff=diff)
    assert not result.get("failed"), result.get("msg")
    return result


@pytest.fixture(scope="module")
def mapping(host):
    return host.ansible.get_variables()["umzug_kommune"]["endpoints"]


@pytest.mark.parametrize("entry", MANAGED, ids=[f["path"] for f in MANAGED])
def test_client_file_names_only_rz_servers(host, entry):
    text = host.file(entry["path"]).content.decode("utf-8")
    # Comments may keep naming the old server: a rewrite touches endpoint values only.
    values = "\n".join(line for line in text.splitlines()
                       if not line.lstrip().startswith((";", "#", "<!--", "REM")))
    assert [name for name in OLD_NAMES if name in values.lower()] == []
    assert "cl-rz-" in values


def test_comments_and_line_endings_stay(host):
    ini = host.file("/opt/ewo/ewo.ini").content.decode()
    assert ini.startswith("; EWO Meldewesen - Arbeitsplatzkonfiguration Gemeinde Altdorf\n; Änderungen")
    assert ini.count("\r\n") == 0 and "Host=cl-rz-app\nPort=7101\n" in ini
    script = host.file("/srv/netlogon/anmeldung.cmd").content
    assert script.count(b"\r\n") == script.count(b"\n") == 6
    assert b'net use P: "\\\\cl-rz-fs\\altdorf-austausch" /persistent:no\r\n' in script


def test_discovery_finds_every_client_and_the_unmanaged_shortcut(host, mapping):
    found = module(host, "client_discover", {"profiles": list(CATALOG.values()), "endpoints": mapping,
                                             "search_paths": ["/opt", "/srv"], "kommune": "kommune-a"}, check=True)
    assert sorted(c["id"] for c in found["clients"]) == INSTALLED
    assert not [v for c in found["clients"] for f in c["files"] for v in f["values"] if v["moves"]]
    unmanaged = [f["path"] for f in SEEDED if f.get("unmanaged")]
    assert found["unmanaged"] == unmanaged
    assert [f["key"] for f in found["umzug_findings"]] == ["clients.unmanaged_reference"] * len(unmanaged)


def test_unmanaged_file_is_never_rewritten(host):
    for entry in (f for f in SEEDED if f.get("unmanaged")):
        assert host.file(entry["path"]).content == entry["content"].encode()


@pytest.mark.parametrize("profile_id", INSTALLED)
def test_probes_pass_against_the_rz_services(host, profile_id):
    result = module(host, "client_probe", {"profile": CATALOG[profile_id], "timeout": 10,
                                           "smb_auth_file": "/etc/umzug-lab/rz-probe.auth"})
    assert result["failed_probes"] == 0, result["probes"]
    assert result["probes"] and all(p["ok"] for p in result["probes"])


def test_interface_consumer_learns_the_rz_certificate_thumbprint(host):
    result = module(host, "client_probe", {"profile": CATALOG["xmeld-schnittstelle"]})
    tls = next(p for p in result["probes"] if p["kind"] == "tls")
    served = host.run("openssl s_client -connect cl-rz-app:443 -servername cl-rz-app </dev/null 2>/dev/null"
                      " | openssl x509 -noout -fingerprint -sha1").stdout.strip().split("=")[1]
    assert tls["pin_changed"] and tls["sha1"] == served
    [finding] = result["umzug_findings"]
    assert finding["key"] == "clients.pinned_certificate_changed" and served.replace(":", "") in \
        finding["remediation"]["text"]


def test_rollback_restores_byte_identical_and_check_mode_shows_the_diff(host, mapping):
    entry = next(f for f in MANAGED if f["profile"] == "autista-personenstand")
    profile = CATALOG["autista-personenstand"]
    rewritten = host.file(entry["path"]).content
    back = module(host, "client_rewrite", {"profile": profile, "state": "rolled_back"})
    assert back["changed"] and host.file(entry["path"]).content == seeded_bytes(entry)
    dry = module(host, "client_rewrite", {"profile": profile, "endpoints": mapping}, check=True, diff=True)
    assert dry["changed"] and host.file(entry["path"]).content == seeded_bytes(entry)
    assert dry["files"][0]["changes"] == [
        f"{entry['path']}:4 xpath=/autista/daten/@pfad: \\\\kommune-a-fs\\standesamt\\Personenstand -> "
        "\\\\cl-rz-fs\\altdorf-standesamt\\Personenstand",
        f"{entry['path']}:6 xpath=/autista/server/url: https://kommune-a-fs.kommune-a.test:8443/personenstand/status"
        " -> https://cl-rz-app:443/personenstand/status",
    ]
    again = module(host, "client_rewrite", {"profile": profile, "endpoints": mapping})
    assert again["changed"] and host.file(entry["path"]).content == rewritten


def test_broken_endpoint_is_probed_and_rolled_back_by_the_playbook(host, mapping):
    """The playbook as an engineer runs it, with the Meldewesen port mapped to a port nothing serves."""
    entry = next(f for f in MANAGED if f["profile"] == "ewo-meldewesen")
    module(host, "client_rewrite", {"profile": CATALOG["ewo-meldewesen"], "state": "rolled_back"})
    broken = json.loads(json.dumps(mapping))
    broken["hosts"][0]["ports"] = {"7001": 7999, "8443": 443}
    env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    run = subprocess.run(
        [str(TOP / ".venv/bin/ansible-playbook"), "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         str(TOP / "playbooks/clients.yml"), "--limit", host.backend.get_hostname(),
         "-e", json.dumps({"clients_endpoints": broken})],
        capture_output=True, text=True, env=env, check=False, cwd=TOP)
    plays = json.loads(run.stdout)["plays"] if run.stdout.startswith("{") else []
    tasks = {t["task"]["name"].split(" : ")[-1]: t["hosts"] for play in plays for t in play["tasks"]}
    failures = [(name, item.get("msg") or item.get("module_stderr")) for name, hosts in tasks.items()
                for result in hosts.values() for item in result.get("results", [result]) if item.get("failed")]
    assert run.returncode == 0 and not failures, failures or run.stderr[-2000:]
    probes = next(iter(tasks["Probe the re-pointed clients"].values()))["results"]
    failed = {r["__clients_profile"]["id"] for r in probes if r.get("failed_probes")}
    assert failed == {"ewo-meldewesen"}
    rolled = next(iter(tasks["Roll back the clients whose probe failed"].values()))["results"]
    assert [(r["__clients_profile"]["id"], r["changed"]) for r in rolled] == [("ewo-meldewesen", True)]
    assert host.file(entry["path"]).content == seeded_bytes(entry)
    module(host, "client_rewrite", {"profile": CATALOG["ewo-meldewesen"], "endpoints": mapping})
