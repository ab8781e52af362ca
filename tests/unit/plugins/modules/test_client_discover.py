"""client_discover: installed clients by their files, and unmanaged references to old servers."""

from ansible_collections.kommunal.umzug.plugins.modules import client_discover

MAPPING = {"hosts": [{"old": ["kommune-a-fs", "10.89.42.12"], "new": "rz-app.rz.test"}],
           "shares": {"\\\\kommune-a-fs\\bauamt": "\\\\rz-fs\\altdorf-bauamt"}}


def profile(pid, path, selectors=None, platform="linux"):
    return {"id": pid, "fachverfahren": pid.upper(), "category": "DMS", "platform": platform,
            "files": [{"path": str(path), "format": "ini",
                       "selectors": selectors or [{"section": "S", "key": "Host"}]}]}


def test_finds_installed_clients_and_reports_other_files_naming_old_servers(run_module, tmp_path):
    (tmp_path / "opt").mkdir()
    installed = tmp_path / "opt" / "dms.ini"
    installed.write_text("[S]\nHost=kommune-a-fs\n")
    (tmp_path / "opt" / "Bauamt.url").write_text("URL=file://kommune-a-fs/bauamt\n")
    (tmp_path / "opt" / "harmless.txt").write_text("kommune-a-fs2 is another server; 10.89.42.120 too\n")
    (tmp_path / "opt" / "image.bin").write_bytes(b"\0\0kommune-a-fs\0")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "kept.orig").write_text("Host=kommune-a-fs\n")
    result = run_module(client_discover.main, {
        "profiles": [profile("dms", installed), profile("absent", tmp_path / "nowhere.ini")],
        "endpoints": MAPPING, "search_paths": [str(tmp_path)], "exclude": [str(tmp_path / "state")],
        "kommune": "kommune-a"}, check=True)
    assert result["changed"] is False
    assert [c["id"] for c in result["clients"]] == ["dms"]
    assert result["clients"][0]["files"][0]["values"] == [
        {"selector": "section=S key=Host", "line": 2, "value": "kommune-a-fs", "moves": True}]
    assert result["unmanaged"] == [str(tmp_path / "opt" / "Bauamt.url")]
    [finding] = result["umzug_findings"]
    assert (finding["key"], finding["kommune"], finding["inhibitor"]) == (
        "clients.unmanaged_reference", "kommune-a", False)


def test_unparseable_config_of_an_installed_client_is_a_finding(run_module, tmp_path):
    config = tmp_path / "dms.ini"
    config.write_text("Host kommune-a-fs\n")
    result = run_module(client_discover.main, {"profiles": [profile("dms", config)], "endpoints": MAPPING})
    assert [f["key"] for f in result["umzug_findings"]] == ["clients.unparseable_config"]
    assert result["clients"][0]["files"] == []


def test_windows_profiles_are_left_to_the_windows_tasks(run_module, tmp_path):
    config = tmp_path / "dms.ini"
    config.write_text("[S]\nHost=kommune-a-fs\n")
    p = profile("dms", config, platform="windows")
    p["files"][0]["windows_path"] = p["files"][0].pop("path")
    result = run_module(client_discover.main, {"profiles": [p], "endpoints": MAPPING})
    assert result["clients"] == []


def test_broken_profile_fails_the_task(run_module, tmp_path):
    result = run_module(client_discover.main, {"profiles": [{"id": "x"}], "endpoints": MAPPING}, fails=True)
    assert "profile x: missing 'fachverfahren'" in result["msg"]
