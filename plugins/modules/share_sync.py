#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The annotations (X | None) stay unevaluated on the older Pythons a managed host may have.
from __future__ import annotations

DOCUMENTATION = r"""
module: share_sync
short_description: Runs the sync passes of a Kommune's shares, pulled by the RZ file server from the Kommune's
version_added: 0.1.0
description:
  - Runs on the RZ file server. Reads the source share's listing over SSH with the transfer key, works
    out the pass's work list against the target and the state of the last pass, pulls the content that changed as a
    tar stream over the same SSH connection (never through the Ansible controller), and applies owners,
    POSIX ACLs and Windows ACLs translated through the identity mapping. Paths the source no longer has
    are deleted inside O(target_root) only, or with O(delete=false) left there and reported
    (C(shares.deletion_held)).
  - A pass interrupted at any point (kill -9, a dropped connection) is completed by the next one; the
    state of the last pass is written atomically at its end.
  - The source is read without following a symlink in any component of a path (each folder opened by name
    in its parent's descriptor, O_NOFOLLOW). A path that is gone, a symlink or of another type by the time
    its content is read is skipped, reported (C(shares.path_changed_during_copy)) and left to the next pass.
  - Progress (files, bytes, rate, seconds left, bytes on the wire) is written to O(progress_path) while
    content moves; M(kommunal.umzug.share_progress) prints it.
  - One run passes one share (O(share), O(source_root), O(target_root), O(state_path), O(progress_path)) or
    several of the same file server (O(shares), each item with the same options). The passes of several shares
    run at the same time, at most O(parallel) of them, all over one SSH connection to the Kommune's file server
    (one master, opened once for the run; each pass's sessions are its channels), so the connection's and the
    module's start are paid once per file server, not per share. Each share's result is in RV(shares), in the
    order given; a share whose pass fails (its path unreachable, the target's disk full) is that share's result
    with its message, and the others' passes go on; the module fails when any share failed, naming each.
  - With O(compress) the tar stream is compressed on the wire (zstd, or gzip from zlib where either side lacks
    zstd); RV(stream) says the codec, the raw bytes of the stream and the bytes on the wire.
  - One pass per share and state file at a time. A pass holds a lock on C(<state_path>.lock) (C(flock),
    the file names the holder's host, PID and start time); a second pass, or
    M(kommunal.umzug.share_verify) recording paths for the next pass, fails at once with a message
    naming the holder. The kernel drops the lock when its holder ends, however it ends.
  - The quick check (type, size, mtime) cannot see a content change by a tool that restores the mtime.
    M(kommunal.umzug.share_verify) records the paths it finds different beside the state
    (C(<state_path>.flagged)); O(compare_content) decides whether this pass copies them again.
  - Check mode changes nothing and returns exactly what a pass would do, with counts and the first
    O(show) paths of each kind (the paths it would copy again because of O(compare_content) among them,
    and in RV(recopied)); SIDs and ids the mapping cannot translate are findings in both modes. Check
    mode takes no lock, so a dry run never keeps a real pass from starting; it reads the state as the
    last completed pass wrote it. With O(compress) and content to copy it asks the source which codec it
    would use (RV(stream.codec)); it moves no bytes (RV(stream.raw_bytes) and RV(stream.wire_bytes) are null).
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.share_source
  - kommunal.umzug.identity_mapping
  - kommunal.umzug.bandwidth
  - kommunal.umzug.compress
options:
  share:
    description:
      - The share of a run of one share, with O(source_root), O(target_root), O(state_path) and
        O(progress_path); as the items of O(shares) (O(shares[].share)). Not with O(shares).
    type: str
  source_root:
    description: The one share's path on the source (O(shares[].source_root)).
    type: path
  target_root:
    description: The one share's folder on the RZ file server (O(shares[].target_root)).
    type: path
  state_path:
    description: The one share's state file (O(shares[].state_path)).
    type: path
  progress_path:
    description: The one share's progress file (O(shares[].progress_path)).
    type: path
  shares:
    description:
      - The shares of a run of several, all on the file server O(source_host); not with the options of one share.
      - Each share needs its own O(shares[].share), O(shares[].target_root) and O(shares[].state_path).
    type: list
    elements: dict
    suboptions:
      share:
        description: Name of the source share (for results and findings).
        type: str
        required: true
      source_root:
        description: Path of the share on the source.
        type: path
        required: true
      target_root:
        description: Folder of the share on the RZ file server.
        type: path
        required: true
      state_path:
        description: State file of the share's passes (what the last pass left on the target).
        type: path
        required: true
      progress_path:
        description: Progress file written while the share's content moves.
        type: path
  parallel:
    description:
      - How many passes of O(shares) run at the same time (all over the one SSH connection). Each pass holds up to
        three sessions on the source at once (its listing, the sender streaming, the next batch's sender); OpenSSH
        opens the ones beyond sshd's C(MaxSessions) (10 by default) as connections of their own.
      - The bandwidth limit (O(bandwidth_schedule)) is the link's, shared by all passes of the run, not each pass's.
    type: int
    default: 4
  sync_pass:
    description: Which pass this is (seed while users work, delta passes, the final pass in the freeze).
    type: str
    choices: [seed, delta, final]
    default: delta
  delete:
    description:
      - Delete target paths the source no longer has (inside O(target_root) only).
      - V(false) deletes nothing; the paths a pass would have deleted are one finding
        (C(shares.deletion_held)) with their count and the first O(show) of them, and RV(not_deleted).
        The shares role passes V(false) while its C(shares_safe_mode) is on (the default).
    type: bool
    default: true
  show:
    description: How many paths of each kind the result lists (counts are always exact).
    type: int
    default: 10
  compare_content:
    description:
      - Which paths this pass copies again although their type, size and mtime match.
      - V(none) copies only what the quick check and the state say changed.
      - V(flagged) also copies the paths M(kommunal.umzug.share_verify) found different and recorded
        beside the state (C(<state_path>.flagged)); the record is removed after a pass that copied them.
        Costs nothing when verify found nothing.
      - V(all) also compares the content of every file by SHA-256 on both sides (the source's read there,
        as verify reads it) and copies those that differ; reads every file of the share on both sides,
        as long as a verify takes.
    type: str
    choices: [none, flagged, all]
    default: flagged
requirements:
  - GNU tar and ssh on the RZ file server; Python 3 and winbind (wbinfo) on the source (the content is
    read there by the agent, not by tar).
  - For O(compress) with zstd, C(zstd) on both file servers; without it on either, gzip from Python's zlib.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Seed pass of the Bauamt share
  kommunal.umzug.share_sync:
    share: bauamt
    source_host: 10.89.42.12
    source_root: /srv/shares/bauamt
    key: /root/.ssh/umzug_transfer
    target_root: /srv/shares/altdorf-bauamt
    state_path: /var/lib/umzug/shares/altdorf/bauamt.state.json
    progress_path: /var/lib/umzug/shares/altdorf/bauamt.progress.json
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    sync_pass: seed
  delegate_to: rz-fs
  async: 86400
  poll: 0

- name: Final pass that compares the content of every file on both sides
  kommunal.umzug.share_sync:
    share: bauamt
    source_host: 10.89.42.12
    source_root: /srv/shares/bauamt
    key: /root/.ssh/umzug_transfer
    target_root: /srv/shares/altdorf-bauamt
    state_path: /var/lib/umzug/shares/altdorf/bauamt.state.json
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    sync_pass: final
    compare_content: all
  delegate_to: rz-fs

- name: Final passes of all shares of the Kommune's file server, four at a time over one SSH connection
  kommunal.umzug.share_sync:
    shares:
      - share: bauamt
        source_root: /srv/shares/bauamt
        target_root: /srv/shares/altdorf-bauamt
        state_path: /var/lib/umzug/shares/altdorf/bauamt.state.json
        progress_path: /var/lib/umzug/shares/altdorf/bauamt.progress.json
      - share: kasse
        source_root: /srv/shares/kasse
        target_root: /srv/shares/altdorf-kasse
        state_path: /var/lib/umzug/shares/altdorf/kasse.state.json
        progress_path: /var/lib/umzug/shares/altdorf/kasse.progress.json
    parallel: 4
    source_host: 10.89.42.12
    key: /root/.ssh/umzug_transfer
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    sync_pass: final
  delegate_to: rz-fs
  async: 86400
  poll: 0
"""

RETURN = r"""
counts:
  description: Paths per kind of work (exact, also in check mode).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: dict
  sample: {mkdir: 3, copy: 12, meta: 1, delete: 2, unchanged: 40, recopied: 1, not_deleted: 0}
  contains:
    mkdir:
      description: Folders the pass creates on the target.
      type: int
    copy:
      description: Files whose content the pass copies.
      type: int
    meta:
      description: Paths whose content is current and whose metadata (owner, mode, ACL, times) the pass sets.
      type: int
    delete:
      description: Paths on the target the source no longer has, which the pass removes.
      type: int
    unchanged:
      description: Paths already the same on both sides.
      type: int
    recopied:
      description: Files copied again only because of O(compare_content) (RV(recopied) lists the first).
      type: int
    not_deleted:
      description: Paths on the target the source no longer has, which the pass left in place (O(delete=false)).
      type: int
bytes:
  description: Bytes of content the pass copies.
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: int
  sample: 1048576
first:
  description: The first O(show) paths of each kind of work.
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: dict
  sample: {copy: [Bauanträge/2025/Antrag.txt], delete: [alt.txt]}
recopied:
  description:
    - Paths copied again (in check mode, that would be) only because of O(compare_content) -- verify
      flagged them, or their content hash differs -- first O(show); the count in RV(counts.recopied).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: list
  elements: str
  sample: [Pläne/Bebauungsplan Nr. 12.txt]
not_deleted:
  description:
    - Target paths the source no longer has that the pass left there because O(delete) is off, first
      O(show); the count in RV(counts.not_deleted).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: list
  elements: str
  sample: [alt/Entwurf.txt]
complete:
  description:
    - Whether the pass (with O(shares), every share's pass) did all it found to do. V(false) when no transfer was
      allowed (a limit of V(0) in O(bandwidth_schedule), or O(until) came); the pass stopped at a clean point or
      did not start, and RV(stopped) says why and when transfer is next allowed. The next pass continues where
      this one stopped.
  returned: success
  type: bool
  sample: false
stopped:
  description:
    - Why the pass stopped before it had copied all (C(reason) V(schedule) or V(until)), when (C(at)), when
      transfer is next allowed (C(next_allowed), Europe/Berlin, null if never) and one sentence (C(message));
      null for a complete pass.
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: dict
  sample: {reason: schedule, at: "2026-12-05T07:00:00+01:00", next_allowed: "2026-12-05T20:00:00+01:00",
           message: "the transfer schedule allows no transfer from now on (limit 0) at ..."}
progress:
  description:
    - The share's files and bytes as listed (C(files_total), C(bytes_total)) and how many of them the target now
      holds as the source has them (C(files), C(bytes)); in check mode, how many it already holds. Null when the
      pass did not list the share (started while no transfer was allowed).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: dict
  sample: {files: 7000, files_total: 9000, bytes: 12000000000, bytes_total: 20000000000}
transfer:
  description:
    - The pass's bandwidth under each limit it met (O(bandwidth_schedule)); one item per limit in force while
      content moved, in order, each with the limit (bytes/s, null for none), the bytes on the wire from the source and
      the seconds from the first to the last of them, and the rate they give. Empty without a schedule.
    - With O(shares), the link's under the limit all passes share (the bytes of all of them); each share's own
      bytes under it are in its item of RV(shares).
  returned: success
  type: list
  elements: dict
  sample: [{limit_bytes_per_s: 2500000, bytes: 31457280, seconds: 12.58, rate_bytes_per_s: 2500556}]
stream:
  description:
    - The content's stream on the wire. RV(stream.codec) is null when no content moved (or, in check mode, none
      would); in check mode the byte counts are null.
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: dict
  sample: {compress: true, codec: zstd, codec_label: zstd -3, offered: [zstd, gzip], raw_bytes: 33816576,
           wire_bytes: 16908800}
  contains:
    compress:
      description: Whether the pass was to compress (O(compress)).
      type: bool
    codec:
      description: The codec the Kommune's side used, V(zstd), V(gzip) or V(none) (an uncompressed stream).
      type: str
    codec_label:
      description: The codec with its level, e.g. C(zstd -3), C(gzip (zlib level 1)).
      type: str
    offered:
      description: The codecs the RZ file server offered, best first (V(zstd) only where it has C(zstd)).
      type: list
      elements: str
    raw_bytes:
      description: Bytes of the tar stream (content and tar's headers) before compression.
      type: int
    wire_bytes:
      description: Bytes that came over the wire, as the rate limiter counted them (compressed where compressed).
      type: int
seconds:
  description:
    - How long the pass took (from its state's reading to its new state, its SSH connection's setup not included).
    - With O(shares), how long the run took, from the first pass's start to the last one's end (the SSH master's
      start included); each share's own seconds are in its item of RV(shares).
  returned: success
  type: float
  sample: 1.5
shares:
  description:
    - One item per share, in the order given (with the options of one share, that one), with the fields the pass
      of one share returns at the top (RV(counts), RV(bytes), RV(first), RV(recopied), RV(not_deleted),
      RV(complete), RV(stopped), RV(progress), RV(stream)), RV(transfer) its own bytes under the link's limit,
      RV(seconds) its own pass's seconds inside the run, and C(share), C(sync_pass), C(changed) and C(failed).
    - A share whose pass failed has only C(share), C(sync_pass), C(changed), C(failed=true), C(seconds) and
      C(msg) (why); the module then fails too, naming each failed share.
  returned: always
  type: list
  elements: dict
  sample: [{share: bauamt, sync_pass: final, failed: false, changed: true, counts: {copy: 2}, bytes: 2048,
            seconds: 0.8, complete: true, stopped: null},
           {share: kasse, sync_pass: final, failed: true, changed: false, seconds: 0.2,
            msg: "share kasse, final pass: listing /srv/shares/kasse on 10.89.42.12 failed: ..."}]
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {copy: 12}, items: {copy: [bauamt/a.txt]}, truncated: false}
umzug_findings:
  description: Findings (SIDs and ids the identity mapping cannot translate, unreadable Windows ACLs, paths
    longer than the target takes, which the pass leaves out, paths that changed while they were copied,
    paths the pass did not delete because O(delete) is off, a pass stopped because no transfer was allowed,
    a compressed pass without zstd).
  returned: success
  type: list
  elements: dict
  sample: []
"""

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    Changes,
    Finding,
    Reason,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import manifest as share_manifest
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate as share_rate
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.identity import Winbind
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.names import PATH_MAX_BYTES
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.pass_findings import (
    compress_findings,
    not_deleted_findings,
    stopped_findings,
    unmapped_sid_findings,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import (
    COMPARE_CONTENT,
    PassResult,
    SshSource,
    SyncError,
    run_pass,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown

KINDS = ("mkdir", "copy", "meta", "delete")


def translation_findings(share, translate, where):
    found = unmapped_sid_findings(share, translate.unmapped_sids, where)
    if translate.unmapped_ids:
        ids = sorted(translate.unmapped_ids)
        found.append(Finding.of(
            "shares.id_unmapped", share=share, ids=", ".join(ids[:10]), resources=(share, *ids[:20]), **where))
    if translate.unreadable_ntacls:
        paths = sorted(shown(p) for p in translate.unreadable_ntacls)
        found.append(Finding.of(
            "shares.ntacl_unreadable", share=share, count=len(paths), paths=", ".join(paths[:5]), variant="pass",
            resources=(share, *paths[:20]), **where))
    return found


def too_long_findings(share, too_long, where):
    """The paths the pass left out because the target cannot take them (PATH_MAX): the
    finding pre-flight raises for them (share_preflight), with the length the pass met."""
    report = share_preflight.ShareReport(share)
    for path in sorted(too_long):
        report.problem("shares.path_beyond_path_max", shown(path),
                       Reason("path_beyond_path_max_pass", bytes=len(path), limit=PATH_MAX_BYTES))
    return share_preflight.findings(report, **where)


def changed_during_copy_findings(share, changed, where):
    """The paths the source's sender skipped: gone, a symlink or of another type since the
    listing. Never followed; left out of the state, so the next pass tries them again."""
    if not changed:
        return []
    paths = sorted(changed)
    described = [Reason("path_changed", path=shown(p), reason=changed[p]) for p in paths[:5]]
    return [Finding.of(
        "shares.path_changed_during_copy", share=share, count=len(paths), described=described,
        resources=(share, *(shown(p) for p in paths[:20])), **where)]


def share_spec() -> dict:
    """The options that name one share and its pass: the module's own (one share) and those of each
    item of O(shares), one spec for both."""
    return dict(**share_identity.share_args(), state_path=dict(type="path", required=True),
                progress_path=dict(type="path"))


def unsupported(params: dict, shares: list[dict]) -> str | None:
    """One sentence for what the options cannot mean together, or None."""
    if shares and params["parallel"] < 1:
        return f"parallel must be 1 or more, not {params['parallel']}"
    return share_identity.shares_problem(shares, ("share", "state_path", "target_root"))


class Passes:
    """What the run's passes share: the file server's SSH connection, the link's limiter, the
    identity mapping; ``run`` does one share's pass with them."""

    def __init__(self, module, shares: list[dict], limiter: share_rate.Limiter):
        params = module.params
        self.params, self.limiter, self.check = params, limiter, module.check_mode
        self.translate_sid = share_identity.module_translator(module)
        self.where = {"kommune": params["kommune"], "host": socket.gethostname()}
        self.sources = [SshSource(params["source_host"], os.fsencode(item["source_root"]), params["source_user"],
                                  params["key"], params["ssh_options"]) for item in shares]

    def run(self, item: dict, source: SshSource) -> tuple[dict, list[Finding], PassResult | None]:
        """One share's pass: its result (the fields a pass returns; C(failed) and C(msg) when it
        failed), its findings and the pass (None when it failed). A failure stays this share's."""
        params, share = self.params, item["share"]
        target_root = os.fsencode(item["target_root"])
        started = time.monotonic()
        part = self.limiter.part()

        def content_differs():
            # The source's hashes from verify's own agent, read on the source.
            side = share_manifest.remote_side(source.ssh_command(), params["source_host"], source.root)
            return share_manifest.content_differs(side, target_root)

        try:
            done = run_pass(source, target_root, item["state_path"], self.translate_sid, Winbind().target_id,
                            check=self.check, delete=params["delete"], progress_path=item["progress_path"],
                            compare_content=params["compare_content"], content_differs=content_differs,
                            what=f"{params['sync_pass']} pass of share {share}", limiter=part,
                            compress=params["compress"])
        except Exception as err:  # any failure is this share's: the others go on, and it is named
            what = f"{type(err).__name__}: {err}" if not isinstance(err, (SyncError, OSError)) else str(err)
            return ({"share": share, "sync_pass": params["sync_pass"], "failed": True, "changed": False,
                     "msg": f"share {share}, {params['sync_pass']} pass: {what}",
                     "seconds": round(time.monotonic() - started, 3)}, [], None)
        return self.result(share, done, part), self.findings(share, done), done

    def result(self, share: str, done: PassResult, part: share_rate.Part) -> dict:
        show, work = self.params["show"], done.work_list
        counts = {kind: len(getattr(work, kind)) for kind in KINDS}
        counts["unchanged"] = work.unchanged
        counts["recopied"] = len(done.recopied)
        counts["not_deleted"] = len(done.not_deleted)
        counts["not_copied"] = len(done.unfinished)
        return dict(
            share=share, sync_pass=self.params["sync_pass"], failed=False, changed=not work.is_empty(),
            counts=counts, bytes=work.bytes_to_copy, seconds=round(done.seconds, 3),
            transfer=part.report(), stream=done.stream.to_dict(), **share_rate.outcome(done.stop, done.progress),
            first={kind: [shown(n.path) for n in getattr(work, kind)[:show]] for kind in KINDS},
            recopied=[shown(path) for path in done.recopied[:show]],
            not_deleted=[shown(path) for path in done.not_deleted[:show]])

    def findings(self, share: str, done: PassResult) -> list[Finding]:
        params, where = self.params, self.where
        return [*translation_findings(share, done.translate, where),
                *too_long_findings(share, done.too_long, where),
                *changed_during_copy_findings(share, done.changed_during_copy, where),
                *not_deleted_findings(share, done.not_deleted, where, params["show"]),
                *stopped_findings(share, params["sync_pass"], done.stop, done.progress, where),
                *compress_findings(share, done.stream.to_dict(), params["source_host"], where)]


def main():
    per_share = share_spec()
    module = AnsibleModule(
        argument_spec=dict(
            # One share by the module's own options, or several in shares: the same spec.
            **{name: {**option, "required": False} for name, option in per_share.items()},
            shares=dict(type="list", elements="dict", options=per_share),
            parallel=dict(type="int", default=4),
            **share_identity.server_args(),
            sync_pass=dict(type="str", choices=["seed", "delta", "final"], default="delta", no_log=False),
            delete=dict(type="bool", default=True),
            show=dict(type="int", default=10),
            compare_content=dict(type="str", choices=list(COMPARE_CONTENT), default="flagged"),
            **share_rate.argument_spec(),
            **share_wire.argument_spec(),
        ),
        mutually_exclusive=[("shares", name) for name in per_share],
        required_one_of=[("shares", "share")],
        required_together=[tuple(name for name, option in per_share.items() if option.get("required"))],
        supports_check_mode=True,
    )
    params = module.params
    shares = share_identity.shares_of(params, per_share)
    problem = unsupported(params, shares)
    if problem:
        module.fail_json(msg=problem)
    try:
        # One limiter for the run: the passes share the Kommune's one link (rate.Part).
        limiter = share_rate.limiter_of(params["bandwidth_schedule"], params["until"])
    except ValueError as err:
        module.fail_json(msg=str(err))
    if params["key"] and not os.path.isfile(params["key"]):
        module.fail_json(msg=f"transfer key {params['key']} does not exist on this host")
    passes = Passes(module, shares, limiter)
    started = time.monotonic()
    # One SSH master to the Kommune's file server for all passes, at most O(parallel) of them at a time.
    with (passes.sources[0].shared(*passes.sources[1:]),
          ThreadPoolExecutor(max_workers=min(params["parallel"], len(shares)),
                             thread_name_prefix="umzug-share") as pool):
        done = list(pool.map(passes.run, shares, passes.sources))
    changes = Changes("shares", limit=params["show"])
    for result, _findings, passed in done:
        for kind in KINDS:
            for node in getattr(passed.work_list, kind) if passed else ():
                changes.add(kind, f"{result['share']}/{shown(node.path)}")
    share_identity.end_run(module, params, done, changes, round(time.monotonic() - started, 3), limiter.report())


if __name__ == "__main__":
    main()
