"""share_freeze on a temporary smb.conf, Samba's tools faked: freeze, idempotence,
unfreeze restores byte for byte, and a clear message for a share it cannot freeze."""

import pytest

from ansible_collections.kommunal.umzug.plugins.modules import share_freeze

CONF = "[global]\n\tworkgroup = KOMMUNEA\n\n[bauamt]\n    path = /srv/shares/bauamt\n    read only = no\n" \
       "    write list = @bauamt\n"


@pytest.fixture
def samba(tmp_path, monkeypatch):
    conf = tmp_path / "smb.conf"
    conf.write_text(CONF)
    calls = []
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command",
                        lambda self, argv, **kw: calls.append(argv) or (0, "", ""))
    return conf, {"share": "bauamt", "smb_conf": str(conf), "state_dir": str(tmp_path / "freeze")}, calls


def test_freeze_is_honest_in_check_mode(run_module, samba):
    conf, args, calls = samba
    result = run_module(share_freeze.main, args, check=True, diff=True)
    assert result["changed"] and "read only = yes" in result["diff"]["after"]
    assert conf.read_text() == CONF and calls == []


def test_freeze_unfreeze_round_trip(run_module, samba):
    conf, args, calls = samba
    assert run_module(share_freeze.main, args)["changed"]
    assert "read only = yes" in conf.read_text() and "write list" not in conf.read_text()
    assert ["smbcontrol", "smbd", "close-share", "bauamt"] in calls
    assert not run_module(share_freeze.main, args)["changed"]
    assert run_module(share_freeze.main, {**args, "state": "writable"})["changed"]
    assert conf.read_text() == CONF
    assert not run_module(share_freeze.main, {**args, "state": "writable"})["changed"]


def test_unknown_share_fails_with_its_name(run_module, samba):
    _conf, args, _calls = samba
    result = run_module(share_freeze.main, {**args, "share": "kaemmerei"}, fails=True)
    assert "[kaemmerei]" in result["msg"] and "smb.conf" in result["msg"]


def test_freeze_keeps_the_mode_of_smb_conf_and_keeps_its_record_private(run_module, samba, tmp_path):
    conf, args, _calls = samba
    conf.chmod(0o640)
    run_module(share_freeze.main, args)
    record = tmp_path / "freeze" / "bauamt.json"
    assert (conf.stat().st_mode & 0o777, record.stat().st_mode & 0o777) == (0o640, 0o600)
    run_module(share_freeze.main, {**args, "state": "writable"})
    assert conf.stat().st_mode & 0o777 == 0o640 and not record.exists()
