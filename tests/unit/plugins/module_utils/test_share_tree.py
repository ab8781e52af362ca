"""share_tree: the walk, the state file, the wire form of the listing, and the triage
that lets an unchanged path go without reading its xattrs."""

import io
import os
import time

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils import share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.share_tree import Last, Target


def entries_of(root):
    return {e.path: e for e in share_tree.walk(os.fsencode(root))}


def last_for(entry, ctime=None):
    return Last(entry.kind, entry.size, entry.mtime_ns, entry.inode,
                entry.ctime_ns if ctime is None else ctime, entry.size, entry.mtime_ns, b"m" * 16, bytes(8))


def targets_for(entries):
    return {p: Target(e.kind, e.size, e.mtime_ns) for p, e in entries.items()}


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
    state = {p: last_for(e) for p, e in entries_of(tree).items()}
    path = str(tmp_path / "state" / "share.state")
    share_tree.save_state(path, state)
    assert share_tree.load_state(path) == state
    assert share_tree.load_state(str(tmp_path / "none")) == {}
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) - 3)
    with pytest.raises(share_tree.StateError, match=r"share\.state cannot be read"):
        share_tree.load_state(path)


def test_state_of_the_json_format_is_read_and_metadata_applied_again(tmp_path):
    path = tmp_path / "old.json"
    path.write_text('{"version": 1, "paths": {"YS50eHQ=": {"content": ["file", 3, 7, null], "meta": "ab", '
                    '"target": [3, 9]}, "": {"content": ["dir"], "meta": "cd", "target": [0, 5]}}}')
    state = share_tree.load_state(str(path))
    assert state[b"a.txt"][:3] == (share_tree.FILE, 3, 7) and state[b"a.txt"].ctime_ns == 0
    assert (state[b"a.txt"].target_size, state[b"a.txt"].target_mtime_ns) == (3, 9)
    assert state[b""].kind == share_tree.DIR


@pytest.mark.parametrize("change, read", [
    (None, False),
    ("ctime", True),   # any change of content, mode, owner, xattr or ACL moves the ctime
    ("inode", True),   # replaced by another file (rename over it)
    ("unproven", True),  # the last pass read it while it might still change
    ("target", True),  # the target no longer looks as the pass left it
    ("new", True),
])
def test_triage_trusts_only_an_unchanged_inode_and_ctime(tree, change, read):
    entries = entries_of(tree)
    state = {p: last_for(e) for p, e in entries.items()}
    target = targets_for(entries)
    key = b"Amt/a.txt"
    if change == "ctime":
        state[key] = state[key]._replace(ctime_ns=state[key].ctime_ns - 1)
    elif change == "inode":
        state[key] = state[key]._replace(inode=state[key].inode + 1)
    elif change == "unproven":
        state[key] = state[key]._replace(ctime_ns=0)
    elif change == "target":
        target[key] = target[key]._replace(size=3)
    elif change == "new":
        del state[key]
    listed = list(entries.values())
    unchanged, to_read = share_tree.triage(listed, target, state)
    assert [listed[i].path for i in to_read] == ([key] if read else [])
    assert len(unchanged) == len(listed) - (1 if read else 0)


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
    fresh = share_tree.state_entry(node, 10, 1, scan_started_ns=entry.ctime_ns + 1)
    settled = share_tree.state_entry(node, 10, 1, scan_started_ns=entry.ctime_ns + share_tree.RACY_NS + 1)
    assert fresh.ctime_ns == 0 and settled.ctime_ns == entry.ctime_ns


def test_plan_compares_metadata_digests_of_what_it_reads(tree):
    entries = entries_of(tree)
    node = share_tree.node_of(entries[b"Amt/a.txt"], {"security.NTACL": b"alt"})
    last = share_tree.state_entry(node, node.size, node.mtime_ns, 0)
    target = targets_for(entries)
    same = share_tree.plan([node], target, {node.path: last}, listed=list(entries))
    assert same.is_empty() and same.unchanged == 1
    changed = share_tree.node_of(entries[b"Amt/a.txt"], {"security.NTACL": b"neu"})
    result = share_tree.plan([changed], target, {node.path: last}, listed=list(entries))
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
