#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: finding
short_description: Reports one umzug finding from a task
version_added: 0.1.0
description:
  - Turns a finding key of the umzug finding catalog, its parameters and its resources into one finding
    of the umzug findings model and returns it as C(umzug_findings), where the C(kommunal.umzug.report)
    callback picks it up.
  - For roles and playbooks that detect a problem with ordinary tasks (C(stat), C(command), asserts) and
    need to report it like a module would.
  - Severity, whether the finding blocks, its payload and its texts (German and English) come from the
    catalog (C(plugins/module_utils/finding_catalog.py)); a key that is not in the catalog, or a parameter
    its texts need but the task does not give, fails the task.
  - A playbook outside the collection (a site's own check) may raise a finding of its own instead, by giving
    O(title), O(payload) and the rest itself; the report then shows it with these texts in every language.
    The collection's roles never do (a unit test holds them to the catalog).
  - Changes nothing.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  key:
    description: Stable dotted key of the finding catalog, e.g. C(shares.mapping_missing). Waivers and run
      comparisons match on it.
    type: str
    required: true
  params:
    description:
      - What the placeholders of the key's texts are filled with (names, paths, counts), as the catalog
        names them. C(variant) chooses among a key's alternative texts where it has them.
      - A value may be a list, or a reason, a dict whose C(code) names one of the catalog's C(REASONS) and whose
        other keys are that sentence's arguments; the report words it in its language. A dict of C(de) and C(en)
        alone is a name given in each language (a wave step's label), of which the report shows its language's.
      - C({kommune}) in a text is filled from O(kommune); C(key), C(resources), C(kommune) and C(host) are no
        parameter names.
    type: dict
    default: {}
  title:
    description: A finding of its own (not from the catalog) - one line an engineer reads first.
    type: str
  summary:
    description: A finding of its own - what was found and why it matters.
    type: str
    default: ''
  severity:
    description: A finding of its own - how serious it is.
    type: str
    choices: [info, low, medium, high]
    default: info
  payload:
    description: A finding of its own - which part of the migration it belongs to.
    type: str
    choices: [plan, shares, accounts, clients, wave, lab, report]
  inhibitor:
    description: A finding of its own - whether it blocks the cut-over until fixed or waived.
    type: bool
    default: false
  remediation:
    description: A finding of its own - how to fix it.
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
- name: Report a missing identity mapping
  kommunal.umzug.finding:
    key: shares.mapping_missing
    params:
      mapping_file: "{{ shares_mapping_file }}"
    resources: ["{{ shares_mapping_file }}"]
    kommune: "{{ umzug_kommune.id }}"
"""

RETURN = r"""
umzug_findings:
  description: The finding, as a list of one finding dict of the umzug findings model (English texts and the
    parameters they were filled with).
  returned: success
  type: list
  elements: dict
  sample:
    - key: shares.mapping_missing
      title: No identity mapping for kommune-a yet
      summary: /var/lib/umzug/mapping/kommune-a.yml does not exist and no accounts step of this run computed the
        mapping (shares_mapping_planned), so every owner and ACL entry of the Kommune's domain counts as unmapped
        in this pre-flight.
      severity: medium
      payload: shares
      inhibitor: false
      remediation: {kind: playbook, text: playbooks/accounts.yml}
      resources: [/var/lib/umzug/mapping/kommune-a.yml]
      kommune: kommune-a
      host: null
      params: {mapping_file: /var/lib/umzug/mapping/kommune-a.yml}
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


def own_finding(params):
    """A finding the task states itself (a site's playbook), not one of the catalog."""
    remedy = params["remediation"]
    return Finding(key=params["key"], title=params["title"], summary=params["summary"], severity=params["severity"],
                   payload=params["payload"], inhibitor=params["inhibitor"],
                   remediation=Remediation(remedy["kind"], remedy["text"]) if remedy else None,
                   resources=tuple(params["resources"]), kommune=params["kommune"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            key=dict(type="str", required=True, no_log=False),
            params=dict(type="dict", default={}),
            title=dict(type="str"),
            summary=dict(type="str", default=""),
            severity=dict(type="str", choices=list(SEVERITIES), default="info"),
            payload=dict(type="str", choices=list(PAYLOADS)),
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
        required_by={"title": "payload"},
        supports_check_mode=True,
    )
    params = module.params
    reserved = sorted(set(params["params"] or {}) & {"key", "resources", "kommune", "host"})
    if reserved:
        module.fail_json(msg=f"params may not name {', '.join(reserved)}: give kommune and resources as options")
    try:
        finding = own_finding(params) if params["title"] else Finding.of(
            params["key"], resources=params["resources"], kommune=params["kommune"], **(params["params"] or {}))
    except FindingError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, **{RESULT_FINDINGS: [finding.to_dict()]})


if __name__ == "__main__":
    main()
