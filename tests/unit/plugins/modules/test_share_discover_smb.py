"""share_discover_smb returns share_discover's shape from an SMB walk and srvsvc settings,
judges SIDs of ACLs and of the share ACL against the mapping, and fails with one sentence
when the share cannot be reached. The SMB and srvsvc clients are fakes."""

import base64

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_settings, smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.modules import share_discover_smb

OLD = "S-1-5-21-1-2-3"
SD = ntacl.SecurityDescriptor(0x8004, f"{OLD}-1105", f"{OLD}-513", None,
                              ntacl.Acl(2, (ntacl.Ace(0, 3, 0x1F01FF, f"{OLD}-1106"),))).to_bytes()
SHARE_SD = ntacl.SecurityDescriptor(0x8004, None, None, None,
                                    ntacl.Acl(2, (ntacl.Ace(0, 0, 0x1301BF, f"{OLD}-1107"),))).to_bytes()
ENTRIES = [
    SmbEntry(b"", "dir", attributes=0x10, sd=SD),
    SmbEntry(b"Pl\xc3\xa4ne", "dir", attributes=0x10, creation_ns=1, sd=SD, file_id=2),
    SmbEntry(b"Pl\xc3\xa4ne/a.txt", "file", size=3, attributes=0x22, sd=SD, file_id=3,
             streams=(("Zone.Identifier", 26),)),
    SmbEntry(b"archiv.pst", "file", size=9, attributes=0x1020, sd=SD, file_id=4,
             problems=[("shares.offline_file", "offline")]),
]


class FakeShare:
    def __init__(self, server, share, creds, **kwargs):
        self.args = (server, share, creds, kwargs)

    def __enter__(self):
        if self.args[1] == "kaputt":
            raise smb_source.SmbSourceError("cannot read the share \\\\fs\\kaputt over SMB: access denied")
        return self

    def __exit__(self, *exc):
        return None

    def walk(self):
        return iter(ENTRIES)


class FakeSrvsvc:
    def __init__(self, *args, **kwargs):
        pass

    def share_names(self):
        return ["bauamt"]

    def read_settings(self, share):
        return smb_settings.ShareSettings(share, "D:\\Shares\\Bauamt", {"comment": "Bauamt", "csc policy": "manual"},
                                          SHARE_SD)


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setattr(smb_source, "SmbShare", FakeShare)
    monkeypatch.setattr(smb_source, "HAS_SMBPROTOCOL", True)
    monkeypatch.setattr(smb_settings, "SrvsvcClient", FakeSrvsvc)


ARGS = {"server": "fs", "username": "umzug-backup", "password": "geheim", "namespace": "wdorf",
        "target_server": "rz-fs", "kommune": "kommune-w", "list_limit": 2}


def test_result_in_share_discovers_shape(run_module, fakes):
    result = run_module(share_discover_smb.main, ARGS, check=True)
    share = result["shares"][0]
    assert (share["name"], share["target_name"], share["path"]) == ("bauamt", "wdorf-bauamt", "D:\\Shares\\Bauamt")
    assert share["settings"] == {"comment": "Bauamt", "csc policy": "manual", "path": "D:\\Shares\\Bauamt"}
    assert (share["files"], share["dirs"], share["bytes"], share["streams"], share["offline_files"]) == (2, 1, 12, 1, 1)
    assert share["share_acl"] == [{"type": 0, "flags": 0, "mask": 0x1301BF, "sid": f"{OLD}-1107"}]
    assert [e["path"] for e in share["entries"]] == [".", "Pläne"]
    assert result["needed_bytes"] == 12 and result["changed"] is False
    assert "geheim" not in str(result)


def test_sids_of_acls_and_share_acl_are_judged_without_a_mapping(run_module, fakes):
    result = run_module(share_discover_smb.main, ARGS)
    found = {f["key"]: f for f in result["umzug_findings"]}
    unmapped = [f"{OLD}-1105", f"{OLD}-1106", f"{OLD}-1107", f"{OLD}-513"]
    assert found["shares.sid_unmapped"]["resources"] == ["bauamt", *unmapped]
    assert set(found) >= {"shares.alternate_stream", "shares.offline_file", "shares.sacl_unreadable"}


def test_a_share_that_cannot_be_read_fails_with_one_sentence(run_module, fakes):
    result = run_module(share_discover_smb.main, {**ARGS, "shares": ["kaputt"]}, fails=True)
    assert result["msg"] == "cannot read the share \\\\fs\\kaputt over SMB: access denied"


def test_ntlm_needs_a_password(run_module, fakes):
    result = run_module(share_discover_smb.main, {k: v for k, v in ARGS.items() if k != "password"}, fails=True)
    assert "password" in result["msg"]


@pytest.mark.parametrize(("list_sd", "expected"), [(False, None), (True, SD)], ids=["without", "with-list_sd"])
def test_listed_entries_carry_their_security_descriptor_only_with_list_sd(run_module, fakes, list_sd, expected):
    result = run_module(share_discover_smb.main, {**ARGS, "list_sd": list_sd}, check=True)
    root = result["shares"][0]["entries"][0]
    assert root["path"] == "."
    assert (base64.b64decode(root["sd"]) if "sd" in root else None) == expected
