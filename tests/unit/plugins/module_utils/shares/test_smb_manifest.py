"""Manifests of shares read over SMB (a fake SmbShare per side) and their comparison per part:
equal trees are equal, each kind of difference is found and named, what the walk cannot read
is never read and not compared."""

import copy
import hashlib
import struct

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_manifest, smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import SyncError

OLD, NEW = "S-1-5-21-1-2-3", "S-1-5-21-7-8-9"
SIDS = {f"{OLD}-1113": f"{NEW}-4001", f"{OLD}-513": f"{NEW}-513"}
T = 1_700_000_000_000_000_000
ALLOW, INHERITED = 0, 0x10


def sd(domain, mask=0x1F01FF, control=0x8004, sacl=None):
    user = "1113" if domain == OLD else "4001"
    dacl = ntacl.Acl(2, (ntacl.Ace(ALLOW, INHERITED, mask, f"{domain}-{user}"),
                         ntacl.Ace(ALLOW, 0, 0x1200A9, "S-1-5-32-545")))
    return ntacl.SecurityDescriptor(control, f"{domain}-{user}", f"{domain}-513", sacl, dacl).to_bytes()


class Refused(smb_source.SMBException):
    def __init__(self, status):
        super().__init__(f"status {status:#x}")
        self.status = status


class Dropped(smb_source.SMBException):
    """A connection that went away (no NTSTATUS)."""


class FakeShare:
    """An SmbShare over a dict of objects; records what it was asked to read."""

    def __init__(self, objects):
        self.objects = objects
        self.reads = []
        self.refuse = {}

    def walk(self):
        for path in sorted(self.objects, key=lambda p: (p.count(b"/") + (1 if p else 0), p)):
            o = self.objects[path]
            yield SmbEntry(path=path, kind=o["kind"], size=len(o.get("data", b"")), attributes=o["attributes"],
                           creation_ns=o["creation"], last_write_ns=o["write"], change_ns=o["write"],
                           file_id=o["id"], nlink=o.get("nlink", 1), streams=tuple(sorted(
                               (n, len(v)) for n, v in o.get("streams", {}).items())),
                           sd=o["sd"], sacl_read=o.get("sacl_read", False), problems=list(o.get("problems", ())))

    def read(self, path, stream=None, chunk=1 << 20, depth=4):
        self.reads.append((path, stream))
        if path in self.refuse:
            raise Refused(self.refuse[path]) if self.refuse[path] else Dropped("connection reset by peer")
        data = self.objects[path]["streams"][stream] if stream else self.objects[path]["data"]
        for start in range(0, len(data), 4):
            yield data[start:start + 4]


def tree(domain):
    def obj(kind, n, data=b"", **kw):
        attributes = 0x10 if kind == "dir" else 0x20
        return {"kind": kind, "data": data, "attributes": attributes, "creation": T + n, "write": T + 10 * n,
                "id": n, "sd": sd(domain), **kw}
    return {
        b"": obj("dir", 1),
        b"Haushalt": obj("dir", 2),
        b"Haushalt/Plan 2024.xlsx": obj("file", 3, b"plan-2024", streams={"Zone.Identifier": b"[ZoneTransfer]"}),
        b"Haushalt/Verweis.xlsx": obj("file", 3, b"plan-2024", nlink=2),
        b"Haushalt/Plan 2025.xlsx": obj("file", 5, b"plan-2025", nlink=2),
        b"Protokolle": obj("dir", 6),
        "Protokolle/Müller.txt".encode(): obj("file", 7, b"m" * 10),
    }


def source_tree():
    objects = tree(OLD)
    objects[b"Haushalt/Verweis.xlsx"]["id"] = 3
    objects[b"Haushalt/Plan 2024.xlsx"]["nlink"] = 2
    return objects


def target_tree():
    objects = tree(NEW)
    objects[b"Haushalt/Verweis.xlsx"]["id"] = 3
    objects[b"Haushalt/Plan 2024.xlsx"]["nlink"] = 2
    return objects


def manifests(source_objects, target_objects):
    source, target = FakeShare(source_objects), FakeShare(target_objects)
    expected = smb_manifest.entries(source, SIDS.get)
    actual = smb_manifest.entries(target)
    return source, target, smb_manifest.compare(expected, actual)


def test_equal_trees_compare_equal_with_the_sources_sids_translated():
    _source, _target, found = manifests(source_tree(), target_tree())
    assert found.ok and found.not_read == {}
    assert found.parts() == dict.fromkeys(smb_manifest.PARTS, 0)


def test_without_translation_every_descriptor_differs():
    expected = smb_manifest.entries(FakeShare(source_tree()))
    actual = smb_manifest.entries(FakeShare(target_tree()))
    found = smb_manifest.compare(expected, actual)
    assert set(found.comparison.differ) == set(target_tree())
    assert set(map(tuple, found.comparison.differ.values())) == {("acl",)}


def test_an_entry_holds_what_was_read_over_smb():
    share = FakeShare(source_tree())
    entries = smb_manifest.entries(share, SIDS.get)
    plan = entries[b"Haushalt/Plan 2024.xlsx"]
    assert plan["sha256"] == hashlib.sha256(b"plan-2024").hexdigest()
    assert plan["streams"] == [["Zone.Identifier", hashlib.sha256(b"[ZoneTransfer]").hexdigest()]]
    assert plan["link"] == "Haushalt/Plan 2024.xlsx" == entries[b"Haushalt/Verweis.xlsx"]["link"]
    assert entries[b"Haushalt/Plan 2025.xlsx"]["link"] is None  # two links, one name in the share
    assert (plan["kind"], plan["size"], plan["attributes"], plan["held"]) == ("file", 9, 0x20, [])
    assert entries[b"Haushalt"]["sha256"] is None and entries[b"Haushalt"]["attributes"] == 0x10


def change(path, **fields):
    def apply(objects):
        objects[path].update(fields)
    return apply


def set_stream(path, name, value):
    def apply(objects):
        streams = objects[path].setdefault("streams", {})
        if value is None:
            streams.pop(name, None)
        else:
            streams[name] = value
    return apply


PLAN, MUELLER = b"Haushalt/Plan 2024.xlsx", "Protokolle/Müller.txt".encode()
DIFFERENCES = [
    # (change on the target, path, parts named)
    (change(MUELLER, data=b"M" * 10), MUELLER, ["content"]),
    (change(MUELLER, data=b"m" * 11), MUELLER, ["content"]),
    (change(MUELLER, kind="dir", data=b""), MUELLER, ["content", "attributes"]),
    (change(MUELLER, write=T + 1), MUELLER, ["times"]),
    (change(MUELLER, creation=None), MUELLER, ["times"]),
    (change(MUELLER, attributes=0x22), MUELLER, ["attributes"]),
    (change(b"Haushalt", attributes=0x11), b"Haushalt", ["attributes"]),
    (change(b"Haushalt/Verweis.xlsx", id=99, nlink=1), (PLAN, b"Haushalt/Verweis.xlsx"), ["links"]),
    (set_stream(PLAN, "Zone.Identifier", b"[ZoneTransfer]x"), PLAN, ["streams"]),
    (set_stream(PLAN, "Zone.Identifier", None), PLAN, ["streams"]),
    (set_stream(MUELLER, "Autor", b"K"), MUELLER, ["streams"]),
    (change(MUELLER, sd=sd(NEW, mask=0x1200A9)), MUELLER, ["acl"]),
    (change(MUELLER, sd=sd(NEW, control=0x9004)), MUELLER, ["acl"]),  # inheritance broken (protected)
    (change(MUELLER, sd=sd(OLD)), MUELLER, ["acl"]),  # the old domain's SIDs kept
    (change(MUELLER, sd=None), MUELLER, ["acl"]),
    (change(MUELLER, data=b"M" * 10, write=T, attributes=0x21), MUELLER, ["content", "times", "attributes"]),
]


@pytest.mark.parametrize(("differ", "path", "parts"), DIFFERENCES,
                         ids=["content same size", "content size", "type", "last write", "creation",
                              "hidden", "folder read-only", "hard link", "stream content", "stream gone",
                              "stream added", "dacl mask", "dacl protected", "owner untranslated", "no sd",
                              "several"])
def test_each_difference_is_found_and_its_part_named(differ, path, parts):
    target = target_tree()
    differ(target)
    _source, _target, found = manifests(source_tree(), target)
    paths = path if isinstance(path, tuple) else (path,)
    assert found.comparison.differ == dict.fromkeys(paths, parts)
    assert not found.comparison.missing and not found.comparison.extra
    assert found.parts() == {part: len(paths) * (part in parts) for part in smb_manifest.PARTS}


def test_missing_and_extra_paths():
    target = target_tree()
    del target[MUELLER]
    target[b"Protokolle/neu.txt"] = copy.deepcopy(target_tree()[MUELLER])
    _source, _target, found = manifests(source_tree(), target)
    assert found.comparison.missing == [MUELLER] and found.comparison.extra == [b"Protokolle/neu.txt"]
    assert found.comparison.differ == {}


EQUAL_AS_SERVED = [
    # (change on the target that a client cannot tell apart)
    change(MUELLER, attributes=0x20 | 0x100 | 0x2000),  # temporary, not content indexed: Samba keeps neither
    change(MUELLER, sd=sd(NEW, control=0x8004 | 0x0008 | 0x0001)),  # DACL defaulted, owner defaulted
    change(MUELLER, sd_raw_order=True),
    change(MUELLER, sacl_read=True, sd=sd(NEW, control=0x8014, sacl=ntacl.Acl(2, ()))),  # SACL only one side read
]


@pytest.mark.parametrize("differ", EQUAL_AS_SERVED, ids=["attributes samba does not keep", "control bits",
                                                         "encoding", "sacl read on one side"])
def test_what_a_client_cannot_tell_apart_compares_equal(differ):
    target = target_tree()
    differ(target)
    if target[MUELLER].pop("sd_raw_order", False):
        # The same SD with the DACL before owner and group in the self-relative form.
        parsed = ntacl.parse_sd(target[MUELLER]["sd"])
        dacl, owner, group = parsed.dacl.to_bytes(), ntacl._sid_bytes(parsed.owner), ntacl._sid_bytes(parsed.group)
        header = struct.pack("<BBHIIII", 1, 0, parsed.control, 20 + len(dacl), 20 + len(dacl) + len(owner), 0, 20)
        target[MUELLER]["sd"] = header + dacl + owner + group
        assert ntacl.parse_sd(target[MUELLER]["sd"]) == parsed
    _source, _target, found = manifests(source_tree(), target)
    assert found.ok, found.comparison.differ


def test_a_sacl_both_sides_read_is_compared():
    source, target = source_tree(), target_tree()
    source[MUELLER].update(sacl_read=True, sd=sd(OLD, control=0x8014, sacl=ntacl.Acl(2, (
        ntacl.Ace(2, 0x80, 0x10000, f"{OLD}-1113"),))))
    target[MUELLER].update(sacl_read=True, sd=sd(NEW, control=0x8014, sacl=ntacl.Acl(2, ())))
    _s, _t, found = manifests(source, target)
    assert found.comparison.differ == {MUELLER: ["acl"]}
    target[MUELLER]["sd"] = sd(NEW, control=0x8014, sacl=ntacl.Acl(2, (ntacl.Ace(2, 0x80, 0x10000, f"{NEW}-4001"),)))
    _s, _t, found = manifests(source, target)
    assert found.ok


HELD = [
    # (problem of the walk, kind at the source)
    (("shares.offline_file", "offline"), "file"),
    (("shares.file_locked", "after 4 tries: sharing violation"), "file"),
    (("shares.access_denied", "access denied"), "file"),
    (("shares.reparse_point", "a symbolic link"), "reparse"),
]


@pytest.mark.parametrize(("problem", "kind"), HELD, ids=["offline", "locked", "denied", "reparse"])
def test_what_the_walk_cannot_read_is_never_read_listed_and_not_compared(problem, kind):
    source = source_tree()
    source[b"Archiv"] = {**copy.deepcopy(source[b"Protokolle"]), "id": 20}
    source[b"Archiv/Altakte 1998.pdf"] = {**copy.deepcopy(source[MUELLER]), "id": 21, "kind": kind,
                                          "problems": [problem], "streams": {"Autor": b"K"}}
    target = target_tree()
    target[b"Archiv"] = {**copy.deepcopy(target[b"Protokolle"]), "id": 20}
    share, _target, found = manifests(source, target)
    assert not [r for r in share.reads if r[0] == b"Archiv/Altakte 1998.pdf"]
    assert found.ok
    assert found.not_read == {b"Archiv/Altakte 1998.pdf": {"source": [problem[0]]}}


def test_a_denied_folder_and_what_the_target_holds_below_it_are_not_compared():
    source, target = source_tree(), target_tree()
    source[b"Protokolle"]["problems"] = [("shares.access_denied", "access denied")]
    del source[MUELLER]  # the walk does not descend into it
    target[b"Protokolle/alt.txt"] = copy.deepcopy(target[MUELLER])
    _s, _t, found = manifests(source, target)
    assert found.ok and set(found.not_read) == {b"Protokolle"}


@pytest.mark.parametrize(("status", "key"), [(smb_source.STATUS_SHARING_VIOLATION, "shares.file_locked"),
                                             (smb_source.STATUS_FILE_IS_OFFLINE, "shares.offline_file"),
                                             (smb_source.STATUS_OBJECT_NAME_NOT_FOUND, "vanished")])
def test_a_read_refused_after_the_walk_holds_the_path(status, key):
    source = FakeShare(source_tree())
    source.refuse[MUELLER] = status
    expected = smb_manifest.entries(source, SIDS.get)
    found = smb_manifest.compare(expected, smb_manifest.entries(FakeShare(target_tree())))
    assert expected[MUELLER]["held"] == [key] and expected[MUELLER]["sha256"] is None
    assert found.ok and found.not_read == {MUELLER: {"source": [key]}}


def test_a_dropped_connection_fails_the_manifest():
    source = FakeShare(source_tree())
    source.refuse[MUELLER] = None  # no NTSTATUS: the connection went away
    with pytest.raises(SyncError, match="reading the share over SMB failed"):
        smb_manifest.entries(source, SIDS.get)


def test_content_is_streamed_in_chunks():
    share = FakeShare(source_tree())
    assert smb_manifest.content_sha256(share, MUELLER) == hashlib.sha256(b"m" * 10).hexdigest()
    assert share.reads == [(MUELLER, None)]


@pytest.mark.parametrize(("fields", "parts"), [(["sha256"], ["content"]), (["creation_ns", "last_write_ns"], ["times"]),
                                               (["sacl", "size"], ["content", "acl"]), ([], [])])
def test_parts_of_fields(fields, parts):
    assert smb_manifest.parts_of(fields) == parts
