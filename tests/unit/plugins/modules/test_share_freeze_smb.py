"""share_freeze_smb: freeze and unfreeze of a Windows share's ACL over a fake srvsvc pipe.
Freeze, second freeze, unfreeze byte for byte, check mode writing nothing, diff lines,
clear failures naming server and share, open files and sessions closed or reported."""

import json
import os
from typing import ClassVar

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_freeze, smb_settings
from ansible_collections.kommunal.umzug.plugins.modules import share_freeze_smb

USER = "S-1-5-21-1-2-3-1107"
ORIGINAL = ntacl.SecurityDescriptor(0x8004, "S-1-5-32-544", "S-1-5-18", None, ntacl.Acl(2, (
    ntacl.Ace(0, 0, 0x1301BF, USER), ntacl.Ace(1, 0, 0x10000, "S-1-5-21-1-2-3-1108"),
    ntacl.Ace(0, 0, 0x1F01FF, "S-1-5-32-544")))).to_bytes()


class FakeSrvsvc:
    """One server's srvsvc as the module uses it; ``refuse`` names calls answered with access denied."""
    sd = ORIGINAL
    refuse: ClassVar[set] = set()
    calls: ClassVar[list] = []
    files = ((7, "C:\\Shares\\Bauamt\\plan.docx", "jvogel"), (8, "C:\\Shares\\Other\\x", "kbauer"),
             (9, "C:\\Shares\\Bauamt", "jvogel"))
    users = ("KOMMUNEC\\jvogel", "KOMMUNEC\\admin", "dummy_user")

    def __init__(self, server, username, password, **kwargs):
        self.server = server

    def _maybe_refuse(self, call):
        if call in self.refuse:
            raise RuntimeError(5, "WERR_ACCESS_DENIED")

    def share_sd(self, share):
        self._maybe_refuse("get")
        return "C:\\Shares\\Bauamt", FakeSrvsvc.sd

    def set_share_sd(self, share, sd_bytes):
        self._maybe_refuse("set")
        FakeSrvsvc.calls.append(("set", share))
        FakeSrvsvc.sd = sd_bytes

    def open_files(self):
        self._maybe_refuse("files")
        return self.files

    def close_file(self, fid):
        FakeSrvsvc.calls.append(("close", fid))

    def share_users(self, share):
        self._maybe_refuse("users")
        return self.users

    def close_sessions(self, user):
        self._maybe_refuse("sessions")
        FakeSrvsvc.calls.append(("session", user))


@pytest.fixture
def srvsvc(monkeypatch):
    monkeypatch.setattr(smb_settings, "SrvsvcClient", FakeSrvsvc)
    monkeypatch.setattr(FakeSrvsvc, "sd", ORIGINAL)
    monkeypatch.setattr(FakeSrvsvc, "refuse", set())
    monkeypatch.setattr(FakeSrvsvc, "calls", [])
    return FakeSrvsvc


@pytest.fixture
def args(tmp_path):
    return {"server": "win-c-fs", "username": "KOMMUNEC\\admin", "password": "geheim",
            "shares": [{"share": "bauamt", "record_path": str(tmp_path / "freeze" / "bauamt.json")}],
            "kommune": "kommune-c"}


def record_of(args):
    return args["shares"][0]["record_path"]


def freeze(run_module, args, **kw):
    """A run with one share: its result, with the share's own fields (share_acl, closed) beside the run's."""
    result = run_module(share_freeze_smb.main, args, **kw)
    if kw.get("fails"):
        return result
    (share,) = result["shares"]
    assert share["changed"] is result["changed"] and share["umzug_findings"] == result["umzug_findings"]
    assert share["umzug_changes"] == result["umzug_changes"]
    return {**result, "share_acl": share["share_acl"], "closed": share["closed"],
            **({"diff": result["diff"][0]} if "diff" in result else {})}


def test_freeze_records_the_original_and_writes_the_reduced_acl(run_module, srvsvc, args):
    result = freeze(run_module, args)
    assert result["changed"] is True and result["frozen"] is True
    assert result["share_acl"] == [f"allow {USER} 0x001200a9", "deny S-1-5-21-1-2-3-1108 0x00010000",
                                   "allow S-1-5-32-544 0x001200a9"]
    assert srvsvc.sd == smb_freeze.frozen_sd(ORIGINAL)
    with open(record_of(args), encoding="utf-8") as handle:
        record = json.load(handle)
    assert smb_freeze.original_of(record) == ORIGINAL
    assert (record["server"], record["share"]) == ("win-c-fs", "bauamt")
    assert result["closed"] == {"files": 2, "users": ["KOMMUNEC\\jvogel", "jvogel"]}
    assert srvsvc.calls == [("set", "bauamt"), ("close", 7), ("close", 9), ("session", "KOMMUNEC\\jvogel"),
                            ("session", "jvogel")]
    assert result["umzug_findings"] == [] and result["umzug_changes"]["items"] == {"frozen": ["bauamt"]}
    assert "geheim" not in str(result)


def test_a_second_freeze_changes_nothing_and_keeps_the_record(run_module, srvsvc, args):
    freeze(run_module, args)
    with open(record_of(args), "rb") as handle:
        record = handle.read()
    srvsvc.calls.clear()
    again = freeze(run_module, args)
    assert again["changed"] is False and srvsvc.calls == []
    with open(record_of(args), "rb") as handle:
        assert handle.read() == record


def test_unfreeze_restores_the_original_byte_for_byte_and_removes_the_record(run_module, srvsvc, args):
    freeze(run_module, args)
    result = freeze(run_module, {**args, "state": "unfrozen"})
    assert result["changed"] is True and result["frozen"] is False
    assert srvsvc.sd == ORIGINAL and not os.path.exists(record_of(args))
    again = freeze(run_module, {**args, "state": "unfrozen"})
    assert again["changed"] is False


@pytest.mark.parametrize("state", ["frozen", "unfrozen"])
def test_check_mode_writes_nothing_and_diff_shows_the_acl(run_module, srvsvc, args, state):
    if state == "unfrozen":
        freeze(run_module, args)
        srvsvc.calls.clear()
    before = srvsvc.sd
    result = freeze(run_module, {**args, "state": state}, check=True, diff=True)
    assert result["changed"] is True and srvsvc.calls == [] and srvsvc.sd == before
    assert os.path.exists(record_of(args)) is (state == "unfrozen")
    frozen_lines = "\n".join(smb_freeze.acl_lines(smb_freeze.frozen_sd(ORIGINAL))) + "\n"
    original_lines = "\n".join(smb_freeze.acl_lines(ORIGINAL)) + "\n"
    expected = (original_lines, frozen_lines) if state == "frozen" else (frozen_lines, original_lines)
    assert (result["diff"]["before"], result["diff"]["after"]) == expected
    assert result["diff"]["before_header"] == "\\\\win-c-fs\\bauamt share ACL"


@pytest.mark.parametrize("refuse, message", [
    ({"set"}, "NetShareSetInfo on \\\\win-c-fs\\bauamt as KOMMUNEC\\admin failed (WERR_ACCESS_DENIED): "
              "NetShareSetInfo needs an account in the server's Administrators group"),
    ({"get"}, "NetShareGetInfo on \\\\win-c-fs\\bauamt as KOMMUNEC\\admin failed (WERR_ACCESS_DENIED): "
              "reading the share ACL (level 502) needs an account in the server's Administrators group"),
])
def test_refusals_fail_naming_server_and_share(run_module, srvsvc, args, refuse, message):
    srvsvc.refuse = refuse
    result = freeze(run_module, args, fails=True)
    assert result["msg"] == message


def test_open_files_the_server_will_not_close_are_a_finding(run_module, srvsvc, args):
    srvsvc.refuse = {"files", "users"}
    result = freeze(run_module, args)
    assert result["changed"] is True and srvsvc.sd == smb_freeze.frozen_sd(ORIGINAL)
    [finding] = result["umzug_findings"]
    assert finding["key"] == "shares.smb_freeze_open_kept" and finding["resources"] == ["bauamt"]
    assert finding["params"]["kept"] == ("open files (NetFileEnum/NetFileClose: WERR_ACCESS_DENIED); the list of "
                                         "connected users (NetConnectionEnum: WERR_ACCESS_DENIED)")


def test_sessions_the_server_will_not_end_are_a_finding(run_module, srvsvc, args):
    srvsvc.refuse = {"sessions"}
    result = freeze(run_module, args)
    assert result["closed"] == {"files": 2, "users": []}
    [finding] = result["umzug_findings"]
    assert finding["params"]["kept"] == ("the sessions of KOMMUNEC\\jvogel (NetSessionDel: WERR_ACCESS_DENIED); "
                                         "the sessions of jvogel (NetSessionDel: WERR_ACCESS_DENIED)")


def test_a_record_of_another_share_is_refused(run_module, srvsvc, args):
    freeze(run_module, args)
    other = {**args, "shares": [{"share": "kaemmerei", "record_path": record_of(args)}]}
    result = freeze(run_module, other, fails=True)
    assert result["msg"].startswith("the freeze record ") and "belongs to \\\\win-c-fs\\bauamt" in result["msg"]


def test_close_open_false_closes_nothing(run_module, srvsvc, args):
    result = freeze(run_module, {**args, "close_open": False})
    assert srvsvc.calls == [("set", "bauamt")] and result["closed"] == {"files": 0, "users": []}


def test_a_share_acl_withheld_is_never_frozen_blind(run_module, srvsvc, args):
    srvsvc.sd = None
    result = freeze(run_module, args, fails=True)
    assert result["msg"] == ("NetShareGetInfo level 502 on \\\\win-c-fs\\bauamt as KOMMUNEC\\admin gave no share ACL: "
                             "reading the share ACL (level 502) needs an account in the server's Administrators group")
    assert srvsvc.calls == [] and not os.path.exists(record_of(args))


@pytest.mark.parametrize("text", ["{", "[]", '{"server": "win-c-fs", "share": "bauamt"}'])
def test_an_unreadable_record_stops_the_unfreeze(run_module, srvsvc, args, text):
    os.makedirs(os.path.dirname(record_of(args)))
    with open(record_of(args), "w", encoding="utf-8") as handle:
        handle.write(text)
    result = freeze(run_module, {**args, "state": "unfrozen"}, fails=True)
    assert result["msg"].startswith(f"the freeze record {record_of(args)} of \\\\win-c-fs\\bauamt is unreadable")
    assert srvsvc.calls == []


# --- a freeze that stopped after writing the share ACL, before closing ---------------------

def died_after_the_acl(srvsvc, args, **record_extra):
    """What a freeze killed between NetShareSetInfo and the closing leaves: the record, and
    the share ACL already frozen."""
    os.makedirs(os.path.dirname(record_of(args)))
    record = {**smb_freeze.record_of(args["server"], "bauamt", ORIGINAL, smb_freeze.frozen_sd(ORIGINAL)),
              **record_extra}
    with open(record_of(args), "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    srvsvc.sd = smb_freeze.frozen_sd(ORIGINAL)


@pytest.mark.parametrize("files, users, record_extra, check, calls, closed", [
    # killed before closing: the re-run closes what was left open, although the ACL looks frozen
    (FakeSrvsvc.files, FakeSrvsvc.users, {}, False,
     [("close", 7), ("close", 9), ("session", "KOMMUNEC\\jvogel"), ("session", "jvogel")],
     {"files": 2, "users": ["KOMMUNEC\\jvogel", "jvogel"]}),
    # in check mode it lists them and closes nothing
    (FakeSrvsvc.files, FakeSrvsvc.users, {}, True, [], {"files": 2, "users": ["KOMMUNEC\\jvogel", "jvogel"]}),
    # nothing was left open in the share: nothing to close, nothing changed
    (((8, "C:\\Shares\\Other\\x", "kbauer"),), ("KOMMUNEC\\admin", "dummy_user"), {}, False, [],
     {"files": 0, "users": []}),
    # the record says the closing was done: nobody is disturbed again
    (FakeSrvsvc.files, FakeSrvsvc.users, {"open_closed": True}, False, [], {"files": 0, "users": []}),
], ids=["killed before closing", "check mode", "nothing open", "closing done"])
def test_a_freeze_that_stopped_before_closing_closes_on_its_next_run(run_module, srvsvc, args, monkeypatch, files,
                                                                      users, record_extra, check, calls, closed):
    died_after_the_acl(srvsvc, args, **record_extra)
    monkeypatch.setattr(FakeSrvsvc, "files", files)
    monkeypatch.setattr(FakeSrvsvc, "users", users)
    result = freeze(run_module, args, check=check)
    assert srvsvc.calls == calls and result["closed"] == closed
    assert result["changed"] is bool(closed["files"] or closed["users"])
    assert result["umzug_changes"]["items"] == ({"frozen": ["bauamt"]} if result["changed"] else {})
    assert srvsvc.sd == smb_freeze.frozen_sd(ORIGINAL) and result["umzug_findings"] == []
    with open(record_of(args), encoding="utf-8") as handle:
        record = json.load(handle)
    assert smb_freeze.original_of(record) == ORIGINAL
    assert record.get("open_closed") is (None if check else True)


def test_after_a_completed_closing_the_next_freeze_closes_nothing(run_module, srvsvc, args):
    died_after_the_acl(srvsvc, args)
    first = freeze(run_module, args)
    srvsvc.calls.clear()
    again = freeze(run_module, args)
    assert first["changed"] is True and again["changed"] is False and srvsvc.calls == []
    assert again["closed"] == {"files": 0, "users": []}


def test_a_closing_the_server_refused_is_tried_again_by_the_next_freeze(run_module, srvsvc, args):
    srvsvc.refuse = {"sessions"}
    first = freeze(run_module, args)
    assert [f["key"] for f in first["umzug_findings"]] == ["shares.smb_freeze_open_kept"]
    srvsvc.refuse = set()
    srvsvc.calls.clear()
    again = freeze(run_module, args)
    assert again["changed"] is True and again["umzug_findings"] == []
    assert ("session", "KOMMUNEC\\jvogel") in srvsvc.calls and ("set", "bauamt") not in srvsvc.calls
    with open(record_of(args), encoding="utf-8") as handle:
        assert json.load(handle)["open_closed"] is True


# --- several shares in one run -------------------------------------------------------------

class ServerOfShares(FakeSrvsvc):
    """One server with several shares, each with its own path and share ACL; counts the
    connections and the listings of open files."""
    sds: ClassVar[dict] = {}
    paths: ClassVar[dict] = {"bauamt": "C:\\Shares\\Bauamt", "kaemmerei": "D:\\Kasse"}
    files = ((7, "C:\\Shares\\Bauamt\\plan.docx", "jvogel"), (8, "D:\\Kasse\\haushalt.xlsx", "kbauer"),
             (9, "D:\\Kasse\\x.txt", "jvogel"))
    connected: ClassVar[list] = []

    def __init__(self, server, username, password, **kwargs):
        super().__init__(server, username, password)
        ServerOfShares.connected.append(server)

    def share_sd(self, share):
        self._maybe_refuse(f"get {share}")
        return self.paths[share], self.sds[share]

    def set_share_sd(self, share, sd_bytes):
        FakeSrvsvc.calls.append(("set", share))
        self.sds[share] = sd_bytes

    def open_files(self):
        FakeSrvsvc.calls.append(("list files",))
        return self.files

    def share_users(self, share):
        return {"bauamt": ("KOMMUNEC\\jvogel",), "kaemmerei": ("KOMMUNEC\\kbauer", "KOMMUNEC\\jvogel")}[share]


@pytest.fixture
def server(monkeypatch, srvsvc):
    monkeypatch.setattr(smb_settings, "SrvsvcClient", ServerOfShares)
    monkeypatch.setattr(ServerOfShares, "sds", {"bauamt": ORIGINAL, "kaemmerei": ORIGINAL})
    monkeypatch.setattr(ServerOfShares, "connected", [])
    return ServerOfShares


@pytest.fixture
def two(args, tmp_path):
    return {**args, "shares": [*args["shares"], {"share": "kaemmerei",
                                                  "record_path": str(tmp_path / "freeze" / "kaemmerei.json")}]}


def test_several_shares_one_connection_one_listing_each_user_ended_once(run_module, server, two):
    result = run_module(share_freeze_smb.main, two)
    bauamt, kaemmerei = result["shares"]
    assert server.connected == ["win-c-fs"]
    assert server.calls == [("set", "bauamt"), ("set", "kaemmerei"), ("list files",), ("close", 7), ("close", 8),
                            ("close", 9), ("session", "KOMMUNEC\\jvogel"), ("session", "jvogel"),
                            ("session", "KOMMUNEC\\kbauer"), ("session", "kbauer")]
    assert bauamt["closed"] == {"files": 1, "users": ["KOMMUNEC\\jvogel", "jvogel"]}
    assert kaemmerei["closed"] == {"files": 2, "users": ["KOMMUNEC\\jvogel", "KOMMUNEC\\kbauer", "jvogel", "kbauer"]}
    assert server.sds == dict.fromkeys(["bauamt", "kaemmerei"], smb_freeze.frozen_sd(ORIGINAL))
    assert result["umzug_changes"]["items"] == {"frozen": ["bauamt", "kaemmerei"]}
    for spec in two["shares"]:  # a record per share, in the format the unfreeze and share_acl_smb read
        with open(spec["record_path"], encoding="utf-8") as handle:
            record = json.load(handle)
        assert (record["share"], record["open_closed"]) == (spec["share"], True)
        assert smb_freeze.original_of(record) == ORIGINAL

    server.calls.clear()
    assert run_module(share_freeze_smb.main, two)["changed"] is False and server.calls == []
    back = run_module(share_freeze_smb.main, {**two, "state": "unfrozen"})
    assert back["umzug_changes"]["items"] == {"unfrozen": ["bauamt", "kaemmerei"]}
    assert server.sds == dict.fromkeys(["bauamt", "kaemmerei"], ORIGINAL)
    assert not any(os.path.exists(spec["record_path"]) for spec in two["shares"])


def test_several_shares_in_check_mode_list_and_write_nothing(run_module, server, two):
    result = run_module(share_freeze_smb.main, two, check=True, diff=True)
    assert result["changed"] is True and server.calls == [("list files",)]
    assert server.sds == dict.fromkeys(["bauamt", "kaemmerei"], ORIGINAL)
    assert not any(os.path.exists(spec["record_path"]) for spec in two["shares"])
    assert [d["before_header"] for d in result["diff"]] == ["\\\\win-c-fs\\bauamt share ACL",
                                                            "\\\\win-c-fs\\kaemmerei share ACL"]
    assert [s["closed"]["files"] for s in result["shares"]] == [1, 2]


def test_a_share_the_server_refuses_stops_all_before_a_write(run_module, server, two, monkeypatch):
    monkeypatch.setattr(FakeSrvsvc, "refuse", {"get kaemmerei"})
    result = run_module(share_freeze_smb.main, two, fails=True)
    assert result["msg"].startswith("NetShareGetInfo on \\\\win-c-fs\\kaemmerei as KOMMUNEC\\admin failed")
    assert server.calls == [] and server.sds["bauamt"] == ORIGINAL
    assert not any(os.path.exists(spec["record_path"]) for spec in two["shares"])


def test_one_share_frozen_already_the_other_is_frozen_and_closed(run_module, server, two):
    run_module(share_freeze_smb.main, {**two, "shares": two["shares"][:1]})
    server.calls.clear()
    result = run_module(share_freeze_smb.main, two)
    assert [s["changed"] for s in result["shares"]] == [False, True]
    assert server.calls == [("set", "kaemmerei"), ("list files",), ("close", 8), ("close", 9),
                            ("session", "KOMMUNEC\\jvogel"), ("session", "KOMMUNEC\\kbauer"), ("session", "jvogel"),
                            ("session", "kbauer")]
