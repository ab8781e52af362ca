#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_sync_smb
short_description: Runs one sync pass of a share the RZ file server reads over SMB 3 (a Windows source)
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
    description: Name of the source share.
    type: str
    required: true
  target_root:
    description: Folder of the share on the RZ file server.
    type: path
    required: true
  state_path:
    description: State file of the share's SMB passes (what the last pass left on the target).
    type: path
    required: true
  progress_path:
    description: Progress file written while content moves.
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
  target_service:
    description:
      - Name of the share on the RZ file server that serves O(target_root) (its smb.conf section). The security
        descriptors are set through Samba on it, so its C(vfs objects) decide how they are stored; it must have
        C(acl_xattr) and C(streams_xattr).
      - Before the pass, in check mode too, the module reads Samba's configuration on the RZ file server through
        Samba's own loadparm and fails with one sentence (host, share, the share's path, O(target_root)) when
        there is no such share or its C(path) is neither O(target_root) nor a folder above it.
    type: str
    required: true
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
        Each one is a session on the source file server.
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
"""

RETURN = r"""
share:
  description: The share, as O(share).
  returned: success
  type: str
  sample: kaemmerei
sync_pass:
  description: The pass, as O(sync_pass).
  returned: success
  type: str
  sample: seed
counts:
  description: Paths per kind of work (exact, also in check mode).
  returned: success
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
  returned: success
  type: int
  sample: 1048576
first:
  description: The first O(show) paths of each kind of work.
  returned: success
  type: dict
  sample: {copy: [Haushalt/Haushaltsplan 2024.xlsx], delete: [alt.txt]}
not_deleted:
  description: Target paths the source no longer has that the pass left there because O(delete) is off, first O(show).
  returned: success
  type: list
  elements: str
  sample: [alt/Entwurf.txt]
complete:
  description:
    - Whether the pass did all it found to do. V(false) when no transfer was allowed (a limit of V(0) in
      O(bandwidth_schedule), or O(until) came); the pass stopped at a clean point or did not start, and
      RV(stopped) says why and when transfer is next allowed. The next pass continues where this one stopped.
  returned: success
  type: bool
  sample: false
stopped:
  description:
    - Why the pass stopped before it had copied all (C(reason) V(schedule) or V(until)), when (C(at)), when
      transfer is next allowed (C(next_allowed), Europe/Berlin, null if never) and one sentence (C(message));
      null for a complete pass.
  returned: success
  type: dict
  sample: {reason: schedule, at: "2026-12-05T07:00:00+01:00", next_allowed: "2026-12-05T20:00:00+01:00",
           message: "the transfer schedule allows no transfer from now on (limit 0) at ..."}
progress:
  description:
    - The share's files and bytes as listed (C(files_total), C(bytes_total)) and how many of them the target now
      holds as the source has them (C(files), C(bytes)); in check mode, how many it already holds. Null when the
      pass did not list the share (started while no transfer was allowed).
  returned: success
  type: dict
  sample: {files: 7000, files_total: 9000, bytes: 12000000000, bytes_total: 20000000000}
transfer:
  description:
    - The pass's bandwidth under each limit it met (O(bandwidth_schedule)); one item per limit in force while
      content moved, in order, each with the limit (bytes/s, null for none), the bytes read from the source and
      the seconds from the first to the last of them, and the rate they give. Empty without a schedule.
  returned: success
  type: list
  elements: dict
  sample: [{limit_bytes_per_s: 2500000, bytes: 31457280, seconds: 12.58, rate_bytes_per_s: 2500556}]
seconds:
  description: How long the pass took.
  returned: success
  type: float
  sample: 1.5
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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_CHANGES, RESULT_FINDINGS, Changes
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


def samba_acl(module, service, target_root):
    """The target share's SD writer, its bindings loaded and the share found serving
    target_root before the pass starts (in check mode too)."""
    acl = smb_metadata.SambaAcl(service)
    try:
        acl.check(target_root)
    except (smb_metadata.SambaMissing, smb_metadata.ServiceMismatch) as err:
        module.fail_json(msg=f"on {socket.gethostname()}: {err}")
    return acl


def result_of(params, done):
    plan, show = done.plan, params["show"]
    changes = Changes("shares", limit=show)
    first = {}
    for kind in smb_sync.KINDS:
        paths = [s.entry.path for s in plan.of(kind)] if kind != "delete" else \
            ([] if done.not_deleted else plan.delete)
        for path in paths:
            changes.add(kind, f"{params['share']}/{shown(path)}")
        first[kind] = [shown(p) for p in paths[:show]]
    counts = done.counts()
    counts["not_copied"] = len(done.unfinished)
    return {"changed": any(counts[kind] for kind in smb_sync.KINDS), "share": params["share"],
            "sync_pass": params["sync_pass"], "counts": counts, "bytes": plan.bytes_to_read(), "first": first,
            "not_deleted": [shown(p) for p in done.not_deleted[:show]], "seconds": round(done.seconds, 3),
            RESULT_CHANGES: changes.to_dict()}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            share=dict(type="str", required=True),
            target_root=dict(type="path", required=True),
            state_path=dict(type="path", required=True),
            progress_path=dict(type="path"),
            sync_pass=dict(type="str", choices=["seed", "delta", "final"], default="delta", no_log=False),
            delete=dict(type="bool", default=True),
            show=dict(type="int", default=10),
            kommune=dict(type="str"),
            **share_identity.mapping_args(),
            target_service=dict(type="str", required=True),
            stream_limit=dict(type="int", default=smb_metadata.DEFAULT_STREAM_LIMIT),
            workers=dict(type="int", default=2),
            **share_rate.argument_spec(),
            **share_wire.argument_spec(),
        ),
        required_if=[("auth", "ntlm", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    if not smb_source.HAS_SMBPROTOCOL:
        module.fail_json(msg=missing_required_lib("smbprotocol"), exception=str(smb_source.SMBPROTOCOL_ERROR))
    if params["workers"] < 1:
        module.fail_json(msg=f"workers must be 1 or more, not {params['workers']}")
    try:
        limiter = share_rate.limiter_of(params["bandwidth_schedule"], params["until"])
    except ValueError as err:
        module.fail_json(msg=str(err))
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    what = f"{params['sync_pass']} pass of share {params['share']}"
    translate_sid = share_identity.module_translator(module)
    acl = samba_acl(module, params["target_service"], params["target_root"])
    target_root = os.fsencode(params["target_root"])
    try:
        source = smb_source.share_of(params, params["share"])
        source.workers = params["workers"]
        with source:
            # The one call point of the metadata; the engine calls it only outside check mode.
            writer = smb_sync.TargetMetadata(target_root, translate_sid, source=source, acl=acl,
                                             stream_limit=params["stream_limit"])
            done = smb_sync.run_smb_pass(source, target_root, params["state_path"], check=module.check_mode,
                                         delete=params["delete"], progress_path=params["progress_path"],
                                         apply_metadata=writer, what=what, limiter=limiter)
            if module.check_mode:
                writer.foresee(done.plan)
    except (smb_source.SmbSourceError, SyncError, OSError) as err:
        module.fail_json(msg=f"share {params['share']}, {params['sync_pass']} pass: {err}")
    found = findings(params["share"], done, writer.unmapped_sids, where, params["show"], params["sync_pass"],
                     params["compress"], params["server"])
    module.exit_json(**result_of(params, done), transfer=limiter.report(),
                     **share_rate.outcome(done.stop, done.progress),
                     **{RESULT_FINDINGS: [f.to_dict() for f in found]})


if __name__ == "__main__":
    main()
