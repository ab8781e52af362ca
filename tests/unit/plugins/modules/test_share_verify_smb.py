"""share_verify_smb over two fake SMB shares (the source and the RZ file server's own): the
result names what differs and in which part, the flagged record is written under the
passes' lock and removed once both sides agree, check mode writes nothing. Several shares in
one run come back in order; one that cannot be read is its own result."""

import base64
import hashlib
import json
import os
import zlib

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import state_lock
from ansible_collections.kommunal.umzug.plugins.modules import share_verify_smb

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
MAPPING = {"schema_version": 1, "kommune": "kommune-c", "source_domain_sid": OLD, "target_domain_sid": NEW,
           "users": [{"old_name": "kwagner", "old_sid": f"{OLD}-1113", "new_name": "crn-kwagner",
                      "new_sid": f"{NEW}-4001", "source": "generated", "status": "active"}],
           "groups": []}
T = 1_700_000_000_000_000_000
PLAN, OFFLINE = b"Haushalt/Plan.xlsx", b"Archiv/Altakte.pdf"


def sd(user):
    dacl = ntacl.Acl(2, (ntacl.Ace(0, 0, 0x1F01FF, user),))
    return ntacl.SecurityDescriptor(0x8004, user, user, None, dacl).to_bytes()


def objects(user):
    return {
        b"": ("dir", b"", []),
        b"Haushalt": ("dir", b"", []),
        PLAN: ("file", b"plan-2024", []),
        b"Wurzel.txt": ("file", b"wurzel", []),
        b"Archiv": ("dir", b"", []),
        OFFLINE: ("file", b"nie gelesen", [("shares.offline_file", "offline")]),
    }, user


SHARES = {}
READS = []


class FakeShare:
    def __init__(self, server, share, creds, **kwargs):
        self.name = share

    def __enter__(self):
        if self.name == "kaputt":
            raise smb_source.SmbSourceError("cannot read the share \\\\fs\\kaputt over SMB: access denied")
        return self

    def __exit__(self, *exc):
        return None

    def walk(self):
        tree, user = SHARES[self.name]
        for path, (kind, data, problems) in sorted(tree.items()):
            number = zlib.crc32(path)  # times and file ids of a path, whatever else the share holds
            yield SmbEntry(path, kind, size=len(data), attributes=0x10 if kind == "dir" else 0x20,
                           creation_ns=T + number, last_write_ns=T + number, file_id=number + 1, sd=sd(user),
                           problems=list(problems))

    def read(self, path, stream=None):
        READS.append((self.name, path))
        yield SHARES[self.name][0][path][1]


@pytest.fixture
def args(tmp_path, monkeypatch):
    monkeypatch.setattr(smb_source, "SmbShare", FakeShare)
    monkeypatch.setattr(smb_source, "HAS_SMBPROTOCOL", True)
    READS.clear()
    SHARES.clear()
    SHARES["kaemmerei"] = objects(f"{OLD}-1113")
    target, user = objects(f"{NEW}-4001")
    del target[OFFLINE]  # the sync held it
    SHARES["cranach-kaemmerei"] = (target, user)
    return {"shares": [{"share": "kaemmerei", "target_share": "cranach-kaemmerei",
                        "state_path": str(tmp_path / "kaemmerei.smb-state.json")}],
            "server": "win-c-fs", "username": "KOMMUNEC\\umzug-backup", "password": "geheim",
            "target_username": "RZ\\umzug-verify", "target_password": "auch",
            "mapping": MAPPING, "kommune": "kommune-c", "manifest_dir": str(tmp_path / "manifests")}


def verify(run_module, args, **kw):
    """The result of the one share of a run with one share."""
    result = run_module(share_verify_smb.main, args, **kw)
    (share,) = result["shares"]
    assert result["umzug_findings"] == share["umzug_findings"] and not result["changed"]
    return share


def state_of(args):
    return args["shares"][0]["state_path"]


def change_on_target(path, data):
    SHARES["cranach-kaemmerei"][0][path] = ("file", data, [])


def test_equal_shares_are_identical_and_the_offline_file_is_listed_not_read(run_module, args, tmp_path):
    result = verify(run_module, args)
    assert result["identical"] and result["flagged"] is None
    assert result["counts"] == {"missing": 0, "extra": 0, "differ": 0, "not_read": 1,
                                "parts": dict.fromkeys(["content", "times", "attributes", "links", "streams", "acl"],
                                                       0)}
    assert result["not_read"] == {"Archiv/Altakte.pdf": {"source": ["shares.offline_file"]}}
    assert ("kaemmerei", OFFLINE) not in READS and ("kaemmerei", PLAN) in READS and ("cranach-kaemmerei", PLAN) in READS
    assert [f["key"] for f in result["umzug_findings"]] == ["shares.verify_not_read"]
    assert not result["umzug_findings"][0]["inhibitor"]
    assert result["source"]["files"] == 3 and result["target"]["files"] == 2
    saved = json.loads((tmp_path / "manifests" / "kaemmerei.smb-source.json").read_text())
    plan = saved["paths"][base64.b64encode(PLAN).decode()]
    assert plan["sha256"] == hashlib.sha256(b"plan-2024").hexdigest()


CASES = [
    # (change on the target, key of the finding, what the result lists)
    (lambda: change_on_target(PLAN, b"PLAN-2024"), "shares.verify_mismatch",
     {"differ": {"Haushalt/Plan.xlsx": ["content"]}}),
    (lambda: change_on_target(b"Haushalt/neu.txt", b"neu"), "shares.verify_extra", {"extra": ["Haushalt/neu.txt"]}),
    (lambda: SHARES["cranach-kaemmerei"][0].pop(b"Wurzel.txt"), "shares.verify_missing", {"missing": ["Wurzel.txt"]}),
]


@pytest.mark.parametrize(("change", "key", "listed"), CASES, ids=["content", "extra", "missing"])
def test_a_difference_is_an_inhibitor_and_is_recorded_for_the_next_pass(run_module, args, change, key, listed):
    change()
    dry = verify(run_module, args, check=True)
    assert not os.path.exists(state_of(args) + ".flagged") and dry["flagged"] is None
    assert not os.path.exists(args["manifest_dir"])
    result = verify(run_module, args)
    assert not result["identical"]
    for field, value in listed.items():
        assert result[field] == value
    finding = next(f for f in result["umzug_findings"] if f["key"] == key)
    assert finding["inhibitor"]
    flagged = share_tree.load_flagged(state_of(args))
    recorded = {b"Haushalt/Plan.xlsx"} if "differ" in listed else {b"Wurzel.txt"} if "missing" in listed else set()
    assert flagged == recorded
    assert result["flagged"] == (state_of(args) + ".flagged" if recorded else None)
    if key == "shares.verify_mismatch":
        assert result["flagged"] in finding["remediation"]["text"]


def test_the_record_goes_once_both_sides_agree_again(run_module, args):
    change_on_target(PLAN, b"PLAN-2024")
    assert verify(run_module, args)["flagged"]
    change_on_target(PLAN, b"plan-2024")
    result = verify(run_module, args)
    assert result["identical"] and result["flagged"] is None
    assert not os.path.exists(state_of(args) + ".flagged")


def test_it_does_not_run_beside_a_pass(run_module, args):
    with state_lock(state_of(args), "final pass of share kaemmerei"):
        result = verify(run_module, args)
    assert "is in use by the final pass of share kaemmerei" in result["error"]
    assert not result["identical"] and result["flagged"] is None
    assert READS == []


def test_an_unreachable_share_is_one_sentence_and_hides_no_other(run_module, args, tmp_path):
    broken = {"share": "kaputt", "target_share": "cranach-kaputt", "state_path": str(tmp_path / "kaputt.json")}
    result = run_module(share_verify_smb.main, {**args, "shares": [broken, *args["shares"]]})
    kaputt, kaemmerei = result["shares"]
    assert kaputt["error"] == "cannot read the share \\\\fs\\kaputt over SMB: access denied"
    assert not kaputt["identical"] and kaputt["umzug_findings"] == [] and not os.path.exists(broken["state_path"])
    assert kaemmerei["error"] is None and kaemmerei["identical"]
    assert [f["key"] for f in result["umzug_findings"]] == ["shares.verify_not_read"]
    assert "geheim" not in json.dumps(result) and "auch" not in json.dumps(result)


def test_several_shares_in_order_each_flagged_for_itself(run_module, args, tmp_path):
    SHARES["bauamt"] = objects(f"{OLD}-1113")
    target, user = objects(f"{NEW}-4001")
    target[b"Haushalt/neu.txt"] = ("file", b"neu", [])
    SHARES["cranach-bauamt"] = (target, user)
    bauamt = {"share": "bauamt", "target_share": "cranach-bauamt", "state_path": str(tmp_path / "bauamt.json")}
    change_on_target(PLAN, b"PLAN-2024")
    shares = [*args["shares"], bauamt]
    dry = run_module(share_verify_smb.main, {**args, "shares": shares}, check=True)
    assert [r["flagged"] for r in dry["shares"]] == [None, None] and not os.path.exists(args["manifest_dir"])
    result = run_module(share_verify_smb.main, {**args, "shares": shares})
    kaemmerei, second = result["shares"]
    assert (kaemmerei["share"], second["share"]) == ("kaemmerei", "bauamt")
    assert kaemmerei["differ"] == {"Haushalt/Plan.xlsx": ["content"]} and kaemmerei["extra"] == []
    assert second["extra"] == ["Haushalt/neu.txt"] and second["differ"] == {}
    assert share_tree.load_flagged(state_of(args)) == {PLAN}
    assert not os.path.exists(bauamt["state_path"] + ".flagged")  # an extra path is not copied again
    keys = sorted(f["key"] for f in result["umzug_findings"])
    assert keys == ["shares.verify_extra", "shares.verify_mismatch", "shares.verify_not_read",
                    "shares.verify_not_read"]
    assert sorted(os.listdir(args["manifest_dir"])) == [
        "bauamt.smb-source.json", "bauamt.smb-target.json", "kaemmerei.smb-source.json", "kaemmerei.smb-target.json"]
