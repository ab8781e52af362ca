#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: client_discover
short_description: Finds the Fachverfahren clients on a workstation and files that still name old servers
version_added: 0.1.0
description:
  - Checks every client profile against the host. A client is installed when at least one of its
    configuration files exists; for each installed client it returns every endpoint value its selectors
    point at and whether the endpoint mapping would move it.
  - Files a profile names but that cannot be parsed, and selectors that match nothing, become findings.
  - Every other file under O(search_paths) that names an old server (a name, address or share of the
    mapping) becomes a finding C(clients.unmanaged_reference); such files are never rewritten.
  - Reads only; never changes anything.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  profiles:
    description: Client profiles (docs/clients.md), usually the role's catalog.
    type: list
    elements: dict
    required: true
  endpoints:
    description: The Kommune's endpoint mapping, C(umzug_kommune.endpoints) from the plan.
    type: dict
    required: true
  search_paths:
    description: Folders searched for unmanaged references to old servers.
    type: list
    elements: path
    default: []
  exclude:
    description: Folders under O(search_paths) not searched (umzug's own state, caches).
    type: list
    elements: path
    default: []
  max_size:
    description: Files larger than this many bytes are not scanned for unmanaged references.
    type: int
    default: 1048576
  kommune:
    description: Kommune id the findings belong to.
    type: str
requirements:
  - PyYAML on the target for profiles with C(format=yaml) (Debian package python3-yaml).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - Linux paths only (profile key C(path)); Windows clients are handled by the role's Windows tasks.
"""

EXAMPLES = r"""
- name: Find the Fachverfahren clients and unmanaged references
  kommunal.umzug.client_discover:
    profiles: "{{ clients_catalog }}"
    endpoints: "{{ umzug_kommune.endpoints }}"
    search_paths: [/etc, /opt, /home]
    kommune: "{{ umzug_kommune.id }}"
  register: clients_found
"""

RETURN = r"""
clients:
  description: The installed clients, one entry per profile found on the host.
  returned: success
  type: list
  elements: dict
  sample:
    - id: ewo-meldewesen
      fachverfahren: EWO Meldewesen
      category: Meldewesen
      files:
        - path: /opt/ewo/etc/ewo.ini
          format: ini
          values:
            - {selector: section=Server key=Host, line: 3, value: kommune-a-fs, moves: true}
unmanaged:
  description: Files outside the profiles that name an old server.
  returned: success
  type: list
  elements: str
  sample: [/home/hmueller/Desktop/Bauamt.url]
umzug_findings:
  description: Findings of the umzug findings model (unparseable files, unmanaged references).
  returned: success
  type: list
  elements: dict
  sample: []
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    ConfigError,
    EndpointMap,
    EndpointUnrecognised,
    ProfileError,
    rewrite_endpoint,
    scan_for_hosts,
    unmanaged_reference_finding,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.profiles import (
    check_profiles,
    config_findings,
    file_path,
    missing_file_finding,
    split_selectors,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.files import read_file
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS


def discover_client(profile: dict, mapping: EndpointMap, where: dict):
    """(client entry or None, findings) for one profile on this host."""
    specs = [(spec, file_path(spec)) for spec in profile["files"] if file_path(spec)]
    if not any(os.path.isfile(path) for _spec, path in specs):
        return None, []
    client = {key: profile[key] for key in ("id", "fachverfahren", "category", "platform")}
    client["files"], findings = [], []
    for spec, path in specs:
        if not os.path.isfile(path):
            if not spec.get("optional"):
                findings.append(missing_file_finding(profile, path, **where))
            continue
        selectors, _links = split_selectors(spec)
        try:
            found = FORMATS[spec["format"]].find(read_file(path), selectors, spec.get("encoding"))
        except ConfigError as err:
            findings += config_findings(err, path, **where)
            continue
        client["files"].append({"path": path, "format": spec["format"],
                                "values": [value_entry(occ, mapping) for occ in found]})
    return client, findings


def value_entry(occ, mapping: EndpointMap) -> dict:
    try:
        moves = occ.value is not None and rewrite_endpoint(occ.value, mapping) != occ.value
    except EndpointUnrecognised:
        moves = False
    return {"selector": occ.selector, "line": occ.line, "value": occ.value, "moves": moves}


def unmanaged_files(search_paths, exclude, managed: set, hosts, max_size: int):
    """(path, hits) for every readable file under the search paths that names an old server."""
    excluded = tuple(os.path.join(os.path.abspath(p), "") for p in exclude)
    for top in search_paths:
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not os.path.join(folder, d, "").startswith(excluded))
            for name in sorted(files):
                path = os.path.join(folder, name)
                if path in managed or not os.path.isfile(path) or os.path.islink(path):
                    continue
                try:
                    if os.path.getsize(path) > max_size:
                        continue
                    data = read_file(path)
                except OSError:
                    continue
                if b"\0" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                    continue  # binary; UTF-16 text (.reg exports) has NULs too but starts with a BOM
                hits = scan_for_hosts(data, hosts)
                if hits:
                    yield path, hits


def main():
    module = AnsibleModule(
        argument_spec=dict(
            profiles=dict(type="list", elements="dict", required=True),
            endpoints=dict(type="dict", required=True),
            search_paths=dict(type="list", elements="path", default=[]),
            exclude=dict(type="list", elements="path", default=[]),
            max_size=dict(type="int", default=1048576),
            kommune=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    where = {"kommune": params["kommune"], "host": None}
    try:
        check_profiles(params["profiles"])
        mapping = EndpointMap.from_dict(params["endpoints"])
    except ProfileError as err:
        module.fail_json(msg=str(err))
    clients, findings = [], []
    for profile in params["profiles"]:
        if profile["platform"] != "linux":
            continue
        client, found = discover_client(profile, mapping, where)
        findings += found
        if client is not None:
            clients.append(client)
    managed = {f["path"] for c in clients for f in c["files"]}
    managed |= {file_path(s) for p in params["profiles"] for s in p["files"] if file_path(s)}
    unmanaged = []
    if mapping.old_names and params["search_paths"]:
        for path, hits in unmanaged_files(params["search_paths"], params["exclude"], managed, mapping.old_names,
                                          params["max_size"]):
            unmanaged.append(path)
            findings.append(unmanaged_reference_finding(path, hits, **where).to_dict())
    module.exit_json(changed=False, clients=clients, unmanaged=unmanaged, **{RESULT_FINDINGS: findings})


if __name__ == "__main__":
    main()
