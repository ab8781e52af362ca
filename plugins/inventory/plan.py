# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: plan
short_description: Turns an umzug migration plan into the inventory
version_added: 0.1.0
description:
  - Reads one plan file (C(*.umzug.yml) or C(*.umzug.yaml)) that describes the Rechenzentrum's
    targets and the waves (Wellen) of Kommunen moving into it.
  - Validates it against C(schemas/plan.schema.json) and semantic checks (overlapping uid/gid ranges,
    duplicate prefixes, namespaces, hosts or AGS, windows that end before they start, transfer schedules
    with overlapping or malformed periods or a limit above the link's bandwidth). Every error
    names the file, line and key path; the inventory is not built from a broken plan.
  - Creates the groups C(wave_<n>), C(kommune_<id>) (hyphens become underscores), C(dc), C(fs),
    C(clients), C(app), C(rz) and C(agentless). C(agentless) holds the DC and file servers of every
    Kommune whose C(source.kind) is C(windows). umzug reaches them only over SMB 3, LDAPS and DRSUAPI,
    so plays that connect by SSH exclude them with the host pattern C(fs:!agentless). The group exists
    in every plan, empty when no Kommune is C(windows).
  - Sets on every host C(umzug_role), C(umzug_plan_hash) (sha256 of the plan file) and C(umzug_domain);
    on Kommune hosts also C(umzug_wave) and C(umzug_kommune), the Kommune's mapping context
    (id, name, ags, wave, ou, share_namespace, account_prefix or account_template, uid_range, gid_range,
    window with timezone, contacts, link (bandwidth in Mbit/s, latency in ms; null without one), transfer
    (compress, and schedule, the bandwidth limits by weekday and time of day in Europe/Berlin as the share sync
    modules take them, null when nothing limits the sync), endpoints, and share_placement, where each share
    goes, decided once and read by every payload), and C(umzug_source), how umzug reaches the Kommune's
    servers, with C(kind)
    (C(samba), the default, or C(windows)), C(smb) (auth, protection, username, password, and C(admin) with
    username and password) and C(drsuapi) (username, password), each null when the plan gives none. Its
    passwords are the plan's references to vault variables, left as templates that Ansible resolves when a
    task reads them; nothing else the plan sets is ever evaluated as a template. Extra variables given per
    host in the plan are kept.
  - Sets no connection variable. The plan refuses connection settings (C(ansible_*) other than
    C(ansible_host)) on the hosts of C(agentless).
  - Works through the built-in C(auto) inventory plugin, so no C(enable_plugins) change is needed.
author:
  - umzug developers (@kommunal)
options:
  plugin:
    description: Marks the file as an umzug plan.
    type: str
    required: true
    choices: [kommunal.umzug.plan]
requirements:
  - PyYAML
  - jsonschema
notes:
  - The plan format is described by C(schemas/plan.schema.json) and C(docs/plan.md);
    C(inventories/lab/lab.umzug.yml) is a complete example.
"""

EXAMPLES = r"""
# inventories/wave-1.umzug.yml
plugin: kommunal.umzug.plan
version: 1
rz:
  domain: {realm: RZ.TEST, workgroup: RZ, dns_domain: rz.test, dc: rz-dc}
  hosts:
    dc: {rz-dc: {ansible_host: 10.0.0.31}}
    fs: {rz-fs: {ansible_host: 10.0.0.32}}
waves:
  - wave: 1
    kommunen:
      - id: altdorf
        name: Gemeinde Altdorf
        ags: "09162000"
        hosts:
          fs: {altdorf-fs: {ansible_host: 10.0.1.12}}
        target:
          ou: OU=Altdorf,OU=Kommunen,DC=rz,DC=test
          share_namespace: altdorf
          account_prefix: ald-
          uid_range: 200000-209999
          gid_range: 200000-209999
        window: {start: "2025-03-14 18:00", end: "2025-03-16 18:00"}
        # A 100 Mbit/s link; the share sync takes 20 of it in office hours, 80 otherwise.
        link: {bandwidth: 100, latency: 20}
        transfer:
          limit: 80
          schedule:
            - {days: mon-fri, start: "07:00", end: "17:00", limit: 20}
        contacts:
          - {name: Erika Muster, role: IT-Leitung, email: it@altdorf.example}
      # A Windows file server and AD: reached only over SMB 3, LDAPS and DRSUAPI, with
      # passwords from an ansible-vault file (group_vars/all/vault.yml, say).
      - id: bergheim
        name: Stadt Bergheim
        ags: "05362008"
        domain: {realm: BERGHEIM.LOCAL, workgroup: BERGHEIM, dns_domain: bergheim.local, dc: bergheim-dc}
        hosts:
          dc: {bergheim-dc: {ansible_host: 10.0.2.11}}
          fs: {bergheim-fs: {ansible_host: 10.0.2.12}}
        source:
          kind: windows
          smb:
            auth: kerberos
            protection: encrypt
            username: BERGHEIM\umzug-backup
            password: "{{ vault_bergheim_smb_password }}"
            # Administrators of the file server: the cut-over's freeze sets the share ACLs.
            admin: {username: BERGHEIM\umzug-admin, password: "{{ vault_bergheim_fs_admin_password }}"}
          drsuapi:
            username: BERGHEIM\umzug-repl
            password: "{{ vault_bergheim_drs_password }}"
        target:
          ou: OU=Bergheim,OU=Kommunen,DC=rz,DC=test
          share_namespace: bergheim
          account_prefix: bgh-
          uid_range: 210000-219999
          gid_range: 210000-219999
        window: {start: "2025-03-21 18:00", end: "2025-03-23 18:00"}
        contacts:
          - {name: Max Beispiel, role: Hauptamt, email: it@bergheim.example}

# ansible-inventory -i inventories/wave-1.umzug.yml --graph
# A play that connects by SSH leaves the windows Kommune's servers out:
#   - hosts: fs:!agentless
"""

RETURN = r""" # """

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 trusts every inventory string

    def trust_as_template(value):
        return value


from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import (
    RESERVED_VARS,
    PlanError,
    inventory_model,
    load_plan,
)


class InventoryModule(BaseInventoryPlugin):
    NAME = "kommunal.umzug.plan"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith((".umzug.yml", ".umzug.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        try:
            model = inventory_model(load_plan(path))
        except PlanError as err:
            raise AnsibleParserError(f"The umzug plan is not valid:\n{err}") from None
        for name, value in model.allvars.items():
            self.inventory.set_variable("all", name, _trusted(value))
        for group in model.groups:
            self.inventory.add_group(group)
        for group, members in model.groups.items():
            for child in members["children"]:
                self.inventory.add_child(group, child)
            for host in members["hosts"]:
                self.inventory.add_host(host, group=group)
        for host, variables in model.hostvars.items():
            for name, value in variables.items():
                # Only the engineer's own variables may hold templates, as in a YAML inventory
                # ("{{ inventory_dir }}/..."); the plan's data (names, OUs) is never evaluated.
                if name not in RESERVED_VARS:
                    value = _trusted(value)
                elif name == "umzug_source":
                    value = _trusted_passwords(value)
                self.inventory.set_variable(host, name, value)


def _trusted_passwords(block):
    """The passwords of umzug_source (its blocks' and their accounts', smb.admin) are templates: the
    plan allows nothing there but a reference to one variable (from a vault), which Ansible resolves
    when a task reads it."""
    return {
        key: _trusted(value) if key == "password" else _trusted_passwords(value) if isinstance(value, dict) else value
        for key, value in block.items()
    }


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value
