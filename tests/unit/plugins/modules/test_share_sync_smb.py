"""share_sync_smb: the pass over a fake SMB share, its check mode, results and findings, and
one sentence when the share cannot be reached."""


import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.modules import share_sync_smb

CONTENT = {b"Haushalt/Plan.xlsx": b"plan", b"Wurzel.txt": b"wurzel!"}
ENTRIES = [
    SmbEntry(b"", "dir", attributes=0x10, last_write_ns=10**18, change_ns=1, file_id=1),
    SmbEntry(b"Haushalt", "dir", attributes=0x10, last_write_ns=10**18, change_ns=1, file_id=2),
    SmbEntry(b"Haushalt/Plan.xlsx", "file", size=4, attributes=0x20, last_write_ns=10**18, change_ns=2, file_id=3),
    SmbEntry(b"Wurzel.txt", "file", size=7, attributes=0x20, last_write_ns=10**18, change_ns=3, file_id=4),
    SmbEntry(b"archiv.pst", "file", size=9, attributes=0x1020, file_id=5,
             problems=[("shares.offline_file", "offline: never read")]),
]
READS = []


class FakeShare:
    def __init__(self, server, share, creds, **kwargs):
        self.share = share

    def __enter__(self):
        if self.share == "kaputt":
            raise smb_source.SmbSourceError("cannot read the share \\\\fs\\kaputt over SMB: access denied")
        return self

    def __exit__(self, *exc):
        return None

    def walk(self):
        return iter(ENTRIES)

    def read(self, path, stream=None):
        READS.append(path)
        yield CONTENT[path]


@pytest.fixture
def args(tmp_path, monkeypatch):
    monkeypatch.setattr(smb_source, "SmbShare", FakeShare)
    monkeypatch.setattr(smb_source, "HAS_SMBPROTOCOL", True)
    READS.clear()
    return {"share": "kaemmerei", "server": "win-c-fs", "username": "KOMMUNEC\\umzug-backup", "password": "geheim",
            "target_root": str(tmp_path / "target"), "state_path": str(tmp_path / "state.json"),
            "kommune": "kommune-c", "sync_pass": "seed"}


def test_check_mode_counts_exactly_reads_nothing_and_the_pass_then_does_that(run_module, args, tmp_path):
    dry = run_module(share_sync_smb.main, args, check=True)
    assert READS == [] and not (tmp_path / "target").exists() and dry["changed"]
    real = run_module(share_sync_smb.main, args)
    assert dry["counts"] == real["counts"] == {"mkdir": 2, "copy": 2, "local": 0, "link": 0, "meta": 0, "delete": 0,
                                                "replaced": 0, "unchanged": 0, "held": 1, "not_deleted": 0}
    assert dry["bytes"] == real["bytes"] == 11 and sorted(READS) == [b"Haushalt/Plan.xlsx", b"Wurzel.txt"]
    assert real["first"]["copy"] == ["Haushalt/Plan.xlsx", "Wurzel.txt"]
    assert (tmp_path / "target/Wurzel.txt").read_bytes() == b"wurzel!"
    [offline] = real["umzug_findings"]
    assert offline["key"] == "shares.offline_file" and offline["resources"] == ["kaemmerei", "archiv.pst"]
    again = run_module(share_sync_smb.main, {**args, "sync_pass": "delta"})
    assert not again["changed"] and again["counts"]["unchanged"] == 4


def test_with_deletion_off_a_path_the_source_lost_is_kept_and_one_finding(run_module, args, tmp_path):
    run_module(share_sync_smb.main, args)
    (tmp_path / "target/alt.txt").write_bytes(b"alt")
    done = run_module(share_sync_smb.main, {**args, "delete": False})
    assert done["not_deleted"] == ["alt.txt"] and done["counts"]["delete"] == 0 and not done["changed"]
    assert (tmp_path / "target/alt.txt").exists()
    assert [f["key"] for f in done["umzug_findings"]] == ["shares.offline_file", "shares.deletion_held"]
    done = run_module(share_sync_smb.main, args)
    assert done["first"]["delete"] == ["alt.txt"] and not (tmp_path / "target/alt.txt").exists()


def test_a_share_that_cannot_be_reached_fails_with_one_sentence_without_the_password(run_module, args):
    failed = run_module(share_sync_smb.main, {**args, "share": "kaputt"}, fails=True)
    assert failed["msg"] == "share kaputt, seed pass: cannot read the share \\\\fs\\kaputt over SMB: access denied"
    assert "geheim" not in str(failed)


def test_ntlm_needs_a_password(run_module, args):
    failed = run_module(share_sync_smb.main, {k: v for k, v in args.items() if k != "password"}, fails=True)
    assert "password" in failed["msg"]
