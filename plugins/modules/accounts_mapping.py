#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_mapping
short_description: Writes a Kommune's identity mapping file from its directory export
version_added: 0.1.0
description:
  - Names every user and group of the export by the Kommune's naming policy, avoiding every name the live
    central directory and the other Kommunen of the wave hold, and writes the result into the Kommune's
    mapping file (C(plugins/module_utils/identity/mapping.py) documents the format; manual entries win).
  - Records C(new_sid) of entries whose object exists in the central directory at the planned DN.
  - With check mode nothing is written; with diff the file's text before and after is returned.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  path:
    description: The mapping file (created if missing, its folder must exist).
    type: path
    required: true
  directory:
    description: The Kommune's export (C(directory) of M(kommunal.umzug.accounts_export)).
    type: dict
    required: true
  live:
    description: The central directory's export (M(kommunal.umzug.accounts_export) against the RZ DC).
    type: dict
    required: true
  kommune:
    description: The Kommune's plan context, C(umzug_kommune).
    type: dict
    required: true
  upn_suffix:
    description: UPN suffix of the new accounts.
    type: str
    required: true
  naming:
    description: Options of the naming policy (user_ou, group_ou, reserved_names, lowercase, cn).
    type: dict
    default: {}
  wave_mappings:
    description: Mapping files of the other Kommunen of the wave; their names count as taken.
    type: list
    elements: path
    default: []
  default_user_gid:
    description: gidNumber of users whose old primary group is not migrated.
    type: int
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Write the mapping file
  kommunal.umzug.accounts_mapping:
    path: artifacts/mapping/kommune-a.yml
    directory: "{{ export.directory }}"
    live: "{{ central.directory }}"
    kommune: "{{ umzug_kommune }}"
    upn_suffix: rz.test
  delegate_to: localhost
"""

RETURN = r"""
mapping:
  description: The mapping as data (the file's content).
  returned: success
  type: dict
  sample: {kommune: kommune-a, users: [{old_name: hmueller, new_name: ald-hmueller}], groups: []}
umzug_findings:
  description: Naming and mapping findings (shortened names, collisions, gone objects ...).
  returned: success
  type: list
  elements: dict
  sample: [{key: accounts.name_shortened, severity: info}]
umzug_changes:
  description: Counts of entries added, renamed and given their new SID.
  returned: success
  type: dict
  sample: {payload: accounts, counts: {mapped: 12}, items: {mapped: [hmueller -> ald-hmueller]}}
"""

import os
from dataclasses import replace

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_CHANGES, RESULT_FINDINGS, Changes
from ansible_collections.kommunal.umzug.plugins.module_utils.identity.mapping import (
    IdentityMap,
    IdRange,
    LiveDirectory,
    MappingFileError,
    MapSettings,
    dump_map,
    load_map,
    regenerate,
    write_map,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.identity.naming import (
    NamingError,
    NamingPolicy,
    SourceObject,
)


def source_objects(model):
    for kind, section in (("user", "users"), ("group", "groups")):
        for obj in model[section]:
            yield SourceObject(kind=kind, old_name=obj["name"], old_sid=obj["sid"],
                               given_name=obj.get("given", ""), surname=obj.get("surname", ""),
                               display_name=obj.get("display", ""),
                               old_uid=obj.get("uid") if kind == "user" else None, old_gid=obj.get("gid"))


def live_directory(live, wave_maps):
    names = {o["name"]: o.get("sid") for section in ("users", "groups", "computers") for o in live[section]}
    for other in wave_maps:
        names.update({e.new_name: e.new_sid for e in other.entries if e.new_name not in names})
    return LiveDirectory(names=names,
                         uids=frozenset(u["uid"] for u in live["users"] if u.get("uid") is not None),
                         gids=frozenset(o["gid"] for s in ("users", "groups") for o in live[s]
                                        if o.get("gid") is not None))


def with_created_sids(identity_map, live):
    """An object at its planned DN is the one umzug created: its SID goes into the file.
    Once that object is gone (a rollback deleted it), the SID leaves the file again."""
    at_dn = {o["dn"].lower(): o.get("sid") for s in ("users", "groups") for o in live[s]}

    def fill(entry):
        if not entry.new_dn or entry.status != "active":
            return entry
        sid = at_dn.get(entry.new_dn.lower())
        if entry.new_sid is None and sid:
            return replace(entry, new_sid=sid)
        if entry.new_sid is not None and sid is None and not entry.manual:
            return replace(entry, new_sid=None)
        return entry

    return replace(identity_map, users=tuple(map(fill, identity_map.users)),
                   groups=tuple(map(fill, identity_map.groups)))


def changes_between(before, after):
    changes = Changes(payload="accounts")
    old = {e.key: e for e in before.entries} if before else {}
    for entry in after.entries:
        was = old.get(entry.key)
        if was is None:
            changes.add("mapped", f"{entry.old_name} -> {entry.new_name}")
        elif was != entry:
            changes.add("remapped", f"{entry.old_name} -> {entry.new_name}")
    return changes


def build(params):
    previous = load_map(params["path"]) if os.path.exists(params["path"]) else None
    wave_maps = [load_map(p) for p in params["wave_mappings"]
                 if os.path.exists(p) and os.path.abspath(p) != os.path.abspath(params["path"])]
    kommune = params["kommune"]
    settings = MapSettings(
        policy=NamingPolicy.from_kommune(kommune, params["upn_suffix"], params["naming"]),
        uid_range=IdRange.from_context(kommune["uid_range"]), gid_range=IdRange.from_context(kommune["gid_range"]),
        source_domain_sid=params["directory"].get("domain_sid"),
        target_domain_sid=params["live"].get("domain_sid"), default_user_gid=params["default_user_gid"])
    # The objects umzug created at their planned DNs are known before the entries are checked
    # against the live names, or each would collide with its own entry.
    known = with_created_sids(previous, params["live"]) if previous else None
    identity_map, findings = regenerate(known, source_objects(params["directory"]), settings,
                                        live_directory(params["live"], wave_maps))
    return previous, with_created_sids(identity_map, params["live"]), findings


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            directory=dict(type="dict", required=True),
            live=dict(type="dict", required=True),
            kommune=dict(type="dict", required=True),
            upn_suffix=dict(type="str", required=True),
            naming=dict(type="dict", default={}),
            wave_mappings=dict(type="list", elements="path", default=[]),
            default_user_gid=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        previous, identity_map, findings = build(module.params)
    except (MappingFileError, NamingError, ValueError, KeyError) as err:
        module.fail_json(msg=f"mapping {path}: {err}")
    before_text = dump_map(previous) if previous else ""
    after_text = dump_map(identity_map)
    changed = before_text != after_text
    if changed and not module.check_mode:
        write_map(path, identity_map)
    result = dict(changed=changed, mapping=map_data(identity_map),
                  **{RESULT_FINDINGS: [f.to_dict() for f in findings],
                     RESULT_CHANGES: changes_between(previous, identity_map).to_dict()})
    if module._diff:
        result["diff"] = {"before": before_text, "after": after_text,
                          "before_header": path, "after_header": path}
    module.exit_json(**result)


def map_data(identity_map: IdentityMap) -> dict:
    return {"kommune": identity_map.kommune, "source_domain_sid": identity_map.source_domain_sid,
            "target_domain_sid": identity_map.target_domain_sid, "schema_version": 1,
            "users": [e.to_dict() for e in identity_map.users], "groups": [e.to_dict() for e in identity_map.groups]}


if __name__ == "__main__":
    main()
