#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_discover
short_description: Lists a Kommune file server's shares and reports what cannot move as it is
version_added: 0.1.0
description:
  - Runs on the Kommune's file server. Reads every file share from C(testparm -s) (Samba's own view,
    includes resolved) with its settings and path.
  - With O(scan=true) walks each share once and returns its size, file, folder and symlink counts and
    the principals its owners and Windows ACLs name, and reports as findings (umzug findings model)
    names Windows clients or the target cannot take (invalid characters, trailing dot or space, reserved
    DOS names, names that are not UTF-8, names a Windows client takes for one (case or Unicode form),
    paths too long for the clients on the target, paths longer than Linux takes (PATH_MAX), which are
    not copied), extended attributes a sync does not carry (file capabilities among them), hard links,
    symlinks (those leaving the share with a higher severity), sparse files, devices and fifos, files
    open or locked over SMB (smbstatus), SIDs the identity mapping cannot translate, and free space on
    the target short of what the shares need (an inhibitor).
  - With O(scan=true) and O(wire_sample_bytes) above 0 also measures how much of each share's content a
    compressed pass puts on the wire (RV(shares[].wire_sample)), from a sample spread over the share's files in
    proportion to their size, compressed with the codec and level a pass takes on this server (C(zstd -3)
    where the program is here, else zlib level 1). The dry run's estimate takes it for a Kommune with
    C(transfer.compress) until a compressed pass measured it.
  - Reads only; never changes anything (files are opened without following symlinks and without changing
    their access time).
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.identity_mapping
options:
  shares:
    description: Names of the shares to report on; empty means every file share.
    type: list
    elements: str
    default: []
  skip:
    description: Names of shares to leave out (e.g. C(netlogon), C(sysvol)).
    type: list
    elements: str
    default: []
  scan:
    description: Walk the shares' trees. V(false) only lists the shares and their settings (fast).
    type: bool
    default: true
  namespace:
    description: The Kommune's share namespace on the RZ file server (C(umzug_kommune.share_namespace)).
    type: str
    required: true
  target_server:
    description: Name of the RZ file server as clients will write it in UNC paths, for the path length check.
    type: str
    required: true
  placement:
    description:
      - Where the plan puts the Kommune's shares (C(umzug_kommune.share_placement)); a share it lists with
        C(new) gets that name (RV(shares[].target_name)). Empty, every share is named C(<namespace>-<share>).
      - A share placed on another server than O(target_server) is refused.
    type: dict
    default: {}
  source_names:
    description: Names and addresses this file server has in the plan's old UNC paths (inventory name, address).
    type: list
    elements: str
    default: []
  max_path:
    description: Longest full UNC path (UTF-16 units) Windows clients take on the target.
    type: int
    default: 260
  target_free_bytes:
    description: Free bytes on the RZ file server where the shares will live; omitted skips the space check.
    type: int
  space_margin_percent:
    description: Margin on top of the shares' size the free space must cover.
    type: int
    default: 10
  freeze_state_dir:
    description:
      - Where M(kommunal.umzug.share_freeze) keeps its records. A frozen share is reported with the
        settings it had before the freeze (RV(shares[].frozen) is V(true)), so a later provisioning does
        not carry the freeze to the RZ.
    type: path
    default: /var/lib/umzug/shares/freeze
  wire_sample_bytes:
    description:
      - Bytes of each share's content to read for RV(shares[].wire_sample) (with O(scan)), at most; pieces
        of 128 KiB at equal distances over the share's files in the walk's order, so the same tree gives the
        same sample. A share smaller than that is read whole. V(0) samples nothing.
    type: int
    default: 8388608
  kommune:
    description: Kommune id the findings belong to.
    type: str
requirements:
  - Samba (testparm, smbstatus) and winbind (wbinfo) on the file server.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Pre-flight of the Kommune's shares
  kommunal.umzug.share_discover:
    namespace: altdorf
    target_server: rz-fs
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    target_free_bytes: 53687091200
    kommune: kommune-a
  register: shares_found
"""

RETURN = r"""
shares:
  description: Every file share, with its settings and (with O(scan)) what it holds.
  returned: success
  type: list
  elements: dict
  sample:
    - name: bauamt
      path: /srv/shares/bauamt
      target_name: altdorf-bauamt
      frozen: false
      settings: {comment: Bauamt, read only: "No", access based share enum: "Yes"}
      files: 4
      dirs: 3
      symlinks: 0
      others: 0
      bytes: 431
      allocated_bytes: 16384
      principals:
        - {sid: S-1-5-21-1-2-3-1107, name: KOMMUNEA\bauamt, paths: 7}
      wire_sample: {codec: zstd, sampled_bytes: 431, wire_bytes: 290}
  contains:
    name:
      description: Name of the share on this server.
      type: str
      sample: bauamt
    path:
      description: Folder of the share on this server.
      type: str
      sample: /srv/shares/bauamt
    target_name:
      description: Name the share gets on the RZ file server (O(placement), else C(<namespace>-<share>)).
      type: str
      sample: altdorf-bauamt
    frozen:
      description:
        - Whether M(kommunal.umzug.share_freeze) has frozen the share; RV(shares[].settings) are then
          the settings it had before the freeze.
      type: bool
      sample: false
    settings:
      description: The share's section of Samba's configuration.
      type: dict
      sample: {comment: Bauamt, read only: "No"}
    files:
      description: Number of files (with O(scan)); C(dirs), C(symlinks) and C(others) count the other kinds.
      type: int
      returned: with O(scan)
      sample: 4
    bytes:
      description: Sum of the file sizes (with O(scan)); C(allocated_bytes) is the space they take on disk.
      type: int
      returned: with O(scan)
      sample: 431
    principals:
      description: Every SID the owners and Windows ACLs name, with its name and the number of paths naming it.
      type: list
      elements: dict
      returned: with O(scan)
      sample: [{sid: S-1-5-21-1-2-3-1107, name: KOMMUNEA\bauamt, paths: 7}]
    wire_sample:
      description:
        - The sample of the share's content (O(wire_sample_bytes)) compressed as a pass on this server would,
          with C(codec) (V(zstd) or V(gzip)); C(sampled_bytes) read, C(wire_bytes) they take on the wire.
          C(wire_bytes) / C(sampled_bytes) is the share's bytes on the wire per byte of content.
        - Files that were gone or could not be read when the sample was taken are left out.
      type: dict
      returned: with O(scan) and O(wire_sample_bytes) above 0, unless the compressor failed (a warning says why)
      sample: {codec: zstd, sampled_bytes: 8388608, wire_bytes: 2516582}
needed_bytes:
  description: Sum of the file sizes of all reported shares (with O(scan)).
  returned: success
  type: int
  sample: 1048576
umzug_findings:
  description: Findings of the umzug findings model.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import json
import os
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf, share_placement, unc
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_shares as share_samba_conf
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import tree as share_tree
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire_sample as share_wire_sample
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.identity import Winbind


def read_shares(module, wanted, skip):
    code, out, err = module.run_command(["testparm", "-s"])
    if code != 0:
        module.fail_json(msg=f"testparm -s failed: {err.strip() or out.strip()}")
    shares = share_samba_conf.file_shares(samba_conf.sections(out))
    unknown = sorted(set(wanted) - set(shares))
    if unknown:
        module.fail_json(msg=f"shares {', '.join(unknown)} are not file shares of this server "
                             f"(it has {', '.join(sorted(shares)) or 'none'})")
    return {name: settings for name, settings in shares.items()
            if (not wanted or name in wanted) and name not in skip}


def unfrozen_settings(settings, record_file):
    """The settings a share had before umzug froze it (from the freeze record), and whether it is frozen."""
    try:
        with open(record_file, encoding="utf-8") as handle:
            record = json.load(handle)
    except FileNotFoundError:
        return settings, False
    before = {k: v for k, v in settings.items() if samba_conf.normal_key(k) not in share_samba_conf.WRITE_KEYS}
    return {**before, **share_samba_conf.record_settings(record)}, True


def open_files(module):
    """Files open over SMB: smbstatus' JSON where it has it (Samba 4.16+), else nothing to say."""
    code, out, _err = module.run_command(["smbstatus", "-L", "--json"])
    if code != 0:
        code, out, _err = module.run_command(["smbstatus", "-L"])
        return share_preflight.parse_smbstatus_locks(out) if code == 0 else []
    try:
        data = json.loads(out)
    except ValueError:
        return []
    result = []
    for item in (data.get("open_files") or {}).values():
        path = os.path.join(item.get("service_path", ""), item.get("filename", ""))
        opens = list((item.get("opens") or {}).values())
        first = opens[0] if opens else {}
        user = first.get("username") or str(first.get("uid", "?"))
        mode = ",".join(sorted(k for k, v in (first.get("access_mask") or {}).items() if v is True)) or "?"
        result.append({"path": path.rstrip("/"), "user": user, "mode": mode})
    return result


def wire_sample(module, name, root, sampler):
    """``{"wire_sample": ...}`` of a share, or nothing (and a warning) when the compressor failed."""
    try:
        return {"wire_sample": share_wire_sample.measure(root, sampler.segments())}
    except (OSError, RuntimeError) as err:
        module.warn(f"share {name}: its content could not be sampled for compression ({err})")
        return {}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            shares=dict(type="list", elements="str", default=[]),
            skip=dict(type="list", elements="str", default=[]),
            scan=dict(type="bool", default=True),
            **share_identity.mapping_args(),
            namespace=dict(type="str", required=True),
            target_server=dict(type="str", required=True),
            placement=dict(type="dict", default={}),
            source_names=dict(type="list", elements="str", default=[]),
            max_path=dict(type="int", default=260),
            target_free_bytes=dict(type="int"),
            space_margin_percent=dict(type="int", default=10),
            freeze_state_dir=dict(type="path", default="/var/lib/umzug/shares/freeze"),
            wire_sample_bytes=dict(type="int", default=share_wire_sample.DEFAULT_BYTES),
            kommune=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["wire_sample_bytes"] < 0:
        module.fail_json(msg=f"wire_sample_bytes must be 0 (no sample) or more, not {params['wire_sample_bytes']}")
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    will_translate = share_identity.module_judge(module)
    shares = read_shares(module, params["shares"], params["skip"])
    result, findings, needed = [], [], 0
    winbind = Winbind()
    for name, settings in shares.items():
        settings, frozen = unfrozen_settings(settings, os.path.join(params["freeze_state_dir"], f"{name}.json"))
        target = share_placement.discovered_target(
            params["placement"], params["target_server"], params["namespace"], params["source_names"], name)
        if not share_placement.same_server(target["server"], params["target_server"]):
            module.fail_json(msg=f"share {name}: the plan places it on {target['server']} ({target['unc']}), "
                                 f"but this run provisions on {params['target_server']}")
        entry = {"name": name, "path": settings["path"], "frozen": frozen,
                 "target_name": target["share"], "settings": settings}
        if params["scan"]:
            root = os.fsencode(settings["path"])
            if not os.path.isdir(root):
                module.fail_json(msg=f"share {name}: its path {settings['path']} is not a folder on this server")
            target_unc = unc.build(params["target_server"], entry["target_name"])
            sampler = share_wire_sample.Sampler(params["wire_sample_bytes"])
            nodes = sampler.noting(share_tree.scan(root, wanted=share_tree.every_xattr))
            report = share_preflight.inspect(name, nodes, target_unc, params["max_path"],
                                             winbind.uid_sid, winbind.gid_sid)
            names = {sid: winbind.name(sid) for sid in report.principals}
            entry.update(report.summary(names))
            needed += report.bytes
            findings += share_preflight.findings(report, **where)
            findings += share_preflight.unmapped_sid_findings(name, report.principals, will_translate, names, **where)
            if sampler.most:
                entry.update(wire_sample(module, name, root, sampler))
        result.append(entry)
    if params["scan"]:
        findings += share_preflight.open_file_findings(open_files(module), {n: s["path"] for n, s in shares.items()},
                                                       **where)
        findings += share_preflight.space_finding(needed, params["target_free_bytes"], params["space_margin_percent"],
                                                  params["target_server"], **where)
    module.exit_json(changed=False, shares=result, needed_bytes=needed,
                     **{RESULT_FINDINGS: [f.to_dict() for f in findings]})


if __name__ == "__main__":
    main()
