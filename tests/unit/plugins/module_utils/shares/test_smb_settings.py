"""smb_settings: srvsvc answers as smb.conf keys, the share ACL through the one SD parser,
partial reads; Samba's bindings replaced by a fake."""

from types import SimpleNamespace

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_settings

SHARE_SD = ntacl.SecurityDescriptor(0x8004, "S-1-5-32-544", "S-1-5-18", None,
                                    ntacl.Acl(2, (ntacl.Ace(0, 0, 0x1F01FF, "S-1-5-21-1-2-3-1107"),))).to_bytes()


@pytest.mark.parametrize("comment, flags, settings", [
    ("Bauamt", 0x0, {"comment": "Bauamt", "csc policy": "manual", "hide unreadable": "No"}),
    (None, 0x10, {"csc policy": "documents", "hide unreadable": "No"}),
    ("", 0x20 | 0x800, {"csc policy": "programs", "hide unreadable": "Yes"}),
    ("x", 0x30 | 0x8000, {"comment": "x", "csc policy": "disable", "hide unreadable": "No", "smb encrypt": "required"}),
    ("x", None, {"comment": "x"}),
])
def test_settings_of(comment, flags, settings):
    assert smb_settings.settings_of(comment, flags) == settings


@pytest.mark.parametrize("name, share_type, wanted", [
    ("bauamt", 0, True), ("C$", 0x80000000, False), ("IPC$", 0x80000003, False), ("drucker", 1, False),
    ("versteckt$", 0, False),
])
def test_is_file_share(name, share_type, wanted):
    assert smb_settings.is_file_share(name, share_type) is wanted


class FakePipe:
    def __init__(self, denied=(), sd="SD"):
        self.denied, self.sd = denied, sd

    def NetShareGetInfo(self, server, share, level):
        if level in self.denied:
            raise RuntimeError(5, "WERR_ACCESS_DENIED")
        return {502: SimpleNamespace(comment="Bauamt", path="D:\\Shares\\Bauamt",
                                     sd_buf=SimpleNamespace(sd=self.sd)),
                1: SimpleNamespace(comment="Bauamt"), 1005: SimpleNamespace(dfs_flags=0x810)}[level]


def fake_samba(pipe):
    creds = SimpleNamespace(guess=lambda lp: None, parse_string=lambda u: None, set_domain=lambda d: None,
                            set_password=lambda p: None, set_kerberos_state=lambda k: None)
    return SimpleNamespace(
        param=SimpleNamespace(LoadParm=lambda: None),
        credentials=SimpleNamespace(Credentials=lambda: creds, MUST_USE_KERBEROS=2, DONT_USE_KERBEROS=0),
        ndr=SimpleNamespace(ndr_pack=lambda sd: SHARE_SD),
        dcerpc=SimpleNamespace(srvsvc=SimpleNamespace(srvsvc=lambda binding, lp, c: pipe)))


def test_read_settings_in_share_discovers_shape():
    found = smb_settings.SrvsvcClient("fs", "u", "p", samba=fake_samba(FakePipe())).read_settings("bauamt")
    assert smb_settings.as_discovered(found) == {"comment": "Bauamt", "csc policy": "documents",
                                                 "hide unreadable": "Yes", "path": "D:\\Shares\\Bauamt"}
    assert found.share_acl() == [{"type": 0, "flags": 0, "mask": 0x1F01FF, "sid": "S-1-5-21-1-2-3-1107"}]
    assert found.sids() == ["S-1-5-32-544", "S-1-5-18", "S-1-5-21-1-2-3-1107"]
    assert found.partial == []


def test_level_502_refused_falls_back_and_says_what_is_missing():
    found = smb_settings.SrvsvcClient("fs", "u", "p", samba=fake_samba(FakePipe(denied=(502,)))).read_settings("b")
    assert found.path is None and found.share_sd is None
    assert found.settings["comment"] == "Bauamt"
    assert found.partial == ["path and share ACL (level 502: WERR_ACCESS_DENIED)"]


def test_a_share_acl_withheld_is_named_as_missing():
    found = smb_settings.SrvsvcClient("fs", "u", "p", samba=fake_samba(FakePipe(sd=None))).read_settings("b")
    assert found.path == "D:\\Shares\\Bauamt" and found.share_sd is None and found.share_acl() == []
    assert found.partial == ["share ACL (level 502 gave none: the account is not an administrator of the server)"]


class FreezePipe(FakePipe):
    """The calls of the freeze, recorded with their arguments."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def NetShareSetInfo(self, server, share, level, info, parm_error):
        self.calls.append(("set", server, share, level, info.sd))

    def NetFileEnum(self, server, path, user, ctr, max_buffer, resume):
        assert (ctr.level, path, user) == (3, None, None)
        files = [SimpleNamespace(fid=7, path="C:\\Shares\\Bauamt\\a.docx", user="jvogel")]
        return SimpleNamespace(ctr=SimpleNamespace(array=files)), 1, 0

    def NetFileClose(self, server, fid):
        self.calls.append(("close", server, fid))

    def NetConnEnum(self, server, share, ctr, max_buffer, resume):
        assert (ctr.level, share) == (1, "bauamt")
        conns = [SimpleNamespace(user="jvogel"), SimpleNamespace(user="kbauer"), SimpleNamespace(user="jvogel"),
                 SimpleNamespace(user="")]
        return SimpleNamespace(ctr=SimpleNamespace(array=conns)), 4, 0

    def NetSessDel(self, server, client, user):
        self.calls.append(("session", server, client, user))


def freeze_samba(pipe):
    samba = fake_samba(pipe)
    samba.ndr.ndr_unpack = lambda kind, data: ("unpacked", kind, data)
    samba.dcerpc.security = SimpleNamespace(sec_desc_buf=SimpleNamespace, descriptor="descriptor")
    samba.dcerpc.srvsvc.NetFileInfoCtr = samba.dcerpc.srvsvc.NetConnInfoCtr = SimpleNamespace
    samba.dcerpc.srvsvc.NetFileCtr3 = samba.dcerpc.srvsvc.NetConnCtr1 = SimpleNamespace
    return samba


def test_the_freeze_calls_go_to_the_right_levels_and_server():
    pipe = FreezePipe()
    client = smb_settings.SrvsvcClient("fs", "u", "p", samba=freeze_samba(pipe))
    assert client.share_sd("bauamt") == ("D:\\Shares\\Bauamt", SHARE_SD)
    client.set_share_sd("bauamt", b"SD")
    assert client.open_files() == [(7, "C:\\Shares\\Bauamt\\a.docx", "jvogel")]
    client.close_file(7)
    assert client.share_users("bauamt") == ["jvogel", "kbauer"]
    client.close_sessions("jvogel")
    assert pipe.calls == [("set", "\\\\fs", "bauamt", 1501, ("unpacked", "descriptor", b"SD")),
                          ("close", "\\\\fs", 7), ("session", "\\\\fs", None, "jvogel")]


@pytest.mark.parametrize("err, words", [
    (RuntimeError(5, "WERR_ACCESS_DENIED"), "WERR_ACCESS_DENIED"), (RuntimeError("kaputt"), "kaputt"),
])
def test_words(err, words):
    assert smb_settings.words(err) == words


@pytest.mark.parametrize(("auth", "encrypt", "kerberos"), [("ntlm", True, False), ("kerberos", False, True)])
def test_the_srvsvc_client_takes_the_smb_connection_options(monkeypatch, auth, encrypt, kerberos):
    made = []
    monkeypatch.setattr(smb_settings, "SrvsvcClient", lambda *args, **kwargs: made.append((args, kwargs)) or "client")
    params = {"server": "fs.kommune-c.test", "username": "KOMMUNEC\\sicherung", "password": "p", "auth": auth,
              "encrypt": encrypt, "port": 445, "retries": 3, "retry_delay": 1.0}
    assert smb_settings.client_of(params) == "client"
    assert made == [(("fs.kommune-c.test", "KOMMUNEC\\sicherung", "p"), {"kerberos": kerberos, "encrypt": encrypt})]
