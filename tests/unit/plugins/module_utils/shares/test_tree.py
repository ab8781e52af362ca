"""share_tree: the walk, the state file, the wire form of the listing, and the triage
that lets an unchanged path go without reading its xattrs."""

import io
import os
import time

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree


def entries_of(root):
    return {e.path: e for e in share_tree.walk(os.fsencode(root))}


def records_of(root):
    return {p: r for p, r, _ in share_tree.walk_records(os.fsencode(root))}


def last_for(record):
    entry = share_tree.entry_from_wire(b"", record, None)
    return (record[:share_tree.SOURCE_KEY], share_tree.target_key(entry.kind, entry.size, entry.mtime_ns),
            b"m" * 16, bytes(8))


def targets_for(records):
    return {p: share_tree.target_key(r[0], *share_tree.struct.unpack_from("<Qq", r, 1)) for p, r in records.items()}


def replaced(record, offset, fmt, value):
    field = share_tree.struct.pack(fmt, value)
    return record[:offset] + field + record[offset + len(field):]


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "Amt" / "leer").mkdir(parents=True)
    (tmp_path / "Amt" / "a.txt").write_bytes(b"a" * 10)
    os.symlink("a.txt", tmp_path / "Amt" / "verweis")
    (tmp_path / os.fsdecode(b"M\xfcller")).write_bytes(b"latin-1 name")
    return tmp_path


def test_walk_lists_parents_first_sorted_and_does_not_follow_links(tree):
    paths = [e.path for e in share_tree.walk(os.fsencode(tree))]
    assert paths == [b"", b"Amt", b"M\xfcller", b"Amt/a.txt", b"Amt/leer", b"Amt/verweis"]
    entries = entries_of(tree)
    assert entries[b"Amt/verweis"].kind == share_tree.SYMLINK and entries[b"Amt/verweis"].target == b"a.txt"
    assert entries[b"Amt/a.txt"].size == 10 and entries[b"Amt"].size == 0


def test_state_round_trips_and_a_damaged_file_says_so(tmp_path, tree):
    state = {p: last_for(r) for p, r in records_of(tree).items()}
    path = str(tmp_path / "share.state")
    with open(path, "wb") as handle:
        handle.write(share_tree.dump_state(state))
    assert share_tree.load_state(path) == state
    assert share_tree.load_state(str(tmp_path / "none")) == {}
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) - 3)
    with pytest.raises(share_tree.StateError, match=r"share\.state cannot be read"):
        share_tree.load_state(path)


def test_flagged_paths_round_trip_with_the_root_and_odd_names(tmp_path):
    state = str(tmp_path / "share.state")
    assert share_tree.load_flagged(state) == set()
    paths = {b"", b"Amt/a.txt", b"M\xfcller", b"mit\nZeilenumbruch"}
    with open(share_tree.flagged_path(state), "wb") as handle:
        handle.write(share_tree.dump_paths([*paths, b"Amt/a.txt"]))
    assert share_tree.load_flagged(state) == paths


def test_state_of_the_json_format_is_read_and_metadata_applied_again(tmp_path):
    path = tmp_path / "old.json"
    path.write_text('{"version": 1, "paths": {"YS50eHQ=": {"content": ["file", 3, 7, null], "meta": "ab", '
                    '"target": [3, 9]}, "": {"content": ["dir"], "meta": "cd", "target": [0, 5]}}}')
    state = share_tree.load_state(str(path))
    entry = share_tree.entry_from_wire(b"a.txt", state[b"a.txt"][share_tree.SRC] + bytes(8), None)
    assert (entry.kind, entry.size, entry.mtime_ns, entry.ctime_ns) == (share_tree.FILE, 3, 7, 0)
    assert state[b"a.txt"][share_tree.TGT] == share_tree.target_key(share_tree.FILE, 3, 9)
    assert state[b""][share_tree.SRC][0] == share_tree.DIR


@pytest.mark.parametrize("change, read", [
    (None, False),
    ("ctime", True),   # any change of content, mode, owner, xattr or ACL moves the ctime
    ("inode", True),   # replaced by another file (rename over it)
    ("unproven", True),  # the last pass read it while it might still change
    ("target", True),  # the target no longer looks as the pass left it
    ("new", True),
])
def test_triage_trusts_only_an_unchanged_inode_and_ctime(tree, change, read):
    records = records_of(tree)
    state = {p: last_for(r) for p, r in records.items()}
    target = targets_for(records)
    key = b"Amt/a.txt"
    source, there = records[key], target[key]
    ctime = share_tree.entry_from_wire(key, source, None).ctime_ns
    if change == "ctime":
        records[key] = replaced(source, 29, "<q", ctime + 1)
    elif change == "inode":
        records[key] = replaced(source, share_tree.INODE_AT, "<Q", 1)
    elif change == "unproven":
        state[key] = (replaced(source, 29, "<q", 0)[:share_tree.SOURCE_KEY], *state[key][1:])
    elif change == "target":
        target[key] = replaced(there, 1, "<Q", 3)
    elif change == "new":
        del state[key]
    paths = list(records)
    unchanged, to_read = share_tree.triage(paths, list(records.values()), target, state)
    assert [paths[i] for i in to_read] == ([key] if read else [])
    assert len(unchanged) == len(paths) - (1 if read else 0)


def test_a_metadata_only_change_moves_the_ctime_that_triage_compares(tree):
    """The assumption triage rests on, checked on this kernel: setting an xattr or a POSIX
    ACL on a file whose content stays the same gives it a new ctime."""
    path = tree / "Amt" / "a.txt"
    for name, value in (("user.DOSATTRIB", b"\x00\x01"),
                        ("system.posix_acl_access", bytes.fromhex("02000000" "01000600ffffffff"
                                                                  "04000400ffffffff" "20000000ffffffff"))):
        before = os.lstat(path)
        time.sleep(0.02)  # more than one tick of the kernel's file time clock
        try:
            os.setxattr(path, name, value)
        except OSError as err:
            pytest.skip(f"{name} not supported here: {err}")
        after = os.lstat(path)
        assert after.st_ctime_ns > before.st_ctime_ns and after.st_mtime_ns == before.st_mtime_ns


def test_a_racy_ctime_is_not_recorded_as_proof(tree):
    entry = entries_of(tree)[b"Amt/a.txt"]
    node = share_tree.node_of(entry, {})
    fresh = share_tree.state_entry(node, b"", scan_started_ns=entry.ctime_ns + 1)
    settled = share_tree.state_entry(node, b"", scan_started_ns=entry.ctime_ns + share_tree.RACY_NS + 1)
    ctime_of = lambda last: share_tree.struct.unpack_from("<q", last.source, 29)[0]  # noqa: E731
    assert ctime_of(fresh) == 0 and ctime_of(settled) == entry.ctime_ns


def test_plan_compares_metadata_digests_of_what_it_reads(tree):
    entries = entries_of(tree)
    node = share_tree.node_of(entries[b"Amt/a.txt"], {"security.NTACL": b"alt"})
    target = targets_for(records_of(tree))
    last = share_tree.state_entry(node, target[node.path], 0)
    same = share_tree.work_list([node], target, {node.path: last}, listed=list(entries))
    assert same.is_empty() and same.unchanged == 1
    changed = share_tree.node_of(entries[b"Amt/a.txt"], {"security.NTACL": b"neu"})
    result = share_tree.work_list([changed], target, {node.path: last}, listed=list(entries))
    assert result.meta == [changed] and not result.copy


def test_wire_form_round_trips_entries_and_xattr_pairs(tree):
    entries = list(share_tree.walk(os.fsencode(tree)))
    assert share_tree.unpack_entries(share_tree.pack_entries(entries)) == entries
    assert share_tree.unpack_entries(share_tree.pack_entries([])) == []
    pairs = [("user.DOSATTRIB", b"\x00" * 12), ("security.NTACL", bytes(range(256)))]
    assert share_tree.unpack_pairs(share_tree.pack_pairs(pairs)) == pairs
    stream = io.BytesIO(share_tree.frame(b"S", b"abc") + share_tree.frame(b"Z", b""))
    assert share_tree.read_frame(stream) == (b"S", b"abc")
    assert share_tree.read_frame(stream) == (b"Z", b"")
    with pytest.raises(EOFError):
        share_tree.read_frame(stream)


def test_names_of_a_hard_linked_file_are_read_and_copied_together(tree):
    """A pass that must copy one name of a linked file (say the target's copy was cut off
    by a kill) copies all its names, so tar links them again."""
    os.link(tree / "Amt" / "a.txt", tree / "b.txt")
    records = records_of(tree)
    state = {p: last_for(r) for p, r in records.items()}
    target = targets_for(records)
    target[b"b.txt"] = share_tree.target_key(share_tree.FILE, 3, 1)  # cut off
    paths = list(records)
    _, to_read = share_tree.triage(paths, list(records.values()), target, state)
    assert sorted(paths[i] for i in to_read) == [b"Amt/a.txt", b"b.txt"]
    links = [b""] * len(paths)
    copy, mkdir = share_tree.content_to_copy(paths, list(records.values()), links, to_read, target, state)
    assert sorted(paths[i] for i in copy) == [b"Amt/a.txt", b"b.txt"] and mkdir == []


def test_the_walk_does_not_enter_a_folder_swapped_for_a_symlink_while_it_runs(tmp_path):
    root, outside = tmp_path / "share", tmp_path / "outside"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "x").write_bytes(b"x")
    (root / "b" / "y").write_bytes(b"y")
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    os.setxattr(outside / "secret", "user.secret", b"1")
    seen = []
    for path, _, _, folder, name in share_tree.walk_at(os.fsencode(root)):
        seen.append(path)
        if path == b"a/x":  # b was listed as a folder; swap it before the walk gets there
            (root / "b").rename(tmp_path / "b-away")
            os.symlink(outside, root / "b")
        if name is not None:
            assert share_tree.read_xattrs_at(folder, name) == {}
    assert seen == [b"", b"a", b"b", b"a/x"]


def test_below_opens_nothing_through_a_symlink_in_any_component(tmp_path):
    root, outside = tmp_path / "share", tmp_path / "outside"
    (root / "a" / "tief").mkdir(parents=True)
    (root / "a" / "tief" / "f").write_bytes(b"ok")
    (outside / "tief").mkdir(parents=True)
    (outside / "tief" / "f").write_bytes(b"secret")
    os.setxattr(outside / "tief" / "f", "user.secret", b"1")
    with share_tree.Below(os.fsencode(root)) as below:
        fd, st = below.open(b"a/tief/f", share_tree.FILE)
        assert os.read(fd, 10) == b"ok" and st.st_size == 2
        os.close(fd)
    (root / "a").rename(tmp_path / "a-away")
    os.symlink(outside, root / "a")
    with share_tree.Below(os.fsencode(root)) as below:
        for call in (lambda: below.open(b"a/tief/f", share_tree.FILE), lambda: below.xattrs(b"a/tief/f")):
            with pytest.raises(share_tree.PathChanged, match=r"^a: a symlink now$"):
                call()
        assert share_tree.content_sha256(below, b"a/tief/f") is None
        assert below.xattrs(b"a") == {}  # the symlink itself, not what it points to
