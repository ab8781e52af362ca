# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The export model of a Kommune's old directory, and how LDAP entries become it.

The accounts export reads a Samba/Windows AD or an OpenLDAP directory; both end up in the
same plain, JSON-able model, so naming, mapping and apply never ask where it came from:

``{"flavour", "base_dn", "domain_sid", "ous": [dn], "users": [...], "groups": [...],
"computers": [...], "foreign_members": [...]}``

- A user: ``key``, ``dn``, ``name`` (sAMAccountName or uid), ``sid`` (None for OpenLDAP
  without sambaSID), ``given``, ``surname``, ``display``, ``description``, ``mail``,
  ``upn``, ``enabled``, ``expires`` (AD FILETIME, None for never), ``home_directory``,
  ``home_drive``, ``profile_path``, ``script_path``, ``uid`` / ``gid`` (RFC 2307, or None),
  ``primary_group`` (key of the primary group, or None), ``service`` (bool).
- A group: ``key``, ``dn``, ``name``, ``sid``, ``scope`` (global, domain_local,
  universal), ``security`` (bool; False is a distribution group), ``description``,
  ``gid``, ``members``: keys of member users and groups (nested groups stay nested).
- ``key`` identifies an object across runs the way the mapping file does: the SID where
  there is one, else ``user:<name>`` / ``group:<name>`` (case-folded).

Members that are not in the export (foreign security principals, well-known groups,
objects outside the searched base) are listed in ``foreign_members`` and reported by the
caller. Pure functions on dicts of attribute -> list of values: the export module feeds
them from ldap3, the unit tests from tables.

The Kommune's own state of an account is what the export must carry, not umzug's: at
cut-over ``disable_source`` disables the migrated accounts at the source and records them
in the accounts undo record (``source_disabled``); a delta apply after that would otherwise
carry umzug's own disable into the central directory. ``undo_umzug_disable`` gives those
users the state they had before (enabled: ``disable_source`` records only accounts it
found enabled), as long as the undo record holds them (not given back by ``enable_source``)
and the SID at the DN is still the recorded one. An account the Kommune disabled itself
is not in the undo record and stays disabled.

Standard library only, except ``read_undo_record`` (PyYAML, which ansible-core brings).
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable, Mapping

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

FLAVOURS = ("ad", "openldap")
UAC_DISABLED = 0x2
UAC_DONT_EXPIRE_PASSWORD = 0x10000
UAC_NORMAL_ACCOUNT = 0x200
GROUP_TYPE_SECURITY = 0x80000000
GROUP_SCOPES = {0x2: "global", 0x4: "domain_local", 0x8: "universal"}
# accountExpires: 0 and 2^63-1 both mean "never".
NEVER_EXPIRES = (0, 2**63 - 1)

AD_USER_FILTER = "(&(objectCategory=person)(objectClass=user))"
AD_GROUP_FILTER = "(objectClass=group)"
AD_COMPUTER_FILTER = "(objectClass=computer)"
AD_OU_FILTER = "(objectClass=organizationalUnit)"
AD_USER_ATTRS = ("sAMAccountName", "objectSid", "givenName", "sn", "displayName", "description", "mail",
                 "userPrincipalName", "userAccountControl", "accountExpires", "homeDirectory", "homeDrive",
                 "profilePath", "scriptPath", "uidNumber", "gidNumber", "primaryGroupID",
                 "servicePrincipalName")
AD_GROUP_ATTRS = ("sAMAccountName", "objectSid", "groupType", "description", "gidNumber", "member")
AD_COMPUTER_ATTRS = ("sAMAccountName", "objectSid")

LDAP_USER_FILTER = "(|(objectClass=posixAccount)(objectClass=inetOrgPerson))"
LDAP_GROUP_FILTER = "(|(objectClass=posixGroup)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))"
LDAP_OU_FILTER = "(objectClass=organizationalUnit)"
LDAP_USER_ATTRS = ("uid", "sambaSID", "givenName", "sn", "cn", "displayName", "description", "mail",
                   "uidNumber", "gidNumber", "homeDirectory", "pwdAccountLockedTime", "shadowExpire")
LDAP_GROUP_ATTRS = ("cn", "sambaSID", "description", "gidNumber", "memberUid", "member", "uniqueMember")

DEFAULT_SERVICE_PATTERNS = ("svc-*", "svc_*", "dienst-*")
# Keys of the accounts undo record's entries about source accounts (accounts_source).
SOURCE_DISABLED, SOURCE_ENABLED = "source_disabled", "source_enabled"


def object_key(kind: str, sid: str | None, name: str) -> str:
    return sid.upper() if sid else f"{kind}:{name.casefold()}"


def _one(entry: Mapping, attr: str, default=None):
    values = entry.get(attr) or ()
    return values[0] if values else default


def _text(entry: Mapping, attr: str) -> str:
    value = _one(entry, attr, "")
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _int(entry: Mapping, attr: str) -> int | None:
    value = _one(entry, attr)
    return None if value in (None, "", b"") else int(value)


def _sid(entry: Mapping, attr: str) -> str | None:
    value = _one(entry, attr)
    if value in (None, "", b""):
        return None
    return sid_codec.from_bytes(value) if isinstance(value, bytes) else str(value).upper()


def _group_scope(group_type: int) -> tuple[str, bool]:
    group_type &= 0xFFFFFFFF
    scope = next((name for bit, name in GROUP_SCOPES.items() if group_type & bit), "global")
    return scope, bool(group_type & GROUP_TYPE_SECURITY)


def is_service(name: str, uac: int, spns: Iterable, patterns: Iterable[str]) -> bool:
    """A service account: password set never to expire, an SPN, or a name like svc-*."""
    return bool(uac & UAC_DONT_EXPIRE_PASSWORD) or any(True for _dummy in spns) or any(
        fnmatch.fnmatch(name.lower(), pattern.lower()) for pattern in patterns)


def ad_user(entry: Mapping, domain_sid: str | None, patterns: Iterable[str]) -> dict:
    name = _text(entry, "sAMAccountName")
    sid = _sid(entry, "objectSid")
    uac = _int(entry, "userAccountControl") or UAC_NORMAL_ACCOUNT
    expires = _int(entry, "accountExpires")
    primary = _int(entry, "primaryGroupID")
    return {
        "key": object_key("user", sid, name), "dn": entry["dn"], "name": name, "sid": sid,
        "given": _text(entry, "givenName"), "surname": _text(entry, "sn"),
        "display": _text(entry, "displayName"), "description": _text(entry, "description"),
        "mail": _text(entry, "mail"), "upn": _text(entry, "userPrincipalName"),
        "enabled": not uac & UAC_DISABLED,
        "expires": None if expires in (*NEVER_EXPIRES, None) else expires,
        "home_directory": _text(entry, "homeDirectory"), "home_drive": _text(entry, "homeDrive"),
        "profile_path": _text(entry, "profilePath"), "script_path": _text(entry, "scriptPath"),
        "uid": _int(entry, "uidNumber"), "gid": _int(entry, "gidNumber"),
        "primary_group": f"{domain_sid}-{primary}" if primary and domain_sid else None,
        "service": is_service(name, uac, entry.get("servicePrincipalName") or (), patterns),
    }


def ad_group(entry: Mapping) -> dict:
    name = _text(entry, "sAMAccountName")
    sid = _sid(entry, "objectSid")
    scope, security = _group_scope(_int(entry, "groupType") or 0)
    return {
        "key": object_key("group", sid, name), "dn": entry["dn"], "name": name, "sid": sid,
        "scope": scope, "security": security, "description": _text(entry, "description"),
        "gid": _int(entry, "gidNumber"),
        "member_dns": [_decode(dn) for dn in entry.get("member") or ()],
    }


def ldap_user(entry: Mapping, patterns: Iterable[str]) -> dict:
    name = _text(entry, "uid")
    sid = _sid(entry, "sambaSID")
    locked = bool(entry.get("pwdAccountLockedTime"))
    display = _text(entry, "displayName") or _text(entry, "cn")
    return {
        "key": object_key("user", sid, name), "dn": entry["dn"], "name": name, "sid": sid,
        "given": _text(entry, "givenName"), "surname": _text(entry, "sn"), "display": display,
        "description": _text(entry, "description"), "mail": _text(entry, "mail"), "upn": "",
        "enabled": not locked, "expires": None,
        # A Unix home is a path on the old server, not a Windows home folder: not carried.
        "home_directory": "", "home_drive": "", "profile_path": "", "script_path": "",
        "uid": _int(entry, "uidNumber"), "gid": _int(entry, "gidNumber"), "primary_group": None,
        "service": is_service(name, 0, (), patterns),
    }


def ldap_group(entry: Mapping) -> dict:
    name = _text(entry, "cn")
    sid = _sid(entry, "sambaSID")
    return {
        "key": object_key("group", sid, name), "dn": entry["dn"], "name": name, "sid": sid,
        "scope": "global", "security": True, "description": _text(entry, "description"),
        "gid": _int(entry, "gidNumber"),
        # RFC 2307 names members by uid, RFC 2307bis by DN; one group may even carry both.
        "member_uids": [_decode(v) for v in entry.get("memberUid") or ()],
        "member_dns": [_decode(v) for v in [*(entry.get("member") or ()), *(entry.get("uniqueMember") or ())]],
    }


def _decode(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def resolve_members(users: list[dict], groups: list[dict]) -> list[str]:
    """Turn member DNs / memberUids into keys; returns the members found nowhere (sorted)."""
    by_dn = {obj["dn"].lower(): obj["key"] for obj in (*users, *groups)}
    by_uid = {user["name"].casefold(): user["key"] for user in users}
    by_gid = {group["gid"]: group["key"] for group in groups if group["gid"] is not None}
    foreign = set()
    for group in groups:
        members = []
        for dn in group.pop("member_dns", ()):
            key = by_dn.get(dn.lower())
            members.append(key) if key else foreign.add(dn)
        for uid in group.pop("member_uids", ()):
            key = by_uid.get(uid.casefold())
            members.append(key) if key else foreign.add(f"memberUid={uid}")
        group["members"] = sorted(set(members))
    for user in users:
        if user["primary_group"] is None and user["gid"] is not None and user["sid"] is None:
            # RFC 2307: the primary group is the posixGroup with the user's gidNumber.
            user["primary_group"] = by_gid.get(user["gid"])
    return sorted(foreign)


def build_export(flavour: str, base_dn: str, entries: Mapping[str, list[Mapping]], domain_sid: str | None = None,
                 service_patterns: Iterable[str] = DEFAULT_SERVICE_PATTERNS) -> dict:
    """The export model from raw entries (``{"ous": [...], "users": [...], "groups": [...], "computers": [...]}``)."""
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour {flavour!r} is not one of {', '.join(FLAVOURS)}")
    patterns = tuple(service_patterns)
    if flavour == "ad":
        users = [ad_user(e, domain_sid, patterns) for e in entries.get("users", ())]
        groups = [ad_group(e) for e in entries.get("groups", ())]
    else:
        users = [ldap_user(e, patterns) for e in entries.get("users", ())]
        groups = [ldap_group(e) for e in entries.get("groups", ())]
    foreign = resolve_members(users, groups)
    computers = [{"dn": e["dn"], "name": _text(e, "sAMAccountName") or _text(e, "cn")}
                 for e in entries.get("computers", ())]
    return {
        "flavour": flavour, "base_dn": base_dn, "domain_sid": domain_sid,
        "ous": sorted((e["dn"] for e in entries.get("ous", ())), key=lambda dn: (dn.count(","), dn.lower())),
        "users": sorted(users, key=lambda o: o["name"].casefold()),
        "groups": sorted(groups, key=lambda o: o["name"].casefold()),
        "computers": sorted(computers, key=lambda o: o["name"].casefold()),
        "foreign_members": foreign,
    }


def read_undo_record(undo_dir: str) -> list[dict]:
    """Every file of a Kommune's accounts undo record folder, oldest first ([] if there is none);
    a file that is not a YAML mapping raises ValueError naming the file."""
    import yaml

    records = []
    for path in sorted(glob.glob(os.path.join(undo_dir, "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            try:
                record = yaml.safe_load(handle) or {}
            except yaml.YAMLError as err:
                raise ValueError(f"undo record file {path} is not valid YAML: {err}") from err
        if not isinstance(record, dict):
            raise ValueError(f"undo record file {path} is not an undo record entry (a YAML mapping)")
        records.append(record)
    return records


def held_by_umzug(records: Iterable[Mapping]) -> list[dict]:
    """Source accounts the undo record says umzug disabled and has not enabled since, oldest first."""
    held = {}
    for record in records:
        for account in record.get(SOURCE_DISABLED) or ():
            held[account["dn"].lower()] = account
        for account in record.get(SOURCE_ENABLED) or ():
            held.pop(account["dn"].lower(), None)
    return list(held.values())


def account_name(text: str) -> str:
    """The account name of ``name``, ``DOMAIN\\name`` or ``name@realm``, in one case."""
    return text.rsplit("\\", 1)[-1].split("@")[0].casefold()


def leave_out(model: dict, accounts: Iterable[str]) -> list[str]:
    """Takes the users named in ``accounts`` (``name``, ``DOMAIN\\name`` or ``name@realm``) out of
    the export, and out of every group's members, so they are neither mapped nor created; the
    sorted names of the users taken out. umzug's own accounts at the source (the replication
    account of a Windows AD) are not the Kommune's people."""
    wanted = {account_name(name) for name in accounts if name}
    if not wanted:
        return []
    gone = [user for user in model.get("users") or () if user["name"].casefold() in wanted]
    keys = {user["key"] for user in gone}
    model["users"] = [user for user in model.get("users") or () if user["key"] not in keys]
    for group in model.get("groups") or ():
        group["members"] = [member for member in group.get("members") or () if member not in keys]
    return sorted((user["name"] for user in gone), key=str.casefold)


def undo_umzug_disable(model: dict, records: Iterable[Mapping]) -> list[str]:
    """Users of the export that are disabled only because umzug disabled them at the source
    get their state from before (enabled); the sorted names of those users.

    An account in the undo record counts only while umzug holds it (``held_by_umzug``) and only if
    the object at its DN still has the recorded SID; everything else keeps the state the
    source shows, so an account the Kommune disabled itself stays disabled."""
    held = {a["dn"].lower(): a for a in held_by_umzug(records)}
    restored = []
    for user in model.get("users") or ():
        account = held.get(user["dn"].lower())
        if account is None or user["enabled"]:
            continue
        if account.get("sid") and (user.get("sid") or "").upper() != account["sid"].upper():
            continue
        user["enabled"] = True
        restored.append(user["name"])
    return sorted(restored, key=str.casefold)
