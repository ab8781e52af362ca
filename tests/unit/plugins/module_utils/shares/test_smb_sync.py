"""The SMB sync engine against a fake share: what each pass reads, writes, keeps and reports."""

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import (
    ntacl,
    preflight,
    smb_metadata,
    smb_source,
    smb_sync,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import (
    SyncError,
    flag_for_next_pass,
    state_lock,
)
from tests.support.clock import FakeClock

SECOND = 1_000_000_000
T0 = 1_700_000_000 * SECOND


class Refused(smb_source.SMBException):
    """An SMB error with its NTSTATUS, as smbprotocol raises them."""

    def __init__(self, status):
        super().__init__(f"status {status:#x}")
        self.status = status


class Dropped(smb_source.SMBException):
    """A connection that went away (no NTSTATUS)."""


class FakeShare:
    """An SmbShare over a dict: path -> content (bytes) or None for a folder. Change time,
    file id and link count follow what a Windows server does: a content or metadata change
    moves the change time, a rename keeps the file id, hard links share it."""

    def __init__(self):
        self.objects: dict[bytes, dict] = {}
        self.reads: list[bytes] = []  # every content read, in the walk's compound or by read()
        self.compounds: list[tuple[bytes, bool]] = []  # the walk's compound per object: (path, with a read)
        self.opens: list[bytes] = []  # read() calls: an open, reads and a close of their own
        self.windows: list[tuple[int, int]] = []  # read()'s chunk and depth, per call
        self.in_walk = 1 << 20  # files below this size are read in the walk's compound when wanted
        self.questions: list[bytes] = []  # what the walk asked wants_content about
        self.fail_after: int | None = None  # reads before the connection drops
        self.refuse: dict[bytes, int] = {}  # path -> NTSTATUS of its read
        self.next_id = 100
        self.clock = T0
        self.dir(b"")

    def tick(self) -> int:
        self.clock += SECOND
        return self.clock

    def dir(self, path: bytes) -> None:
        self.objects[path] = {"kind": "dir", "data": b"", "id": self._id(), "change": self.tick(), "problems": []}
        self.objects[path]["write"] = self.objects[path]["change"]

    def file(self, path: bytes, data: bytes, problems=()) -> None:
        old = self.objects.get(path)
        file_id = old["id"] if old and old["kind"] == "file" else self._id()
        when = self.tick()
        self.objects[path] = {"kind": "file", "data": data, "id": file_id, "change": when, "write": when,
                              "problems": list(problems)}

    def touch_metadata(self, path: bytes) -> None:
        self.objects[path]["change"] = self.tick()

    def rename(self, old: bytes, new: bytes) -> None:
        self.objects[new] = self.objects.pop(old)
        self.objects[new]["change"] = self.tick()

    def link(self, existing: bytes, new: bytes) -> None:
        self.objects[new] = self.objects[existing]  # one object, two names
        self.objects[new]["change"] = self.tick()

    def remove(self, path: bytes) -> None:
        for name in [p for p in self.objects if p == path or p.startswith(path + b"/")]:
            del self.objects[name]

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def walk(self, wants_content=None):
        nlinks: dict[int, int] = {}
        for item in self.objects.values():
            nlinks[id(item)] = nlinks.get(id(item), 0) + 1
        for path in sorted(self.objects, key=lambda p: (p.count(b"/") + (1 if p else 0), p)):
            item = self.objects[path]
            kind = "reparse" if any(k == "shares.reparse_point" for k, _s in item["problems"]) else item["kind"]
            entry = SmbEntry(path=path, kind=kind, size=len(item["data"]), attributes=item.get("attributes", 0x20),
                             creation_ns=item.get("created", item["write"]), last_write_ns=item["write"],
                             change_ns=item["change"], file_id=item["id"], nlink=nlinks[id(item)],
                             streams=item.get("streams", ()), sd=item.get("sd"), problems=list(item["problems"]))
            # As SmbShare.walk: a small file without problems is asked about before its
            # compound is sent; refused files (under any of their names: a sharing mode holds
            # the file) and a dropping connection are left to read().
            refused = any(self.objects.get(name) is item for name in self.refuse)
            readable = (wants_content is not None and kind == "file" and not entry.problems
                        and entry.size < self.in_walk and not refused and self.fail_after is None)
            if readable and (self.questions.append(path) or wants_content(entry)):
                entry.content = item["data"]
                self.reads.append(path)
            self.compounds.append((path, entry.content is not None))
            yield entry

    def read(self, path, stream=None, chunk=1 << 20, depth=4):
        if self.fail_after is not None and len(self.reads) >= self.fail_after:
            raise Dropped("connection reset by peer")
        if path in self.refuse:
            raise Refused(self.refuse[path])
        self.reads.append(path)
        self.opens.append(path)
        self.windows.append((chunk, depth))
        data = self.objects[path]["data"]
        for start in range(0, len(data), 3):
            yield data[start:start + 3]


@pytest.fixture
def share():
    s = FakeShare()
    s.dir(b"Haushalt")
    s.file(b"Haushalt/Plan 2024.xlsx", b"plan-2024")
    s.file(b"Haushalt/Plan 2025.xlsx", b"plan-2025!")
    s.dir(b"Haushalt/leer")
    s.dir(b"Protokolle")
    s.file(b"Protokolle/Sitzung.txt", b"sitzung")
    s.file("Protokolle/Müller.txt".encode(), b"m")
    s.file(b"Wurzel.txt", b"")
    return s


@pytest.fixture
def where(tmp_path):
    return {"target": tmp_path / "target", "state": str(tmp_path / "state" / "kaemmerei.json")}


def run(share, where, check=False, **kw):
    kw.setdefault("journal", smb_sync.Journal(where["state"], files=2, flush=lambda: None))
    return smb_sync.run_smb_pass(share, os.fsencode(where["target"]), where["state"], check=check, **kw)


def tree(root: Path) -> dict[str, bytes | None]:
    found = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        found[name] = None if path.is_dir() else path.read_bytes()
    return found


def expected(share: FakeShare) -> dict[str, bytes | None]:
    return {p.decode(): (None if o["kind"] == "dir" else o["data"]) for p, o in share.objects.items()
            if p and not o["problems"]}


def test_seed_copies_every_file_and_folder_with_its_modification_time(share, where):
    done = run(share, where)
    assert tree(where["target"]) == expected(share)
    assert done.counts() == {"mkdir": 4, "copy": 5, "local": 0, "link": 0, "meta": 0, "delete": 0,
                             "replaced": 0, "unchanged": 0, "held": 0, "not_deleted": 0}
    assert done.files_read == 5 and done.bytes_read == len(b"plan-2024plan-2025!sitzungm")
    for path, item in share.objects.items():
        assert (where["target"] / path.decode()).stat().st_mtime_ns == item["write"], path
    assert not [p for p in where["target"].rglob("*") if p.name.startswith(".umzug-part-")]


def test_a_second_pass_reads_nothing_and_leaves_the_state_alone(share, where):
    run(share, where)
    share.reads.clear()
    before = os.stat(where["state"])
    done = run(share, where)
    assert share.reads == [] and done.files_read == 0
    assert done.counts()["unchanged"] == 9 and sum(done.counts()[k] for k in smb_sync.KINDS) == 0
    after = os.stat(where["state"])
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not written again


def test_a_seed_reads_each_small_file_in_the_compound_that_opens_it_one_round_trip_per_file(share, where):
    done = run(share, where)
    files = [p for p, o in share.objects.items() if o["kind"] == "file"]
    # One compound per object, a file's content in it; no file is opened a second time.
    assert len(share.compounds) == len(share.objects)
    assert sorted(p for p, with_read in share.compounds if with_read) == sorted(files)
    assert share.opens == []
    assert tree(where["target"]) == expected(share) and done.files_read == 5
    assert not [p for p in where["target"].rglob("*") if p.name.startswith(".umzug-part-")]


def test_the_walk_asks_before_each_small_file_and_a_second_pass_reads_none(share, where):
    run(share, where)
    share.reads.clear(), share.compounds.clear(), share.questions.clear()
    done = run(share, where)
    assert sorted(share.questions) == sorted(p for p, o in share.objects.items() if o["kind"] == "file")
    assert [p for p, with_read in share.compounds if with_read] == [] and share.reads == share.opens == []
    assert done.counts()["unchanged"] == 9


def test_past_the_content_in_hand_files_are_read_after_the_walk(share, where, monkeypatch):
    monkeypatch.setattr(smb_sync, "IN_HAND_BYTES", 12)
    done = run(share, where)
    # In the walk's order (Wurzel.txt 0 bytes, Plan 2024 9, Plan 2025 10, Müller 1, Sitzung 7):
    # what fits in the 12 bytes is read in the compound, the rest by read() after the walk.
    assert [p for p, with_read in share.compounds if with_read] == [
        b"Wurzel.txt", b"Haushalt/Plan 2024.xlsx", "Protokolle/Müller.txt".encode()]
    assert share.opens == [b"Haushalt/Plan 2025.xlsx", b"Protokolle/Sitzung.txt"]
    assert tree(where["target"]) == expected(share) and done.files_read == 5


def test_content_the_walk_read_that_is_not_the_listed_size_is_not_written_and_copied_next_time(share, where):
    walk = share.walk

    def grown(wants_content=None):
        for entry in walk(wants_content):
            if entry.path == b"Protokolle/Sitzung.txt":
                entry.content += b" und mehr"  # written to between the listing and the read
            yield entry

    share.walk = grown
    done = run(share, where)
    assert not (where["target"] / "Protokolle/Sitzung.txt").exists() and done.files_read == 5
    share.walk = walk
    share.reads.clear()
    run(share, where)
    assert share.reads == [b"Protokolle/Sitzung.txt"] and tree(where["target"]) == expected(share)


def listing_entry(path=b"a", size=4, file_id=7, write=T0, kind="file"):
    return SmbEntry(path, kind, size=size, last_write_ns=write, change_ns=write, file_id=file_id)


def last(size=4, file_id=7, write=T0):
    return ("file", write, size, file_id, write, "digest")


THERE = smb_sync.There("file", 4, T0, 1)


@pytest.mark.parametrize("state, target, entry, wanted", [
    ({}, {}, listing_entry(), True),                                             # new
    ({b"a": last()}, {b"a": THERE}, listing_entry(), False),                     # unchanged, or its metadata only
    ({b"a": last()}, {}, listing_entry(), True),                                 # gone from the target
    ({b"a": last()}, {b"a": smb_sync.There("file", 3, T0, 1)}, listing_entry(), True),  # changed on the target
    ({b"a": last(file_id=8)}, {b"a": THERE}, listing_entry(), True),             # another file now
    ({b"a": last()}, {b"a": THERE}, listing_entry(size=5), True),                # content changed
    ({b"a": last()}, {b"a": THERE}, listing_entry(write=T0 + 1), True),          # written to
    ({b"alt": last()}, {b"alt": THERE}, listing_entry(), False),                 # moved: copied on the target
    ({b"alt": last()}, {}, listing_entry(), True),                               # moved, the old copy gone
    ({}, {}, listing_entry(kind="dir", size=0), False),                          # a folder
    ({}, {}, listing_entry(size=11), False),                                     # more than the budget left
], ids=["new", "unchanged", "gone from the target", "changed on the target", "another file", "content changed",
        "written to", "moved", "moved, old copy gone", "folder", "past the budget"])
def test_content_wanted_decides_from_the_listing_as_the_plan_decides_a_copy(state, target, entry, wanted):
    assert smb_sync.ContentWanted(state, target, budget=10)(entry) is wanted


def test_content_wanted_once_per_file_id_and_within_its_budget():
    wants = smb_sync.ContentWanted({}, {}, budget=10)
    assert [wants(listing_entry(b"a", 4, 1)), wants(listing_entry(b"b", 4, 1)), wants(listing_entry(b"c", 4, 2)),
            wants(listing_entry(b"d", 4, 3)), wants(listing_entry(b"e", 2, 0))] == [True, False, True, False, True]


DELTAS = [
    # (change at the source, what the pass reads over SMB, its counts that are not 0)
    (lambda s: s.file(b"Haushalt/Plan 2025.xlsx", b"plan-2025 v2"), [b"Haushalt/Plan 2025.xlsx"],
     {"copy": 1}),
    (lambda s: s.touch_metadata(b"Haushalt/Plan 2024.xlsx"), [], {"meta": 1}),
    (lambda s: s.rename(b"Protokolle/Sitzung.txt", b"Protokolle/Sitzung 1.txt"), [], {"local": 1, "delete": 1}),
    (lambda s: (s.remove(b"Haushalt/Plan 2024.xlsx"), s.dir(b"Haushalt/Plan 2024.xlsx"),
                s.file(b"Haushalt/Plan 2024.xlsx/innen.txt", b"innen")),
     [b"Haushalt/Plan 2024.xlsx/innen.txt"], {"mkdir": 1, "copy": 1, "replaced": 1}),
    (lambda s: (s.remove(b"Haushalt/leer"), s.file(b"Haushalt/leer", b"jetzt eine Datei")),
     [b"Haushalt/leer"], {"copy": 1, "replaced": 1}),
    (lambda s: s.remove(b"Protokolle"), [], {"delete": 3}),
    (lambda s: s.dir(b"Neu"), [], {"mkdir": 1}),
]


@pytest.mark.parametrize(("change", "reads", "counts"), DELTAS,
                         ids=["content", "metadata only", "rename", "file becomes folder", "folder becomes file",
                              "folder deleted", "new empty folder"])
def test_a_delta_pass_reads_only_what_changed_and_the_target_matches(share, where, change, reads, counts):
    run(share, where)
    share.reads.clear()
    change(share)
    share.compounds.clear()
    done = run(share, where)
    assert share.reads == reads
    assert [p for p, with_read in share.compounds if with_read] == reads and share.opens == []  # read in the walk
    assert {k: v for k, v in done.counts().items() if v and k != "unchanged"} == counts
    assert tree(where["target"]) == expected(share)
    share.reads.clear()
    again = run(share, where)
    assert share.reads == [] and sum(again.counts()[k] for k in smb_sync.KINDS) == 0


def test_the_metadata_call_point_gets_each_written_object_once_with_its_entry(share, where):
    calls = []

    def apply_metadata(target_path, entry):
        calls.append((os.path.basename(target_path).startswith(b".umzug-part-"), entry.path))
        assert os.path.lexists(target_path)
        return [("shares.ntacl_unreadable", "no SD")] if entry.path == b"Wurzel.txt" else None

    done = run(share, where, apply_metadata=apply_metadata)
    assert sorted(p for _temp, p in calls) == sorted(share.objects)
    assert {p for temp, p in calls if temp} == {p for p, o in share.objects.items() if o["kind"] == "file"}
    assert ("shares.ntacl_unreadable", b"Wurzel.txt", "no SD") in done.problems
    calls.clear()
    share.touch_metadata(b"Haushalt/Plan 2024.xlsx")
    run(share, where, apply_metadata=apply_metadata)
    assert calls == [(False, b"Haushalt/Plan 2024.xlsx")]


@pytest.mark.parametrize("check", [False, True], ids=["real", "check mode"])
def test_with_deletion_off_nothing_is_deleted_and_the_paths_are_named(share, where, check):
    run(share, where)
    share.remove(b"Protokolle")
    share.file(b"Haushalt/Plan 2025.xlsx", b"neu")
    before = tree(where["target"])
    done = run(share, where, check=check, delete=False)
    assert done.not_deleted == ["Protokolle/Müller.txt".encode(), b"Protokolle/Sitzung.txt", b"Protokolle"]
    assert done.counts()["delete"] == 0 and done.counts()["not_deleted"] == 3
    after = tree(where["target"])
    assert after["Protokolle/Sitzung.txt"] == b"sitzung"
    assert after["Haushalt/Plan 2025.xlsx"] == (before["Haushalt/Plan 2025.xlsx"] if check else b"neu")


def test_check_mode_writes_nothing_reads_nothing_and_counts_exactly(share, where):
    dry = run(share, where, check=True)
    assert not where["target"].exists() and not Path(where["state"]).exists() and share.reads == []
    real = run(share, where)
    assert dry.counts() == real.counts() and dry.plan.bytes_to_read() == real.bytes_read
    share.file(b"Wurzel.txt", b"neu")
    share.remove(b"Haushalt/leer")
    dry = run(share, where, check=True)
    assert {k: v for k, v in dry.counts().items() if v and k != "unchanged"} == {"copy": 1, "delete": 1}
    assert [s.entry.path for s in dry.plan.of("copy")] == [b"Wurzel.txt"] and dry.plan.delete == [b"Haushalt/leer"]


def test_a_pass_cut_off_mid_copy_is_resumed_without_copying_finished_files(share, where):
    share.fail_after = 3
    with pytest.raises(SyncError, match="stopped after 3 file"):
        run(share, where)
    first = list(share.reads)
    assert len(first) == 3
    journal = Path(where["state"] + smb_sync.JOURNAL_SUFFIX)
    assert journal.exists() and not Path(where["state"]).exists()
    assert not [p for p in where["target"].rglob("*") if p.name.startswith(".umzug-part-")]
    share.fail_after = None
    share.reads.clear()
    run(share, where)
    assert not set(share.reads) & set(first) and len(share.reads) == 2
    assert tree(where["target"]) == expected(share) and not journal.exists()


def test_a_half_written_file_of_a_killed_pass_never_shows_under_its_name_and_is_removed(share, where):
    run(share, where)
    leftover = where["target"] / "Haushalt" / ".umzug-part-0123456789ab"
    leftover.write_bytes(b"pla")  # what kill -9 leaves in the middle of a file
    Path(where["state"] + smb_sync.JOURNAL_SUFFIX).write_bytes(b'["Wurzel.txt", ["file", 1, 0')  # torn line
    done = run(share, where)
    assert not leftover.exists() and done.counts()["delete"] == 0
    assert tree(where["target"]) == expected(share)


def test_hard_links_become_hard_links_and_a_new_name_is_linked_without_reading(share, where):
    share.link(b"Haushalt/Plan 2024.xlsx", b"Protokolle/Plan-Verweis.xlsx")
    run(share, where)
    first = (where["target"] / "Haushalt/Plan 2024.xlsx").stat()
    second = (where["target"] / "Protokolle/Plan-Verweis.xlsx").stat()
    assert first.st_ino == second.st_ino and first.st_nlink == 2
    assert share.reads.count(b"Haushalt/Plan 2024.xlsx") + share.reads.count(b"Protokolle/Plan-Verweis.xlsx") == 1
    share.reads.clear()
    share.link(b"Haushalt/Plan 2024.xlsx", b"Dritter Name.xlsx")
    done = run(share, where)
    assert share.reads == [] and (done.counts()["link"], done.counts()["meta"]) == (1, 2)
    assert (where["target"] / "Dritter Name.xlsx").stat().st_ino == first.st_ino
    assert tree(where["target"]) == expected(share)


def test_a_hard_linked_file_whose_read_is_refused_is_neither_copied_nor_linked(share, where):
    share.link(b"Haushalt/Plan 2024.xlsx", b"Protokolle/Plan-Verweis.xlsx")
    share.refuse[b"Haushalt/Plan 2024.xlsx"] = smb_source.STATUS_SHARING_VIOLATION
    done = run(share, where)
    assert [(k, p) for k, p, _s in done.problems] == [("shares.file_locked", b"Haushalt/Plan 2024.xlsx")]
    assert not (where["target"] / "Haushalt/Plan 2024.xlsx").exists()
    assert not (where["target"] / "Protokolle/Plan-Verweis.xlsx").exists()
    del share.refuse[b"Haushalt/Plan 2024.xlsx"]
    run(share, where)
    assert (where["target"] / "Protokolle/Plan-Verweis.xlsx").stat().st_nlink == 2


HELD = [
    ("shares.file_locked", "after 4 tries: another program holds it open"),
    ("shares.offline_file", "offline: its content is not on the server"),
    ("shares.access_denied", "access denied (NTSTATUS 0xC0000022)"),
    ("shares.reparse_point", "a symbolic link: listed, not followed, not copied"),
]


@pytest.mark.parametrize(("key", "sentence"), HELD, ids=[k for k, _s in HELD])
def test_what_the_source_cannot_give_is_never_read_keeps_the_target_and_is_reported(share, where, key, sentence):
    run(share, where)
    share.reads.clear()
    share.file(b"Haushalt/Plan 2024.xlsx", b"changed but held", problems=[(key, sentence)])
    share.file(b"Gesperrt.db", b"never", problems=[(key, sentence)])
    done = run(share, where)
    assert share.reads == []
    assert (key, b"Gesperrt.db", sentence) in done.problems and (key, b"Haushalt/Plan 2024.xlsx", sentence) in \
        done.problems
    assert (where["target"] / "Haushalt/Plan 2024.xlsx").read_bytes() == b"plan-2024"  # kept, not deleted
    assert not (where["target"] / "Gesperrt.db").exists()
    assert done.counts()["held"] == 2 and done.counts()["delete"] == 0
    [finding] = [f for f in preflight.findings(done.report("kaemmerei"), "kommune-c", "win-rz-fs") if f.key == key]
    assert finding.resources == ("kaemmerei", "Gesperrt.db", "Haushalt/Plan 2024.xlsx")
    share.file(b"Haushalt/Plan 2024.xlsx", b"free again")  # the next pass copies it once it can
    run(share, where)
    assert (where["target"] / "Haushalt/Plan 2024.xlsx").read_bytes() == b"free again"


READ_REFUSALS = [
    (smb_source.STATUS_SHARING_VIOLATION, "shares.file_locked"),
    (smb_source.STATUS_ACCESS_DENIED, "shares.access_denied"),
    (smb_source.STATUS_FILE_IS_OFFLINE, "shares.offline_file"),
    (smb_source.STATUS_OBJECT_NAME_NOT_FOUND, None),
]


@pytest.mark.parametrize(("status", "key"), READ_REFUSALS, ids=["locked", "denied", "offline", "vanished"])
def test_a_read_refused_mid_pass_is_a_finding_and_the_pass_goes_on(share, where, status, key):
    share.refuse[b"Haushalt/Plan 2025.xlsx"] = status
    done = run(share, where)
    assert [p for k, p, _s in done.problems if k == key] == ([b"Haushalt/Plan 2025.xlsx"] if key else [])
    assert not (where["target"] / "Haushalt/Plan 2025.xlsx").exists()
    assert (where["target"] / "Protokolle/Sitzung.txt").read_bytes() == b"sitzung"
    del share.refuse[b"Haushalt/Plan 2025.xlsx"]
    share.reads.clear()
    run(share, where)
    assert share.reads == [b"Haushalt/Plan 2025.xlsx"]


def test_nothing_is_written_through_a_symlink_out_of_the_target(share, where, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    where["target"].mkdir()
    (where["target"] / "Haushalt").symlink_to(outside)
    run(share, where)
    assert list(outside.iterdir()) == []
    assert (where["target"] / "Haushalt").is_dir() and not (where["target"] / "Haushalt").is_symlink()
    assert tree(where["target"]) == expected(share)


def test_a_second_pass_on_the_same_state_is_refused_and_a_damaged_state_stops_the_pass(share, where):
    with state_lock(where["state"], "seed pass"), pytest.raises(SyncError, match="in use by the seed pass"):
        run(share, where)
    Path(where["state"]).write_text(json.dumps({"format": "other"}))
    with pytest.raises(SyncError, match="cannot be read"):
        run(share, where)


def test_progress_is_written_through_the_samba_paths_progress_file(share, where, tmp_path):
    progress = tmp_path / "progress.json"
    run(share, where, progress_path=str(progress))
    figures = json.loads(progress.read_text())
    assert figures["files"] == figures["files_total"] == 5
    assert figures["bytes"] == figures["bytes_total"] == len(b"plan-2024plan-2025!sitzungm")


def test_the_state_keeps_every_byte_of_a_name(share, where):
    odd = b"Alt/\xed\xa0\x80 halbes Zeichen.txt"  # a lone surrogate, as surrogatepass writes it
    share.dir(b"Alt")
    share.file(odd, b"x")
    run(share, where)
    share.reads.clear()
    run(share, where)
    assert share.reads == []
    assert hashlib.sha256((where["target"] / os.fsdecode(odd)).read_bytes()).hexdigest() == \
        hashlib.sha256(b"x").hexdigest()


FLAGGED = [
    # (paths verification flagged, what the next pass reads over SMB, its counts that are not 0)
    ([b"Haushalt/Plan 2024.xlsx"], [b"Haushalt/Plan 2024.xlsx"], {"copy": 1}),
    ([b"Haushalt/Plan 2024.xlsx", b"Wurzel.txt"], [b"Haushalt/Plan 2024.xlsx", b"Wurzel.txt"], {"copy": 2}),
    ([b"Haushalt/leer"], [], {"meta": 1}),
    ([b"nicht mehr da.txt"], [], {}),
]


@pytest.mark.parametrize(("flagged", "reads", "counts"), FLAGGED, ids=["changed behind the pass", "two", "folder",
                                                                       "gone"])
def test_a_pass_copies_again_what_verification_flagged_and_removes_the_record(share, where, flagged, reads, counts):
    run(share, where)
    plan = where["target"] / "Haushalt" / "Plan 2024.xlsx"
    before = plan.stat()
    plan.write_bytes(b"PLAN-2024")  # same size, same mtime: the state's quick check cannot see it
    os.utime(plan, ns=(before.st_atime_ns, before.st_mtime_ns))
    record = share_tree.flagged_path(where["state"])
    assert flag_for_next_pass(where["state"], flagged) == record
    share.reads.clear()
    dry = run(share, where, check=True)
    assert share.reads == [] and os.path.exists(record)
    assert {k: v for k, v in dry.counts().items() if v and k != "unchanged"} == counts
    done = run(share, where)
    assert sorted(share.reads) == reads
    assert {k: v for k, v in done.counts().items() if v and k != "unchanged"} == counts
    assert not os.path.exists(record)
    assert plan.read_bytes() == (b"plan-2024" if b"Haushalt/Plan 2024.xlsx" in flagged else b"PLAN-2024")
    share.reads.clear()
    again = run(share, where)
    assert share.reads == [] and sum(again.counts()[k] for k in smb_sync.KINDS) == 0


def test_a_flagged_hard_link_is_copied_not_linked_from_its_other_name(share, where):
    share.file(b"Wurzel.txt", b"wurzel")
    share.link(b"Wurzel.txt", b"Protokolle/Wurzel-Verweis.txt")  # one content behind both names
    run(share, where)
    first = where["target"] / "Wurzel.txt"
    first.write_bytes(b"WURZEL")  # the target's one inode, changed behind the pass, same size
    os.utime(first, ns=(first.stat().st_atime_ns, share.objects[b"Wurzel.txt"]["write"]))
    flag_for_next_pass(where["state"], [b"Wurzel.txt", b"Protokolle/Wurzel-Verweis.txt"])
    share.reads.clear()
    done = run(share, where)
    assert len(share.reads) == 1 and done.counts()["link"] == 1  # read once, linked once
    assert first.read_bytes() == b"wurzel" == (where["target"] / "Protokolle" / "Wurzel-Verweis.txt").read_bytes()


# --- TargetMetadata: the module's MetadataWriter around smb_metadata.apply -----------------

ROOT = b"/srv/shares/cranach-kaemmerei"


@pytest.mark.parametrize("target_path, path, at", [
    (ROOT + b"/Haushalt/Plan.xlsx", b"Haushalt/Plan.xlsx", None),
    (ROOT + b"/Haushalt/.umzug-part-0a1b2c3d4e5f", b"Haushalt/Plan.xlsx", b"Haushalt/.umzug-part-0a1b2c3d4e5f"),
    (ROOT + b"/.umzug-part-00aa", b"Wurzel.txt", b".umzug-part-00aa"),
    (ROOT, b"", None),
    (ROOT + b"/", b"", None),
    (ROOT + b"//Haushalt/./leer", b"Haushalt/leer", None),
    ("/srv/shares/cranach-kaemmerei/Müller.txt".encode(), "Müller.txt".encode(), None),
], ids=["real path", "temporary name", "temporary name at the root", "root", "root with slash", "unnormalised",
        "umlaut"])
def test_the_metadata_goes_where_the_object_is_now_and_is_known_by_its_path(target_path, path, at):
    calls = []

    def apply(root, relative, entry, translate_sid, **kw):
        calls.append((root, relative, kw["at"], kw["stream_limit"]))
        return smb_metadata.Applied()

    writer = smb_sync.TargetMetadata(ROOT + b"/", lambda sid: sid, source=None, acl=None, stream_limit=4096,
                                     apply=apply)
    assert writer(target_path, SmbEntry(path, "file")) == []
    assert calls == [(ROOT, path, at, 4096)]


@pytest.mark.parametrize("target_path, path", [
    (ROOT + b"/Haushalt/Anderes.xlsx", b"Haushalt/Plan.xlsx"),  # another object
    (ROOT + b"/.umzug-part-00aa", b"Haushalt/Plan.xlsx"),  # a temporary name in another folder
    (ROOT + b"/../cranach-kaemmerei-alt/Plan.xlsx", b"Plan.xlsx"),  # outside the root
    (b"/tmp/Plan.xlsx", b"Plan.xlsx"),
])
def test_metadata_for_any_other_place_stops_the_pass(target_path, path):
    writer = smb_sync.TargetMetadata(ROOT, lambda sid: sid, source=None, acl=None,
                                     apply=lambda *a, **kw: pytest.fail("applied"))
    with pytest.raises(SyncError, match="neither its place"):
        writer(target_path, SmbEntry(path, "file"))


OLD = "S-1-5-21-1-2-3"


@pytest.mark.parametrize("problems, returned, unmapped", [
    ([], [], {}),
    ([smb_metadata.Problem("shares.attribute_not_carried", "a.txt", "T")],
     [("shares.attribute_not_carried", "T")], {}),
    ([smb_metadata.Problem("shares.stream_too_large", "a.txt:Vorschau", "70000 bytes")],
     [("shares.stream_too_large", "stream Vorschau: 70000 bytes")], {}),
    ([smb_metadata.Problem("shares.metadata_not_written", "a.txt", "security descriptor: denied"),
      smb_metadata.Problem("shares.metadata_not_written", "a.txt:Zone.Identifier", "writing the stream: EIO")],
     [("shares.metadata_not_written", "security descriptor: denied"),
      ("shares.metadata_not_written", "stream Zone.Identifier: writing the stream: EIO")], {}),
    ([smb_metadata.Problem("shares.sid_unmapped", "a.txt", f"{OLD}-1105, {OLD}-1106",
                           (f"{OLD}-1105", f"{OLD}-1106")),
      smb_metadata.Problem("shares.ntacl_unreadable", "a.txt", "truncated")],
     [("shares.ntacl_unreadable", "truncated")], {f"{OLD}-1105": {b"a.txt"}, f"{OLD}-1106": {b"a.txt"}}),
], ids=["nothing", "attribute", "stream", "not written", "unmapped SIDs kept apart"])
def test_what_apply_could_not_carry_goes_back_to_the_pass_but_the_unmapped_sids(problems, returned, unmapped):
    writer = smb_sync.TargetMetadata(ROOT, lambda sid: None, source=None, acl=None,
                                     apply=lambda *a, **kw: smb_metadata.Applied(problems=list(problems)))
    assert writer(ROOT + b"/a.txt", SmbEntry(b"a.txt", "file")) == returned
    assert writer.unmapped_sids == unmapped


def sd_naming(*sids: str) -> bytes:
    return ntacl.SecurityDescriptor(0x8004, sids[0], None, None,
                                    ntacl.Acl(2, tuple(ntacl.Ace(0, 0, 0x1200A9, s) for s in sids))).to_bytes()


def test_the_unmapped_sids_of_a_pass_are_gathered_per_sid_with_their_paths_and_check_mode_foresees_them(share, where):
    share.objects[b"Haushalt"]["sd"] = sd_naming(f"{OLD}-500", f"{OLD}-1105")
    share.objects[b"Wurzel.txt"]["sd"] = sd_naming(f"{OLD}-1105", f"{OLD}-1106", "S-1-1-0")
    share.objects[b"Protokolle/Sitzung.txt"]["sd"] = b"kaputt"
    mapped = {f"{OLD}-500": "S-1-5-21-7-8-9-500"}
    owners = []

    class Acl:
        def set(self, path, sd, parts):
            owners.append(ntacl.parse_sd(sd).owner)

    def writer():
        return smb_sync.TargetMetadata(os.fsencode(where["target"]), lambda s: mapped.get(s, s if s == "S-1-1-0"
                                                                                           else None),
                                       source=share, acl=Acl())

    walk = share.walk
    share.walk = lambda wants_content=None: (e if "sd" not in share.objects[e.path] else
                                             SmbEntry(**{**e.__dict__, "sd": share.objects[e.path]["sd"]})
                                             for e in walk(wants_content))
    dry, real = writer(), writer()
    dry.foresee(run(share, where, check=True, apply_metadata=dry).plan)
    assert owners == [] and not where["target"].exists()
    done = run(share, where, apply_metadata=real)
    assert dry.unmapped_sids == real.unmapped_sids == {f"{OLD}-1105": {b"Haushalt", b"Wurzel.txt"},
                                                       f"{OLD}-1106": {b"Wurzel.txt"}}
    # Translated where the mapping can, kept where it cannot.
    assert sorted(owners) == sorted(["S-1-5-21-7-8-9-500", f"{OLD}-1105"])
    assert [(k, p) for k, p, _s in done.problems] == [("shares.ntacl_unreadable", b"Protokolle/Sitzung.txt")]


@pytest.mark.parametrize("field, value", [
    ("attributes", 0x22),
    ("sd", b"\x01\x00\x04\x80" + bytes(16)),
    ("created", T0 - 86400 * SECOND),
    ("streams", (("Zone.Identifier", 26),)),
], ids=["attributes", "security descriptor", "creation time", "streams"])
def test_a_metadata_change_the_change_time_does_not_show_is_carried_without_reading_the_content(share, where,
                                                                                               field, value):
    # Samba 4.17 reports the last write time as the change time: a change of attributes or
    # ACL alone leaves it where it was.
    run(share, where)
    share.reads.clear()
    share.objects[b"Haushalt/Plan 2024.xlsx"][field] = value
    calls = []
    done = run(share, where, apply_metadata=lambda target_path, entry: calls.append(entry.path))
    assert [s.entry.path for s in done.plan.of("meta")] == [b"Haushalt/Plan 2024.xlsx"]
    assert share.reads == [] and calls == [b"Haushalt/Plan 2024.xlsx"]
    assert sum(done.counts()[k] for k in smb_sync.KINDS) == 1
    assert sum(run(share, where).counts()[k] for k in smb_sync.KINDS) == 0


def test_a_state_of_version_1_is_read_and_its_paths_get_their_metadata_once(share, where):
    run(share, where)
    state = json.loads(Path(where["state"]).read_text())
    Path(where["state"]).write_text(json.dumps({**state, "version": 1,
                                                "paths": {p: k[:5] for p, k in state["paths"].items()}}))
    share.reads.clear()
    done = run(share, where)
    assert share.reads == [] and len(done.plan.of("meta")) == len(share.objects)
    assert json.loads(Path(where["state"]).read_text())["version"] == 2
    assert sum(run(share, where).counts()[k] for k in smb_sync.KINDS) == 0


def in_hand(entry: SmbEntry, content: bytes | None = b"data", nlink: int = 1, problems=()) -> SmbEntry:
    entry.content, entry.nlink, entry.problems = content, nlink, list(problems)
    return entry


@pytest.mark.parametrize("state, target, entry, kind", [
    ({}, {}, in_hand(listing_entry()), "copy"),                                           # read in the walk
    ({}, {}, in_hand(listing_entry(), None), None),                                       # to be read: after it
    ("its own key", {b"a": THERE}, in_hand(listing_entry(), None), "unchanged"),
    ({b"a": ("file", T0 + 1, 4, 7, T0, "digest")}, {b"a": THERE}, in_hand(listing_entry(), None), "meta"),
    ({}, {}, in_hand(listing_entry(kind="dir", size=0), None), "mkdir"),
    ({b"alt": last()}, {b"alt": THERE}, in_hand(listing_entry(), None), None),            # moved: after it
    ({}, {}, in_hand(listing_entry(), nlink=2), None),                                    # a hard link: after it
    ({}, {}, in_hand(listing_entry(), None, problems=[("shares.file_locked", "x")]), None),  # held
    ({}, {}, in_hand(listing_entry(kind="reparse"), None), None),
], ids=["read in the walk", "to be read", "unchanged", "metadata", "folder", "moved", "hard link", "held",
        "reparse point"])
def test_what_is_written_while_the_walk_goes_on_is_what_needs_no_read(state, target, entry, kind):
    state = {entry.path: smb_sync.entry_key(entry)} if state == "its own key" else state
    streamed = smb_sync.Streamed(None, state, target)
    step = streamed.step(entry)
    assert (step.kind if step else None) == kind
    if step is not None:  # the very step the plan gives it after the walk
        planned = smb_sync.make_plan([SmbEntry(b"", "dir"), entry], target, state)
        assert [(s.kind, s.origin, s.replaces) for s in planned.steps if s.entry is entry] == \
            ([] if kind == "unchanged" else [(step.kind, step.origin, step.replaces)])


def test_files_read_in_the_walk_are_on_the_target_before_the_walk_ends(share, where):
    walk = share.walk
    seen = {}

    def slow_end(wants_content=None):
        entries = list(walk(wants_content))
        yield from entries[:-1]
        # Before the last object is handed over, what came before it is written, by the
        # pass's writer, while this walk waits.
        written = where["target"] / "Haushalt" / "Plan 2024.xlsx"
        for _ in range(500):
            if written.exists():
                break
            time.sleep(0.01)
        seen["written"] = written.exists() and written.read_bytes()
        yield entries[-1]

    share.walk = slow_end
    done = run(share, where)
    assert seen["written"] == b"plan-2024"
    assert tree(where["target"]) == expected(share) and done.files_read == 5 and share.opens == []


class WriteFails:
    """A metadata writer that fails with ``error`` at ``path``: a disk that filled up."""

    def __init__(self, path: bytes, error: Exception):
        self.path, self.error, self.called = path, error, []

    def __call__(self, target_path, entry):
        self.called.append(entry.path)
        if entry.path == self.path:
            raise self.error


def test_a_write_that_fails_during_the_walk_stops_the_pass_and_the_next_one_keeps_what_was_written(share, where):
    fails = WriteFails(b"Protokolle/Sitzung.txt", OSError(28, "No space left on device"))
    with pytest.raises(SyncError, match=r"stopped after \d file\(s\) read: \[Errno 28\] No space left on device"):
        run(share, where, apply_metadata=fails)
    journal = Path(where["state"] + smb_sync.JOURNAL_SUFFIX)
    recorded = {path for path, _key in smb_sync._journal(where["state"])}
    assert journal.exists() and not Path(where["state"]).exists()
    assert b"Protokolle/Sitzung.txt" not in recorded and b"Haushalt/Plan 2024.xlsx" in recorded
    assert not [p for p in where["target"].rglob("*") if p.name.startswith(".umzug-part-")]
    share.reads.clear()
    run(share, where)
    assert b"Haushalt/Plan 2024.xlsx" not in share.reads and b"Protokolle/Sitzung.txt" in share.reads
    assert tree(where["target"]) == expected(share) and not journal.exists()


def test_a_walk_cut_off_after_files_were_written_keeps_them_for_the_next_pass(share, where):
    walk = share.walk

    def dropped(wants_content=None):
        for entry in walk(wants_content):
            if entry.path == "Protokolle/Müller.txt".encode():
                raise Dropped("connection reset by peer")
            yield entry

    share.walk = dropped
    with pytest.raises(SyncError, match="listing the share over SMB failed: connection reset by peer"):
        run(share, where)
    recorded = {path for path, _key in smb_sync._journal(where["state"])}
    assert {b"Haushalt/Plan 2024.xlsx", b"Haushalt/Plan 2025.xlsx", b"Wurzel.txt"} <= recorded
    share.walk = walk
    share.reads.clear()
    run(share, where)
    assert sorted(share.reads) == sorted([b"Protokolle/Sitzung.txt", "Protokolle/Müller.txt".encode()])
    assert tree(where["target"]) == expected(share)


@pytest.mark.parametrize("replaces, checks", [(None, 1), ("file", 2)], ids=["kept", "after a removal"])
def test_a_folder_is_checked_to_be_inside_the_target_once_until_the_pass_removes_something(where, monkeypatch,
                                                                                          replaces, checks):
    checked = []
    monkeypatch.setattr(smb_sync, "check_inside",
                        lambda root, full, doing: doing == "write" and checked.append(os.path.dirname(full)))
    root = os.fsencode(where["target"])
    os.makedirs(os.path.join(root, b"ordner"))
    work = smb_sync._Work(None, root, smb_sync.no_metadata, smb_sync.Journal(where["state"], flush=lambda: None),
                          smb_sync.SmbPassResult(smb_sync.Plan(), 0.0), smb_sync.Progress(None, 0, 0))
    work.full(b"ordner/a")
    if replaces:
        work.carry_out(smb_sync.Step(SmbEntry(b"ordner/b", "dir"), "mkdir", replaces=replaces))
    work.full(b"ordner/c")
    assert checked == [os.path.join(root, b"ordner")] * checks


@pytest.mark.parametrize("adds, limit, lines_seen_by_flushes, lines", [
    (1, 2, [], 0),               # below the batch: nothing yet
    (2, 2, [0], 2),              # one batch, appended after its flush
    (5, 2, [0, 2], 4),           # two batches in order, the fifth pending
], ids=["pending", "one batch", "two batches"])
def test_the_journal_appends_a_full_batch_after_its_flush_while_the_pass_goes_on(where, adds, limit,
                                                                                  lines_seen_by_flushes, lines):
    path = Path(where["state"] + smb_sync.JOURNAL_SUFFIX)
    path.parent.mkdir(parents=True)
    seen = []
    journal = smb_sync.Journal(where["state"], files=limit,
                               flush=lambda: seen.append(len(path.read_bytes().splitlines()) if path.exists() else 0))
    for n in range(adds):
        journal.add(b"f%d" % n, ("file", n))
    journal._wait()
    assert seen == lines_seen_by_flushes and len(path.read_bytes().splitlines() if path.exists() else []) == lines
    journal.write()
    assert [p for p, _key in smb_sync._journal(where["state"])] == [b"f%d" % n for n in range(adds)]


def test_a_flush_that_fails_in_the_background_is_raised_where_the_pass_goes_on(where):
    Path(where["state"]).parent.mkdir(parents=True)

    def full():
        raise OSError(28, "No space left on device")

    journal = smb_sync.Journal(where["state"], files=1, flush=full)
    journal.add(b"a", ("file", 1))
    with pytest.raises(OSError, match="No space left"):
        journal.add(b"b", ("file", 2))
    assert not Path(where["state"] + smb_sync.JOURNAL_SUFFIX).exists()


@pytest.mark.parametrize("exists", [True, False], ids=["the target", "no target yet"])
def test_the_journal_flushes_the_file_system_of_the_target(tmp_path, exists, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "sync", lambda: synced.append("all"))
    root = tmp_path / "ziel"
    if exists:
        root.mkdir()
    smb_sync.sync_of(os.fsencode(root))()
    assert synced == ([] if exists else ["all"])


def test_bandwidth_limit_holds_for_reads_and_the_walks_compound_reads(share, where):
    """Every byte read over SMB, in the walk's compound and by read(), goes through the
    limiter: with 8 Mbit/s in force the limiter's (fake) clock moves bytes / 1 MB/s on."""
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    share.in_walk = 64
    share.dir(b"Archiv")
    share.file(b"Archiv/gross.bin", os.urandom(300_000))  # read by read()
    for number in range(50):
        share.file(f"Protokolle/klein-{number}.txt".encode(), os.urandom(40))  # in the walk's compound
    clock = FakeClock("2026-12-04 10:00:00")
    limiter = rate.Limiter({"default": 8, "entries": []}, clock)
    run(share, where, limiter=limiter)
    total = sum(len(item["data"]) for item in share.objects.values())
    assert {path for path, with_read in share.compounds if with_read} >= {
        f"Protokolle/klein-{n}.txt".encode() for n in range(50)}
    [stretch] = limiter.report()
    assert stretch["bytes"] == total
    assert abs(clock.elapsed - total / 1_000_000) <= 0.1 * total / 1_000_000
    assert tree(where["target"] / "Archiv")["gross.bin"] == share.objects[b"Archiv/gross.bin"]["data"]
    # What a read has in flight before the limiter charges it stays within a quarter second
    # of the limit (250 kB at 1 MB/s): three 64 KiB pieces, one read at a time.
    assert share.windows == [(3 * (64 << 10), 1)]


def test_without_a_limit_a_read_keeps_its_own_window(share, where):
    share.in_walk = 64
    share.dir(b"Archiv")
    share.file(b"Archiv/gross.bin", os.urandom(300_000))
    run(share, where)
    assert share.windows == [(1 << 20, 4)]


# Friday 10:00:00 at 8 Mbit/s (1 MB/s); from 10:00:01 on no transfer until Saturday.
PAUSED_SOON = {"default": 8, "entries": [{"days": ["fri"], "start": "10:00:01", "end": "24:00", "limit": 0}]}


def test_a_pass_stops_where_the_limit_becomes_zero_and_the_next_reads_only_the_rest(where):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    share = FakeShare()
    share.in_walk = 64  # every file is read by read(), through the limiter
    share.dir(b"Akten")
    names = [f"Akten/akte-{n}.bin".encode() for n in range(5)]
    for name in names:
        share.file(name, os.urandom(300_000))
    first = run(share, where, limiter=rate.Limiter(PAUSED_SOON, FakeClock("2026-12-04 10:00:00")))
    assert not first.complete and first.stop.reason == "schedule"
    # 1 MB in the second before the stop: three files whole, the fourth cut off and dropped.
    assert first.unfinished == names[3:]
    assert tree(where["target"]) == {"Akten": None, **{os.fsdecode(n): share.objects[n]["data"] for n in names[:3]}}
    assert first.progress == {"files": 3, "files_total": 5, "bytes": 900_000, "bytes_total": 1_500_000}
    assert set(smb_sync.load_state(where["state"])) == {b"", b"Akten", *names[:3]}

    share.opens.clear()
    second = run(share, where, limiter=rate.Limiter(PAUSED_SOON, FakeClock("2026-12-05 10:00:00")))
    assert second.complete and second.unfinished == [] and share.opens == names[3:]
    assert tree(where["target"]) == {"Akten": None, **{os.fsdecode(n): share.objects[n]["data"] for n in names}}


def test_an_smb_pass_started_while_the_limit_is_zero_walks_nothing(share, where):
    from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

    result = run(share, where, limiter=rate.Limiter(PAUSED_SOON, FakeClock("2026-12-04 12:00:00")))
    assert not result.complete and result.stop.next_allowed.isoformat() == "2026-12-05T00:00:00+01:00"
    assert share.compounds == [] and not where["target"].exists() and not os.path.exists(where["state"])
