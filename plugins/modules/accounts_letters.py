#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: accounts_letters
short_description: Decides each user's password policy and keeps the vault-encrypted initial-password letters
version_added: 0.1.0
description:
  - Runs on the controller. Picks every migrated user's password policy (C(hash), C(reset) or C(none); see
    C(plugins/module_utils/accounts/passwords.py)) and, for C(reset) users that umzug has not created yet, makes a
    random initial password and adds a letter for it to the Kommune's letter file.
  - The letter file is encrypted with the controller's C(ansible-vault) (O(vault_password_file), O(vault_id)); the
    plain text goes through its stdin and stdout and never touches the disk. Existing letters are kept, so a second
    run changes nothing.
  - Returns the initial passwords for M(kommunal.umzug.accounts_apply), which sets them with must-change at next
    logon. The result is secret; run the task with C(no_log=true).
  - In check mode the letters are made but not written; the diff lists the names of new letters, never a password.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  path:
    description: The Kommune's letter file (vault-encrypted YAML). Its folder must exist.
    type: path
    required: true
  vault_password_file:
    description: File with the vault password (or an executable that prints it), as for C(--vault-password-file).
    type: path
    required: true
  vault_id:
    description: Vault id label the file is encrypted with.
    type: str
    default: umzug
  directory:
    description: The Kommune's export (C(directory) of M(kommunal.umzug.accounts_export)).
    type: dict
    required: true
  mapping:
    description: The mapping file's data (C(mapping) of M(kommunal.umzug.accounts_mapping)).
    type: dict
    required: true
  policy:
    description: Password policy of every user no override names.
    type: str
    choices: [hash, reset, none]
    default: hash
  overrides:
    description: Shell pattern on the old account name -> policy; the first match wins.
    type: dict
    default: {}
  kommune:
    description: Kommune id, written into the letter file and the findings.
    type: str
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
requirements:
  - ansible-core on the controller (its C(ansible-vault) command)
"""

EXAMPLES = r"""
- name: Initial passwords for the users of policy reset
  kommunal.umzug.accounts_letters:
    path: artifacts/letters/kommune-b.vault.yml
    vault_password_file: .lab/vault/umzug
    directory: "{{ export.directory }}"
    mapping: "{{ mapping.mapping }}"
    policy: hash
    overrides: {"azubi-*": reset}
    kommune: kommune-b
  delegate_to: localhost
  register: letters
  no_log: true
"""

RETURN = r"""
passwords:
  description: New sAMAccountName -> initial password, for every letter in the file. Secret.
  returned: success
  type: dict
  sample: {bgh-jgrosse: "<initial password>"}
hash_sids:
  description: Old SIDs of the users whose NT hash is carried (policy hash).
  returned: success
  type: list
  elements: str
  sample: [S-1-5-21-1-2-3-1105]
policies:
  description: Old account name -> policy, for every migrated user.
  returned: success
  type: dict
  sample: {hmueller: hash, jgrosse: reset}
added:
  description: New account names that got a letter in this run.
  returned: success
  type: list
  elements: str
  sample: [bgh-jgrosse]
umzug_findings:
  description: Letters to hand out.
  returned: success
  type: list
  elements: dict
  sample: [{key: accounts.initial_password_letters, severity: info}]
"""

import os
import sys
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import passwords as accounts_passwords
from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import (
    RESULT_FINDINGS,
    Finding,
)

try:
    import yaml
except ImportError:
    YAML_ERROR = traceback.format_exc()
else:
    YAML_ERROR = None


class LetterFile:
    """The letter file, read and written only through ansible-vault: the plain text goes
    through its stdin and stdout, never to the disk."""

    def __init__(self, module, path, password_file, vault_id):
        if not os.path.isfile(password_file):
            raise ValueError(f"vault password file {password_file} does not exist; create it or set "
                             "accounts_letters_vault_password_file")
        self.module, self.path, self.vault_id = module, path, vault_id
        # The controller's ansible-vault, next to the Python that runs this module first.
        self.vault = module.get_bin_path("ansible-vault", required=True, opt_dirs=[os.path.dirname(sys.executable)])
        self.identity = f"{vault_id}@{password_file}"

    def read(self):
        if not os.path.exists(self.path):
            return []
        rc, out, err = self.module.run_command([self.vault, "decrypt", "--vault-id", self.identity, "--output", "-",
                                                self.path])
        if rc != 0:
            raise ValueError(f"ansible-vault cannot decrypt it: {err.strip()}")
        data = yaml.safe_load(out) or {}
        letters = data.get("letters") or []
        if not isinstance(letters, list) or not all(isinstance(x, dict) and x.get("name") for x in letters):
            raise ValueError("'letters' must be a list of entries with a name")
        return letters

    def write(self, kommune, letters):
        """Replaces the letter file with the encrypted letters, readable by its owner alone."""
        text = yaml.safe_dump({"kommune": kommune, "letters": letters}, allow_unicode=True, sort_keys=False)
        rc, out, err = self.module.run_command([self.vault, "encrypt", "--vault-id", self.identity,
                                                "--encrypt-vault-id", self.vault_id, "--output", "-", "-"],
                                               data=text, binary_data=True)
        if rc != 0 or not out.startswith("$ANSIBLE_VAULT;"):
            raise ValueError(f"ansible-vault cannot encrypt it: {err.strip()}")
        write_atomic(self.path, out, self.module.atomic_move, mode=0o600)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            vault_password_file=dict(type="path", required=True, no_log=False),
            vault_id=dict(type="str", default="umzug"),
            directory=dict(type="dict", required=True),
            mapping=dict(type="dict", required=True),
            policy=dict(type="str", choices=list(accounts_passwords.POLICIES), default="hash"),
            overrides=dict(type="dict", default={}),
            kommune=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = accounts_passwords.check_policies(params["policy"], params["overrides"])
    if problems:
        module.fail_json(msg="; ".join(problems))
    chosen = accounts_passwords.users_by_policy(params["directory"], params["mapping"], params["policy"],
                                                params["overrides"])
    result = dict(changed=False, passwords={}, added=[],
                  hash_sids=sorted(u["sid"].upper() for u, _dummy in chosen["hash"] if u.get("sid")),
                  policies={u["name"]: policy for policy, pairs in chosen.items() for u, _dummy in pairs})
    if not chosen["reset"] and not os.path.exists(params["path"]):
        module.exit_json(**result, **{RESULT_FINDINGS: []})
    if YAML_ERROR:
        module.fail_json(msg="PyYAML is missing on the controller", exception=YAML_ERROR)
    try:
        letter_file = LetterFile(module, params["path"], params["vault_password_file"], params["vault_id"])
        existing = letter_file.read()
        letters, added = accounts_passwords.letters_for(chosen["reset"], existing)
        if added and not module.check_mode:
            letter_file.write(params["kommune"], letters)
    except (ValueError, OSError, yaml.YAMLError) as err:
        module.fail_json(msg=f"letter file {params['path']}: {err}")
    result.update(changed=bool(added), added=added, passwords={x["name"]: x["password"] for x in letters})
    if module._diff:
        result["diff"] = {"before": {"letters": sorted(x["name"] for x in existing)},
                          "after": {"letters": sorted(x["name"] for x in letters)}}
    findings = [Finding.of(
        "accounts.initial_password_letters", count=len(letters), path=params["path"], vault_id=params["vault_id"],
        resources=(x["name"] for x in letters), kommune=params["kommune"]).to_dict()] if letters else []
    module.exit_json(**result, **{RESULT_FINDINGS: findings})


if __name__ == "__main__":
    main()
