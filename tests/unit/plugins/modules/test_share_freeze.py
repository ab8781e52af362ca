"""share_freeze on a temporary smb.conf, Samba's tools faked: freeze, idempotence,
unfreeze restores byte for byte, and a clear message for a share it cannot freeze. Several
shares in one run: smb.conf written once, Samba reloaded once, every frozen share's
connections closed, a record per share; a share it cannot freeze stops all before a write."""

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
    return conf, {"shares": ["bauamt"], "smb_conf": str(conf), "state_dir": str(tmp_path / "freeze")}, calls


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
    result = run_module(share_freeze.main, {**args, "shares": ["kaemmerei"]}, fails=True)
    assert "[kaemmerei]" in result["msg"] and "smb.conf" in result["msg"]


def test_freeze_keeps_the_mode_of_smb_conf_and_keeps_its_record_private(run_module, samba, tmp_path):
    conf, args, _calls = samba
    conf.chmod(0o640)
    run_module(share_freeze.main, args)
    record = tmp_path / "freeze" / "bauamt.json"
    assert (conf.stat().st_mode & 0o777, record.stat().st_mode & 0o777) == (0o640, 0o600)
    run_module(share_freeze.main, {**args, "state": "writable"})
    assert conf.stat().st_mode & 0o777 == 0o640 and not record.exists()


TWO = CONF + "\n[kaemmerei]\n\tpath = /srv/shares/kaemmerei\n\twriteable = yes\n\n[archiv]\n\tpath = /srv/archiv\n"


@pytest.fixture
def two(samba):
    conf, args, calls = samba
    conf.write_text(TWO)
    return conf, {**args, "shares": ["bauamt", "kaemmerei"]}, calls


def test_several_shares_one_write_one_reload_each_closed_and_recorded(run_module, two, tmp_path, monkeypatch):
    conf, args, calls = two
    writes = []
    real_write = share_freeze.write_atomic
    monkeypatch.setattr(share_freeze, "write_atomic", lambda path, *a, **kw: writes.append(path) or
                        real_write(path, *a, **kw))
    result = run_module(share_freeze.main, args)
    assert result["changed"] and [s["share"] for s in result["shares"]] == ["bauamt", "kaemmerei"]
    assert all(s["changed"] for s in result["shares"])
    assert result["umzug_changes"]["items"] == {"frozen": ["bauamt", "kaemmerei"]}
    assert calls == [["smbcontrol", "smbd", "reload-config"], ["smbcontrol", "smbd", "close-share", "bauamt"],
                     ["smbcontrol", "smbd", "close-share", "kaemmerei"]]
    assert writes == [str(tmp_path / "freeze" / "bauamt.json"), str(tmp_path / "freeze" / "kaemmerei.json"),
                      str(conf)]
    text = conf.read_text()
    assert text.count("read only = yes") == 2 and "writeable" not in text and "[archiv]" in text
    assert result["shares"][1]["record"] == {"share": "kaemmerei", "removed": [[1, "\twriteable = yes"]]}

    # Again: nothing changes, nothing is reloaded; unfreeze puts both back byte for byte, in one reload.
    calls.clear()
    again = run_module(share_freeze.main, args)
    assert not again["changed"] and not any(s["changed"] for s in again["shares"]) and calls == []
    back = run_module(share_freeze.main, {**args, "state": "writable"})
    assert back["umzug_changes"]["items"] == {"unfrozen": ["bauamt", "kaemmerei"]}
    assert conf.read_text() == TWO and calls == [["smbcontrol", "smbd", "reload-config"]]
    assert list((tmp_path / "freeze").iterdir()) == []


def test_one_share_frozen_already_only_the_other_changes(run_module, two, tmp_path):
    conf, args, calls = two
    run_module(share_freeze.main, {**args, "shares": ["bauamt"]})
    calls.clear()
    result = run_module(share_freeze.main, args)
    assert [s["changed"] for s in result["shares"]] == [False, True]
    assert result["shares"][0]["record"] == {}
    assert calls == [["smbcontrol", "smbd", "reload-config"], ["smbcontrol", "smbd", "close-share", "kaemmerei"]]
    # Unfreezing both restores each from its own record.
    run_module(share_freeze.main, {**args, "state": "writable"})
    assert conf.read_text() == TWO


def test_several_shares_check_mode_and_diff_write_nothing(run_module, two, tmp_path):
    conf, args, calls = two
    result = run_module(share_freeze.main, args, check=True, diff=True)
    assert result["changed"] and result["diff"]["after"].count("read only = yes") == 2
    assert result["diff"]["before"] == TWO and result["umzug_changes"]["counts"] == {"frozen": 2}
    assert conf.read_text() == TWO and calls == [] and not (tmp_path / "freeze").exists()


@pytest.mark.parametrize("shares, state, message", [
    (["bauamt", "gibtsnicht"], "frozen", "[gibtsnicht] is not defined"),
    (["bauamt", "bauamt"], "frozen", "a share is named twice in shares: bauamt"),
])
def test_a_share_it_cannot_freeze_stops_all_before_a_write(run_module, two, tmp_path, shares, state, message):
    conf, args, calls = two
    result = run_module(share_freeze.main, {**args, "shares": shares, "state": state}, fails=True)
    assert message in result["msg"]
    assert conf.read_text() == TWO and calls == [] and not (tmp_path / "freeze").exists()


def test_an_unfreeze_without_a_record_stops_all_before_a_write(run_module, two, tmp_path):
    conf, args, calls = two
    run_module(share_freeze.main, args)
    (tmp_path / "freeze" / "kaemmerei.json").unlink()
    frozen = conf.read_text()
    calls.clear()
    result = run_module(share_freeze.main, {**args, "state": "writable"}, fails=True)
    assert "[kaemmerei] is frozen but its record" in result["msg"]
    assert conf.read_text() == frozen and calls == [] and (tmp_path / "freeze" / "bauamt.json").exists()
