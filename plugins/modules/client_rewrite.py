#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: client_rewrite
short_description: Re-points one Fachverfahren client's configuration files, or rolls them back
version_added: 0.1.0
description:
  - O(state=rewritten) changes only the endpoint values the profile's selectors point at, by the
    Kommune's endpoint mapping; comments, order, encoding, BOM and line endings stay byte for byte.
    A file is rewritten completely or not at all; one that cannot be parsed, or whose selector matches
    nothing, is left alone and reported as a finding.
  - Before the first rewrite of a file its original is kept under O(state_dir); files are written
    atomically (a temporary file renamed over the old one, owner and mode kept).
  - O(state=rolled_back) writes every kept original back byte-identical and forgets it.
  - Check mode computes exactly the same and writes nothing; with C(--diff) it shows a unified diff per file.
  - A second run changes nothing, because a mapped value is never mapped again.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  profile:
    description: One client profile (docs/clients.md).
    type: dict
    required: true
  endpoints:
    description: The Kommune's endpoint mapping, C(umzug_kommune.endpoints). Not needed for a rollback.
    type: dict
    default: {}
  state:
    description: Re-point the client, or restore its originals.
    type: str
    choices: [rewritten, rolled_back]
    default: rewritten
  state_dir:
    description: Where the originals are kept until a rollback or the Abnahme.
    type: path
    default: /var/lib/umzug/clients
  paths:
    description:
      - Where each profile file actually is, by its profile path (C(path) or C(windows_path)); files not
        listed are read at their profile C(path).
      - The Windows tasks use this to rewrite fetched copies of Windows files on the controller.
    type: dict
    default: {}
  kommune:
    description: Kommune id the findings belong to.
    type: str
requirements:
  - PyYAML on the target for profiles with C(format=yaml) (Debian package python3-yaml).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Show what would change (check mode, unified diff per file)
  kommunal.umzug.client_rewrite:
    profile: "{{ item }}"
    endpoints: "{{ umzug_kommune.endpoints }}"
  check_mode: true
  diff: true
  loop: "{{ clients_installed }}"

- name: Put a client back as it was
  kommunal.umzug.client_rewrite:
    profile: "{{ profile }}"
    state: rolled_back
"""

RETURN = r"""
files:
  description: Per file of the profile that exists, what was (or would be) done.
  returned: success
  type: list
  elements: dict
  sample:
    - path: /opt/ewo/etc/ewo.ini
      action: rewritten
      changes: ["/opt/ewo/etc/ewo.ini:3 section=Server key=Host: kommune-a-fs -> rz-app.rz.test"]
      backup: /var/lib/umzug/clients/ewo-meldewesen/3f1d0c2a9b8e7d6c5b4a3f2e.orig
failed_files:
  description: Number of files left alone because they could not be rewritten (see umzug_findings).
  returned: success
  type: int
  sample: 0
umzug_changes:
  description: Changes of the umzug findings model, kind C(rewritten) or C(restored), one item per value or file.
  returned: success
  type: dict
  sample: {payload: clients, counts: {rewritten: 2}, items: {rewritten: ["..."]}, truncated: false}
umzug_findings:
  description: Files that could not be rewritten, as findings.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    ConfigError,
    EndpointMap,
    ProfileError,
    unified_diff,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.profiles import (
    OriginalStore,
    check_profiles,
    config_findings,
    rewrite_file,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.files import read_file, write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
)


def profile_files(profile: dict, paths: dict):
    """(profile path, real path, spec) per file of the profile."""
    for spec in profile["files"]:
        for key in ("path", "windows_path"):
            if spec.get(key) and (spec[key] in paths or key == "path"):
                yield spec[key], paths.get(spec[key], spec[key]), spec
                break


class Run:
    def __init__(self, module: AnsibleModule):
        self.module = module
        params = module.params
        self.profile, self.paths = params["profile"], params["paths"]
        self.store = OriginalStore(params["state_dir"], self.profile["id"])
        self.where = {"kommune": params["kommune"], "host": None}
        self.changes = Changes("clients")
        self.files, self.findings, self.diffs = [], [], []
        self.failed = 0

    def write(self, path: str, data: bytes) -> None:
        if not self.module.check_mode:
            write_atomic(path, data, self.module.atomic_move)

    def rewrite(self, mapping: EndpointMap) -> None:
        for _name, path, spec in profile_files(self.profile, self.paths):
            if not os.path.isfile(path):
                continue
            before = read_file(path)
            try:
                after, changed = rewrite_file(before, spec, mapping)
            except ConfigError as err:
                self.failed += 1
                self.findings += config_findings(err, path, **self.where)
                self.files.append({"path": path, "action": "refused", "changes": []})
                continue
            entry = {"path": path, "action": "unchanged", "changes": [c.describe(path) for c in changed]}
            if after != before:
                entry["action"] = "rewritten"
                for change in changed:
                    self.changes.add("rewritten", change.describe(path))
                self.diffs.append({"prepared": unified_diff(path, before, after, spec.get("encoding"))})
                if not self.module.check_mode:
                    entry["backup"] = self.store.save(path, before, after, self.module.atomic_move)
                self.write(path, after)
            self.files.append(entry)

    def roll_back(self) -> None:
        for _name, path, _spec in profile_files(self.profile, self.paths):
            if not self.store.has(path):
                continue
            original = self.store.original(path)
            current = read_file(path) if os.path.isfile(path) else b""
            entry = {"path": path, "action": "unchanged", "changes": []}
            if current != original:
                entry["action"] = "restored"
                self.changes.add("restored", path)
                self.diffs.append({"prepared": unified_diff(path, current, original)
                                   if current else f"restore {path}\n"})
                self.write(path, original)
            if not self.module.check_mode:
                self.store.forget(path, self.module.atomic_move)
            self.files.append(entry)

    def result(self) -> dict:
        result = {"changed": self.changes.total > 0, "files": self.files, "failed_files": self.failed,
                  RESULT_CHANGES: self.changes.to_dict(), RESULT_FINDINGS: self.findings}
        if self.module._diff and self.diffs:
            result["diff"] = self.diffs
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            profile=dict(type="dict", required=True),
            endpoints=dict(type="dict", default={}),
            state=dict(type="str", choices=["rewritten", "rolled_back"], default="rewritten"),
            state_dir=dict(type="path", default="/var/lib/umzug/clients"),
            paths=dict(type="dict", default={}),
            kommune=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    try:
        check_profiles([module.params["profile"]])
        mapping = EndpointMap.from_dict(module.params["endpoints"])
    except ProfileError as err:
        module.fail_json(msg=str(err))
    run = Run(module)
    if module.params["state"] == "rewritten":
        if not mapping:
            module.fail_json(msg="state=rewritten needs the Kommune's endpoint mapping (endpoints is empty)")
        run.rewrite(mapping)
    else:
        run.roll_back()
    module.exit_json(**run.result())


if __name__ == "__main__":
    main()
