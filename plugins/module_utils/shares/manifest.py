# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manifests of a share on both sides, and their comparison (verification).

A manifest entry is what a path must look like on the target: type, size, mtime, mode,
owner and group (the source's translated through the identity mapping to the target's
ids), hard-link group, symlink target, SHA-256 of the content, and a digest over the
ACLs and xattrs (POSIX ACLs translated, the Windows ACL's security descriptor with its
SIDs translated, user.* xattrs as they are). The source's manifest is computed from the
source's nodes *after* translation, the target's from the target as it is, so two equal
entries mean: the move carried that path completely.

The source side runs on the Kommune's file server as an agent (``python3 -c`` over SSH
with the transfer key, like the sync's listing); the comparison runs on the RZ side.
Both sides are read as the sync reads the source: no symlink followed in any component of
a path (``share_tree.walk_at``, ``share_tree.Below``). Standard library only.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shlex
import stat
import subprocess
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, posix_acl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import (
    AGENT_BOOT,
    AGENT_SIDS,
    SyncError,
    Translator,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import Node, shown

NTACL = "security.NTACL"
FIELDS = ("kind", "size", "mtime_ns", "mode", "uid", "gid", "link", "target", "sha256", "acl")
CHUNK = 1 << 20


def file_sha256(path: bytes) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hashes(root: bytes, nodes: Iterable[Node]) -> dict[bytes, str]:
    """The content hashes of the files among ``nodes``, read below ``root`` without
    following a symlink (share_tree.Below); a path that is no longer a file gets none."""
    with share_tree.Below(root) as below:
        found = {n.path: share_tree.content_sha256(below, n.path) for n in nodes if n.kind == "file"}
    return {path: sha for path, sha in found.items() if sha is not None}


@dataclass
class Side:
    """One side's nodes, content hashes and (source only) the ids' SIDs there."""

    nodes: list[Node]
    sha256: dict[bytes, str]
    uid_sids: dict[int, str] = field(default_factory=dict)
    gid_sids: dict[int, str] = field(default_factory=dict)


def local_side(root: bytes) -> Side:
    nodes = list(share_tree.scan(root))
    return Side(nodes, hashes(root, nodes))


def content_differs(source: Side, target_root: bytes) -> list[bytes]:
    """The files whose content on the target differs from the source's (SHA-256) although
    their sizes match: what a pass's quick check (type, size, mtime) cannot see, for a pass
    that compares content (share_sync.run_pass, compare_content 'all'). Paths the target
    lacks, holds as another type or with another size the pass copies anyway."""
    sizes = {node.path: node.size for node in source.nodes if node.kind == "file"}
    differ = []
    for path, sha in sorted(source.sha256.items()):
        full = os.path.join(target_root, path)
        try:
            there = os.lstat(full)
            if stat.S_ISREG(there.st_mode) and there.st_size == sizes.get(path) and file_sha256(full) != sha:
                differ.append(path)
        except OSError:
            continue  # gone or unreadable now: the pass itself sees what it is
    return differ


# --- the source's side over SSH -----------------------------------------------------------

AGENT_MAIN = AGENT_SIDS + r'''
def _manifest_agent(root):
    uids, gids = set(), set()
    below = Below(root)
    for node in scan(root):
        uids.add(node.uid); gids.add(node.gid)
        for name in ("system.posix_acl_access", "system.posix_acl_default"):
            acl = node.xattrs.get(name)
            for offset in range(4, len(acl or b""), 8):
                tag, _, ident = struct.unpack_from("<HHI", acl, offset)
                (uids if tag == 0x02 else gids if tag == 0x08 else set()).add(ident)
        record = node.to_wire()
        sha = content_sha256(below, node.path) if node.kind == "file" else None
        if sha is not None:  # none for a path that is no longer a file: never followed
            record["sha256"] = sha
        sys.stdout.write(json.dumps(record) + "\n")
    ids = {"uid": {u: _sid("--uid-to-sid", u) for u in sorted(uids)},
           "gid": {g: _sid("--gid-to-sid", g) for g in sorted(gids)}}
    ids = {k: {str(i): s for i, s in v.items() if s} for k, v in ids.items()}
    sys.stdout.write(json.dumps({"ids": ids}) + "\n")

import struct, subprocess, sys
_manifest_agent(base64.b64decode(sys.argv[2]))
'''


def agent_source() -> str:
    # Through the loader: inside an Ansible module, share_tree lives in a zip (AnsiballZ).
    tree = share_tree.__loader__.get_source(share_tree.__name__).replace("from __future__ import annotations\n", "")
    return "from __future__ import annotations\n" + tree + AGENT_MAIN


def remote_side(ssh_command: list[str], host: str, root: bytes) -> Side:
    """The source's side, computed there. ``ssh_command``: ssh with options and user@host."""
    code = base64.b64encode(zlib.compress(agent_source().encode())).decode()
    remote = f"python3 -c {shlex.quote(AGENT_BOOT)} {code} {shlex.quote(base64.b64encode(root).decode())}"
    proc = subprocess.run([*ssh_command, remote], capture_output=True, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise SyncError(f"manifest of {os.fsdecode(root)} on {host} failed: "
                        f"{lines[-1] if lines else f'exit code {proc.returncode}'}")
    side = Side([], {})
    for line in proc.stdout.splitlines():
        record = json.loads(line)
        if "ids" in record:
            side.uid_sids = {int(k): v for k, v in record["ids"]["uid"].items()}
            side.gid_sids = {int(k): v for k, v in record["ids"]["gid"].items()}
            continue
        sha = record.pop("sha256", None)
        node = Node.from_wire(record)
        side.nodes.append(node)
        if sha:
            side.sha256[node.path] = sha
    return side


# --- entries ---------------------------------------------------------------------------------

def _link_groups(nodes: Iterable[Node]) -> dict[bytes, bytes]:
    """Path -> the first path of its hard-link group (files with more than one name here)."""
    groups: dict[int, list[bytes]] = {}
    for node in nodes:
        if node.kind == "file" and node.nlink > 1:
            groups.setdefault(node.inode, []).append(node.path)
    return {path: min(paths) for paths in groups.values() if len(paths) > 1 for path in paths}


def _acl_digest(xattrs: Mapping[str, bytes]) -> str | None:
    if not xattrs:
        return None
    digest = hashlib.sha256()
    for name in sorted(xattrs):
        value = xattrs[name]
        # Unreadable ones are compared byte for byte.
        if name == NTACL:
            with contextlib.suppress(ntacl.NtaclError):
                value = ntacl.sd_from_ntacl(value).to_bytes()
        elif name.startswith("system.posix_acl_"):
            with contextlib.suppress(posix_acl.PosixAclError):
                # canonical order of entries, whatever order the kernel hands them out
                value = posix_acl.pack(sorted(posix_acl.parse(value), key=lambda e: (e.tag, e.id)))
        digest.update(name.encode() + b"\0" + value + b"\0")
    return digest.hexdigest()


def entries(side: Side, translate: Translator | None = None) -> dict[bytes, dict]:
    """The manifest of one side; with ``translate`` (the source) as the target should be."""
    links = _link_groups(side.nodes)
    result = {}
    for node in side.nodes:
        if node.kind == "other":
            continue
        xattrs = dict(node.xattrs)
        uid, gid = node.uid, node.gid
        if translate is not None:
            uid, gid = translate.uid(node.uid, node.path), translate.gid(node.gid, node.path)
            for name, value in node.xattrs.items():
                if name.startswith("system.posix_acl_"):
                    xattrs[name] = translate.posix_acl(value, node.path)
                elif name == NTACL:
                    xattrs[name] = translate.ntacl(value, node.path)
        result[node.path] = {
            "kind": node.kind,
            "size": node.size if node.kind != "dir" else 0,
            "mtime_ns": node.mtime_ns,
            "mode": None if node.kind == "symlink" else node.mode,
            "uid": uid, "gid": gid,
            "link": None if node.path not in links else links[node.path].decode("utf-8", "backslashreplace"),
            "target": None if node.target is None else node.target.decode("utf-8", "backslashreplace"),
            "sha256": side.sha256.get(node.path),
            "acl": _acl_digest(xattrs),
        }
    return result


def digest(manifest: Mapping[bytes, dict]) -> str:
    """One hash over a whole manifest: equal manifests, equal digests."""
    h = hashlib.sha256()
    for path in sorted(manifest):
        h.update(path + b"\0" + json.dumps(manifest[path], sort_keys=True).encode() + b"\n")
    return h.hexdigest()


def totals(manifest: Mapping[bytes, dict]) -> dict:
    kinds = [e["kind"] for e in manifest.values()]
    return {"files": kinds.count("file"), "dirs": kinds.count("dir"), "symlinks": kinds.count("symlink"),
            "bytes": sum(e["size"] for e in manifest.values() if e["kind"] == "file"), "digest": digest(manifest)}


@dataclass
class Comparison:
    missing: list[bytes] = field(default_factory=list)  # on the source, not on the target
    extra: list[bytes] = field(default_factory=list)  # on the target only
    differ: dict[bytes, list[str]] = field(default_factory=dict)  # path -> fields that differ

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.differ)


def compare(expected: Mapping[bytes, dict], actual: Mapping[bytes, dict],
            fields: Iterable[str] = FIELDS) -> Comparison:
    """Path by path; ``fields``: those of an entry that are compared (the SMB manifest has its own)."""
    fields = tuple(fields)
    result = Comparison()
    for path in sorted(set(expected) | set(actual)):
        if path not in actual:
            result.missing.append(path)
        elif path not in expected:
            result.extra.append(path)
        else:
            differ = [f for f in fields if expected[path][f] != actual[path][f]]
            if differ:
                result.differ[path] = differ
    return result


def save(path: str, manifest: Mapping[bytes, dict]) -> None:
    write_atomic(path, json.dumps({"version": 1, "paths": {base64.b64encode(k).decode(): v
                                                           for k, v in sorted(manifest.items())}}, sort_keys=True),
                 mode=0o600)


# --- a share's result and findings (share_verify, share_verify_smb) ----------------------

def share_result(share: str, comparison: Comparison, expected: Mapping[bytes, dict], actual: Mapping[bytes, dict],
                 show: int, flagged: str | None) -> dict:
    """The fields of one share's result both verify modules return (the first ``show`` paths of
    each kind, exact counts)."""
    return {"share": share, "error": None, "identical": comparison.ok, "source": totals(expected),
            "target": totals(actual),
            "counts": {"missing": len(comparison.missing), "extra": len(comparison.extra),
                       "differ": len(comparison.differ)},
            "missing": [shown(x) for x in comparison.missing[:show]],
            "extra": [shown(x) for x in comparison.extra[:show]],
            "differ": {shown(k): v for k, v in list(comparison.differ.items())[:show]}, "flagged": flagged}


def not_compared(share: str, error: str) -> dict:
    """The result of a share that could not be compared: its error, nothing identical, nothing recorded."""
    return {"share": share, "error": error, "identical": False, "source": {}, "target": {}, "counts": {},
            "missing": [], "extra": [], "differ": {}, "flagged": None, RESULT_FINDINGS: []}


FINDINGS = {"missing": "shares.verify_missing", "extra": "shares.verify_extra", "differ": "shares.verify_mismatch"}


def mismatch_variant(flagged, dry):
    """Which of the catalog's remediations of a mismatch is true as the pass works."""
    return "flagged" if flagged else "dry" if dry else "unrecorded"


def findings(share, comparison, where, flagged=None, dry=False):
    result = []
    for kind, key in FINDINGS.items():
        items = getattr(comparison, kind)
        if not items:
            continue
        paths = [shown(p) for p in items]
        detail = ([f"{shown(p)} ({', '.join(f)})" for p, f in list(comparison.differ.items())[:5]]
                  if kind == "differ" else paths[:5])
        result.append(Finding.of(
            key, share=share, count=len(paths), detail="; ".join(detail), more=" ..." if len(paths) > 5 else "",
            flagged=flagged or "", variant=mismatch_variant(flagged, dry), resources=(share, *paths[:20]), **where))
    return result
