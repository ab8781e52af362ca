"""smb_metadata: DOSATTRIB bytes as Samba 4.17 writes them, streams in vfs_streams_xattr's
form, the size limit as a finding, and the SD translated and handed to Samba whole."""

import errno
import os

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.finding_catalog import CATALOG
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_metadata
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry

# Written by smbd 4.17 (lab, `smbclient setmode a.txt +hsr` on a new file, `setmode d +h`
# on a new folder), and the same bytes samba.ndr.ndr_pack(xattr.DOSATTRIB) gives.
CREATED = 134407913090547920  # NTTIME of that creation
CREATED_NS = (CREATED - 116444736000000000) * 100
SMBD_FILE = bytes.fromhex("00000500050000001100000027000000d080c3ea4883dd01")
SMBD_DIR = bytes.fromhex("0000050005000000110000001200000050b9c4ea4883dd01")


def nt(blob: bytes) -> int:
    return int.from_bytes(blob[16:24], "little")


@pytest.mark.parametrize("attributes, creation_ns, directory, expected", [
    (0x27, CREATED_NS, False, SMBD_FILE),
    (0x12, (nt(SMBD_DIR) - 116444736000000000) * 100, True, SMBD_DIR),
    # Storage bits and those Samba does not keep are left out; folders get the directory bit.
    (0x27 | 0x100 | 0x200 | 0x400 | 0x800 | 0x2000, CREATED_NS, False, SMBD_FILE),
    (0x02, (nt(SMBD_DIR) - 116444736000000000) * 100, True, SMBD_DIR),
    (0x10 | 0x02, (nt(SMBD_DIR) - 116444736000000000) * 100, False,
     bytes.fromhex("0000050005000000110000000200000050b9c4ea4883dd01")),
    # No creation time known: only the attributes are valid.
    (0x20, None, False, bytes.fromhex("000005000500000001000000200000000000000000000000")),
    (0x80, 0, False, bytes.fromhex("00000500050000001100000000000000") + (116444736000000000).to_bytes(8, "little")),
])
def test_dosattrib_as_smbd_writes_it(attributes, creation_ns, directory, expected):
    assert smb_metadata.dosattrib(attributes, creation_ns, directory) == expected


@pytest.mark.parametrize("blob, expected", [
    (SMBD_FILE, (0x27, CREATED_NS)),
    (bytes.fromhex("000005000500000001000000200000000000000000000000"), (0x20, None)),
    # Version 4 (older Samba) and the old hex-only form are not read as version 5.
    (b"0x20\0\0\x04\0\x04\0\0\0" + bytes(20), None),
    (b"0x20\0", None),
])
def test_read_dosattrib(blob, expected):
    assert smb_metadata.read_dosattrib(blob) == expected


@pytest.mark.parametrize("attributes, dropped", [
    (0x27, 0),
    (0x10 | 0x80 | 0x200 | 0x400 | 0x1000 | 0x40000 | 0x400000, 0),
    (0x21 | 0x100, 0x100),
    (0x2000 | 0x800 | 0x4000, 0x6800),
    (0x8000 | 0x20000, 0x28000),
])
def test_attributes_samba_does_not_keep(attributes, dropped):
    assert smb_metadata.dropped_attributes(attributes) == dropped


@pytest.mark.parametrize("name, content, xattr, value", [
    # Measured: `put abc "b.txt:Autor"` through streams_xattr left user.DosStream.Autor:$DATA=0x61626300.
    ("Autor", b"abc", "user.DosStream.Autor:$DATA", b"abc\0"),
    ("Zone.Identifier", b"[ZoneTransfer]\r\nZoneId=3\r\n", "user.DosStream.Zone.Identifier:$DATA",
     b"[ZoneTransfer]\r\nZoneId=3\r\n\0"),
    ("leer", b"", "user.DosStream.leer:$DATA", b"\0"),
    ("Vorschau ä", b"\0\1", "user.DosStream.Vorschau ä:$DATA", b"\0\1\0"),
])
def test_stream_xattr_names_and_values(name, content, xattr, value):
    assert smb_metadata.stream_xattr(name) == xattr
    assert smb_metadata.stream_of(xattr) == name
    assert smb_metadata.stream_value(content) == value


@pytest.mark.parametrize("size, limit, too_large", [
    (3899, 3899, False), (3900, 3899, True), (0, 0, False), (65535, 65535, False), (65536, 65535, True),
])
def test_stream_limit(size, limit, too_large):
    assert smb_metadata.stream_too_large(size, limit) is too_large


# --- apply, on a real file with a stand-in source and Samba -------------------------------

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-9-8-7"
MAPPING = {f"{OLD}-1107": f"{NEW}-2107", f"{OLD}-513": f"{NEW}-513", f"{OLD}-1108": f"{NEW}-2108"}
SD = ntacl.SecurityDescriptor(
    0x8C14, f"{OLD}-1107", f"{OLD}-513",
    ntacl.Acl(2, (ntacl.Ace(2, 0xC0, 0x1F01FF, "S-1-1-0"),)),
    ntacl.Acl(2, (ntacl.Ace(0, 0x13, 0x1F01FF, f"{OLD}-1108"), ntacl.Ace(0, 0x10, 0x1200A9, f"{OLD}-4711"),
                  ntacl.Ace(0, 0x0B, 0x1200A9, "S-1-5-32-545"))))




def translate(sid):
    """As the identity mapping does: mapped SIDs, and those that mean the same everywhere."""
    return MAPPING.get(sid, sid if sid_codec.is_universal(sid) else None)


class Source:
    def __init__(self, streams):
        self.streams, self.asked = streams, []

    def read(self, relative, stream=None):
        self.asked.append((relative, stream))
        content = self.streams[stream]
        if isinstance(content, Exception):
            raise content
        yield content[:2]
        yield content[2:]


class Samba:
    def __init__(self, error=None):
        self.calls, self.error = [], error

    def set(self, path, sd, parts):
        if self.error:
            raise self.error
        self.calls.append((path, ntacl.parse_sd(sd), parts))


@pytest.fixture()
def target(tmp_path):
    root = bytes(tmp_path)
    os.makedirs(os.path.join(root, b"Haushalt"))
    with open(os.path.join(root, b"Haushalt/Plan.xlsx"), "wb") as handle:
        handle.write(b"content")
    return root


def entry(**fields):
    values = {"path": b"Haushalt/Plan.xlsx", "kind": "file", "attributes": 0x23, "creation_ns": CREATED_NS,
              "sd": SD.to_bytes(), "sacl_read": True}
    return SmbEntry(**{**values, **fields})


def run(target, item, streams=None, samba=None, limit=100):
    source, samba = Source(streams or {}), samba or Samba()
    done = smb_metadata.apply(target, item.path, item, translate, source=source, acl=samba, stream_limit=limit)
    return done, source, samba


def keys(done):
    return [(p.key, p.path) for p in done.problems]


def test_apply_writes_attributes_streams_and_the_translated_sd(target):
    done, source, samba = run(target, entry(streams=(("Autor", 4), ("Zone.Identifier", 3))),
                              {"Autor": b"Vogl", "Zone.Identifier": b"Z=3"})
    path = os.path.join(target, b"Haushalt/Plan.xlsx")
    assert os.getxattr(path, "user.DOSATTRIB") == smb_metadata.dosattrib(0x23, CREATED_NS, False)
    assert os.getxattr(path, "user.DosStream.Autor:$DATA") == b"Vogl\0"
    assert os.getxattr(path, "user.DosStream.Zone.Identifier:$DATA") == b"Z=3\0"
    assert source.asked == [(b"Haushalt/Plan.xlsx", "Autor"), (b"Haushalt/Plan.xlsx", "Zone.Identifier")]
    [(written_to, sd, parts)] = samba.calls
    assert written_to == path and parts == 0xF
    assert (sd.owner, sd.group) == (f"{NEW}-2107", f"{NEW}-513")
    assert [(a.sid, a.flags, a.mask) for a in sd.dacl.aces] == [
        (f"{NEW}-2108", 0x13, 0x1F01FF), (f"{OLD}-4711", 0x10, 0x1200A9), ("S-1-5-32-545", 0x0B, 0x1200A9)]
    assert sd.control == 0x8C14 and [a.sid for a in sd.sacl.aces] == ["S-1-1-0"]
    assert keys(done) == [("shares.sid_unmapped", "Haushalt/Plan.xlsx")]
    assert done.problems[0].sids == (f"{OLD}-4711",)
    assert done.written == ["sd", "dosattrib", "user.DosStream.Autor:$DATA", "user.DosStream.Zone.Identifier:$DATA"]


def test_apply_again_writes_nothing_but_the_sd(target):
    streams = {"Autor": b"Vogl"}
    run(target, entry(streams=(("Autor", 4),)), streams)
    done, _source, _samba = run(target, entry(streams=(("Autor", 4),)), streams)
    assert done.written == ["sd"]


def test_streams_the_source_no_longer_has_are_removed(target):
    path = os.path.join(target, b"Haushalt/Plan.xlsx")
    os.setxattr(path, "user.DosStream.alt:$DATA", b"old\0")
    os.setxattr(path, "user.other", b"kept")
    done, _source, _samba = run(target, entry())
    assert "user.DosStream.alt:$DATA" in done.written
    assert sorted(os.listxattr(path)) == ["user.DOSATTRIB", "user.other"]


@pytest.mark.parametrize("streams, limit, setxattr_error, kept, key, detail", [
    # Larger than the limit: not read, not written, reported before anything is lost.
    ((("big", 101),), 100, None, None, "shares.stream_too_large", "101 bytes, the target holds streams up to 100"),
    # The file system refuses it (ext4: no room left in the xattr block).
    ((("big", 50),), 100, errno.ENOSPC, None, "shares.stream_too_large", "no room for it"),
    ((("big", 50),), 100, errno.E2BIG, None, "shares.stream_too_large", "no room for it"),
    # The file system keeps less than was written (cut short): removed and reported.
    ((("big", 50),), 100, None, b"\0", "shares.stream_too_large", "kept 0 of them"),
    ((("big", 50),), 100, errno.EPERM, None, "shares.metadata_not_written", "writing the stream"),
])
def test_a_stream_the_target_cannot_hold_is_a_finding(target, monkeypatch, streams, limit, setxattr_error, kept,
                                                       key, detail):
    path = os.path.join(target, b"Haushalt/Plan.xlsx")
    os.setxattr(path, "user.DosStream.big:$DATA", b"older\0")
    real_set, real_get = os.setxattr, os.getxattr

    def setxattr(where, name, value, *args, **kwargs):
        if name.startswith("user.DosStream.") and setxattr_error:
            raise OSError(setxattr_error, os.strerror(setxattr_error))
        return real_set(where, name, value, *args, **kwargs)

    def getxattr(where, name, *args, **kwargs):
        value = real_get(where, name, *args, **kwargs)
        return kept if kept is not None and name.startswith("user.DosStream.") and value != b"older\0" else value

    monkeypatch.setattr(os, "setxattr", setxattr)
    monkeypatch.setattr(os, "getxattr", getxattr)
    done, source, _samba = run(target, entry(streams=streams), {"big": b"x" * 50}, limit=limit)
    monkeypatch.undo()
    [problem] = [p for p in done.problems if p.key != "shares.sid_unmapped"]
    assert (problem.key, problem.path) == (key, "Haushalt/Plan.xlsx:big")
    assert detail in problem.detail
    # Never an older or shortened stream served as if it were the source's.
    assert "user.DosStream.big:$DATA" not in os.listxattr(path)
    assert source.asked == ([] if limit < streams[0][1] else [(b"Haushalt/Plan.xlsx", "big")])


def test_a_stream_that_cannot_be_read_is_reported(target):
    done, _source, _samba = run(target, entry(streams=(("Autor", 4),)), {"Autor": OSError("connection reset")})
    assert ("shares.metadata_not_written", "Haushalt/Plan.xlsx:Autor") in keys(done)


@pytest.mark.parametrize("item, samba, expected", [
    (entry(sd=b"\x02bad"), Samba(), [("shares.ntacl_unreadable", "Haushalt/Plan.xlsx")]),
    (entry(sd=None), Samba(), []),
    (entry(attributes=0x2021), Samba(), [("shares.sid_unmapped", "Haushalt/Plan.xlsx"),
                                         ("shares.attribute_not_carried", "Haushalt/Plan.xlsx")]),
    (entry(), Samba(RuntimeError("NT_STATUS_ACCESS_DENIED")),
     [("shares.sid_unmapped", "Haushalt/Plan.xlsx"), ("shares.metadata_not_written", "Haushalt/Plan.xlsx")]),
])
def test_problems_of_one_object(target, item, samba, expected):
    done, _source, _samba = run(target, item, samba=samba)
    assert keys(done) == expected
    # The DOS attributes are written whatever happened to the SD.
    assert os.getxattr(os.path.join(target, item.path), "user.DOSATTRIB")[12:16] == (item.attributes & 0x27) \
        .to_bytes(4, "little")


def test_a_folder_and_a_reparse_point(target):
    done, _source, samba = run(target, entry(path=b"Haushalt", kind="dir", attributes=0x12, sacl_read=False))
    assert os.getxattr(os.path.join(target, b"Haushalt"), "user.DOSATTRIB")[12:16] == b"\x12\0\0\0"
    assert samba.calls[0][2] == 0x7  # no SACL read, none set
    done, _source, samba = run(target, entry(path=b"Haushalt", kind="reparse"))
    assert (done.written, done.problems, samba.calls) == ([], [], [])


@pytest.mark.parametrize("owner, group, sacl_read, parts", [
    ("S-1-1-0", "S-1-1-0", True, 0xF), ("S-1-1-0", None, False, 0x5), (None, None, False, 0x4),
])
def test_secinfo(owner, group, sacl_read, parts):
    assert smb_metadata.secinfo(ntacl.SecurityDescriptor(0x8004, owner, group, None, None), sacl_read) == parts


@pytest.mark.parametrize("key", ["shares.attribute_not_carried", "shares.metadata_not_written",
                                 "shares.stream_too_large", "shares.sid_unmapped", "shares.ntacl_unreadable"])
def test_keys_are_in_the_catalog_in_both_languages(key):
    assert {"de", "en"} <= set(CATALOG[key])


# --- the target service must serve target_root ------------------------------------------

CONF = "/etc/samba/smb.conf"
ABOVE = "name the share whose path is target_root or a folder above it"


@pytest.mark.parametrize("service_path, target_root, expected", [
    ("/srv/shares/kaemmerei", "/srv/shares/kaemmerei", None),
    ("/srv/shares/kaemmerei/", "/srv/shares/kaemmerei", None),
    ("/srv/shares", "/srv/shares/kaemmerei", None),
    ("/", "/srv/shares/kaemmerei", None),
    ("/srv/shares/%S", "/srv/shares/kaemmerei", None),  # smbd puts the share's name for %S
    ("/srv/home/%U", "/srv/shares/kaemmerei", None),  # depends on who connects: not judged
    # a name that only begins like the target's folder is another folder
    ("/srv/shares/kaem", "/srv/shares/kaemmerei",
     f"the Samba share 'kaemmerei' (target_service) in {CONF} serves /srv/shares/kaem, which does not hold "
     f"target_root /srv/shares/kaemmerei; {ABOVE}"),
    ("/srv/shares/kaemmerei/Haushalt", "/srv/shares/kaemmerei",
     f"the Samba share 'kaemmerei' (target_service) in {CONF} serves /srv/shares/kaemmerei/Haushalt, which does "
     f"not hold target_root /srv/shares/kaemmerei; {ABOVE}"),
    ("/srv/other/%S", "/srv/shares/kaemmerei",
     f"the Samba share 'kaemmerei' (target_service) in {CONF} serves /srv/other/%S, which does not hold "
     f"target_root /srv/shares/kaemmerei; {ABOVE}"),
    ("", "/srv/shares/kaemmerei",
     f"the Samba share 'kaemmerei' (target_service) in {CONF} has no path, so it does not serve target_root "
     f"/srv/shares/kaemmerei; {ABOVE}"),
    (None, "/srv/shares/kaemmerei",
     f"Samba's configuration {CONF} has no share 'kaemmerei' (target_service) to set the security descriptors of "
     f"target_root /srv/shares/kaemmerei through; {ABOVE}"),
])
def test_service_mismatch(service_path, target_root, expected):
    assert smb_metadata.service_mismatch("kaemmerei", service_path, target_root, CONF) == expected


def test_a_share_path_reached_through_a_symbolic_link_serves_the_folder_behind_it(tmp_path):
    (tmp_path / "disk/shares/kaemmerei").mkdir(parents=True)
    (tmp_path / "shares").symlink_to(tmp_path / "disk/shares")
    assert smb_metadata.service_mismatch("k", str(tmp_path / "shares"), str(tmp_path / "disk/shares/kaemmerei"),
                                         CONF) is None
    assert smb_metadata.service_mismatch("k", str(tmp_path / "shares/kaemmerei"), str(tmp_path / "disk/shares"),
                                         CONF) is not None


class FakeLoadparm:
    """Samba's loadparm as SambaAcl reads it: ``get("path", service)``, None for no such share."""

    configfile = CONF

    def __init__(self, paths):
        self.paths = paths

    def get(self, name, service):
        assert name == "path"
        return self.paths.get(service.casefold())


@pytest.mark.parametrize("service, target_root, fails", [
    ("kaemmerei", "/srv/shares/kaemmerei", None),
    ("KAEMMEREI", "/srv/shares/kaemmerei/", None),
    ("kaemmerei", None, None),  # without target_root only the bindings are checked
    ("kaemmerei", "/srv/shares/bauamt", "serves /srv/shares/kaemmerei, which does not hold target_root "
                                        "/srv/shares/bauamt"),
    ("bauamt", "/srv/shares/bauamt", "has no share 'bauamt' (target_service)"),
])
def test_samba_acl_check_reads_the_share_path_through_samba(monkeypatch, service, target_root, fails):
    loadparm = FakeLoadparm({"kaemmerei": "/srv/shares/kaemmerei"})
    monkeypatch.setattr(smb_metadata.SambaAcl, "_bindings", lambda self: (None, None, None, None, loadparm))
    acl = smb_metadata.SambaAcl(service)
    if fails is None:
        assert acl.check(target_root) is None
        return
    with pytest.raises(smb_metadata.ServiceMismatch) as caught:
        acl.check(target_root)
    assert fails in str(caught.value) and str(caught.value).endswith(ABOVE)
