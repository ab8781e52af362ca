"""share_provision on files in a temporary folder, Samba's tools faked: shares written
with their settings, registered once, idempotent, honest check mode and diff."""

import pytest

from ansible_collections.kommunal.umzug.plugins.modules import share_provision

SHARES = [
    {"name": "bauamt", "settings": {"path": "/srv/shares/bauamt", "comment": "Bauamt", "read only": "No",
                                    "access based share enum": "Yes", "valid users": "@KOMMUNEA\\bauamt",
                                    "vfs objects": "recycle"}},
    {"name": "Standesamt", "settings": {"path": "/srv/shares/standesamt", "browseable": "No"}},
]


@pytest.fixture
def samba(tmp_path, monkeypatch):
    conf = tmp_path / "smb.conf"
    conf.write_text("[global]\n\tworkgroup = RZ\n\n[altdorf-standesamt]\n\tpath = /srv/rz/x\n")
    calls = []

    def run_command(self, argv, **_kw):
        calls.append(argv)
        if argv[:2] == ["testparm", "-s"]:
            return 0, conf.read_text(), ""
        return 0, "", ""

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)
    args = {"shares": SHARES, "namespace": "altdorf", "kommune": "kommune-a",
            "target_root": str(tmp_path / "srv"), "include_dir": str(tmp_path / "umzug"), "smb_conf": str(conf),
            "source_domains": ["KOMMUNEA", "KOMMUNE-A.TEST"], "target_workgroup": "RZ"}
    return tmp_path, args, calls


def test_check_mode_reports_and_writes_nothing(run_module, samba):
    tmp_path, args, calls = samba
    result = run_module(share_provision.main, args, check=True, diff=True)
    assert result["changed"]
    assert result["umzug_changes"]["counts"] == {"share_created": 2, "folder_created": 2, "include_registered": 1}
    assert "[altdorf-bauamt]" in result["diff"][0]["after"]
    assert not (tmp_path / "umzug").exists() and not (tmp_path / "srv").exists()
    assert ["smbcontrol", "smbd", "reload-config"] not in calls


def test_provision_then_nothing_changes(run_module, samba):
    tmp_path, args, calls = samba
    result = run_module(share_provision.main, args)
    assert result["changed"]
    include = (tmp_path / "umzug" / "altdorf.conf").read_text()
    assert "[altdorf-bauamt]\n\tpath = " + str(tmp_path / "srv" / "altdorf-bauamt") in include
    assert "\taccess based share enum = Yes\n" in include and "\tcomment = Bauamt\n" in include
    assert "vfs objects" not in include
    assert "\tvalid users = @KOMMUNEA\\bauamt\n" in include  # no mapping: kept as it was, never dropped
    assert (tmp_path / "smb.conf").read_text().endswith(f"include = {tmp_path}/umzug/altdorf.conf\n")
    assert (tmp_path / "srv" / "altdorf-standesamt").is_dir()
    assert ["smbcontrol", "smbd", "reload-config"] in calls
    keys = {f["key"] for f in result["umzug_findings"]}
    assert keys == {"shares.setting_not_carried", "shares.target_share_defined_elsewhere",
                    "shares.setting_principal_unmapped"}
    unmapped = [f for f in result["umzug_findings"] if f["key"] == "shares.setting_principal_unmapped"]
    assert [(f["inhibitor"], f["resources"]) for f in unmapped] == [
        (True, ["bauamt", "valid users", "@KOMMUNEA\\bauamt"])]
    calls.clear()
    again = run_module(share_provision.main, args)
    assert not again["changed"] and ["smbcontrol", "smbd", "reload-config"] not in calls


def test_a_configuration_samba_rejects_is_put_back(run_module, samba, monkeypatch):
    tmp_path, args, _calls = samba
    before = (tmp_path / "smb.conf").read_text()
    writes = {"n": 0}

    def run_command(self, argv, **_kw):
        writes["n"] += 1
        return (0, before, "") if writes["n"] == 1 else (1, "", "Unknown parameter encountered")

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)
    result = run_module(share_provision.main, args, fails=True)
    assert "Unknown parameter" in result["msg"]
    assert (tmp_path / "smb.conf").read_text() == before
    assert not (tmp_path / "umzug" / "altdorf.conf").exists()


MAPPING = {
    "schema_version": 1, "kommune": "kommune-a", "source_domain_sid": "S-1-5-21-1-2-3",
    "target_domain_sid": "S-1-5-21-7-8-9", "users": [],
    "groups": [{"old_name": "bauamt", "old_sid": "S-1-5-21-1-2-3-1200", "new_name": "ald-bauamt",
                "source": "generated", "status": "active"}],
}


def test_principal_settings_are_translated_through_the_mapping(run_module, samba):
    tmp_path, args, _calls = samba
    result = run_module(share_provision.main, {**args, "mapping": MAPPING})
    include = (tmp_path / "umzug" / "altdorf.conf").read_text()
    assert "\tvalid users = @RZ\\ald-bauamt\n" in include
    assert "shares.setting_principal_unmapped" not in {f["key"] for f in result["umzug_findings"]}
    assert not run_module(share_provision.main, {**args, "mapping": MAPPING})["changed"]


def test_a_principal_setting_without_target_workgroup_fails_clearly(run_module, samba):
    tmp_path, args, _calls = samba
    result = run_module(share_provision.main, {**args, "target_workgroup": None}, fails=True)
    assert "share bauamt has 'valid users = @KOMMUNEA\\bauamt': target_workgroup" in result["msg"]
    assert not (tmp_path / "umzug").exists()
