"""Client profiles: the catalog is sound, and every lab client file re-points exactly as planned."""

from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import EndpointMap, ProfileError, Refused
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.profiles import (
    OriginalStore,
    check_profiles,
    profile_errors,
    read_values,
    rewrite_file,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, load_plan

TOP = Path(__file__).resolve().parents[5]
CATALOG = {p["id"]: p for p in (yaml.safe_load(f.read_text(encoding="utf-8"))
                                 for f in sorted((TOP / "roles/clients/files/profiles").glob("*.yml")))}
SEED = yaml.safe_load((TOP / "lab/seed.yml").read_text(encoding="utf-8"))["lab_seed_kommunen"]
HOSTVARS = inventory_model(load_plan(TOP / "inventories/lab/lab.umzug.yml")).hostvars
LAB_FILES = [(kommune, f) for kommune in SEED for f in SEED[kommune].get("clients", ()) if "profile" in f]


def mapping_of(kommune: str) -> EndpointMap:
    client = next(h for h, v in HOSTVARS.items() if v.get("umzug_kommune", {}).get("id") == kommune
                  and v["umzug_role"] == "clients")
    return EndpointMap.from_dict(HOSTVARS[client]["umzug_kommune"]["endpoints"])


def spec_for(profile: dict, path: str) -> dict:
    return next(s for s in profile["files"] if s.get("path") == path)


def test_catalog_has_the_eight_lab_kinds_and_is_sound():
    check_profiles(list(CATALOG.values()))
    assert len(CATALOG) >= 8
    formats = {s["format"] for p in CATALOG.values() for s in p["files"]}
    assert {"ini", "odbc", "xml", "properties", "json", "yaml", "rdp", "netuse"} <= formats
    assert {p["platform"] for p in CATALOG.values()} == {"linux", "windows"}


@pytest.mark.parametrize(("kommune", "entry"), LAB_FILES, ids=[f"{k}:{f['path']}" for k, f in LAB_FILES])
def test_lab_client_file_is_re_pointed_once_and_only_there(kommune, entry):
    profile, mapping = CATALOG[entry["profile"]], mapping_of(kommune)
    spec = spec_for(profile, entry["path"])
    before = entry["content"].encode(spec.get("encoding") or "utf-8")
    after, changes = rewrite_file(before, spec, mapping)
    assert changes and after != before
    assert not any(name in after.decode(spec.get("encoding") or "utf-8").lower()
                   for name in ("kommune-a-fs", "kommune-b-fs", "fv-server", "10.89.42.12"))
    # Only values changed: every line that had no change is the same bytes, endings included.
    changed_lines = {c.line for c in changes}
    kept = [line for n, line in enumerate(before.splitlines(keepends=True), 1) if n not in changed_lines]
    assert all(line in after.splitlines(keepends=True) for line in kept)
    assert rewrite_file(after, spec, mapping) == (after, [])


def test_port_in_its_own_setting_follows_its_host():
    spec = spec_for(CATALOG["ewo-meldewesen"], "/opt/ewo/ewo.ini")
    before = b"[Server]\r\nHost=kommune-a-fs\r\nPort=7001\r\n"
    after, changes = rewrite_file(before, spec, mapping_of("kommune-a"))
    assert after == b"[Server]\r\nHost=rz-app\r\nPort=7101\r\n"
    assert [(c.old, c.new) for c in changes] == [("kommune-a-fs", "rz-app"), ("7001", "7101")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The host does not move: its port stays, whatever the number.
        (b"[Server]\nHost=other-host\nPort=7001\n", b"[Server]\nHost=other-host\nPort=7001\n"),
        # A port the host's entry does not map stays.
        (b"[Server]\nHost=kommune-a-fs\nPort=9000\n", b"[Server]\nHost=rz-app\nPort=9000\n"),
    ],
)
def test_port_changes_only_with_a_moving_host_and_a_mapped_port(text, expected):
    spec = spec_for(CATALOG["ewo-meldewesen"], "/opt/ewo/ewo.ini")
    assert rewrite_file(text, spec, mapping_of("kommune-a"))[0] == expected


def test_port_setting_that_is_not_a_number_is_refused():
    spec = spec_for(CATALOG["ewo-meldewesen"], "/opt/ewo/ewo.ini")
    with pytest.raises(Refused) as caught:
        rewrite_file(b"[Server]\nHost=kommune-a-fs\nPort=${EWO_PORT}\n", spec, mapping_of("kommune-a"))
    [finding] = caught.value.findings("/opt/ewo/ewo.ini")
    assert finding.key == "clients.endpoint_unrecognised" and "'${EWO_PORT}' is not a port number" in finding.summary


def test_read_values_gives_probes_the_ids():
    spec = spec_for(CATALOG["hfinanz-odbc"], "/etc/odbc.ini")
    data = next(f["content"] for f in SEED["kommune-a"]["clients"] if f["path"] == "/etc/odbc.ini").encode()
    assert read_values(data, spec) == {"server": "kommune-a-fs", "port": "5432"}


GOOD = {"id": "x", "fachverfahren": "X", "category": "DMS", "platform": "linux",
        "files": [{"path": "/x.ini", "format": "ini", "selectors": [{"id": "s", "section": "a", "key": "b"}]}]}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"category": "Dms"}, "profile x: category 'Dms' is not one of"),
        ({"platform": "macos"}, "profile x: platform must be linux or windows"),
        ({"colour": 1}, "profile x: unknown key 'colour'"),
        ({"files": []}, "profile x: files must be a non-empty list"),
        ({"files": [{"path": "/x", "format": "toml", "selectors": [{}]}]}, "format 'toml' is not one of"),
        ({"files": [{"path": "/x", "format": "ini", "selectors": [{"section": "a"}]}]}, "missing key"),
        ({"files": [{"path": "/x", "format": "ini", "selectors": [
            {"section": "a", "key": "p", "port_of": "nope"}]}]}, "port_of 'nope' names no selector"),
        ({"probes": [{"kind": "ping", "endpoint": "s"}]}, "kind must be one of tcp, tls, http, odbc, unc"),
        ({"probes": [{"kind": "tcp", "endpoint": "t"}]}, "endpoint 't' names no selector id"),
        ({"probes": [{"kind": "tls", "endpoint": "s", "pin_mismatch": "ignore"}]}, "pin_mismatch must be"),
        ({"registry": [{"key": "HKLM:\\X", "value": "S"}]}, "registry values need platform windows"),
        ({"platform": "windows"}, "profile x: files[0]: a windows profile needs windows_path"),
    ],
)
def test_broken_profile_is_refused_with_a_sentence(change, error):
    errors = profile_errors({**GOOD, **change})
    assert any(error in e for e in errors), errors


def test_ids_used_by_two_profiles_are_refused():
    with pytest.raises(ProfileError, match="profile x: id used by two profiles"):
        check_profiles([GOOD, GOOD])


def test_original_store_keeps_the_first_original(tmp_path):
    def move(src, dest):
        Path(src).replace(dest)

    store = OriginalStore(str(tmp_path), "x")
    store.save("/etc/a.ini", b"original", b"new", move)
    store.save("/etc/a.ini", b"new", b"new", move)
    again = OriginalStore(str(tmp_path), "x")
    assert again.original("/etc/a.ini") == b"original"
    again.forget("/etc/a.ini", move)
    assert not (tmp_path / "x").exists()
