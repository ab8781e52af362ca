"""share_provision on files in a temporary folder, Samba's tools faked: shares written
with their settings, registered once, idempotent, honest check mode and diff."""

import pytest

from ansible_collections.kommunal.umzug.plugins.modules import share_provision

SHARES = [
    {"name": "bauamt", "settings": {"path": "/srv/shares/bauamt", "comment": "Bauamt", "read only": "No",
                                    "access based share enum": "Yes", "valid users": "@KOMMUNEA\\bauamt"}},
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
            "target_root": str(tmp_path / "srv"), "include_dir": str(tmp_path / "umzug"), "smb_conf": str(conf)}
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
    assert "valid users" not in include
    assert (tmp_path / "smb.conf").read_text().endswith(f"include = {tmp_path}/umzug/altdorf.conf\n")
    assert (tmp_path / "srv" / "altdorf-standesamt").is_dir()
    assert ["smbcontrol", "smbd", "reload-config"] in calls
    keys = {f["key"] for f in result["umzug_findings"]}
    assert keys == {"shares.setting_not_carried", "shares.target_share_defined_elsewhere"}
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
