#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_freeze_smb
short_description: Makes a Windows source share read-only over srvsvc for the cut-over, and writable again
version_added: 0.1.0
description:
  - The freeze of M(kommunal.umzug.share_freeze) for a source file server umzug reaches only over SMB (a Windows
    file server, with no SSH and no smb.conf). Runs on the RZ file server and talks to the source's srvsvc pipe
    (DCE/RPC over SMB 3, signed, sealed when O(encrypt)).
  - V(frozen) reads the share ACL (NetShareGetInfo level 502) and writes it back (NetShareSetInfo level 1501) with
    every allow entry that grants write, delete, change-permissions or take-ownership cut to what it grants of
    read and execute (0x1200a9 for Full Control and Change); deny and read entries stay, the rest of the security
    descriptor is untouched. A share without a DACL (Everyone full) gets Everyone read. The original descriptor
    is recorded first in O(record_path) (its self-relative bytes, base64); the original in a record that exists is
    never overwritten, so a second freeze leaves the share ACL as it is.
  - With O(close_open), the share's open files (NetFileEnum level 3 under the share's path, NetFileClose) and the
    sessions of the users connected to it or holding files in it (NetConnectionEnum level 1, NetSessionDel) are
    closed. The share ACL is checked at tree connect, so a client keeps writing through a tree it connected
    before the freeze until it reconnects. Where the server refuses to list or close them, the finding
    C(shares.smb_freeze_open_kept) says so and the freeze stands.
  - The record says when the closing is done (C(open_closed)). A freeze that stopped after writing the share ACL
    but before the closing was done (killed, or refused by the server) closes on its next run although the share
    ACL is already frozen, and reports changed only if it closed something; once the record says done, a further
    freeze disturbs nobody.
  - A server that gives no share ACL at level 502 (it gives it to administrators only) makes the module fail
    rather than freeze blind.
  - V(unfrozen) writes the recorded descriptor back byte for byte and removes the record (rollback before the
    Abnahme). Without a record there is nothing of umzug's to undo.
  - Check mode computes and returns the change and writes nothing; it lists the open files and sessions the freeze
    would close (RV(closed)) without closing them; diff shows the share ACL before and after, one line per entry.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.smb_source
options:
  share:
    description: Name of the share on the source server.
    type: str
    required: true
  state:
    description: V(frozen) (read-only by the share ACL) or V(unfrozen) (the share ACL of before the freeze).
    type: str
    choices: [frozen, unfrozen]
    default: frozen
  record_path:
    description:
      - File on the RZ file server that keeps the original share ACL from the freeze until it is undone (0600).
    type: path
    required: true
  close_open:
    description: After freezing, close the share's open files and the sessions of the users connected to it.
    type: bool
    default: true
  kommune:
    description: Kommune id the findings belong to.
    type: str
notes:
  - O(username) must be in the source server's Administrators group. NetShareSetInfo needs it on Windows; Samba
    asks for SeDiskOperatorPrivilege instead, NetFileEnum and NetConnectionEnum for BUILTIN\Administrators and
    NetSessionDel for Domain Admins.
  - O(port), O(retries) and O(retry_delay) are not used (the srvsvc pipe is reached on the SMB port 445).
requirements:
  - python3-samba (Samba's DCE/RPC bindings) on the RZ file server, reached from the venv of roles/shares'
    smb_client.yml.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Freeze the Windows share for the final pass
  kommunal.umzug.share_freeze_smb:
    server: kommune-b-fs.kommune-b.example
    username: KOMMUNEB\umzug-admin
    password: "{{ vault_kommune_b_fs_admin_password }}"
    share: bauamt
    record_path: /var/lib/umzug/shares/freeze-smb/kommune-b-fs/bauamt.json
    kommune: kommune-b
  no_log: true
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python

- name: Make it writable again (rollback)
  kommunal.umzug.share_freeze_smb:
    server: kommune-b-fs.kommune-b.example
    username: KOMMUNEB\umzug-admin
    password: "{{ vault_kommune_b_fs_admin_password }}"
    share: bauamt
    state: unfrozen
    record_path: /var/lib/umzug/shares/freeze-smb/kommune-b-fs/bauamt.json
  no_log: true
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
"""

RETURN = r"""
frozen:
  description: Whether the share is frozen by umzug after the task (a record of its freeze exists).
  returned: success
  type: bool
  sample: true
share_acl:
  description: The share ACL after the task (in check mode, as it would be), one line per entry.
  returned: success
  type: list
  elements: str
  sample: ["allow S-1-1-0 0x001200a9"]
closed:
  description: What the freeze closed (in check mode, would close), with O(close_open).
  returned: success
  type: dict
  sample: {files: 2, users: [KOMMUNEB\jvogel]}
umzug_changes:
  description: What was (or would be) changed, umzug changes model.
  returned: success
  type: dict
  sample: {payload: shares, counts: {frozen: 1}, items: {frozen: [bauamt]}, truncated: false}
umzug_findings:
  description: Findings of the umzug findings model.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import json
import os
import socket

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kommunal.umzug.plugins.module_utils.files import read_text, write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_CHANGES,
    RESULT_FINDINGS,
    Changes,
    Finding,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_freeze, smb_settings, smb_source

REFUSED = {
    "NetShareSetInfo": "NetShareSetInfo needs an account in the server's Administrators group",
    "NetShareGetInfo": "reading the share ACL (level 502) needs an account in the server's Administrators group",
}


def where(module):
    return f"\\\\{module.params['server']}\\{module.params['share']}"


def refused(module, call, err):
    name = smb_settings.words(err)
    hint = f": {REFUSED[call]}" if "ACCESS_DENIED" in name and call in REFUSED else ""
    module.fail_json(msg=f"{call} on {where(module)} as {module.params['username']} failed ({name}){hint}")


def connect(module):
    params = module.params
    try:
        return smb_settings.client_of(params)
    except ImportError as err:
        module.fail_json(msg=missing_required_lib("python3-samba"), exception=str(err))
    except RuntimeError as err:
        module.fail_json(msg=f"cannot reach the srvsvc pipe of {params['server']} over SMB "
                             f"(share {params['share']}): {smb_settings.words(err)}")


def read_record(module):
    path = module.params["record_path"]
    try:
        return smb_freeze.read_record(read_text(path), module.params["server"], module.params["share"])
    except smb_freeze.RecordError as err:
        module.fail_json(msg=f"the freeze record {path} of {where(module)} {err}")


def plan(state, current, record):
    """The SD to write (None: nothing) and the record to keep (None: the one there, or none)."""
    if state == "frozen":
        frozen = smb_freeze.frozen_sd(current)
        new_record = None if record else smb_freeze.record_of("", "", current, frozen)
        return (frozen if frozen != current else None), new_record
    if record is None:
        return None, None
    original = smb_freeze.original_of(record)
    return (original if original != current else None), None


# Samba 4.17 answers NetConnectionEnum level 1 with this name for every user.
SAMBA_NO_USER = "dummy_user"
# The record's mark that the freeze closed the share's open files and sessions.
OPEN_CLOSED = "open_closed"


def closing_due(params, record):
    """Whether this run closes open files and sessions: every freeze with O(close_open) until
    the record says the closing is done. The share ACL alone cannot tell: a freeze killed
    after writing it left it frozen with the writers of before still connected."""
    return params["state"] == "frozen" and params["close_open"] and not (record or {}).get(OPEN_CLOSED)


def close_open(module, client, share_path, where_finding, check=False):
    """Close the share's open files and the sessions of its users: those NetConnectionEnum
    names and those holding files in it; with ``check``, only list them. What the server
    refuses is a finding, not a failure: the share ACL holds for every tree connected from
    now on."""
    params, closed, kept, users = module.params, {"files": 0, "users": []}, [], set()
    own = params["username"].split("\\")[-1].split("@")[0].casefold()
    try:
        for fid, path, user in client.open_files():
            if share_path and smb_freeze.under(path, share_path):
                if not check:
                    client.close_file(fid)
                closed["files"] += 1
                users.add(user)
    except RuntimeError as err:
        kept.append(f"open files (NetFileEnum/NetFileClose: {smb_settings.words(err)})")
    try:
        users.update(user for user in client.share_users(params["share"]) if user != SAMBA_NO_USER)
    except RuntimeError as err:
        kept.append(f"the list of connected users (NetConnectionEnum: {smb_settings.words(err)})")
    for user in sorted(user for user in users if user):
        if user.split("\\")[-1].casefold() == own:
            continue  # its own sessions carry this very pipe
        try:
            if not check:
                client.close_sessions(user)
            closed["users"].append(user)
        except RuntimeError as err:
            kept.append(f"the sessions of {user} (NetSessionDel: {smb_settings.words(err)})")
    findings = [Finding.of("shares.smb_freeze_open_kept", share=params["share"], server=params["server"],
                           kept="; ".join(kept), resources=(params["share"],), **where_finding)] if kept else []
    return closed, findings


def write_record(module, record):
    # 0600: the record is the only way back to the share ACL of before the freeze.
    write_atomic(module.params["record_path"], json.dumps(record, indent=1) + "\n", module.atomic_move, mode=0o600)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            share=dict(type="str", required=True),
            state=dict(type="str", choices=["frozen", "unfrozen"], default="frozen"),
            record_path=dict(type="path", required=True),
            close_open=dict(type="bool", default=True),
            kommune=dict(type="str"),
        ),
        required_if=[("auth", "ntlm", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    record = read_record(module)
    client = connect(module)
    try:
        share_path, current = client.share_sd(params["share"])
    except RuntimeError as err:
        refused(module, "NetShareGetInfo", err)
    if current is None:
        # Every disk share has a share ACL (a default one at least); a server gives it to its
        # administrators only. Freezing blind would replace the real ACL with Everyone read.
        module.fail_json(msg=f"NetShareGetInfo level 502 on {where(module)} as {params['username']} gave no share "
                             f"ACL: {REFUSED['NetShareGetInfo']}")
    new_sd, new_record = plan(params["state"], current, record)
    if new_record is not None:
        new_record.update(server=params["server"], share=params["share"])
    after = new_sd if new_sd is not None else current
    changes = Changes("shares")
    if new_sd is not None or new_record is not None or (params["state"] == "unfrozen" and record):
        changes.add(params["state"], params["share"])
    result = {"changed": bool(changes.counts), "frozen": params["state"] == "frozen",
              "share_acl": smb_freeze.acl_lines(after), "closed": {"files": 0, "users": []},
              RESULT_CHANGES: changes.to_dict(), RESULT_FINDINGS: []}
    if module._diff:
        result["diff"] = {"before": "\n".join(smb_freeze.acl_lines(current)) + "\n",
                          "after": "\n".join(smb_freeze.acl_lines(after)) + "\n",
                          "before_header": f"{where(module)} share ACL", "after_header": f"{where(module)} share ACL"}
    closing = closing_due(params, record)
    if module.check_mode:
        if closing:
            finish_closing(module, client, share_path, changes, result)
        module.exit_json(**result)

    if new_record is not None:
        # The record first: a freeze that cannot be undone exactly must not happen.
        write_record(module, new_record)
    if new_sd is not None:
        try:
            client.set_share_sd(params["share"], new_sd)
        except RuntimeError as err:
            refused(module, "NetShareSetInfo", err)
    if params["state"] == "unfrozen" and record:
        os.unlink(params["record_path"])
    # Until the record says the closing is done, a freeze closes (a first one, and one that
    # stopped before closing); after that a second freeze changes nothing and disturbs nobody.
    if closing and not finish_closing(module, client, share_path, changes, result):
        write_record(module, {**(new_record or record), OPEN_CLOSED: True})
    module.exit_json(**result)


def finish_closing(module, client, share_path, changes, result):
    """Close (in check mode: list) the share's open files and sessions into ``result``; a run
    that closes something has changed the share even when its ACL was frozen already. The
    findings, if any: what the server would not list or close."""
    params = module.params
    where_finding = {"kommune": params["kommune"], "host": socket.gethostname()}
    result["closed"], found = close_open(module, client, share_path, where_finding, check=module.check_mode)
    if (result["closed"]["files"] or result["closed"]["users"]) and not changes.counts:
        changes.add(params["state"], params["share"])
        result.update(changed=True, **{RESULT_CHANGES: changes.to_dict()})
    result[RESULT_FINDINGS] = [f.to_dict() for f in found]
    return found


if __name__ == "__main__":
    main()
