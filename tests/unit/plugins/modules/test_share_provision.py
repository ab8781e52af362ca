"""share_provision on files in a temporary folder, Samba's tools faked: shares written
with their settings, registered once, idempotent, honest check mode and diff."""

import os
import time

import pytest
from ansible.module_utils.testing import patch_module_args

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


def _provision_in_child(args, monkeypatch_run_command):
    """share_provision.main in a forked process; its exit code says whether it succeeded."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        monkeypatch_run_command()
        with patch_module_args({**args, "_ansible_check_mode": False, "_ansible_diff": False}):
            share_provision.main()
    except SystemExit as exit_:
        code = exit_.code or 0
    finally:
        os._exit(code)


def test_two_kommunen_provisioning_at_once_both_keep_their_include_line(samba, monkeypatch):
    """The Welle provisions every Kommune on the same RZ file server in parallel; smb.conf's
    include lines were lost when two runs read it before either wrote (found by the wave
    scenario under load: a Kommune's shares were 'not defined' at its name switch)."""
    tmp_path, args, _ = samba
    conf = tmp_path / "smb.conf"

    def slow_testparm():
        def run_command(self, argv, **_kw):
            if argv[:2] == ["testparm", "-s"]:
                time.sleep(0.5)  # the window between reading smb.conf and writing it back
                return 0, conf.read_text(), ""
            return 0, "", ""
        monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)

    second = {**args, "namespace": "bergheim", "kommune": "kommune-b"}
    children = [_provision_in_child(a, slow_testparm) for a in (args, second)]
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    assert codes == [0, 0]
    text = conf.read_text()
    for namespace in ("altdorf", "bergheim"):
        assert f"include = {tmp_path / 'umzug' / namespace}.conf" in text


def test_check_mode_diff_shows_both_files(run_module, samba):
    tmp_path, args, _calls = samba
    diff = run_module(share_provision.main, args, check=True, diff=True)["diff"]
    include, conf = str(tmp_path / "umzug" / "altdorf.conf"), str(tmp_path / "smb.conf")
    assert [(d["before_header"], d["after_header"]) for d in diff] == [(include, include), (conf, conf)]
    assert diff[0]["before"] == "" and diff[1]["before"] == (tmp_path / "smb.conf").read_text()
    assert diff[1]["after"].endswith(f"include = {include}\n")


def test_a_changed_share_is_updated_and_a_rejected_update_puts_the_old_include_back(run_module, samba,
                                                                                     monkeypatch):
    tmp_path, args, calls = samba
    run_module(share_provision.main, args)
    include = tmp_path / "umzug" / "altdorf.conf"
    provisioned, conf = include.read_text(), (tmp_path / "smb.conf").read_text()
    changed = [{**SHARES[0], "settings": {**SHARES[0]["settings"], "comment": "Bauamt und Planung"}}, SHARES[1]]
    result = run_module(share_provision.main, {**args, "shares": changed}, check=True)
    assert result["changed"] and result["umzug_changes"]["counts"] == {"share_updated": 2}
    assert include.read_text() == provisioned

    def reject(self, argv, **_kw):
        calls.append(argv)
        return (0, conf, "") if len(calls) == 1 else (1, "", "Unknown parameter encountered")

    calls.clear()
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", reject)
    result = run_module(share_provision.main, {**args, "shares": changed}, fails=True)
    assert result["msg"] == "testparm rejected the new configuration, nothing kept: Unknown parameter encountered"
    assert include.read_text() == provisioned and (tmp_path / "smb.conf").read_text() == conf
    assert ["smbcontrol", "smbd", "reload-config"] not in calls


def test_reload_can_be_left_out(run_module, samba):
    _tmp_path, args, calls = samba
    assert run_module(share_provision.main, {**args, "reload": False})["changed"]
    assert ["smbcontrol", "smbd", "reload-config"] not in calls and ["testparm", "-s"] in calls


def test_a_failed_reload_fails_the_task_and_keeps_the_configuration(run_module, samba, monkeypatch):
    tmp_path, args, _calls = samba
    conf = tmp_path / "smb.conf"

    def run_command(self, argv, **_kw):
        if argv[:2] == ["testparm", "-s"]:
            return 0, conf.read_text(), ""
        return 1, "", "Can't find pid for destination 'smbd'"

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)
    result = run_module(share_provision.main, args, fails=True)
    assert result["msg"] == "smbcontrol smbd reload-config failed: Can't find pid for destination 'smbd'"
    assert result["changed"] and result["include_file"] == str(tmp_path / "umzug" / "altdorf.conf")
    assert (tmp_path / "umzug" / "altdorf.conf").exists()


def test_a_missing_smb_conf_fails_clearly(run_module, samba):
    tmp_path, args, _calls = samba
    missing = str(tmp_path / "nothere" / "smb.conf")
    result = run_module(share_provision.main, {**args, "smb_conf": missing}, check=True, fails=True)
    assert result["msg"] == f"{missing} does not exist: is Samba installed on this host?"


def test_a_mapping_that_is_not_one_fails_clearly(run_module, samba):
    tmp_path, args, _calls = samba
    result = run_module(share_provision.main, {**args, "mapping": {"schema_version": 99}}, fails=True)
    assert result["msg"] == ("mapping: schema_version 99 was written by a newer umzug; this one reads 1; "
                             "kommune is missing or not a string")
    assert not (tmp_path / "umzug").exists()


@pytest.mark.parametrize(("vfs_objects", "line"), [
    ([], None),
    (["acl_xattr", "streams_xattr"], "\tvfs objects = acl_xattr streams_xattr\n"),
    (["streams_xattr"], "\tvfs objects = streams_xattr\n"),
])
def test_vfs_objects_are_umzugs_own_on_every_share_and_the_sources_stay_left_out(run_module, samba, vfs_objects,
                                                                                 line):
    tmp_path, args, _calls = samba
    result = run_module(share_provision.main, {**args, "mapping": MAPPING, "vfs_objects": vfs_objects})
    include = (tmp_path / "umzug" / "altdorf.conf").read_text()
    sections = include.split("\n[")[1:]
    assert len(sections) == 2
    if line is None:
        assert "vfs objects" not in include
    else:
        assert all(section.count("vfs objects") == 1 and line in section for section in sections)
    assert "recycle" not in include
    [not_carried] = [f for f in result["umzug_findings"] if f["key"] == "shares.setting_not_carried"]
    assert not_carried["resources"] == ["bauamt", "vfs objects"]
    assert {s["source"]: s["settings"].get("vfs objects") for s in result["shares"]} == \
        dict.fromkeys(["bauamt", "Standesamt"], line and line.split(" = ")[1].strip())
    assert not run_module(share_provision.main, {**args, "mapping": MAPPING, "vfs_objects": vfs_objects})["changed"]
