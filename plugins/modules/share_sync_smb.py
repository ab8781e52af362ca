#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The annotations (X | None) stay unevaluated on the older Pythons a managed host may have.
from __future__ import annotations

DOCUMENTATION = r"""
module: share_sync_smb
short_description: Runs the sync passes of a Kommune's shares the RZ file server reads over SMB 3 (a Windows source)
version_added: 0.1.0
description:
  - The sync pass of M(kommunal.umzug.share_sync) for a source file server umzug reaches only over SMB (a Windows
    file server, with no SSH and nothing installed on it). Runs on the RZ file server, never on the controller,
    and reads the share as the backup account over one SMB 3 connection (signing required, encryption when
    O(encrypt)), every object opened with backup intent, without following reparse points or recalling offline
    files.
  - Lists the share and compares each path with the state of the last pass. A file is unchanged when its change
    time, size, file id and metadata as listed (attributes, creation time, streams, security descriptor) are those
    the state recorded and the target still holds what the last pass wrote; such files are never opened. A file
    whose change time or metadata moved while its file id, size and last write time did not had only its metadata
    changed and is not read again; a file that moved at the source is copied on the target from
    where the last pass put it.
  - New and changed content is written under a temporary name in the target folder, given the source's last write
    time as its modification time, and renamed into place, so a killed pass never leaves half a file under the real
    name. Folders (empty ones too) are created; files with one file id and several links become hard links on the
    target; a path whose type changed is replaced.
  - Paths the source no longer has are deleted inside O(target_root) only, or with O(delete=false) left there and
    reported (C(shares.deletion_held)). Nothing is written or removed outside O(target_root).
  - What the source cannot give is never read, keeps what the target holds at that path, and is a finding with the
    key M(kommunal.umzug.share_discover_smb) uses (C(shares.file_locked) after O(retries) tries,
    C(shares.offline_file), C(shares.reparse_point), C(shares.access_denied)); the pass goes on.
  - Finished paths are recorded beside the state (C(<state_path>.journal)) batch by batch once their content is on
    the disk, so a pass killed with kill -9 or cut off by a dropped connection is resumed by the next one without
    copying them again. The state itself is written atomically at the end of the pass.
  - Progress (files, bytes, rate, seconds left) is written to O(progress_path) while content moves;
    M(kommunal.umzug.share_progress) prints it. One pass per state file at a time (the lock of
    M(kommunal.umzug.share_sync)).
  - Carries content, modification times and the shape of the tree, and for every object it writes or whose change
    time or listed metadata moved (never for unchanged ones) the metadata, once per object, namely DOS attributes
    and creation time into C(user.DOSATTRIB), alternate data streams as vfs_streams_xattr serves them
    (C(user.DosStream.<name>:$DATA)), and the whole security descriptor with every SID translated through
    O(mapping), set through Samba's own C(smbd.set_nt_acl) on O(target_service), so vfs_acl_xattr stores it with
    the POSIX ACL it derives.
  - What could not be carried is a finding per key for the share, and the pass goes on. C(shares.sid_unmapped) (SIDs
    kept as they were, with the number of paths naming them), C(shares.stream_too_large) (beyond O(stream_limit) or
    what the file system holds), C(shares.attribute_not_carried) (attributes Samba does not keep),
    C(shares.ntacl_unreadable) and C(shares.metadata_not_written) (with the reason per path).
  - Needs Samba's Python bindings (python3-samba) on the RZ file server; without them the module fails before the
    pass with one sentence saying what is missing on which host and how to install it, in check mode too.
  - Check mode reads no content, changes nothing (no content, no metadata), takes no lock and returns exactly what
    a pass would do, with counts and the first O(show) paths of each kind; the SIDs without a new identity in the
    security descriptors it would write are C(shares.sid_unmapped) in both modes.
  - One run passes one share (O(share), O(target_root), O(target_service), O(state_path), O(progress_path)) or
    several of the same file server (O(shares), each item with the same options), one after another, so the
    module's start, Samba's bindings and configuration and the identity mapping are paid once per file server, not
    per share. Each share's pass reads it over a connection and session of its own, with its own O(workers)
    processes, which are forked before the pass opens its connection. smbprotocol's connection runs a thread, and a
    process that forks beside a running thread may hand its children a lock held for ever; a connection kept from
    one share to the next would be such a thread. Shares are not read side by side for the
    same reason, and because one pass's walk already keeps the RZ file server's cores busy.
  - Each share's result is in RV(shares), in the order given; a share whose pass fails (the share unreachable,
    O(target_service) not serving its O(target_root), the target's disk full) is that share's result with its
    message, and the next share's pass goes on; the module fails when any share failed, naming each. The
    bandwidth limit (O(bandwidth_schedule)) and O(until) are the link's, shared by all passes of the run; once no
    transfer is allowed, the passes after it stop without reading (C(stopped) in their items of RV(shares)).
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.smb_source
  - kommunal.umzug.identity_mapping
  - kommunal.umzug.bandwidth
  - kommunal.umzug.compress
options:
  share:
    description:
      - The share of a run of one share, with O(target_root), O(target_service), O(state_path) and O(progress_path);
        as the items of O(shares) (O(shares[].share)). Not with O(shares).
    type: str
  target_root:
    description: The one share's folder on the RZ file server (O(shares[].target_root)).
    type: path
  target_service:
    description: The RZ share that serves the one share's folder (O(shares[].target_service)).
    type: str
  state_path:
    description: The one share's state file (O(shares[].state_path)).
    type: path
  progress_path:
    description: The one share's progress file (O(shares[].progress_path)).
    type: path
  shares:
    description:
      - The shares of a run of several, all on the file server O(server), passed in this order; not with the
        options of one share.
      - Each share needs its own O(shares[].share), O(shares[].target_root) and O(shares[].state_path).
    type: list
    elements: dict
    suboptions:
      share:
        description: Name of the source share.
        type: str
        required: true
      target_root:
        description: Folder of the share on the RZ file server.
        type: path
        required: true
      target_service:
        description:
          - Name of the share on the RZ file server that serves O(shares[].target_root) (its smb.conf section). The
            security descriptors are set through Samba on it, so its C(vfs objects) decide how they are stored; it
            must have C(acl_xattr) and C(streams_xattr).
          - Before the passes, in check mode too, the module reads Samba's configuration on the RZ file server
            through Samba's own loadparm; a share whose O(shares[].target_service) does not exist or serves neither
            O(shares[].target_root) nor a folder above it fails with one sentence (host, share, the share's path,
            target root), and is not passed.
        type: str
        required: true
      state_path:
        description: State file of the share's SMB passes (what the last pass left on the target).
        type: path
        required: true
      progress_path:
        description: Progress file written while the share's content moves.
        type: path
  sync_pass:
    description: Which pass this is (seed while users work, delta passes, the final pass in the freeze).
    type: str
    choices: [seed, delta, final]
    default: delta
  delete:
    description:
      - Delete target paths the source no longer has (inside O(target_root) only).
      - V(false) deletes nothing; the paths a pass would have deleted are one finding (C(shares.deletion_held))
        and RV(not_deleted). The shares role passes V(false) while its C(shares_safe_mode) is on (the default).
    type: bool
    default: true
  show:
    description: How many paths of each kind the result lists (counts are always exact).
    type: int
    default: 10
  kommune:
    description: Kommune id the findings belong to.
    type: str
  stream_limit:
    description:
      - Largest alternate data stream in bytes the target keeps (one xattr of the RZ file system, see the shares
        role's C(shares_smb_stream_limit)). A larger stream is not written and is C(shares.stream_too_large).
    type: int
    default: 65535
  workers:
    description:
      - Processes that read the share's objects (metadata and the content of small files, one compound request
        each), each with its own connection to the source. The state and the target are written by the module's
        own process only.
      - smbprotocol builds every message in Python, so one process keeps a core busy long before the server is;
        on the lab's two cores two processes read about twice the files per second of one (docs/benchmarks.md).
        Each one is a session on the source file server, for the walk of one share at a time.
    type: int
    default: 2
requirements:
  - smbprotocol and pyspnego (the venv of roles/shares' smb_client.yml).
  - python3-samba on the RZ file server, importable by the module's python (the venv sees it through
    --system-site-packages).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Seed pass of the Kämmerei share of a Windows file server
  kommunal.umzug.share_sync_smb:
    share: kaemmerei
    server: kommune-c-fs.kommune-c.example
    username: KOMMUNEC\umzug-backup
    password: "{{ vault_kommune_c_backup_password }}"
    target_root: /srv/shares/cranach-kaemmerei
    target_service: cranach-kaemmerei
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-c.yml') | from_yaml }}"
    stream_limit: "{{ shares_smb_stream_limit }}"
    state_path: /var/lib/umzug/shares/cranach/kaemmerei.smb-state.json
    progress_path: /var/lib/umzug/shares/cranach/kaemmerei.progress.json
    sync_pass: seed
    delete: false
    kommune: kommune-c
  delegate_to: rz-fs
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
  no_log: true
  async: 86400
  poll: 0

- name: Final passes of all shares of the Windows file server, one after another in one run
  kommunal.umzug.share_sync_smb:
    shares:
      - share: kaemmerei
        target_root: /srv/shares/cranach-kaemmerei
        target_service: cranach-kaemmerei
        state_path: /var/lib/umzug/shares/cranach/kaemmerei.smb-state.json
        progress_path: /var/lib/umzug/shares/cranach/kaemmerei.progress.json
      - share: bauamt
        target_root: /srv/shares/cranach-bauamt
        target_service: cranach-bauamt
        state_path: /var/lib/umzug/shares/cranach/bauamt.smb-state.json
        progress_path: /var/lib/umzug/shares/cranach/bauamt.progress.json
    server: kommune-c-fs.kommune-c.example
    username: KOMMUNEC\umzug-backup
    password: "{{ vault_kommune_c_backup_password }}"
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-c.yml') | from_yaml }}"
    sync_pass: final
    kommune: kommune-c
  delegate_to: rz-fs
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
  no_log: true
  async: 86400
  poll: 0
"""

RETURN = r"""
share:
  description: The share, as O(share).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: str
  sample: kaemmerei
sync_pass:
  description: The pass, as O(sync_pass).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: str
  sample: seed
counts:
  description: Paths per kind of work (exact, also in check mode).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: dict
  sample: {mkdir: 3, copy: 12, local: 1, link: 1, meta: 2, delete: 2, replaced: 0, unchanged: 40, held: 2,
           not_deleted: 0}
  contains:
    mkdir:
      description: Folders the pass creates (or re-creates where a file was) on the target.
      type: int
    copy:
      description: Files whose content the pass reads over SMB.
      type: int
    local:
      description: Files that moved at the source, copied on the target from where the last pass put them.
      type: int
    link:
      description: Further names of hard-linked files, linked on the target.
      type: int
    meta:
      description: Paths whose content is current and whose metadata changed (change time moved).
      type: int
    delete:
      description: Paths on the target the source no longer has, which the pass removes.
      type: int
    replaced:
      description: Paths whose type changed (a file that became a folder or back), counted in mkdir or copy too.
      type: int
    unchanged:
      description: Paths already the same on both sides (never read).
      type: int
    held:
      description: Paths the source cannot give (reparse points, offline, locked, access denied); see the findings.
      type: int
    not_deleted:
      description: Paths on the target the source no longer has, which the pass left in place (O(delete=false)).
      type: int
bytes:
  description: Bytes of content the pass reads (in check mode, would read) over SMB.
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: int
  sample: 1048576
first:
  description: The first O(show) paths of each kind of work.
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: dict
  sample: {copy: [Haushalt/Haushaltsplan 2024.xlsx], delete: [alt.txt]}
not_deleted:
  description: Target paths the source no longer has that the pass left there because O(delete) is off, first O(show).
  returned: success, with the options of one share (with O(shares) in each item of RV(shares))
  type: list
  elements: str
  sample: [alt/Entwurf.txt]
complete:
  description:
    - Whether the pass (with O(shares), every share's pass) did all it found to do. V(false) when no transfer was
      allowed (a limit of V(0) in O(bandwidth_schedule), or O(until) came); the pass stopped at a clean point or
      did not start, and RV(stopped) says why and when transfer is next allowed. The next pass continues where this
      one stopped.
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
      content moved, in order, each with the limit (bytes/s, null for none), the bytes read from the source and
      the seconds from the first to the last of them, and the rate they give. Empty without a schedule.
    - With O(shares), the link's under the limit all passes share (the bytes of all of them); each share's own
      bytes under it are in its item of RV(shares).
  returned: success
  type: list
  elements: dict
  sample: [{limit_bytes_per_s: 2500000, bytes: 31457280, seconds: 12.58, rate_bytes_per_s: 2500556}]
seconds:
  description:
    - How long the pass took, from the start of its connection to the share to its new state.
    - With O(shares), how long the run took, from the first pass's start to the last one's end; each share's own
      seconds (its connection included) are in its item of RV(shares).
  returned: success
  type: float
  sample: 1.5
shares:
  description:
    - One item per share, in the order given (with the options of one share, that one), with the fields the pass
      of one share returns at the top (RV(counts), RV(bytes), RV(first), RV(not_deleted), RV(complete),
      RV(stopped), RV(progress)), RV(transfer) its own bytes under the link's limit, RV(seconds) its own pass's
      seconds (its connection included), and C(share), C(sync_pass), C(changed) and C(failed).
    - A share whose pass failed has only C(share), C(sync_pass), C(changed), C(failed=true), C(seconds) and
      C(msg) (why); the module then fails too, naming each failed share.
  returned: always
  type: list
  elements: dict
  sample: [{share: kaemmerei, sync_pass: final, failed: false, changed: true, counts: {copy: 2}, bytes: 2048,
            seconds: 0.8, complete: true, stopped: null},
           {share: bauamt, sync_pass: final, failed: true, changed: false, seconds: 0.2,
            msg: "share bauamt, final pass: cannot read the share ..."}]
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {copy: 12}, items: {copy: [kaemmerei/a.txt]}, truncated: false}
umzug_findings:
  description:
    - Findings (what the source cannot give, with the keys of M(kommunal.umzug.share_discover_smb); metadata that
      could not be carried, one finding per key with the count and the first paths; SIDs without a new identity;
      paths the pass did not delete because O(delete) is off; a pass stopped because no transfer was allowed;
      O(compress) asked for, which SMB does not do).
  returned: success
  type: list
  elements: dict
  sample: []
"""

import os
import socket
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Changes
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate as share_rate
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_metadata, smb_source, smb_sync
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire as share_wire
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.pass_findings import (
    compress_smb_findings,
    not_deleted_findings,
    stopped_findings,
    unmapped_sid_findings,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.sync import SyncError
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown


def findings(share, done, unmapped_sids, where, show, sync_pass="delta", compress=False, server=""):
    """One finding per key for the share: what the source could not give and what the
    metadata writer could not carry (counted, the first paths), the SIDs kept untranslated,
    the paths not deleted, where the pass stopped, and compression asked for, which this
    path does not do."""
    return [*share_preflight.findings(done.report(share), **where),
            *unmapped_sid_findings(share, unmapped_sids, where),
            *not_deleted_findings(share, done.not_deleted, where, show),
            *stopped_findings(share, sync_pass, done.stop, done.progress, where),
            *compress_smb_findings(share, compress, server, where)]


def share_spec() -> dict:
    """The options that name one share and its pass: the module's own (one share) and those of each
    item of O(shares), one spec for both (the names share_sync's items have, and the RZ share)."""
    return dict(share=dict(type="str", required=True), target_root=dict(type="path", required=True),
                target_service=dict(type="str", required=True), state_path=dict(type="path", required=True),
                progress_path=dict(type="path"))


def samba_acls(module, shares: list[dict]) -> dict[str, smb_metadata.SambaAcl | str]:
    """Per share its target share's SD writer, or why that share does not serve its target_root (the
    share's failure, its pass not run). Samba's bindings missing fails the module before any pass, in
    check mode too: no share could be written."""
    acls: dict[str, smb_metadata.SambaAcl | str] = {}
    for item in shares:
        acl = smb_metadata.SambaAcl(item["target_service"])
        try:
            acl.check(item["target_root"])
        except smb_metadata.SambaMissing as err:
            module.fail_json(msg=f"on {socket.gethostname()}: {err}")
        except smb_metadata.ServiceMismatch as err:
            acls[item["share"]] = f"on {socket.gethostname()}: {err}"
        else:
            acls[item["share"]] = acl
    return acls


class Passes:
    """What the run's passes share: the module's start, Samba's bindings, the identity mapping and
    the link's limiter; ``run`` does one share's pass, over a connection of its own to the share."""

    def __init__(self, module, limiter: share_rate.Limiter, acls: dict):
        self.params, self.check, self.limiter, self.acls = module.params, module.check_mode, limiter, acls
        self.translate_sid = share_identity.module_translator(module)
        self.where = {"kommune": module.params["kommune"], "host": socket.gethostname()}

    def run(self, item: dict) -> tuple[dict, list, smb_sync.SmbPassResult | None]:
        """One share's pass: its result (C(failed) and C(msg) when it failed), its findings and the
        pass (None when it failed). A failure stays this share's; the next share's pass goes on."""
        params, share = self.params, item["share"]
        started = time.monotonic()
        acl = self.acls[share]
        if isinstance(acl, str):
            return self.failed(share, acl, started)
        target_root = os.fsencode(item["target_root"])
        part = self.limiter.part()
        try:
            source = smb_source.share_of(params, share)
            source.workers = params["workers"]
            with source:
                # The one call point of the metadata; the engine calls it only outside check mode.
                writer = smb_sync.TargetMetadata(target_root, self.translate_sid, source=source, acl=acl,
                                                 stream_limit=params["stream_limit"])
                done = smb_sync.run_smb_pass(source, target_root, item["state_path"], check=self.check,
                                             delete=params["delete"], progress_path=item["progress_path"],
                                             apply_metadata=writer, what=f"{params['sync_pass']} pass of share "
                                             f"{share}", limiter=part)
                if self.check:
                    writer.foresee(done.plan)
        except Exception as err:  # any failure is this share's: the next one goes on, and it is named
            what = str(err) if isinstance(err, (smb_source.SmbSourceError, SyncError, OSError)) else \
                f"{type(err).__name__}: {err}"
            return self.failed(share, f"share {share}, {params['sync_pass']} pass: {what}", started)
        found = findings(share, done, writer.unmapped_sids, self.where, params["show"], params["sync_pass"],
                         params["compress"], params["server"])
        # The share's own seconds in the run, its connection and workers' start included: what it costs.
        return {**result_of(params, share, done), "seconds": round(time.monotonic() - started, 3), "failed": False,
                "transfer": part.report(), **share_rate.outcome(done.stop, done.progress)}, found, done

    def failed(self, share: str, msg: str, started: float) -> tuple[dict, list, None]:
        return ({"share": share, "sync_pass": self.params["sync_pass"], "failed": True, "changed": False,
                 "msg": msg, "seconds": round(time.monotonic() - started, 3)}, [], None)


def planned_paths(done) -> dict[str, list[bytes]]:
    """Per kind of work the paths the pass did (in check mode, would do); deletions only where it deletes."""
    plan = done.plan
    return {kind: [step.entry.path for step in plan.of(kind)] if kind != "delete" else
            ([] if done.not_deleted else list(plan.delete)) for kind in smb_sync.KINDS}


def result_of(params, share, done):
    show = params["show"]
    counts = done.counts()
    counts["not_copied"] = len(done.unfinished)
    return {"changed": any(counts[kind] for kind in smb_sync.KINDS), "share": share,
            "sync_pass": params["sync_pass"], "counts": counts, "bytes": done.plan.bytes_to_read(),
            "first": {kind: [shown(p) for p in paths[:show]] for kind, paths in planned_paths(done).items()},
            "not_deleted": [shown(p) for p in done.not_deleted[:show]]}


def main():
    per_share = share_spec()
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            # One share by the module's own options, or several in shares: the same spec.
            **{name: {**option, "required": False} for name, option in per_share.items()},
            shares=dict(type="list", elements="dict", options=per_share),
            sync_pass=dict(type="str", choices=["seed", "delta", "final"], default="delta", no_log=False),
            delete=dict(type="bool", default=True),
            show=dict(type="int", default=10),
            kommune=dict(type="str"),
            **share_identity.mapping_args(),
            stream_limit=dict(type="int", default=smb_metadata.DEFAULT_STREAM_LIMIT),
            workers=dict(type="int", default=2),
            **share_rate.argument_spec(),
            **share_wire.argument_spec(),
        ),
        mutually_exclusive=[("shares", name) for name in per_share],
        required_one_of=[("shares", "share")],
        required_together=[tuple(name for name, option in per_share.items() if option.get("required"))],
        required_if=[("auth", "ntlm", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    if not smb_source.HAS_SMBPROTOCOL:
        module.fail_json(msg=missing_required_lib("smbprotocol"), exception=str(smb_source.SMBPROTOCOL_ERROR))
    if params["workers"] < 1:
        module.fail_json(msg=f"workers must be 1 or more, not {params['workers']}")
    shares = share_identity.shares_of(params, per_share)
    problem = share_identity.shares_problem(shares, ("share", "state_path", "target_root"))
    if problem:
        module.fail_json(msg=problem)
    try:
        # One limiter for the run: the passes take the Kommune's one link one after another (rate.Part).
        limiter = share_rate.limiter_of(params["bandwidth_schedule"], params["until"])
    except ValueError as err:
        module.fail_json(msg=str(err))
    passes = Passes(module, limiter, samba_acls(module, shares))
    started = time.monotonic()
    # One after another: each pass's walk already keeps O(workers) processes busy, and smbprotocol
    # builds every message in Python; threads beside those forked workers are not safe (docs/shares.md).
    done = [passes.run(item) for item in shares]
    changes = Changes("shares", limit=params["show"])
    for result, _findings, passed in done:
        for kind, paths in planned_paths(passed).items() if passed else ():
            for path in paths:
                changes.add(kind, f"{result['share']}/{shown(path)}")
    share_identity.end_run(module, params, done, changes, round(time.monotonic() - started, 3), limiter.report())


if __name__ == "__main__":
    main()
