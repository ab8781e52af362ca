#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: name_switch_alias
short_description: Lets the RZ file server serve a Kommune's old server and share names
version_added: 0.1.0
description:
  - Runs on the RZ file server (Samba). With O(state=present) clients that connect to O(address) find each old
    share name of O(shares) serving the migrated share it maps to, with that share's parameters as C(testparm)
    reports them, so C(\\\\<old server>\\<old share>) keeps working once the old name resolves to O(address).
  - The old share names live in one include file per address, C(<include_dir>/<address>.conf). The file
    C(<smb_include_dir>/name-switch.conf) adds all switched old names to C(netbios aliases) and includes
    C(<include_dir>/%i.conf); it is registered with an C(include) line at the end of O(smb_conf), next to the
    shares payload's include files (M(kommunal.umzug.share_provision)).
    C(%i) is the local address a client connected to. C(%L) would name the server the client asked for,
    but only over NetBIOS (port 139); SMB2 on port 445 never tells Samba, so each Kommune whose old share
    names could collide with another's needs its own address.
  - O(state=absent) removes the Kommune's include file and its old names; when no Kommune is left, also
    C(name-switch.conf) and its include line, so O(smb_conf) is byte for byte what it was before.
  - An address already serving another Kommune's old names is refused with one sentence, and so is a migrated
    share that is not defined on this server (in check mode it is listed in RV(skipped) instead, since a dry run
    comes before the shares payload provisions it).
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  kommune:
    description: The Kommune id the old names belong to, e.g. C(kommune-a).
    type: str
    required: true
  address:
    description: The local address of the file server whose clients see the old share names.
    type: str
    required: true
  shares:
    description:
      - "The plan's share mapping, old UNC path to new (C(umzug_kommune.endpoints.shares)), for example
        C(\\\\kommune-a-fs\\bauamt) to C(\\\\rz-fs\\altdorf-bauamt). Required for O(state=present)."
      - Whole shares that move to O(rz_server) keep their old names; the rest (an old address instead of a
        name, a folder mapped, another target server) is returned in RV(skipped).
    type: dict
    default: {}
  zone:
    description: The Kommune's DNS zone; old names written as FQDN in it count as the short name.
    type: str
    required: true
  rz_server:
    description: This file server's name as the new UNC paths write it, e.g. C(rz-fs).
    type: str
    required: true
  state:
    description: V(present) serves the old names, V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  include_dir:
    description: Folder of the per-address include files.
    type: path
    default: /etc/samba/umzug-names
  smb_include_dir:
    description: Folder of the include files registered at the end of O(smb_conf) (the shares payload's).
    type: path
    default: /etc/samba/umzug
  smb_conf:
    description: The Samba configuration that gets the include line.
    type: path
    default: /etc/samba/smb.conf
  reload:
    description: Tell smbd to reload its configuration after a change.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
requirements:
  - Samba (testparm, smbcontrol) on the file server
notes:
  - The alias copies the migrated share's parameters when it is made; run it again after changing that share.
"""

EXAMPLES = r"""
- name: \\kommune-a-fs\bauamt is served by altdorf-bauamt on the RZ file server
  kommunal.umzug.name_switch_alias:
    kommune: kommune-a
    address: 10.89.42.34
    zone: kommune-a.test
    rz_server: rz-fs
    shares: "{{ umzug_kommune.endpoints.shares }}"

- name: Old names gone again
  kommunal.umzug.name_switch_alias:
    kommune: kommune-a
    address: 10.89.42.34
    zone: kommune-a.test
    rz_server: rz-fs
    state: absent
"""

RETURN = r"""
aliases:
  description: The C(netbios aliases) of C(name-switch.conf) after the run (all Kommunen on this server).
  returned: success
  type: list
  elements: str
  sample: [KOMMUNE-A-FS]
skipped:
  description: Share mappings no old name can serve, one sentence each.
  returned: success
  type: list
  elements: str
  sample: ["\\\\10.89.42.12\\standesamt: an address, not a name; DNS cannot switch it"]
include_file:
  description: The Kommune's include file.
  returned: success
  type: str
  sample: /etc/samba/umzug-names/10.89.42.34.conf
umzug_changes:
  description: Old share names added or removed, as C(\\\\<old server>\\<share> -> <migrated share>).
  returned: success
  type: dict
  sample: {payload: wave, counts: {added: 2}}
diff:
  description: The Kommune's include file, C(name-switch.conf) and O(smb_conf), before and after.
  returned: when diff mode is on
  type: list
  elements: dict
  sample: [{before_header: /etc/samba/umzug-names/10.89.42.34.conf, before: "", after: "[bauamt]\n..."}]
"""

import glob
import ipaddress
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf
from ansible_collections.kommunal.umzug.plugins.module_utils.files import edit_lock, read_text, write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_CHANGES, Changes
from ansible_collections.kommunal.umzug.plugins.module_utils.name_switch.dns_smb import (
    NameSwitchError,
    aliases_from_shares,
    one_share_each,
    parse_alias_header,
    parse_testparm_section,
    render_alias_file,
    render_global_file,
)


def share_params(module, share):
    rc, out, _err = module.run_command(["testparm", "-s", f"--section-name={share}"])
    if rc != 0:
        raise NameSwitchError(f"the migrated share {share!r} is not defined on this file server "
                              "(provision the Kommune's shares first)")
    return parse_testparm_section(out, share)


def other_names(include_dir, own_file):
    names = []
    for path in sorted(glob.glob(os.path.join(include_dir, "*.conf"))):
        if path != own_file:
            names += parse_alias_header(read_text(path) or "").get("names", "").split()
    return names


def wanted_file(module, params, address):
    """The include file the Kommune should have (None: none), its names, and the change records."""
    changes = Changes(payload="wave")
    include_file = os.path.join(params["include_dir"], f"{address}.conf")
    old_file = read_text(include_file)
    owner = parse_alias_header(old_file or "").get("kommune")
    if owner and owner != params["kommune"]:
        module.fail_json(msg=f"address {address} already serves the old names of {owner}; give "
                             f"{params['kommune']} an address of its own (name_switch_addresses)")
    if params["state"] == "absent":
        if old_file is not None:
            first = parse_alias_header(old_file).get("names", "").split(" ")[0]
            for share in samba_conf.sections(old_file):
                changes.add("removed", f"\\\\{first}\\{share}")
        return include_file, old_file, None, [], changes, []
    try:
        aliases, skipped = aliases_from_shares(params["shares"], params["zone"], params["rz_server"])
        served = one_share_each(aliases)
        settings = {}
        for old, new in served.items():
            try:
                settings[old] = share_params(module, new)
            except NameSwitchError:
                # A dry run before the seed: the migrated share comes with the shares payload.
                if not module.check_mode:
                    raise
                skipped.append(f"{old}: {new} is not provisioned yet (the seed creates it)")
                settings[old] = {}
    except NameSwitchError as err:
        module.fail_json(msg=f"name switch for {params['kommune']}: {err}")
    if not served:
        module.fail_json(msg=f"name switch for {params['kommune']}: no share of the mapping moves whole to "
                             f"{params['rz_server']}: {'; '.join(skipped) or 'the mapping is empty'}")
    names = sorted(aliases)
    served_before = {samba_conf.section_key(share) for share in samba_conf.sections(old_file or "")}
    for old, new in sorted(served.items()):
        if samba_conf.section_key(old) not in served_before:
            changes.add("added", f"\\\\{names[0]}\\{old} -> {new}")
    try:
        new_file = render_alias_file(params["kommune"], address, names, settings)
    except samba_conf.SambaConfError as err:
        module.fail_json(msg=f"name switch for {params['kommune']}: {err}")
    return include_file, old_file, new_file, names, changes, skipped


def apply(module, params, files):
    """Writes (or removes) each (path, before, after) that differs, then reloads smbd."""
    for path, before, after in files:
        if after is None and before is not None:
            os.remove(path)
        elif after is not None and before != after:
            write_atomic(path, after, module.atomic_move)
    if params["reload"]:
        rc, out, err = module.run_command(["smbcontrol", "smbd", "reload-config"])
        if rc != 0:
            module.warn(f"smbd did not take the reload: {(err or out).strip()}")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kommune=dict(type="str", required=True),
            address=dict(type="str", required=True),
            shares=dict(type="dict", default={}),
            zone=dict(type="str", required=True),
            rz_server=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            include_dir=dict(type="path", default="/etc/samba/umzug-names"),
            smb_include_dir=dict(type="path", default="/etc/samba/umzug"),
            smb_conf=dict(type="path", default="/etc/samba/smb.conf"),
            reload=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        address = str(ipaddress.ip_address(params["address"]))
    except ValueError:
        module.fail_json(msg=f"address {params['address']!r} is not an IP address")
    if params["state"] == "present" and not params["shares"]:
        module.fail_json(msg="state=present needs the Kommune's share mapping "
                             "(shares, umzug_kommune.endpoints.shares)")

    global_path = os.path.join(params["smb_include_dir"], "name-switch.conf")
    # Kommunen of a Welle switch in parallel on the same RZ file server, and the shares
    # payload edits the same smb.conf: one lock for all of them (files.edit_lock).
    with edit_lock(params["smb_conf"], module.check_mode):
        include_file, old_file, new_file, own_names, changes, skipped = wanted_file(module, params, address)
        aliases = sorted({n.upper() for n in other_names(params["include_dir"], include_file) + own_names})
        old_global = read_text(global_path)
        new_global = render_global_file(aliases, params["include_dir"])
        old_conf = read_text(params["smb_conf"]) or ""
        new_conf = (samba_conf.add_include(old_conf, global_path) if new_global is not None
                    else samba_conf.remove_include(old_conf, global_path))
        # Order matters for a reader between two writes: the old share names before the
        # file naming them, the include line last (and first out on removal).
        files = [(include_file, old_file, new_file), (global_path, old_global, new_global),
                 (params["smb_conf"], old_conf, new_conf)]
        if new_global is None:
            files.reverse()
        changed = any(before != after for _dummy, before, after in files)
        if changed and not module.check_mode:
            os.makedirs(params["smb_include_dir"], mode=0o755, exist_ok=True)
            apply(module, params, files)

    result = dict(changed=changed, aliases=aliases, include_file=include_file, skipped=skipped,
                  **{RESULT_CHANGES: changes.to_dict()})
    if module._diff:
        result["diff"] = [{"before_header": path, "after_header": path, "before": before or "", "after": after or ""}
                          for path, before, after in files if before != after]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
