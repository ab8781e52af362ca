#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: share_freeze_smb
short_description: Makes a Windows source's shares read-only over srvsvc for the cut-over, and writable again
version_added: 0.1.0
description:
  - The freeze of M(kommunal.umzug.share_freeze) for a source file server umzug reaches only over SMB (a Windows
    file server, with no SSH and no smb.conf). Runs on the RZ file server and talks to the source's srvsvc pipe
    (DCE/RPC over SMB 3, signed, sealed when O(encrypt)).
  - All shares of O(shares) in one run over one srvsvc connection. Every share ACL is read first (a share the
    server refuses or gives no share ACL for fails the module before anything is written), then each share's
    record written and its share ACL set, then the open files listed once (NetFileEnum) and closed per share, and
    each user's sessions ended once.
  - V(frozen) reads the share ACL (NetShareGetInfo level 502) and writes it back (NetShareSetInfo level 1501) with
    every allow entry that grants write, delete, change-permissions or take-ownership cut to what it grants of
    read and execute (0x1200a9 for Full Control and Change); deny and read entries stay, the rest of the security
    descriptor is untouched. A share without a DACL (Everyone full) gets Everyone read. The original descriptor
    is recorded first in the share's O(shares[].record_path) (its self-relative bytes, base64); the original in a
    record that exists is never overwritten, so a second freeze leaves the share ACL as it is.
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
    would close (RV(shares[].closed)) without closing them; diff shows each share's ACL before and after, one
    line per entry.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
  - kommunal.umzug.smb_source
options:
  shares:
    description: The shares of the source server O(server).
    type: list
    elements: dict
    required: true
    suboptions:
      share:
        description: Name of the share on the source server.
        type: str
        required: true
      record_path:
        description:
          - File on the RZ file server that keeps the share's original share ACL from the freeze until it is undone
            (0600).
        type: path
        required: true
  state:
    description: V(frozen) (read-only by the share ACL) or V(unfrozen) (the share ACL of before the freeze).
    type: str
    choices: [frozen, unfrozen]
    default: frozen
  close_open:
    description: After freezing, close the shares' open files and the sessions of the users connected to them.
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
- name: Freeze the Windows shares for the final pass
  kommunal.umzug.share_freeze_smb:
    server: kommune-b-fs.kommune-b.example
    username: KOMMUNEB\umzug-admin
    password: "{{ vault_kommune_b_fs_admin_password }}"
    shares:
      - share: bauamt
        record_path: /var/lib/umzug/shares/freeze-smb/kommune-b-fs/bauamt.json
      - share: kaemmerei
        record_path: /var/lib/umzug/shares/freeze-smb/kommune-b-fs/kaemmerei.json
    kommune: kommune-b
  no_log: true
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python

- name: Make them writable again (rollback)
  kommunal.umzug.share_freeze_smb:
    server: kommune-b-fs.kommune-b.example
    username: KOMMUNEB\umzug-admin
    password: "{{ vault_kommune_b_fs_admin_password }}"
    shares:
      - share: bauamt
        record_path: /var/lib/umzug/shares/freeze-smb/kommune-b-fs/bauamt.json
      - share: kaemmerei
        record_path: /var/lib/umzug/shares/freeze-smb/kommune-b-fs/kaemmerei.json
    state: unfrozen
  no_log: true
  vars:
    ansible_python_interpreter: /opt/umzug/venv/bin/python
"""

RETURN = r"""
frozen:
  description: Whether the shares are frozen by umzug after the task (a record of each one's freeze exists).
  returned: success
  type: bool
  sample: true
shares:
  description: One result per share of O(shares), in their order.
  returned: success
  type: list
  elements: dict
  contains:
    share:
      description: The share.
      type: str
      sample: bauamt
    changed:
      description: Whether this run changed the share (its ACL, its record, or closed something in it).
      type: bool
      sample: true
    share_acl:
      description: The share ACL after the task (in check mode, as it would be), one line per entry.
      type: list
      elements: str
      sample: ["allow S-1-1-0 0x001200a9"]
    closed:
      description: What the freeze closed in the share (in check mode, would close), with O(close_open).
      type: dict
      sample: {files: 2, users: [KOMMUNEB\jvogel]}
    umzug_changes:
      description: What was (or would be) changed of this share, umzug changes model.
      type: dict
      sample: {payload: shares, counts: {frozen: 1}, items: {frozen: [bauamt]}, truncated: false}
    umzug_findings:
      description: The share's findings (also in the module's RV(umzug_findings)).
      type: list
      elements: dict
      sample: []
umzug_changes:
  description: What was (or would be) changed, umzug changes model, of all shares.
  returned: success
  type: dict
  sample: {payload: shares, counts: {frozen: 2}, items: {frozen: [bauamt, kaemmerei]}, truncated: false}
umzug_findings:
  description: Findings of the umzug findings model, of all shares.
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


def where(module, share):
    return f"\\\\{module.params['server']}\\{share}"


def refused(module, call, share, err):
    name = smb_settings.words(err)
    hint = f": {REFUSED[call]}" if "ACCESS_DENIED" in name and call in REFUSED else ""
    module.fail_json(msg=f"{call} on {where(module, share)} as {module.params['username']} failed ({name}){hint}")


def connect(module):
    params = module.params
    try:
        return smb_settings.client_of(params)
    except ImportError as err:
        module.fail_json(msg=missing_required_lib("python3-samba"), exception=str(err))
    except RuntimeError as err:
        names = ", ".join(spec["share"] for spec in params["shares"])
        module.fail_json(msg=f"cannot reach the srvsvc pipe of {params['server']} over SMB "
                             f"(shares {names}): {smb_settings.words(err)}")


def read_record(module, spec):
    path = spec["record_path"]
    try:
        return smb_freeze.read_record(read_text(path), module.params["server"], spec["share"])
    except smb_freeze.RecordError as err:
        module.fail_json(msg=f"the freeze record {path} of {where(module, spec['share'])} {err}")


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


class Share:
    """One share of the run: what it is, what the run does to it, and its result."""

    def __init__(self, spec, path, current, record):
        self.spec, self.path, self.current, self.record = spec, path, current, record
        self.new_sd = self.new_record = None
        self.changes = Changes("shares")
        self.closed = {"files": 0, "users": []}
        self.findings = []

    @property
    def name(self):
        return self.spec["share"]

    @property
    def after(self):
        """The share ACL after the run (in check mode, as it would be)."""
        return self.new_sd if self.new_sd is not None else self.current


def closing_due(params, record):
    """Whether this run closes a share's open files and sessions: every freeze with O(close_open)
    until the share's record says the closing is done. The share ACL alone cannot tell: a freeze
    killed after writing it left it frozen with the writers of before still connected."""
    return params["state"] == "frozen" and params["close_open"] and not (record or {}).get(OPEN_CLOSED)


def close_open(module, client, due, check=False):
    """Close (with ``check``, only list) the open files in the ``due`` shares and the sessions
    of their users: those NetConnectionEnum names and those holding files in them. The server's
    open files are listed once, each user's sessions ended once. What the server refuses is a
    finding of the share, not a failure: the share ACL holds for every tree connected from now on."""
    params = module.params
    own = params["username"].split("\\")[-1].split("@")[0].casefold()
    kept = {share.name: [] for share in due}
    users = {share.name: set() for share in due}
    try:
        files = client.open_files()
    except RuntimeError as err:
        files = []
        for share in due:
            kept[share.name].append(f"open files (NetFileEnum/NetFileClose: {smb_settings.words(err)})")
    for share in due:
        try:
            for fid, path, user in files:
                if share.path and smb_freeze.under(path, share.path):
                    if not check:
                        client.close_file(fid)
                    share.closed["files"] += 1
                    users[share.name].add(user)
        except RuntimeError as err:
            kept[share.name].append(f"open files (NetFileEnum/NetFileClose: {smb_settings.words(err)})")
        try:
            users[share.name].update(user for user in client.share_users(share.name) if user != SAMBA_NO_USER)
        except RuntimeError as err:
            kept[share.name].append(f"the list of connected users (NetConnectionEnum: {smb_settings.words(err)})")
    ended = {}  # user -> None (ended) or why the server would not
    for share in due:
        for user in sorted(user for user in users[share.name] if user):
            if user.split("\\")[-1].casefold() == own:
                continue  # its own sessions carry this very pipe
            if user not in ended:
                try:
                    if not check:
                        client.close_sessions(user)
                    ended[user] = None
                except RuntimeError as err:
                    ended[user] = smb_settings.words(err)
            if ended[user] is None:
                share.closed["users"].append(user)
            else:
                kept[share.name].append(f"the sessions of {user} (NetSessionDel: {ended[user]})")
    where_finding = {"kommune": params["kommune"], "host": socket.gethostname()}
    for share in due:
        share.findings = [Finding.of("shares.smb_freeze_open_kept", share=share.name, server=params["server"],
                                     kept="; ".join(kept[share.name]), resources=(share.name,),
                                     **where_finding)] if kept[share.name] else []
        # A run that closes something has changed the share even when its ACL was frozen already.
        if (share.closed["files"] or share.closed["users"]) and not share.changes.counts:
            share.changes.add(params["state"], share.name)


def write_record(module, path, record):
    # 0600: the record is the only way back to the share ACL of before the freeze.
    write_atomic(path, json.dumps(record, indent=1) + "\n", module.atomic_move, mode=0o600)


def read_shares(module, client):
    """Every share's record, ACL and plan, before anything is written."""
    params, shares = module.params, []
    records = [read_record(module, spec) for spec in params["shares"]]
    for spec, record in zip(params["shares"], records, strict=True):
        try:
            path, current = client.share_sd(spec["share"])
        except RuntimeError as err:
            refused(module, "NetShareGetInfo", spec["share"], err)
        if current is None:
            # Every disk share has a share ACL (a default one at least); a server gives it to its
            # administrators only. Freezing blind would replace the real ACL with Everyone read.
            module.fail_json(msg=f"NetShareGetInfo level 502 on {where(module, spec['share'])} as "
                                 f"{params['username']} gave no share ACL: {REFUSED['NetShareGetInfo']}")
        share = Share(spec, path, current, record)
        share.new_sd, share.new_record = plan(params["state"], current, record)
        if share.new_record is not None:
            share.new_record.update(server=params["server"], share=share.name)
        if share.new_sd is not None or share.new_record is not None or (params["state"] == "unfrozen" and record):
            share.changes.add(params["state"], share.name)
        shares.append(share)
    return shares


def apply(module, client, share):
    """The share's record, its share ACL, and on unfreeze the record's removal."""
    if share.new_record is not None:
        # The record first: a freeze that cannot be undone exactly must not happen.
        write_record(module, share.spec["record_path"], share.new_record)
    if share.new_sd is not None:
        try:
            client.set_share_sd(share.name, share.new_sd)
        except RuntimeError as err:
            refused(module, "NetShareSetInfo", share.name, err)
    if module.params["state"] == "unfrozen" and share.record:
        os.unlink(share.spec["record_path"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **smb_source.connection_args(),
            shares=dict(type="list", elements="dict", required=True, options=dict(
                share=dict(type="str", required=True),
                record_path=dict(type="path", required=True),
            )),
            state=dict(type="str", choices=["frozen", "unfrozen"], default="frozen"),
            close_open=dict(type="bool", default=True),
            kommune=dict(type="str"),
        ),
        required_if=[("auth", "ntlm", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    names = [spec["share"] for spec in params["shares"]]
    twice = sorted(name for name in set(names) if names.count(name) > 1)
    if twice:
        module.fail_json(msg=f"a share is named twice in shares: {', '.join(twice)}")
    client = connect(module) if params["shares"] else None
    shares = read_shares(module, client) if client else []
    due = [share for share in shares if closing_due(params, share.record)]
    if not module.check_mode:
        for share in shares:
            apply(module, client, share)
    # Until a share's record says the closing is done, a freeze closes (a first one, and one
    # that stopped before closing); after that a second freeze changes nothing and disturbs nobody.
    if due:
        close_open(module, client, due, check=module.check_mode)
        if not module.check_mode:
            for share in due:
                if not share.findings:
                    write_record(module, share.spec["record_path"],
                                 {**(share.new_record or share.record), OPEN_CLOSED: True})
    module.exit_json(**result_of(module, shares))


def result_of(module, shares):
    changes = Changes("shares")
    for share in shares:
        for kind, items in share.changes.items.items():
            for item in items:
                changes.add(kind, item)
    result = {
        "changed": bool(changes.counts), "frozen": module.params["state"] == "frozen",
        "shares": [{"share": share.name, "changed": bool(share.changes.counts),
                    "share_acl": smb_freeze.acl_lines(share.after), "closed": share.closed,
                    RESULT_CHANGES: share.changes.to_dict(),
                    RESULT_FINDINGS: [f.to_dict() for f in share.findings]} for share in shares],
        RESULT_CHANGES: changes.to_dict(),
        RESULT_FINDINGS: [f.to_dict() for share in shares for f in share.findings]}
    if module._diff:
        # One diff per share, as Ansible shows a list of them.
        result["diff"] = [{"before": "\n".join(smb_freeze.acl_lines(share.current)) + "\n",
                           "after": "\n".join(smb_freeze.acl_lines(share.after)) + "\n",
                           "before_header": f"{where(module, share.name)} share ACL",
                           "after_header": f"{where(module, share.name)} share ACL"} for share in shares]
    return result


if __name__ == "__main__":
    main()
