#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: finding
short_description: Reports one umzug finding from a task
version_added: 0.1.0
description:
  - Turns its arguments into one finding of the umzug findings model and returns it as C(umzug_findings),
    where the C(kommunal.umzug.report) callback picks it up.
  - For roles and playbooks that detect a problem with ordinary tasks (C(stat), C(command), asserts) and
    need to report it like a module would.
  - Changes nothing; the finding is validated (dotted key, severity, payload) before it is returned.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  key:
    description: Stable dotted key, e.g. C(shares.path_too_long). Waivers and run comparisons match on it.
    type: str
    required: true
  title:
    description: One line an engineer reads first.
    type: str
    required: true
  summary:
    description: What was found and why it matters.
    type: str
    default: ''
  severity:
    description: How serious the finding is.
    type: str
    choices: [info, low, medium, high]
    default: info
  payload:
    description: Which part of the migration the finding belongs to.
    type: str
    required: true
    choices: [plan, shares, accounts, clients, wave, lab, report]
  inhibitor:
    description: Whether the finding blocks the cut-over until fixed or waived.
    type: bool
    default: false
  remediation:
    description: How to fix it.
    type: dict
    suboptions:
      kind:
        description: A hint in words, a command to run or a playbook to run.
        type: str
        choices: [hint, command, playbook]
        required: true
      text:
        description: The hint, command or playbook path.
        type: str
        required: true
  resources:
    description: What the finding is about (paths, DNs, account names).
    type: list
    elements: str
    default: []
  kommune:
    description: Kommune id; defaults to the host's C(umzug_kommune.id) when the report is built.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Report shares whose paths are too long for the RZ file server
  kommunal.umzug.finding:
    key: shares.path_too_long
    title: "{{ item.path }} is longer than 255 characters"
    severity: high
    inhibitor: true
    payload: shares
    resources: ["{{ item.path }}"]
    remediation:
      kind: hint
      text: Shorten the folder names before the cut-over.
  loop: "{{ long_paths.files }}"
"""

RETURN = r"""
umzug_findings:
  description: The finding, as a list of one finding dict of the umzug findings model.
  returned: success
  type: list
  elements: dict
  sample:
    - key: shares.path_too_long
      title: \\kommune-a-fs\daten\Bauamt is longer than 255 characters
      summary: ''
      severity: high
      payload: shares
      inhibitor: true
      remediation: {kind: hint, text: Shorten the folder names before the cut-over.}
      resources: ['\\kommune-a-fs\daten\Bauamt']
      kommune: null
      host: null
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    PAYLOADS,
    REMEDIATION_KINDS,
    RESULT_FINDINGS,
    SEVERITIES,
    Finding,
    FindingError,
    Remediation,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            key=dict(type="str", required=True, no_log=False),
            title=dict(type="str", required=True),
            summary=dict(type="str", default=""),
            severity=dict(type="str", choices=list(SEVERITIES), default="info"),
            payload=dict(type="str", required=True, choices=list(PAYLOADS)),
            inhibitor=dict(type="bool", default=False),
            remediation=dict(
                type="dict",
                options=dict(
                    kind=dict(type="str", required=True, choices=list(REMEDIATION_KINDS)),
                    text=dict(type="str", required=True),
                ),
            ),
            resources=dict(type="list", elements="str", default=[]),
            kommune=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    remedy = params["remediation"]
    try:
        finding = Finding(
            key=params["key"],
            title=params["title"],
            summary=params["summary"],
            severity=params["severity"],
            payload=params["payload"],
            inhibitor=params["inhibitor"],
            remediation=Remediation(remedy["kind"], remedy["text"]) if remedy else None,
            resources=tuple(params["resources"]),
            kommune=params["kommune"],
        )
    except FindingError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, **{RESULT_FINDINGS: [finding.to_dict()]})


if __name__ == "__main__":
    main()
