# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Share settings that name principals, translated through the identity mapping.

``valid users``, ``invalid users``, ``read list``, ``write list``, ``admin users`` (lists)
and ``force user`` / ``force group`` (one name) of a source share name accounts and groups
of the old domain. On the RZ file server they must name the new ones:

- ``KOMMUNEA\\hmueller`` (or ``hmueller@kommune-a.test``) -> ``RZ\\ald-hmueller``, the
  entry of that old name in the mapping (users; with a group prefix ``@``, ``+``, ``&``
  and for ``force group``: groups), prefix kept, quoted when the new name has a space.
- The old domain's built-in accounts and groups (Administrator, Domain Admins, Domain
  Users ...) that the mapping has no entry for: the same name in the new domain.
- A bare name (no domain) is a local account of the server and a substitution (``%S``,
  ``%U`` ...) means the same everywhere: both stay as they are. A bare name the mapping
  knows is translated (the old server used ``winbind use default domain``).
- Anything else (an old name the mapping lacks, an entry without a new name, a name of
  another domain) cannot be translated: it stays in the setting as it was (never
  dropped: leaving a name out of ``invalid users`` would widen access) and is returned
  as a problem, which the caller reports as an inhibitor.

Text in, text out: no I/O here. Standard library only: runs on the file servers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

LIST_SETTINGS = ("valid users", "invalid users", "read list", "write list", "admin users")
SINGLE_SETTINGS = ("force user", "force group")
SETTINGS = LIST_SETTINGS + SINGLE_SETTINGS
GROUP_PREFIX = "@+&"
# Accounts and groups every AD domain has under these names (RIDs below 1000).
BUILT_IN = {"administrator", "guest", "krbtgt", "domain admins", "domain users", "domain guests",
            "domain computers", "domain controllers", "schema admins", "enterprise admins",
            "group policy creator owners", "read-only domain controllers", "cert publishers",
            "ras and ias servers", "allowed rodc password replication group",
            "denied rodc password replication group", "dnsadmins", "dnsupdateproxy"}


@dataclass(frozen=True)
class Problem:
    setting: str
    name: str
    reason: Reason


@dataclass(frozen=True)
class Domains:
    """The old domain's names (workgroup, realm, DNS domain) and the new workgroup."""
    old: tuple[str, ...]
    new_workgroup: str

    def is_old(self, domain: str) -> bool:
        return domain.casefold() in {d.casefold() for d in self.old if d}


def split_list(value: str) -> list[str]:
    """Samba's list syntax: names separated by commas or white space, a double-quoted
    part may hold either."""
    names, current, quoted, touched = [], [], False, False
    for char in value:
        if char == '"':
            quoted, touched = not quoted, True
        elif not quoted and (char == "," or char.isspace()):
            if current or touched:
                names.append("".join(current))
            current, touched = [], False
        else:
            current.append(char)
    if quoted:
        raise ValueError(f"unbalanced double quote in {value!r}")
    if current or touched:
        names.append("".join(current))
    return [name for name in names if name]


def join_list(names: Iterable[str]) -> str:
    return ", ".join(quote(name) for name in names)


def quote(name: str) -> str:
    prefix = name[:len(name) - len(name.lstrip(GROUP_PREFIX))]
    body = name[len(prefix):]
    return f'{prefix}"{body}"' if any(c.isspace() or c == "," for c in body) else name


def _split_name(name: str) -> tuple[str, str]:
    """(domain, account) of ``DOMAIN\\account`` or ``account@domain``; domain '' if none."""
    if "\\" in name:
        domain, _dummy, account = name.partition("\\")
        return domain, account
    if "@" in name:
        account, _dummy, domain = name.rpartition("@")
        return domain, account
    return "", name


def translate_name(name: str, kind: str, lookup: Callable[[str, str], str | None],
                   domains: Domains) -> tuple[str, Reason | None]:
    """(name to write, problem or None) for one name of a setting. ``kind``: user or
    group; ``lookup(kind, old account name)``: the new account name or None."""
    prefix = name[:len(name) - len(name.lstrip(GROUP_PREFIX))]
    body = name[len(prefix):]
    if prefix:
        kind = "group"
    if not body or "%" in body:
        return name, None
    domain, account = _split_name(body)
    new = lookup(kind, account)
    if not domain:
        return (f"{prefix}{domains.new_workgroup}\\{new}" if new else name), None
    if not domains.is_old(domain):
        return name, Reason("not_old_domain", domain=domain)
    if new:
        return f"{prefix}{domains.new_workgroup}\\{new}", None
    if account.casefold() in BUILT_IN:
        return f"{prefix}{domains.new_workgroup}\\{account}", None
    return name, Reason("no_new_group" if kind == "group" else "no_new_user", account=account)


def translate_setting(key: str, value: str, lookup: Callable[[str, str], str | None],
                      domains: Domains) -> tuple[str, list[Problem]]:
    """(value to write, problems) of one principal setting."""
    if key in SINGLE_SETTINGS:
        names = [value.strip().strip('"')] if value.strip() else []
        default_kind = "group" if key == "force group" else "user"
    else:
        names = split_list(value)
        default_kind = "user"
    written, problems = [], []
    for name in names:
        new, problem = translate_name(name, default_kind, lookup, domains)
        written.append(new)
        if problem:
            problems.append(Problem(key, name, problem))
    text = (quote(written[0]) if written else "") if key in SINGLE_SETTINGS else join_list(written)
    return text, problems


def mapping_lookup(identity_map) -> Callable[[str, str], str | None]:
    """``lookup`` from an identity_map.IdentityMap (None when there is no mapping)."""
    def lookup(kind: str, account: str) -> str | None:
        if identity_map is None:
            return None
        entry = identity_map.user_for_old_name(account) if kind == "user" else identity_map.group_for_old_name(account)
        if entry is None or entry.status == "gone":
            return None
        return entry.new_name
    return lookup
