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
from functools import lru_cache

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
# What every one of the patterns needs to match, checked in one go before any of them runs: most
# texts (paths, titles, names) have none of it and are left as they are. The words are those of the
# two name patterns; casefold() folds at least every letter that their re.IGNORECASE does (the long
# s, U+017F, to "s", the Kelvin sign to "k"), so a text they would match always passes. Keep it in
# step with _PATTERNS (tests/unit/plugins/plugin_utils/report/test_scrub.py compares the two).
_HEX_RUN = re.compile(r"[0-9a-fA-F]{32}")
# Texts that come back again and again (severities, keys, remediation texts) are scrubbed once; the
# memory is cleared when a secret is learnt, and emptied when it is full.
_MEMORY_SIZE = 65536


def _may_hold_a_credential(text: str) -> bool:
    if "$" in text or "{" in text:
        return True
    folded = text.casefold()
    return ("passw" in folded or "pwd" in folded or "secret" in folded or "token" in folded
            or _HEX_RUN.search(text) is not None)


@lru_cache(maxsize=4096)
def _secret_name(key) -> bool:
    """Whether a mapping's key names a secret; remembered, since results use few distinct keys."""
    return isinstance(key, str) and SECRET_NAME.search(key) is not None


class Scrubber:
    def __init__(self, secrets=()):
        self.secrets: set[str] = set()
        self._longest_first: list[str] = []
        self._memory: dict[str, str] = {}
        for value in secrets:
            self.add_secret(value)

    def add_secret(self, value) -> None:
        text = str(value)
        if len(text) >= MIN_SECRET_LENGTH and text not in self.secrets:
            self.secrets.add(text)
            # Longest first, so a secret that contains another is removed whole.
            self._longest_first = sorted(self.secrets, key=len, reverse=True)
            self._memory.clear()

    def text(self, value: str) -> str:
        scrubbed = self._memory.get(value)
        if scrubbed is None:
            if len(self._memory) >= _MEMORY_SIZE:
                self._memory.clear()
            scrubbed = self._memory[value] = self._scrub(value)
        return scrubbed

    def _scrub(self, value: str) -> str:
        for secret in self._longest_first:
            if secret in value:
                value = value.replace(secret, MASK)
        if not _may_hold_a_credential(value):
            return value
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def data(self, value):
        """A copy of ``value`` with every string scrubbed and every secret-named key masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                key: MASK if _secret_name(key) and item not in (None, "")
                else self.text(item) if isinstance(item, str) else self.data(item)
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
