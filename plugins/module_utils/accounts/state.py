# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Kommune's accounts should look like in the central directory, and the way there.

``desired`` turns the export (``directory``) and the mapping file's data into the target
objects as LDAP attributes; ``changes`` compares them with what the central directory holds
under the Kommune's OU and lists the operations, which the apply module executes (or, in
check mode, only shows). Both are pure, so check mode, diff and idempotence are decided
here and tested without a directory.

Rules:
- Only objects with a mapping entry (status active) are created; well-known accounts and
  groups are translated by rule, never created.
- Paths: a path below a share the plan lists goes where the plan's share placement
  (``placement``, ``umzug_kommune.share_placement``; module_utils/share_placement.py) puts
  that share, so home and profile paths name the share the shares payload provisions and
  the clients are sent to, ``new`` included. Any other
  ``\\\\<old server>\\<share>\\<rest>`` (or ``//<old server>/<share>/<rest>``; read with
  module_utils/unc.py) becomes ``path_template`` filled with
  ``server`` (the RZ file server), ``namespace`` (the Kommune's share namespace),
  ``share`` (the old share name in lower case) and ``rest``; the default
  ``\\\\{server}\\{namespace}-{share}\\{rest}`` is the RZ share naming the shares
  payload uses (share ``Bauamt`` of Altdorf becomes ``\\\\rz-fs\\altdorf-bauamt``); a
  last path element equal to the old account name becomes the new name (home folders
  are named after their owner). Other paths (a logon script
  relative to NETLOGON) stay.
- mail: the local part stays; the domain becomes ``mail_domain`` where one is given.
- Disabled stays disabled. Objects umzug created under the Kommune's OU that no entry
  wants any more (removed at the source) are disabled (users); groups are left, and
  both are deleted only with ``on_removed: delete``. Objects umzug did not create are
  never disabled or deleted.
- A group's members are the new DNs of its members that have an entry; the old primary
  group (if migrated) becomes an explicit membership, because primaryGroupID stays
  Domain Users in the central directory.
Standard library only.
"""

from __future__ import annotations

from ansible_collections.kommunal.umzug.plugins.module_utils import share_placement, unc

GROUP_TYPES = {("global", True): -2147483646, ("domain_local", True): -2147483644,
               ("universal", True): -2147483640, ("global", False): 2, ("domain_local", False): 4,
               ("universal", False): 8}
USER_ATTRS = ("sAMAccountName", "userPrincipalName", "givenName", "sn", "displayName", "description", "mail",
              "homeDirectory", "homeDrive", "profilePath", "scriptPath", "uidNumber", "gidNumber", "accountExpires")
GROUP_ATTRS = ("sAMAccountName", "description", "groupType", "gidNumber")
NEVER = "9223372036854775807"
# The RZ share naming: Kommune share X is served as <namespace>-<x> (docs/shares.md).
DEFAULT_PATH_TEMPLATE = "\\\\{server}\\{namespace}-{share}\\{rest}"


def rewrite_path(path: str, old_name: str, new_name: str, settings: dict) -> str:
    try:
        old = unc.parse(path)
    except unc.UncError:
        return path
    folders = list(old.folders)
    if folders and folders[-1].casefold() == old_name.casefold():
        folders[-1] = new_name
    old = old.with_folders(folders)
    placed = share_placement.rewrite_unc(str(old), settings.get("placement") or {})
    if placed is not None:
        return placed.rstrip("\\")
    template = settings.get("path_template") or DEFAULT_PATH_TEMPLATE
    # Share names on the RZ file server are lower case, as the shares payload names them.
    new = template.format(server=settings["server"], namespace=settings["namespace"], share=old.share.lower(),
                          rest=old.path)
    return new.rstrip("\\")


def rewrite_mail(mail: str, mail_domain: str | None) -> str:
    if not mail or not mail_domain:
        return mail
    return f"{mail.rpartition('@')[0]}@{mail_domain}"


def _entries_by_key(mapping: dict) -> dict:
    found = {}
    for kind, section in (("user", "users"), ("group", "groups")):
        for e in mapping.get(section) or ():
            if e.get("status", "active") != "active":
                continue
            key = e["old_sid"].upper() if e.get("old_sid") else f"{kind}:{e['old_name'].casefold()}"
            found[key] = e
    return found


def _clean(attrs: dict) -> dict:
    return {k: str(v) for k, v in attrs.items() if v not in (None, "")}


def desired(directory: dict, mapping: dict, settings: dict) -> dict:
    """Target objects: {"ous": [dn], "users": {dn: {...}}, "groups": {dn: {...}}}."""
    entries = _entries_by_key(mapping)
    users, groups = {}, {}
    for user in directory["users"]:
        entry = entries.get(user["key"])
        if entry is None:
            continue
        new = entry["new_name"]
        users[entry["new_dn"]] = {
            "key": user["key"], "kind": "user", "enabled": user["enabled"], "service": user["service"],
            "attrs": _clean({
                "sAMAccountName": new, "userPrincipalName": entry.get("upn"),
                "givenName": user["given"], "sn": user["surname"], "displayName": user["display"],
                "description": user["description"], "mail": rewrite_mail(user["mail"], settings.get("mail_domain")),
                "homeDirectory": rewrite_path(user["home_directory"], user["name"], new, settings),
                "homeDrive": user["home_drive"],
                "profilePath": rewrite_path(user["profile_path"], user["name"], new, settings),
                "scriptPath": rewrite_path(user["script_path"], user["name"], new, settings),
                "uidNumber": entry.get("new_uid"), "gidNumber": entry.get("new_gid"),
                "accountExpires": user["expires"] if user["expires"] else NEVER}),
        }
    dn_of = {key: e["new_dn"] for key, e in entries.items()}
    extra = {}
    for user in directory["users"]:
        if user["key"] in entries and user.get("primary_group") in dn_of:
            extra.setdefault(user["primary_group"].upper(), []).append(dn_of[user["key"]])
    for group in directory["groups"]:
        entry = entries.get(group["key"])
        if entry is None:
            continue
        members = {dn_of[m] for m in group["members"] if m in dn_of} | set(extra.get(group["key"], ()))
        groups[entry["new_dn"]] = {
            "key": group["key"], "kind": "group", "members": sorted(members, key=str.lower),
            "attrs": _clean({"sAMAccountName": entry["new_name"], "description": group["description"],
                             "groupType": GROUP_TYPES[(group["scope"], group["security"])],
                             "gidNumber": entry.get("new_gid")}),
        }
    return {"ous": ou_tree([*users, *groups], settings["ou"], settings["domain_dn"]), "users": users,
            "groups": groups}


def ou_tree(dns, kommune_ou: str, domain_dn: str) -> list[str]:
    """Every OU from below the domain down to the objects' parents, parents first."""
    wanted = set()
    for dn in [*dns, "CN=x," + kommune_ou]:
        parent = dn.split(",", 1)[1] if "," in dn else ""
        while parent and parent.lower() != domain_dn.lower() and parent.upper().startswith("OU="):
            wanted.add(parent)
            parent = parent.split(",", 1)[1]
    return sorted(wanted, key=lambda dn: (dn.count(","), dn.lower()))


def changes(want: dict, have: dict, on_removed: str = "disable", managed=None) -> list[tuple]:
    """Operations from ``have`` (same shape as ``want``, read from the directory) to ``want``.

    ``have`` holds only objects under the Kommune's OU, with ``members`` of groups and
    ``enabled`` of users, plus ``ous`` (existing OU DNs). ``managed``: DNs umzug created
    (the undo record); only those are disabled or deleted when the source no longer has them,
    so an object someone else put into the OU is never touched. None counts every object.
    """
    managed = None if managed is None else {dn.lower() for dn in managed}
    ops: list[tuple] = []
    have_ous = {dn.lower() for dn in have["ous"]}
    ops += [("add_ou", dn) for dn in want["ous"] if dn.lower() not in have_ous]
    for section in ("users", "groups"):
        current = {dn.lower(): obj for dn, obj in have[section].items()}
        for dn, obj in want[section].items():
            old = current.get(dn.lower())
            if old is None:
                ops.append(("add", dn, obj))
                continue
            attrs = {a: (old["attrs"].get(a), v) for a, v in obj["attrs"].items() if old["attrs"].get(a) != v}
            attrs.update({a: (v, None) for a, v in old["attrs"].items()
                          if a not in obj["attrs"] and a in (USER_ATTRS if section == "users" else GROUP_ATTRS)})
            if attrs:
                ops.append(("modify", dn, attrs))
            if section == "users" and old["enabled"] != obj["enabled"]:
                ops.append(("enable" if obj["enabled"] else "disable", dn))
        wanted = {dn.lower() for dn in want[section]}
        for dn, obj in have[section].items():
            if dn.lower() in wanted or (managed is not None and dn.lower() not in managed):
                continue
            if on_removed == "delete":
                ops.append(("delete", dn))
            elif section == "users" and obj["enabled"] and on_removed == "disable":
                ops.append(("disable", dn))
    ops += _member_ops(want["groups"], have["groups"])
    return ops


def _member_ops(want_groups: dict, have_groups: dict) -> list[tuple]:
    ops = []
    current = {dn.lower(): obj for dn, obj in have_groups.items()}
    for dn, obj in want_groups.items():
        have = {m.lower(): m for m in (current.get(dn.lower()) or {}).get("members", ())}
        want = {m.lower(): m for m in obj["members"]}
        added = [want[m] for m in sorted(set(want) - set(have))]
        removed = [have[m] for m in sorted(set(have) - set(want))]
        if added:
            ops.append(("add_members", dn, added))
        if removed:
            ops.append(("remove_members", dn, removed))
    return ops


def describe(op: tuple) -> tuple[str, str]:
    """(change kind, one line for people) of an operation; never carries a secret."""
    kind, dn = op[0], op[1]
    if kind == "modify":
        return "updated", f"{dn}: {', '.join(sorted(op[2]))}"
    if kind in ("add_members", "remove_members"):
        return kind, f"{dn}: {len(op[2])} member(s)"
    return {"add": "created", "add_ou": "created", "set_hash": "password_carried",
            "set_password": "initial_password_set"}.get(kind, kind + "d"), dn
