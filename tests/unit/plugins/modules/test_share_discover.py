"""share_discover reports a frozen share with the settings it had before the freeze, and judges
owners and ACL entries against the mapping it is given (the dry run's, before any account exists)."""

import json
import os

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.modules import share_discover
from ansible_collections.kommunal.umzug.plugins.modules.share_discover import unfrozen_settings


def test_settings_before_the_freeze_as_testparm_showed_them(tmp_path):
    record = tmp_path / "bauamt.json"
    record.write_text(json.dumps({"share": "bauamt", "removed": [[1, "    read only = no"],
                                                                 [2, "    write list = @bauamt"]]}))
    frozen = {"path": "/srv/shares/bauamt", "comment": "Bauamt", "read only": "Yes"}
    before, is_frozen = unfrozen_settings(frozen, str(record))
    assert is_frozen
    assert before == {"path": "/srv/shares/bauamt", "comment": "Bauamt", "read only": "No", "write list": "@bauamt"}
    assert unfrozen_settings(frozen, str(tmp_path / "none.json")) == (frozen, False)


OLD, FOREIGN = "S-1-5-21-1-2-3", "S-1-5-21-9-9-9"


def owner_ids():
    """Who owns the test's share: this user, or (as root, whose SIDs are never unmapped) 10001:10000."""
    return (10001, 10000) if os.getuid() == 0 else (os.getuid(), os.getgid())


def run_discover(run_module, monkeypatch, tmp_path, mapping, fails=False, **extra):
    """One share in tmp_path; winbind says its owner is hmueller of the Kommune's domain and its
    group one of a domain nobody knows."""
    share = tmp_path / "bauamt"
    (share / "Pläne").mkdir(parents=True)
    (share / "Pläne" / "a.txt").write_text("x")
    uid, gid = owner_ids()
    if os.getuid() == 0:
        for path in (share, share / "Pläne", share / "Pläne" / "a.txt"):
            os.chown(path, uid, gid)
    testparm = f"[global]\n\tworkgroup = KOMMUNEA\n\n[bauamt]\n\tpath = {share}\n"
    winbind = {("--uid-to-sid", str(uid)): f"{OLD}-1105", ("--gid-to-sid", str(gid)): f"{FOREIGN}-1601"}

    def run_command(self, argv, **_kw):
        return (0, testparm, "") if argv[0] == "testparm" else (1, "", "no smbd")

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)
    monkeypatch.setattr(share_identity, "_run", lambda argv: (0, winbind[argv[1], argv[2]] + "\n")
                        if (argv[1], argv[2]) in winbind else (1, ""))
    args = {"namespace": "altdorf", "target_server": "rz-fs", "kommune": "kommune-a",
            "freeze_state_dir": str(tmp_path / "freeze"), **({"mapping": mapping} if mapping else {}), **extra}
    return run_module(share_discover.main, args, check=True, fails=fails)


def unmapped(result):
    return [f["resources"] for f in result["umzug_findings"] if f["key"] == "shares.sid_unmapped"]


def test_the_mapping_a_dry_run_would_write_judges_the_owners(run_module, monkeypatch, tmp_path):
    """In the dry run the mapping has no new SIDs yet: the owner with an active entry is not
    unmapped, the SID of the unknown domain is, alone."""
    planned = {"schema_version": 1, "kommune": "kommune-a", "source_domain_sid": OLD,
               "target_domain_sid": "S-1-5-21-7-8-9",
               "users": [{"old_name": "hmueller", "old_sid": f"{OLD}-1105", "new_name": "ald-hmueller",
                          "new_sid": None, "source": "generated", "status": "active"}],
               "groups": []}
    assert unmapped(run_discover(run_module, monkeypatch, tmp_path / "planned", planned)) == [
        ["bauamt", f"{FOREIGN}-1601"]]
    assert unmapped(run_discover(run_module, monkeypatch, tmp_path / "none", None)) == [
        ["bauamt", f"{OLD}-1105", f"{FOREIGN}-1601"]]


def test_each_share_has_its_content_sampled_compressed_in_check_mode(run_module, monkeypatch, tmp_path):
    """The default sample reads the whole small share (one byte) and compresses it as a pass
    on this server would; 0 samples nothing."""
    (share,) = run_discover(run_module, monkeypatch, tmp_path / "sampled", None)["shares"]
    sample = share["wire_sample"]
    assert (sample["codec"], sample["sampled_bytes"]) == ("zstd", 1)
    assert sample["wire_bytes"] > 1  # a byte does not shrink: zstd's frame is larger
    (share,) = run_discover(run_module, monkeypatch, tmp_path / "off", None, wire_sample_bytes=0)["shares"]
    assert "wire_sample" not in share
    refused = run_discover(run_module, monkeypatch, tmp_path / "negative", None, fails=True, wire_sample_bytes=-1)
    assert "wire_sample_bytes must be 0" in refused["msg"]
