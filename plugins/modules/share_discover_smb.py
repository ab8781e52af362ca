#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_discover_smb
short_description: Lists a Windows file server's shares over SMB 3 and reports what cannot move as it is
version_added: 0.1.0
description:
  - The pre-flight of M(kommunal.umzug.share_discover) for a source file server umzug reaches only over SMB
    (a Windows file server, with no SSH and nothing installed on it). Runs on the RZ file server, never on the
    controller, and returns the same result shape and findings.
  - Reads each share's settings over srvsvc (NetShareGetInfo levels 502 and 1005 give path, comment, caching,
    access-based enumeration and the share ACL) in the form M(kommunal.umzug.share_provision) takes.
  - With O(scan=true) walks each share over one SMB 3 connection (signing required, encryption when
    O(encrypt)), opening every object with backup intent and without following reparse points or recalling
    offline files, and reports as findings the names and paths the target or clients cannot take, hard
    links (file id and link count), sparse files, SIDs in owners and ACLs the identity mapping cannot
    translate, and what only a Windows source has, namely reparse points (listed, not followed), offline and
    recall-on-access files (listed, never read), files held open with a sharing mode that denies reading
    (after O(retries) tries), paths the account may not read despite backup intent, alternate data streams
    (and those too large for the target's vfs_streams_xattr), SACLs the account may not read.
  - Reads only; never changes anything.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.smb_source
  - kommunal.umzug.identity_mapping
options:
  shares:
    description: Names of the shares to report on; empty means every disk share the server lists (srvsvc).
    type: list
    elements: str
    default: []
  skip:
    description: Names of shares to leave out.
    type: list
    elements: str
    default: []
  scan:
    description: Walk the shares' trees. V(false) only reads the shares' settings (fast).
    type: bool
    default: true
  settings:
    description: Read the shares' settings over srvsvc (needs Samba's Python bindings, python3-samba, on this host).
    type: bool
    default: true
  stream_limit:
    description: Largest alternate data stream (bytes) the RZ file server's vfs_streams_xattr can hold.
    type: int
    default: 65535
  list_limit:
    description: Return up to this many objects per share in RV(shares[].entries) (for a report or a test); 0 none.
    type: int
    default: 0
  list_sd:
    description:
      - With O(list_limit), each listed object carries its security descriptor (self-relative, base64) in
        C(sd), as the backup account read it (the acceptance suite compares access by it).
    type: bool
    default: false
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
      - Where the plan puts the Kommune's shares (C(umzug_kommune.share_placement)), as for
        M(kommunal.umzug.share_discover).
    type: dict
    default: {}
  source_names:
    description: Names and addresses this file server has in the plan's old UNC paths.
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
  kommune:
    description: Kommune id the findings belong to.
    type: str
requirements:
  - smbprotocol and pyspnego (the venv of roles/shares' smb_client.yml); python3-samba for O(settings).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Pre-flight of a Windows file server's shares
  kommunal.umzug.share_discover_smb:
    server: kommune-b-fs.kommune-b.example
    username: KOMMUNEB\umzug-backup
    password: "{{ vault_kommune_b_backup_password }}"
    namespace: bdorf
    target_server: rz-fs
    kommune: kommune-b
  no_log: true
  register: shares_found
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
"""

RETURN = r"""
shares:
  description: Every share, with its settings and (with O(scan)) what it holds, in the shape of share_discover's result.
  returned: success
  type: list
  elements: dict
  sample:
    - name: bauamt
      path: D:\Shares\Bauamt
      target_name: bdorf-bauamt
      frozen: false
      settings: {comment: Bauamt, csc policy: manual, hide unreadable: "Yes", path: D:\Shares\Bauamt}
      share_acl: [{type: 0, flags: 0, mask: 2032127, sid: S-1-5-32-544}]
      files: 4
      dirs: 3
      symlinks: 1
      others: 0
      bytes: 431
      allocated_bytes: 16384
      streams: 1
      stream_bytes: 26
      reparse_points: 1
      offline_files: 1
      attributes: {A: 4, D: 3, H: 1}
      sacl_unread: 8
      principals:
        - {sid: S-1-5-21-1-2-3-1107, name: null, paths: 7}
  contains:
    name:
      description: Name of the share on the source server.
      type: str
      sample: bauamt
    path:
      description: Folder of the share on the source server, as srvsvc gives it (None without level 502).
      type: str
      sample: D:\Shares\Bauamt
    target_name:
      description: Name the share gets on the RZ file server.
      type: str
      sample: bdorf-bauamt
    frozen:
      description: Always V(false); a Windows source is not frozen through its configuration.
      type: bool
      sample: false
    settings:
      description:
        - The share's settings as smb.conf keys (C(comment), C(csc policy), C(hide unreadable), C(smb encrypt)),
          with C(path).
      type: dict
      sample: {comment: Bauamt, csc policy: manual}
    share_acl:
      description: The share ACL's entries (srvsvc level 502); empty where the server has none or did not give it.
      type: list
      elements: dict
      sample: [{type: 0, flags: 0, mask: 2032127, sid: S-1-5-32-544}]
    files:
      description:
        - Number of files (with O(scan)); C(dirs) counts folders, C(symlinks) and C(reparse_points) reparse points.
      type: int
      returned: with O(scan)
      sample: 4
    bytes:
      description: Sum of the file sizes (with O(scan)); C(allocated_bytes) is the space they take on the source.
      type: int
      returned: with O(scan)
      sample: 431
    streams:
      description: Number of alternate data streams (with O(scan)); C(stream_bytes) their size.
      type: int
      returned: with O(scan)
      sample: 1
    attributes:
      description: How many objects carry each DOS attribute, by letter (R H S D A ... O offline, L reparse point).
      type: dict
      returned: with O(scan)
      sample: {A: 4, H: 1}
    principals:
      description: Every SID the owners and ACLs name, with the number of paths naming it.
      type: list
      elements: dict
      returned: with O(scan)
      sample: [{sid: S-1-5-21-1-2-3-1107, name: null, paths: 7}]
    entries:
      description:
        - The first O(list_limit) objects as the walk listed them (path, kind, size, attributes, times in ns,
          file id, links, streams, problems; with O(list_sd) the security descriptor, base64, in C(sd)).
      type: list
      elements: dict
      returned: with O(scan) and O(list_limit)
      sample: [{path: bericht.docx, kind: file, size: 4096, attributes: HA, creation_ns: 1796306910870785200}]
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

import socket

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kommunal.umzug.plugins.module_utils import share_placement, unc
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import identity as share_identity
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import preflight as share_preflight
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_preflight, smb_settings, smb_source


def srvsvc_client(module):
    params = module.params
    try:
        return smb_settings.client_of(params)
    except ImportError as err:
        module.fail_json(msg=missing_required_lib("python3-samba (settings: true)"), exception=str(err))
    except RuntimeError as err:
        module.fail_json(msg=f"cannot reach the srvsvc pipe of {params['server']} over SMB: {err}")


def share_names(module, client):
    params = module.params
    if params["shares"]:
        return [name for name in params["shares"] if name not in params["skip"]]
    if client is None:
        module.fail_json(msg="name the shares (shares) when their settings are not read (settings: false)")
    try:
        listed = client.share_names()
    except RuntimeError as err:
        module.fail_json(msg=f"{params['server']} did not list its shares over srvsvc: {err}")
    return [name for name in listed if name not in params["skip"]]


def share_settings(module, client, name, where):
    if client is None:
        return {}, [], []
    try:
        found = client.read_settings(name)
    except RuntimeError as err:
        module.fail_json(msg=f"cannot read the settings of \\\\{module.params['server']}\\{name}: {err}")
    findings = [Finding.of("shares.smb_settings_partial", share=name, missing="; ".join(found.partial),
                           resources=(name,), **where)] if found.partial else []
    return found, found.share_acl(), findings


def scan_share(module, name, target_unc):
    params = module.params
    listed = [] if params["list_limit"] else None
    try:
        with smb_source.share_of(params, name) as source:
            report = smb_preflight.inspect(name, source.walk(), target_unc, params["max_path"],
                                           params["stream_limit"], listed, params["list_sd"])
    except smb_source.SmbSourceError as err:
        module.fail_json(msg=str(err))
    except (smb_source.SMBException, OSError) as err:
        module.fail_json(msg=f"reading \\\\{params['server']}\\{name} over SMB failed: {smb_source.describe(err)}")
    return report, (listed or [])[:params["list_limit"]]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            shares=dict(type="list", elements="str", default=[]),
            skip=dict(type="list", elements="str", default=[]),
            scan=dict(type="bool", default=True),
            settings=dict(type="bool", default=True),
            stream_limit=dict(type="int", default=65535),
            list_limit=dict(type="int", default=0),
            list_sd=dict(type="bool", default=False),
            **share_identity.mapping_args(),
            namespace=dict(type="str", required=True),
            target_server=dict(type="str", required=True),
            placement=dict(type="dict", default={}),
            source_names=dict(type="list", elements="str", default=[]),
            max_path=dict(type="int", default=260),
            target_free_bytes=dict(type="int"),
            space_margin_percent=dict(type="int", default=10),
            kommune=dict(type="str"),
        ),
        required_if=[("auth", "ntlm", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    if params["scan"] and not smb_source.HAS_SMBPROTOCOL:
        module.fail_json(msg=missing_required_lib("smbprotocol"), exception=str(smb_source.SMBPROTOCOL_ERROR))
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    will_translate = share_identity.module_judge(module)
    client = srvsvc_client(module) if params["settings"] else None
    result, findings, needed = [], [], 0
    for name in share_names(module, client):
        found, share_acl, setting_findings = share_settings(module, client, name, where)
        findings += setting_findings
        target = share_placement.discovered_target(
            params["placement"], params["target_server"], params["namespace"], params["source_names"], name)
        if not share_placement.same_server(target["server"], params["target_server"]):
            module.fail_json(msg=f"share {name}: the plan places it on {target['server']} ({target['unc']}), "
                                 f"but this run provisions on {params['target_server']}")
        entry = {"name": name, "path": found.path if found else None, "frozen": False,
                 "target_name": target["share"], "settings": dict(smb_settings.as_discovered(found)) if found else {},
                 "share_acl": share_acl}
        if params["scan"]:
            report, listed = scan_share(module, name, unc.build(params["target_server"], target["share"]))
            for sid in found.sids() if found else ():
                report.principals[sid] = report.principals.get(sid, 0) + 1
            entry.update(report.summary({}))
            if params["list_limit"]:
                entry["entries"] = listed
            needed += report.bytes
            findings += share_preflight.findings(report, **where)
            findings += share_preflight.unmapped_sid_findings(name, report.principals, will_translate, {}, **where)
        result.append(entry)
    if params["scan"]:
        findings += share_preflight.space_finding(needed, params["target_free_bytes"], params["space_margin_percent"],
                                                  params["target_server"], **where)
    module.exit_json(changed=False, shares=result, needed_bytes=needed,
                     **{RESULT_FINDINGS: [f.to_dict() for f in findings]})


if __name__ == "__main__":
    main()
