# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which password each migrated user gets, and the initial-password letters.

Policies, per account:

- ``hash``: the NT hash is carried from the Kommune's DC (people keep their password);
- ``reset``: a random initial password that must be changed at the next logon, handed
  out in a letter; the letters of a Kommune are one ansible-vault encrypted YAML file;
- ``none``: the account is created disabled and reported.

``policy_of`` picks the policy of an account: the first pattern in ``overrides`` (shell
patterns on the old account name, case-insensitive) that matches, else the default. A
letter is only written for an account umzug has not created yet, because an account
that exists keeps the password it has: the letter would lie otherwise.

Letter file (plain text before encryption)::

    kommune: kommune-b
    letters:
      - name: bgh-jgrosse            # the new sAMAccountName
        upn: bgh-jgrosse@rz.test
        display: Jana Große
        old_name: jgrosse
        password: <initial password>

Standard library only; encryption is the caller's (ansible-vault on the controller).
"""

from __future__ import annotations

import fnmatch
import secrets
import string
from collections.abc import Iterable, Mapping

POLICIES = ("hash", "reset", "none")
# No 0/O, 1/l/I: letters are read off paper.
ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")
GROUPS, GROUP_LENGTH = 4, 4


def policy_of(old_name: str, default: str, overrides: Mapping[str, str]) -> str:
    for pattern, policy in overrides.items():
        if fnmatch.fnmatchcase(old_name.casefold(), pattern.casefold()):
            return policy
    return default


def check_policies(default: str, overrides: Mapping[str, str]) -> list[str]:
    """One sentence per policy that is not known."""
    problems = [] if default in POLICIES else [f"password policy {default!r} is not one of {', '.join(POLICIES)}"]
    problems += [f"password policy {policy!r} of pattern {pattern!r} is not one of {', '.join(POLICIES)}"
                 for pattern, policy in overrides.items() if policy not in POLICIES]
    return problems


def generate() -> str:
    """Four groups of four from letters and digits; upper, lower case and a digit each time."""
    while True:
        password = "-".join("".join(secrets.choice(ALPHABET) for _char in range(GROUP_LENGTH))
                            for _group in range(GROUPS))
        if (any(c.isupper() for c in password) and any(c.islower() for c in password)
                and any(c.isdigit() for c in password)):
            return password


def users_by_policy(directory: Mapping, mapping: Mapping, default: str, overrides: Mapping[str, str]) -> dict:
    """{policy: [(user, mapping entry)]} of the users with an active mapping entry."""
    entries = {}
    for entry in mapping.get("users") or ():
        if entry.get("status", "active") != "active":
            continue
        key = entry["old_sid"].upper() if entry.get("old_sid") else f"user:{entry['old_name'].casefold()}"
        entries[key] = entry
    found = {policy: [] for policy in POLICIES}
    for user in directory.get("users") or ():
        entry = entries.get(user["key"])
        if entry is not None:
            found[policy_of(user["name"], default, overrides)].append((user, entry))
    return found


def letters_for(reset_users: Iterable[tuple[dict, dict]], existing: Iterable[Mapping]) -> tuple[list[dict], list[str]]:
    """Letters after this run: the existing ones, plus one for each reset user not yet
    created (no new SID) that has none. Returns (letters, names added)."""
    letters = [dict(letter) for letter in existing]
    have = {letter["name"].casefold() for letter in letters}
    added = []
    for user, entry in reset_users:
        name = entry["new_name"]
        if name.casefold() in have or entry.get("new_sid"):
            continue
        letters.append({"name": name, "upn": entry.get("upn") or "", "display": user.get("display") or "",
                        "old_name": user["name"], "password": generate()})
        have.add(name.casefold())
        added.append(name)
    return sorted(letters, key=lambda letter: letter["name"].casefold()), added
