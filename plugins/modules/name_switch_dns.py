#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations  # NameSwitch's annotations stay text on older Pythons

DOCUMENTATION = r"""
module: name_switch_dns
short_description: Points a Kommune's old server names at the RZ in its own DNS zone, and back
version_added: 0.1.0
description:
  - Runs on the Kommune's Samba AD DC against the DC itself, or on an RZ host against the DC's address
    (O(dns_server)) over the DNS server RPC protocol, for a Kommune whose DC nothing of umzug may run on
    (a Windows AD). The names switched are the old file servers of the plan's share
    mapping O(shares) whose shares move whole to O(rz_server) (the same names M(kommunal.umzug.name_switch_alias)
    serves), plus any O(names) given.
  - With O(state=present) each name gets exactly one A record in O(zone), O(address); the A records found
    before are kept in a state file under O(state_dir), and
    O(state=absent) puts exactly those back (or removes the name again if it had none).
  - Uses C(samba-tool dns) against O(dns_server). New records are added before old ones are deleted, so a
    name never resolves to nothing.
  - A name that is a CNAME is refused with one sentence; switch the name it points to.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  shares:
    description: The plan's share mapping, old UNC path to new (C(umzug_kommune.endpoints.shares)).
    type: dict
    default: {}
  rz_server:
    description: The RZ file server's name as the new UNC paths write it, e.g. C(rz-fs). Required with O(shares).
    type: str
    default: ""
  names:
    description: Further host names inside O(zone) to switch, without the zone, e.g. C(kommune-a-fs2).
    type: list
    elements: str
    default: []
  zone:
    description: The Kommune's DNS zone, e.g. C(kommune-a.test).
    type: str
    required: true
  address:
    description: The RZ file server address the names resolve to while switched. Required for O(state=present).
    type: str
  state:
    description: V(present) switches the names to O(address), V(absent) restores the kept records.
    type: str
    choices: [present, absent]
    default: present
  state_dir:
    description:
      - Folder on the host the module runs on where the records found before the switch are kept, one JSON file
        per name (under a folder per zone).
    type: path
    default: /var/lib/umzug/name_switch/dns
  dns_server:
    description:
      - The DNS server samba-tool talks to, V(127.0.0.1) on the DC itself; from an RZ host the DC's address
        or name (a name lets samba-tool use Kerberos).
    type: str
    default: 127.0.0.1
  username:
    description:
      - Account samba-tool authenticates as, C(DOMAIN\user) or C(user@realm). Empty uses the machine account
        of the host the module runs on (C(-P)), which only works on the DC itself.
    type: str
    default: ""
  password:
    description: Password of O(username); passed through the environment (C(PASSWD)), never on a command line.
    type: str
    default: ""
  kerberos:
    description:
      - Whether samba-tool uses Kerberos (C(--use-kerberos)). V(desired) tries Kerberos and falls back to
        NTLMv2 (samba-tool's own default), V(off) uses NTLMv2 only, V(required) never falls back.
    type: str
    choices: [desired, required, "off"]
    default: desired
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
requirements:
  - samba-tool on the host the module runs on (the DC, or an RZ host with Samba's Python bindings)
"""

EXAMPLES = r"""
- name: Old file server names resolve to the RZ file server
  kommunal.umzug.name_switch_dns:
    shares: "{{ umzug_kommune.endpoints.shares }}"
    rz_server: rz-fs
    zone: kommune-a.test
    address: 10.89.42.34

- name: Back to the Kommune's own file server
  kommunal.umzug.name_switch_dns:
    shares: "{{ umzug_kommune.endpoints.shares }}"
    rz_server: rz-fs
    zone: kommune-a.test
    state: absent

- name: The same from the RZ file server, against the Kommune's DC (nothing runs on the DC)
  kommunal.umzug.name_switch_dns:
    shares: "{{ umzug_kommune.endpoints.shares }}"
    rz_server: rz-fs
    zone: kommune-c.test
    address: 10.89.42.34
    dns_server: 10.0.3.11
    username: KOMMUNEC\umzug-admin
    password: "{{ vault_kommune_c_fs_admin_password }}"
    kerberos: "off"
    state_dir: /var/lib/umzug/name_switch/dns/kommune-c
  delegate_to: rz-fs
"""

RETURN = r"""
records:
  description: Per name, its A records after the run (in check mode, as they would be).
  returned: success
  type: dict
  sample: {kommune-a-fs: [10.89.42.34]}
umzug_changes:
  description: Records added and deleted, as C(<name>.<zone> A <address>).
  returned: success
  type: dict
  sample: {payload: wave, counts: {added: 1, deleted: 1}}
diff:
  description: The names' A records before and after.
  returned: when diff mode is on
  type: dict
  sample: {before: "kommune-a-fs A 10.89.42.12\n", after: "kommune-a-fs A 10.89.42.34\n"}
"""

import json
import os
from dataclasses import dataclass

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_CHANGES, Changes
from ansible_collections.kommunal.umzug.plugins.module_utils.name_switch.dns_smb import (
    NameSwitchError,
    aliases_from_shares,
    dns_changes,
    parse_dns_query,
    short_name,
)

# How samba-tool says that a name has no records: older releases print the WERR code, the
# lab's Samba prints only "ERROR: Record or zone does not exist."
_MISSING = ("WERR_DNS_ERROR_NAME_DOES_NOT_EXIST", "Record or zone does not exist")


class SambaTool:
    def __init__(self, module):
        self.module = module
        params = module.params
        self.server = params["dns_server"]
        if params["username"]:
            self.auth = ["-U", params["username"]]
            # Samba's command line tools read the password from $PASSWD.
            self.env = {"PASSWD": params["password"]}
        else:
            self.auth, self.env = ["-P"], {}
        if params["kerberos"] != "desired":
            self.auth.append(f"--use-kerberos={params['kerberos']}")

    def run(self, *args, missing_ok=False):
        command = ["samba-tool", "dns", args[0], self.server, *args[1:], *self.auth]
        rc, out, err = self.module.run_command(command, environ_update=self.env)
        if rc != 0 and not (missing_ok and any(text in out + err for text in _MISSING)):
            self.module.fail_json(msg=f"samba-tool dns {args[0]} {' '.join(args[1:])} failed: {(err or out).strip()}")
        return out if rc == 0 else ""

    def records(self, zone, name):
        return parse_dns_query(self.run("query", zone, name, "ALL", missing_ok=True))


def state_file(state_dir, zone, name):
    return os.path.join(state_dir, zone, f"{name}.json")


def read_saved(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["a"]


def write_saved(module, path, saved):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    write_atomic(path, json.dumps({"a": saved}), module.atomic_move)


@dataclass
class NameSwitch:
    """One name's switch: its records now, the A records kept from before the switch
    (None: not switched), the operations that make it resolve as asked, and what to keep
    afterwards (None: nothing left to restore)."""
    name: str
    path: str
    current: list[tuple[str, str]]
    saved: list[str] | None
    ops: list[tuple[str, str]]
    keep: list[str] | None

    @property
    def a_now(self):
        return [value for kind, value in self.current if kind == "A"]

    @property
    def a_next(self):
        return [value for value in self.a_now if ("delete", value) not in self.ops] + \
            [value for op, value in self.ops if op == "add"]

    @property
    def changed(self):
        return bool(self.ops) or self.keep != self.saved


class Outcome:
    """What the task reports over all names: records after the run, changes, diff."""

    def __init__(self, zone):
        self.zone = zone
        self.changes = Changes(payload="wave")
        self.before, self.after, self.records = [], [], {}
        self.changed = False

    def add(self, switch):
        self.before += [f"{switch.name} A {value}" for value in switch.a_now]
        self.after += [f"{switch.name} A {value}" for value in switch.a_next]
        self.records[switch.name] = switch.a_next
        for op, value in switch.ops:
            self.changes.add("added" if op == "add" else "deleted", f"{switch.name}.{self.zone} A {value}")
        self.changed = self.changed or switch.changed

    def result(self, diff):
        result = dict(changed=self.changed, records=self.records, **{RESULT_CHANGES: self.changes.to_dict()})
        if diff:
            result["diff"] = {"before": "".join(f"{line}\n" for line in self.before),
                              "after": "".join(f"{line}\n" for line in self.after)}
        return result


def names_to_switch(params, zone):
    """The old file servers whose shares move whole to the RZ file server, and ``names``."""
    aliases = aliases_from_shares(params["shares"], zone, params["rz_server"])[0] if params["shares"] else {}
    return sorted(set(aliases) | {n.lower() for n in params["names"]})


def switch_changes(tool, params, zone, raw):
    name = short_name(raw.lower(), zone)
    if name is None:
        raise NameSwitchError(f"{raw!r} is an address; only names can be switched in DNS")
    path = state_file(params["state_dir"], zone, name)
    current = tool.records(zone, name)
    saved = read_saved(path)
    ops, keep = dns_changes(params["state"], current, params["address"], saved)
    return NameSwitch(name, path, current, saved, ops, keep)


def apply_switch(module, tool, zone, switch):
    # The records found before are kept before anything changes, so an interrupted
    # switch can still be undone.
    if switch.keep is not None and switch.saved is None:
        write_saved(module, switch.path, switch.keep)
    for op, value in switch.ops:
        tool.run(op, zone, switch.name, "A", value)
    if switch.keep is None and switch.saved is not None:
        os.remove(switch.path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            shares=dict(type="dict", default={}),
            rz_server=dict(type="str", default=""),
            names=dict(type="list", elements="str", default=[]),
            zone=dict(type="str", required=True),
            address=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            state_dir=dict(type="path", default="/var/lib/umzug/name_switch/dns"),
            dns_server=dict(type="str", default="127.0.0.1"),
            username=dict(type="str", default=""),
            password=dict(type="str", default="", no_log=True),
            kerberos=dict(type="str", choices=["desired", "required", "off"], default="desired"),
        ),
        required_if=[("state", "present", ["address"])],
        required_by={"shares": "rz_server"},
        supports_check_mode=True,
    )
    params = module.params
    zone = params["zone"].lower()
    tool = SambaTool(module)
    try:
        wanted = names_to_switch(params, zone)
    except NameSwitchError as err:
        module.fail_json(msg=f"name switch in {zone}: {err}")
    if not wanted:
        module.fail_json(msg=f"name switch in {zone}: no old server name to switch (shares moving whole to "
                             f"{params['rz_server'] or 'the RZ file server'}, or names)")
    outcome = Outcome(zone)
    for raw in wanted:
        try:
            switch = switch_changes(tool, params, zone, raw)
        except NameSwitchError as err:
            module.fail_json(msg=f"name switch for {raw} in {zone}: {err}")
        outcome.add(switch)
        if not module.check_mode:
            apply_switch(module, tool, zone, switch)
    module.exit_json(**outcome.result(module._diff))


if __name__ == "__main__":
    main()
