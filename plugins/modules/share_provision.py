#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations  # Configuration's annotations stay text on older Pythons

DOCUMENTATION = r"""
module: share_provision
short_description: Creates a Kommune's shares on the RZ file server under its namespace
version_added: 0.1.0
description:
  - Runs on the RZ file server. Writes the Kommune's shares as C(<namespace>-<share>) into one include
    file per Kommune (O(include_dir)/C(<namespace>.conf)), registers that file in O(smb_conf) with an
    C(include) line at its end, creates each share's folder (empty, C(root:root 0770); the first sync
    pass gives it the source's owner and ACLs) and reloads Samba.
  - Settings are carried as the source has them (comment, read only, browseable, access based share
    enum, veto files, create and directory masks ...). Settings that name principals (valid users,
    invalid users, read list, write list, admin users, force user, force group) are translated through
    the identity mapping O(mapping) (C(KOMMUNEA\\hmueller) -> C(RZ\\ald-hmueller), C(@KOMMUNEA\\bauamt)
    -> C(@RZ\\ald-bauamt), built-in names such as Domain Admins to the new domain's). A name that cannot
    be translated stays in the setting as it was (never dropped) and is an inhibitor finding
    (C(shares.setting_principal_unmapped)).
  - Settings that belong to the old host (vfs objects, preexec ...) are not carried and are reported
    (C(shares.setting_not_carried)); a share of the same name defined elsewhere in the configuration is
    reported as C(shares.target_share_defined_elsewhere).
  - The VFS modules the RZ side needs are umzug's own setting, O(vfs_objects), written on every share
    whatever the source had.
  - Idempotent; check mode reports what would change; diff shows the include file.
  - The new configuration is checked with C(testparm) before Samba reloads it; a failing check restores
    the previous files.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  shares:
    description:
      - The source shares as M(kommunal.umzug.share_discover) returns them (name, settings, target_name).
      - Each is written as its C(target_name), where the plan's share placement puts it; without one, as
        C(<namespace>-<share>).
    type: list
    elements: dict
    required: true
  namespace:
    description: The Kommune's share namespace.
    type: str
    required: true
  kommune:
    description: Kommune id (named in the include file and the findings).
    type: str
    required: true
  target_root:
    description: Folder on the RZ file server under which each share gets its folder C(<namespace>-<share>).
    type: path
    required: true
  include_dir:
    description: Folder of the per-Kommune include files.
    type: path
    default: /etc/samba/umzug
  smb_conf:
    description: Samba's configuration file that gets the include line.
    type: path
    default: /etc/samba/smb.conf
  mapping:
    description:
      - The Kommune's identity mapping (the data of the file the accounts payload writes). Without it,
        every old-domain name in a principal setting is an inhibitor finding.
    type: dict
  source_domains:
    description: Names of the old domain as settings may write them (workgroup, realm, DNS domain).
    type: list
    elements: str
    default: []
  target_workgroup:
    description:
      - The RZ domain's workgroup (NetBIOS name) that translated names get, e.g. C(RZ). Required when a
        share has a principal setting.
    type: str
  vfs_objects:
    description:
      - VFS modules every share gets (C(vfs objects)), in this order; empty writes none. They are not the
        source's (which belong to the old host and are never carried) but what the RZ side needs, e.g.
        V([acl_xattr, streams_xattr]) for a share the SMB sync writes (M(kommunal.umzug.share_sync_smb)
        stores security descriptors and alternate data streams through them).
    type: list
    elements: str
    default: []
  reload:
    description: Reload smbd after a change.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Provision Altdorf's shares on the RZ file server
  kommunal.umzug.share_provision:
    shares: "{{ shares_found.shares }}"
    namespace: altdorf
    kommune: kommune-a
    target_root: /srv/shares
    mapping: "{{ lookup('ansible.builtin.file', 'artifacts/mapping/kommune-a.yml') | from_yaml }}"
    source_domains: [KOMMUNEA, KOMMUNE-A.TEST]
    target_workgroup: RZ
  delegate_to: rz-fs

- name: Provision the shares of a Windows source, for the SMB sync
  kommunal.umzug.share_provision:
    shares: "{{ shares_found.shares }}"
    namespace: cranach
    kommune: kommune-c
    target_root: /srv/shares
    vfs_objects: [acl_xattr, streams_xattr]
  delegate_to: rz-fs
"""

RETURN = r"""
include_file:
  description: The Kommune's include file.
  returned: success
  type: str
  sample: /etc/samba/umzug/altdorf.conf
shares:
  description: The shares as the RZ file server serves them.
  returned: success
  type: list
  elements: dict
  sample:
    - {source: bauamt, name: altdorf-bauamt, path: /srv/shares/altdorf-bauamt, settings: {comment: Bauamt}}
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {share_created: 5}, items: {}, truncated: false}
umzug_findings:
  description: Findings of the umzug findings model.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import os
import socket
from dataclasses import dataclass

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf
from ansible_collections.kommunal.umzug.plugins.module_utils.files import edit_lock, read_text, write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
    Finding,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import mapping as identity_map
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import principals as share_principals
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_shares as share_samba_conf


def planned_shares(params, lookup):
    """(shares to write, settings left out per share, untranslatable principals per share)."""
    domains = share_principals.Domains(tuple(params["source_domains"]), params["target_workgroup"] or "")
    result, left_out, unmapped = [], {}, {}
    for share in params["shares"]:
        # share_discover names the target by the plan's placement (share_placement); a share
        # given by hand without one gets the default naming.
        name = share.get("target_name") or share_samba_conf.target_share_name(params["namespace"], share["name"])
        carried, left = share_samba_conf.carried_settings(share.get("settings") or {})
        for key in [k for k in left if k in share_principals.SETTINGS]:
            if not params["target_workgroup"]:
                raise ValueError(f"share {share['name']} has '{key} = {left[key]}': target_workgroup is needed "
                                 "to translate it")
            try:
                carried[key], problems = share_principals.translate_setting(key, left.pop(key), lookup, domains)
            except ValueError as err:
                raise ValueError(f"share {share['name']}, setting {key}: {err}") from None
            unmapped.setdefault(share["name"], []).extend(problems)
        if left:
            left_out[share["name"]] = left
        # Callers other than main() may pass only the options they use (vfs_objects is optional).
        if params.get("vfs_objects"):
            carried["vfs objects"] = " ".join(params["vfs_objects"])
        result.append({"source": share["name"], "name": name,
                       "path": os.path.join(params["target_root"], name), "settings": carried})
    return result, left_out, unmapped


def findings_for(params, left_out, elsewhere, unmapped):
    where = {"kommune": params["kommune"], "host": socket.gethostname()}
    found = []
    for share, problems in sorted(unmapped.items()):
        for problem in problems:
            found.append(Finding.of(
                "shares.setting_principal_unmapped", share=share, setting=problem.setting, name=problem.name,
                reason=problem.reason, resources=(share, problem.setting, problem.name), **where))
    for share, left in sorted(left_out.items()):
        found.append(Finding.of(
            "shares.setting_not_carried", share=share,
            settings="; ".join(f"{k} = {v}" for k, v in sorted(left.items())),
            resources=(share, *sorted(left)), **where))
    for name in sorted(elsewhere):
        found.append(Finding.of("shares.target_share_defined_elsewhere", share=name, resources=(name,), **where))
    return found


def defined_elsewhere(module, names, include_file):
    """Share names the running configuration has from somewhere other than our include file."""
    code, out, _err = module.run_command(["testparm", "-s"])
    if code != 0:
        return []
    ours = samba_conf.sections(read_text(include_file) or "")
    current = samba_conf.sections(out)
    lower = {n.lower() for n in current}
    return [n for n in names if n.lower() in lower and n not in ours]


@dataclass
class Configuration:
    """The Kommune's include file and smb.conf: as they are, and as this run wants them."""
    include_file: str
    before_include: str | None
    wanted_include: str
    smb_conf: str
    before_conf: str
    wanted_conf: str

    @property
    def include_changed(self) -> bool:
        return self.before_include != self.wanted_include

    @property
    def conf_changed(self) -> bool:
        return self.wanted_conf != self.before_conf

    def diff(self) -> list[dict]:
        return [{"before": self.before_include or "", "after": self.wanted_include,
                 "before_header": self.include_file, "after_header": self.include_file},
                {"before": self.before_conf, "after": self.wanted_conf,
                 "before_header": self.smb_conf, "after_header": self.smb_conf}]


def planned_or_fail(module):
    """(shares, settings left out, untranslatable principals, the include file's text)."""
    params = module.params
    try:
        mapped = identity_map.map_from_data(params["mapping"], "mapping") if params["mapping"] else None
        shares, left_out, unmapped = planned_shares(params, share_principals.mapping_lookup(mapped))
    except (ValueError, identity_map.MappingFileError) as err:
        module.fail_json(msg=str(err))
    try:
        wanted_include = share_samba_conf.render_include(params["kommune"], params["namespace"], shares)
    except samba_conf.SambaConfError as err:
        module.fail_json(msg=str(err))
    return shares, left_out, unmapped, wanted_include


def read_configuration(module, include_file, wanted_include):
    params = module.params
    before_include = read_text(include_file)
    before_conf = read_text(params["smb_conf"])
    if before_conf is None:
        module.fail_json(msg=f"{params['smb_conf']} does not exist: is Samba installed on this host?")
    wanted_conf = samba_conf.add_include(before_conf, include_file)
    return Configuration(include_file, before_include, wanted_include, params["smb_conf"], before_conf, wanted_conf)


def changes_for(shares, config, missing_dirs):
    changes = Changes("shares")
    old_names = set(samba_conf.sections(config.before_include or ""))
    for share in shares:
        if share["name"] not in old_names:
            changes.add("share_created", share["name"])
        elif config.include_changed:
            changes.add("share_updated", share["name"])
    for share in missing_dirs:
        changes.add("folder_created", share["path"])
    if config.conf_changed:
        changes.add("include_registered", f"{config.smb_conf}: include = {config.include_file}")
    return changes


def result_for(module, shares, config, missing_dirs, left_out, unmapped):
    elsewhere = defined_elsewhere(module, [s["name"] for s in shares], config.include_file)
    result = {"changed": config.include_changed or config.conf_changed or bool(missing_dirs),
              "include_file": config.include_file, "shares": shares,
              RESULT_CHANGES: changes_for(shares, config, missing_dirs).to_dict(),
              RESULT_FINDINGS: [f.to_dict() for f in findings_for(module.params, left_out, elsewhere, unmapped)]}
    if module._diff:
        result["diff"] = config.diff()
    return result


def make_folders(missing_dirs):
    for share in missing_dirs:
        os.makedirs(os.path.dirname(share["path"]), mode=0o755, exist_ok=True)
        os.mkdir(share["path"], 0o770)
        os.chmod(share["path"], 0o770)


def write_checked(module, config):
    """Writes the include file and smb.conf, and puts back what was there when testparm
    rejects the result: a configuration Samba rejects must not stay."""
    write_atomic(config.include_file, config.wanted_include, module.atomic_move)
    if config.conf_changed:
        write_atomic(config.smb_conf, config.wanted_conf, module.atomic_move)
    code, out, err = module.run_command(["testparm", "-s"])
    if code != 0:
        if config.before_include is None:
            os.unlink(config.include_file)
        else:
            write_atomic(config.include_file, config.before_include, module.atomic_move)
        write_atomic(config.smb_conf, config.before_conf, module.atomic_move)
        module.fail_json(msg=f"testparm rejected the new configuration, nothing kept: {(err or out).strip()}")


def reload_samba(module, result):
    code, out, err = module.run_command(["smbcontrol", "smbd", "reload-config"])
    if code != 0:
        module.fail_json(msg=f"smbcontrol smbd reload-config failed: {(err or out).strip()}", **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            shares=dict(type="list", elements="dict", required=True),
            namespace=dict(type="str", required=True),
            kommune=dict(type="str", required=True),
            target_root=dict(type="path", required=True),
            include_dir=dict(type="path", default="/etc/samba/umzug"),
            smb_conf=dict(type="path", default="/etc/samba/smb.conf"),
            mapping=dict(type="dict"),
            source_domains=dict(type="list", elements="str", default=[]),
            target_workgroup=dict(type="str"),
            vfs_objects=dict(type="list", elements="str", default=[]),
            reload=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    include_file = os.path.join(params["include_dir"], f"{params['namespace']}.conf")
    shares, left_out, unmapped, wanted_include = planned_or_fail(module)
    # Kommunen of a Welle provision on the same RZ file server at once: smb.conf is read,
    # given this Kommune's include line and written back under one lock.
    with edit_lock(params["smb_conf"], module.check_mode):
        config = read_configuration(module, include_file, wanted_include)
        missing_dirs = [s for s in shares if not os.path.isdir(s["path"])]
        result = result_for(module, shares, config, missing_dirs, left_out, unmapped)
        if module.check_mode or not result["changed"]:
            module.exit_json(**result)
        make_folders(missing_dirs)
        write_checked(module, config)
        if params["reload"]:
            reload_samba(module, result)
        module.exit_json(**result)


if __name__ == "__main__":
    main()
