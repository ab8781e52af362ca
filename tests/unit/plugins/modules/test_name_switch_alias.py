"""name_switch_alias on a temporary smb.conf, Samba's tools faked: the switch writes the
Kommune's alias file, name-switch.conf and the include line, a second run changes nothing,
and switching off leaves smb.conf byte for byte as it was."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_CHANGES
from ansible_collections.kommunal.umzug.plugins.modules import name_switch_alias

CONF = "[global]\n\tworkgroup = RZ\n\n[altdorf-bauamt]\n\tpath = /srv/rz/altdorf-bauamt\n; the end \\\n"
TESTPARM = {
    "altdorf-bauamt": "[altdorf-bauamt]\n\tcomment = Bauamt \\\n\t\tAltdorf\n\tpath = /srv/rz/altdorf-bauamt\n"
                      "\tInclude = \n\tread only = No\n",
}
ADDRESS = "10.89.47.34"


@pytest.fixture
def samba(tmp_path, monkeypatch):
    conf = tmp_path / "smb.conf"
    conf.write_bytes(CONF.encode())
    calls = []

    def run_command(self, argv, **_kw):
        calls.append(argv)
        if argv[:2] == ["testparm", "-s"]:
            share = argv[2].split("=", 1)[1]
            return (0, TESTPARM[share], "") if share in TESTPARM else (1, "", "not found")
        return 0, "", ""

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)
    args = {"kommune": "kommune-a", "address": ADDRESS, "zone": "kommune-a.test", "rz_server": "rz-fs",
            "shares": {"\\\\kommune-a-fs\\bauamt": "\\\\rz-fs\\altdorf-bauamt"},
            "include_dir": str(tmp_path / "names"), "smb_include_dir": str(tmp_path / "umzug"),
            "smb_conf": str(conf)}
    (tmp_path / "names").mkdir()
    return tmp_path, args, calls


def test_switch_on_and_off_leaves_smb_conf_as_it_was(run_module, samba):
    tmp_path, args, _calls = samba
    result = run_module(name_switch_alias.main, args)
    assert result["changed"] and result["aliases"] == ["KOMMUNE-A-FS"]
    assert result[RESULT_CHANGES]["items"] == {"added": ["\\\\kommune-a-fs\\bauamt -> altdorf-bauamt"]}
    alias = (tmp_path / "names" / f"{ADDRESS}.conf").read_text()
    assert "[bauamt]\n\tcomment = Bauamt Altdorf\n\tpath = /srv/rz/altdorf-bauamt\n\tread only = No\n" in alias
    global_path = tmp_path / "umzug" / "name-switch.conf"
    assert (tmp_path / "smb.conf").read_bytes() == (CONF + f"include = {global_path}\n").encode()
    assert not run_module(name_switch_alias.main, args)["changed"]

    off = run_module(name_switch_alias.main, {**args, "state": "absent"})
    assert off["changed"]
    assert off[RESULT_CHANGES]["items"] == {"removed": ["\\\\kommune-a-fs\\bauamt"]}
    assert (tmp_path / "smb.conf").read_bytes() == CONF.encode()
    assert not global_path.exists() and not (tmp_path / "names" / f"{ADDRESS}.conf").exists()


def test_an_old_share_name_smb_conf_cannot_hold_fails_with_a_message(run_module, samba):
    _tmp_path, args, _calls = samba
    shares = {"\\\\kommune-a-fs\\b]": "\\\\rz-fs\\altdorf-bauamt"}
    result = run_module(name_switch_alias.main, {**args, "shares": shares}, fails=True)
    assert result["msg"] == "name switch for kommune-a: share name 'b]' cannot be written to smb.conf"
