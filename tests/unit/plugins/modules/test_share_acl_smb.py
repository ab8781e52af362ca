"""share_acl_smb: the share ACL of a Windows share carried to its RZ share over a fake srvsvc
pipe and a fake sharesec. Translation through the identity mapping, an unmapped entry left out
as an inhibitor, a second run writing nothing, check mode and diff, the freeze record's
original carried while the share is frozen, and what cannot be read or written as a finding."""

import json
import re

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_freeze, smb_settings
from ansible_collections.kommunal.umzug.plugins.modules import share_acl_smb

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
GROUP, UNMAPPED = f"{OLD}-1110", f"{OLD}-1999"
MAPPING = {"schema_version": 1, "kommune": "kommune-c", "source_domain_sid": OLD, "target_domain_sid": NEW,
           "users": [],
           "groups": [{"old_name": "Kaemmerei", "old_sid": GROUP, "new_name": "crn-kaemmerei",
                       "new_sid": f"{NEW}-1202", "source": "generated"}]}
SOURCE = ntacl.SecurityDescriptor(0x8004, None, None, None, ntacl.Acl(2, (
    ntacl.Ace(0, 0, 0x1F01FF, "S-1-1-0"), ntacl.Ace(0, 0, 0x1301BF, GROUP)))).to_bytes()
WANTED = f"D:(A;;0x001f01ff;;;S-1-1-0)(A;;0x001301bf;;;{NEW}-1202)"
DEFAULT = "D:(A;;0x001f01ff;;;S-1-1-0)"


class FakeSrvsvc:
    sd = SOURCE
    refuse = False

    def __init__(self, server, username, password, **kwargs):
        pass

    def share_sd(self, share):
        if FakeSrvsvc.refuse:
            raise RuntimeError(5, "WERR_ACCESS_DENIED")
        return "C:\\Shares\\Kaemmerei", FakeSrvsvc.sd


class FakeSharesec:
    """share_info.tdb of the RZ file server as sharesec shows it; ``shares``: name -> SDDL."""

    def __init__(self):
        self.shares = {"cranach-kaemmerei": DEFAULT}
        self.writes = []

    def __call__(self, argv):
        share, action = argv[1], argv[2]
        if share not in self.shares:
            return 255, "", f"Invalid sharename: {share}\n"
        if action == "--setsddl":
            self.writes.append(argv[3])
            self.shares[share] = argv[3]
            return 0, "", ""
        lines = ["REVISION:1", "CONTROL:SR|DP", "OWNER:", "GROUP:"]
        for kind, mask, sid in re.findall(r"\(([AD]);;0x([0-9a-f]+);;;([^)]+)\)", self.shares[share]):
            lines.append(f"ACL:{sid}:{'ALLOWED' if kind == 'A' else 'DENIED'}/0x0/0x{mask}")
        return 0, "\n".join(lines) + "\n", ""


@pytest.fixture
def sharesec(monkeypatch):
    fake = FakeSharesec()
    monkeypatch.setattr(smb_settings, "SrvsvcClient", FakeSrvsvc)
    monkeypatch.setattr(FakeSrvsvc, "sd", SOURCE)
    monkeypatch.setattr(FakeSrvsvc, "refuse", False)
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", lambda self, argv, **kw: fake(argv))
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.get_bin_path",
                        lambda self, name, required=False: f"/usr/bin/{name}")
    return fake


@pytest.fixture
def args(tmp_path):
    return {"server": "win-c-fs", "username": "KOMMUNEC\\Administrator", "password": "geheim", "share": "kaemmerei",
            "target_share": "cranach-kaemmerei", "record_path": str(tmp_path / "kaemmerei.json"),
            "mapping": MAPPING, "kommune": "kommune-c"}


def keys(result):
    return [f["key"] for f in result["umzug_findings"]]


def test_the_translated_share_acl_is_set_once(run_module, sharesec, args):
    result = run_module(share_acl_smb.main, args, diff=True)
    assert result["changed"] is True and result["carried"] is True and result["sddl"] == WANTED
    assert sharesec.writes == [WANTED] and keys(result) == []
    assert result["share_acl"] == ["allow S-1-1-0 0x001f01ff", f"allow {NEW}-1202 0x001301bf"]
    assert result["diff"]["before"] == DEFAULT + "\n" and result["diff"]["after"] == WANTED + "\n"
    again = run_module(share_acl_smb.main, args)
    assert again["changed"] is False and again["carried"] is True and sharesec.writes == [WANTED]
    assert again["umzug_changes"]["counts"] == {}


def test_check_mode_reports_the_change_and_writes_nothing(run_module, sharesec, args):
    result = run_module(share_acl_smb.main, args, check=True, diff=True)
    assert result["changed"] is True and result["sddl"] == WANTED and sharesec.writes == []
    assert result["umzug_changes"]["items"] == {"share_acl": ["cranach-kaemmerei"]}


def test_check_mode_before_the_share_exists_would_set_it(run_module, sharesec, args):
    result = run_module(share_acl_smb.main, {**args, "target_share": "cranach-neu"}, check=True, diff=True)
    assert result["changed"] is True and result["diff"]["before"] == "(no such share yet)\n"
    assert sharesec.writes == []


def test_an_unmapped_entry_is_left_out_as_an_inhibitor(run_module, sharesec, args, monkeypatch):
    monkeypatch.setattr(FakeSrvsvc, "sd", ntacl.SecurityDescriptor(0x8004, None, None, None, ntacl.Acl(2, (
        ntacl.Ace(0, 0, 0x1301BF, GROUP), ntacl.Ace(1, 0, 0x10000, UNMAPPED)))).to_bytes())
    result = run_module(share_acl_smb.main, args)
    assert sharesec.writes == [f"D:(A;;0x001301bf;;;{NEW}-1202)"] and result["dropped"] == [UNMAPPED]
    (finding,) = result["umzug_findings"]
    assert finding["key"] == "shares.share_acl_sid_unmapped" and finding["inhibitor"] is True
    assert UNMAPPED in finding["summary"] and finding["resources"] == ["kaemmerei"]


def test_while_frozen_the_share_acl_of_before_the_freeze_is_carried(run_module, sharesec, args, tmp_path):
    # The source's share ACL now is the frozen one; the record keeps the original.
    frozen = smb_freeze.frozen_sd(SOURCE)
    FakeSrvsvc.sd = frozen
    record = {**smb_freeze.record_of("", "", SOURCE, frozen), "server": "win-c-fs", "share": "kaemmerei"}
    (tmp_path / "kaemmerei.json").write_text(json.dumps(record))
    result = run_module(share_acl_smb.main, args)
    assert result["from_freeze_record"] is True and sharesec.writes == [WANTED]
    # Without the record the frozen (read-only) share ACL is what the source has.
    (tmp_path / "kaemmerei.json").unlink()
    thawed = run_module(share_acl_smb.main, args)
    assert thawed["from_freeze_record"] is False and "0x001200a9" in thawed["sddl"]


def test_a_record_of_another_share_stops_the_module(run_module, sharesec, args, tmp_path):
    record = {**smb_freeze.record_of("", "", SOURCE, smb_freeze.frozen_sd(SOURCE)), "server": "x", "share": "y"}
    (tmp_path / "kaemmerei.json").write_text(json.dumps(record))
    result = run_module(share_acl_smb.main, args, fails=True)
    assert "belongs to \\\\x\\y" in result["msg"] and sharesec.writes == []


def test_a_share_acl_the_server_withholds_is_not_carried(run_module, sharesec, args, monkeypatch):
    monkeypatch.setattr(FakeSrvsvc, "refuse", True)
    result = run_module(share_acl_smb.main, args)
    assert result["changed"] is False and result["carried"] is False and sharesec.writes == []
    (finding,) = result["umzug_findings"]
    assert finding["key"] == "shares.share_acl_not_carried" and "WERR_ACCESS_DENIED" in finding["summary"]
    assert finding["inhibitor"] is False


def test_a_target_share_sharesec_does_not_know_is_not_carried(run_module, sharesec, args):
    result = run_module(share_acl_smb.main, {**args, "target_share": "cranach-neu"})
    assert result["changed"] is False and sharesec.writes == []
    assert keys(result) == ["shares.share_acl_not_carried"]
    assert "Invalid sharename" in result["umzug_findings"][0]["summary"]


def test_a_dry_run_counts_accounts_still_to_create_as_pending_not_unmapped(run_module, sharesec, args, monkeypatch):
    monkeypatch.setattr(FakeSrvsvc, "sd", ntacl.SecurityDescriptor(0x8004, None, None, None, ntacl.Acl(2, (
        ntacl.Ace(0, 0, 0x1301BF, GROUP), ntacl.Ace(0, 0, 0x1200A9, UNMAPPED)))).to_bytes())
    planned = {**MAPPING, "users": [{"old_name": "hkoch", "old_sid": UNMAPPED, "new_name": "crn-hkoch",
                                     "source": "generated"}]}
    result = run_module(share_acl_smb.main, {**args, "mapping": planned}, check=True)
    assert result["pending"] == [UNMAPPED] and result["dropped"] == [] and keys(result) == []
    # A real run with that mapping leaves the entry out, as an inhibitor.
    real = run_module(share_acl_smb.main, {**args, "mapping": planned})
    assert real["dropped"] == [UNMAPPED] and real["pending"] == []
    assert keys(real) == ["shares.share_acl_sid_unmapped"]
