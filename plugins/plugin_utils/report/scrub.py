# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeps secrets out of every record umzug writes (reports, state files).

Three layers, because each catches what the others miss: results of ``no_log`` tasks are
never read at all (the callback's job); values of variables that are vaulted or named like
secrets are replaced wherever they appear literally; and text that looks like a credential
(``password=...``, crypt and LDAP hashes, NT hashes, vault blobs) is masked whatever its origin.
Standard library only.
"""

from __future__ import annotations

import re

MASK = "********"
# umzug_plan_hash names a checksum of the plan, not a credential; shares_pass a sync pass (seed,
# delta, final), whose values would otherwise be masked in every step name of the Welle. Every
# name with "pass" in it is a secret's (password, passwd, passphrase, passkey, passcode ...)
# except the three inflections that end a word: "passed" (a count of tests), "passes" (sync
# passes) and "passing". A list of what is not a secret, so a new name errs on the masked side.
SECRET_NAME = re.compile(
    r"(?<!shares_)pass(?!(?:ed|es|ing)(?![a-z]))|secret|token|credential|private_key|(?<!plan_)hash|pwd|pin$",
    re.I,
)
# Shorter values would mask ordinary words all over the report.
MIN_SECRET_LENGTH = 4
_PATTERNS = (
    # name=value and name: value, keeping the name so the reader knows what was removed
    (
        re.compile(r"(?i)\b([\w-]*(?:password|passwd|pwd|secret|token)[\w-]*)(\s*[=:]\s*)(?!\*{8})(\S+)"),
        rf"\1\2{MASK}",
    ),
    # command-line flags: --password value
    (re.compile(r"(?i)(--[\w-]*(?:password|passwd|secret|token)[\w-]*\s+)(?!-)(?!\*{8})(\S+)"), rf"\1{MASK}"),
    (re.compile(r"\$ANSIBLE_VAULT;[^\s]*(\s+[0-9a-fA-F]+)*"), MASK),
    (re.compile(r"\$(1|2[abxy]?|5|6|7|y|gy|sha1|md5)\$[^\s:'\"]+"), MASK),
    (re.compile(r"\{(S?SHA\d*|S?MD5|CRYPT|PBKDF2[^}]*|ARGON2|SASL)\}[^\s'\"]+", re.I), MASK),
    (re.compile(r"\b[0-9a-fA-F]{32}\b"), MASK),
)


class Scrubber:
    def __init__(self, secrets=()):
        self.secrets: set[str] = set()
        for value in secrets:
            self.add_secret(value)

    def add_secret(self, value) -> None:
        text = str(value)
        if len(text) >= MIN_SECRET_LENGTH:
            self.secrets.add(text)

    def text(self, value: str) -> str:
        # Longest first, so a secret that contains another is removed whole.
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def data(self, value):
        """A copy of ``value`` with every string scrubbed and every secret-named key masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                key: MASK
                if isinstance(key, str) and SECRET_NAME.search(key) and value[key] not in (None, "")
                else self.data(item)
                for key, item in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.data(item) for item in value]
        return value


def collect_secrets(variables: dict, is_vaulted=lambda value: False) -> set[str]:
    """Values of secret-named or vaulted variables, at any depth of ``variables``."""
    found: set[str] = set()

    def walk(value, secret: bool) -> None:
        if is_vaulted(value) or (secret and isinstance(value, (str, int)) and not isinstance(value, bool)):
            found.add(str(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, secret or bool(isinstance(key, str) and SECRET_NAME.search(key)))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, secret)

    walk(variables, False)
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}
