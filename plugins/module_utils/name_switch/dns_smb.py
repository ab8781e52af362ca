# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name switch: a Kommune's old file server names keep working after the cut-over.

Two halves, both reversible:

- DNS: in the Kommune's own zone, the old server's A record points at an address of the
  RZ file server. The records found before are kept in a state file, so ``absent``
  puts exactly those back.
- SMB: the RZ file server answers to the old name (``netbios aliases``) and, for
  clients that connected to the Kommune's address, serves each old share name as the
  migrated share ``<namespace>-<share>``. SMB2 over port 445 carries no called name
  Samba could use (``%L`` is always the server's own name there), so the old share
  names are keyed on the local address the client connected to (``%i``): each Kommune
  whose share names could collide gets its own address on the RZ file server.

Pure functions: the modules name_switch_dns and name_switch_alias run the commands.
smb.conf and the include files are read and written by the one codec,
module_utils/samba_conf.py. Standard library only (runs on the DCs and file servers).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf, unc

MARKER = "kommunal.umzug name_switch"
# Parameters not copied from the migrated share into the alias: include is the alias
# mechanism itself; the rest describe the share name, not what it serves.
NOT_COPIED = {"include", "copy"}
_RECORD = re.compile(r"^\s+([A-Z]+): (\S+)(?: \(flags=.*\))?\s*$")
_HEADER = re.compile(r"^# (kommune|names|address): (.*)$")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")


class NameSwitchError(ValueError):
    """Input the name switch cannot act on; the message says what and where."""


def _share_path(value: str) -> unc.Unc:
    """The UNC path ``value`` (module_utils/unc.py), server and share in lower case as DNS
    and Samba compare them."""
    try:
        return unc.parse(value).lower()
    except unc.UncError as err:
        raise NameSwitchError(str(err)) from None


def short_name(server: str, zone: str) -> str | None:
    """The host name inside ``zone`` the old server name stands for; None for an address."""
    try:
        ipaddress.ip_address(server)
        return None
    except ValueError:
        pass
    suffix = "." + zone.lower()
    if "." in server:
        if not server.endswith(suffix):
            raise NameSwitchError(f"old server {server!r} is not in the Kommune's DNS zone {zone!r}")
        server = server[: -len(suffix)]
    if not _NAME.match(server):
        raise NameSwitchError(f"old server name {server!r} is not a NetBIOS host name (at most 15 "
                              "characters: letters, digits, hyphens)")
    return server


def aliases_from_shares(shares: dict[str, str], zone: str,
                        rz_server: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """From the plan's share mapping (old UNC -> new UNC), the names to switch.

    Returns ({old server: {old share: new share}}, skipped) where skipped lists, one
    sentence each, the entries no name switch can serve: an old address instead of a
    name, a share moved to another server than ``rz_server``.
    """
    aliases: dict[str, dict[str, str]] = {}
    skipped = []
    for old, new in sorted(shares.items()):
        source, target = _share_path(old), _share_path(new)
        name = short_name(source.server, zone)
        if name is None:
            skipped.append(f"{old}: an address, not a name; DNS cannot switch it")
            continue
        if target.server.split(".")[0] != rz_server.lower().split(".")[0]:
            skipped.append(f"{old}: moves to {target.server}, not to {rz_server}")
            continue
        if source.path or target.path:
            skipped.append(f"{old}: maps a folder ({new}); only whole shares can keep their old name")
            continue
        taken = aliases.setdefault(name, {})
        if taken.get(source.share, target.share) != target.share:
            raise NameSwitchError(f"{old} is mapped twice ({taken[source.share]} and {target.share})")
        taken[source.share] = target.share
    return aliases, skipped


def one_share_each(aliases: dict[str, dict[str, str]]) -> dict[str, str]:
    """Old share name -> migrated share over all old servers of a Kommune, which share one
    address on the RZ file server: the same old share name must mean the same share."""
    served: dict[str, str] = {}
    for server, shares in sorted(aliases.items()):
        for old, new in sorted(shares.items()):
            if served.setdefault(old, new) != new:
                raise NameSwitchError(f"share name {old!r} of {server} would serve {new}, but another old "
                                      f"server's {old!r} serves {served[old]}; they need addresses of their own")
    return served


# DNS -------------------------------------------------------------------------------------

def parse_dns_query(text: str) -> list[tuple[str, str]]:
    """Records of ``samba-tool dns query`` output as (type, value), e.g. ("A", "10.0.0.1")."""
    return [(m.group(1), m.group(2)) for m in map(_RECORD.match, text.splitlines()) if m]


def dns_changes(state: str, records: list[tuple[str, str]], address: str,
                saved: list[str] | None) -> tuple[list[tuple[str, str]], list[str] | None]:
    """What to change so the name resolves as asked.

    ``records`` are the name's current records, ``saved`` the A records kept when the
    switch was made (None: not switched). Returns (operations, state to keep), each
    operation ("add" | "delete", address), adds first so the name never resolves to
    nothing; the state to keep is None once nothing needs restoring.
    """
    if any(kind == "CNAME" for kind, _dummy in records):
        raise NameSwitchError("the name is a CNAME; switch the name it points to instead")
    current = [value for kind, value in records if kind == "A"]
    if state == "present":
        wanted = [address]
        keep = saved if saved is not None else current
    else:
        if saved is None:
            return [], None
        wanted, keep = saved, None
    ops = [("add", a) for a in wanted if a not in current]
    ops += [("delete", a) for a in current if a not in wanted]
    return ops, keep


# SMB -------------------------------------------------------------------------------------

def parse_testparm_section(text: str, section: str) -> dict[str, str]:
    """Parameters of one section in ``testparm -s --section-name`` output."""
    params = samba_conf.section(text, section)
    if not params:
        raise NameSwitchError(f"share {section!r} is not defined on the file server")
    return params


def render_alias_file(kommune: str, address: str, names: list[str], shares: dict[str, dict[str, str]]) -> str:
    """The include file served to clients that connect to ``address``.

    ``shares`` maps each old share name to the parameters of the migrated share it serves.
    """
    lines = [
        f"# {MARKER}: the old share names of a migrated Kommune. Do not edit;",
        "# `name_switch_action: switch_back` removes this file.",
        f"# kommune: {kommune}",
        f"# names: {' '.join(sorted(names))}",
        f"# address: {address}",
    ]
    for old in sorted(shares):
        copied = [(key, value) for key, value in sorted(shares[old].items())
                  if samba_conf.normal_key(key) not in NOT_COPIED]
        lines += ["", *samba_conf.section_lines(old, copied)]
    return samba_conf.text_of(lines)


def parse_alias_header(text: str) -> dict[str, str]:
    header = {}
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2).strip()
    return header


def render_global_file(aliases: list[str], include_dir: str) -> str | None:
    """The file that makes the RZ file server answer to the old names; None when no
    Kommune is switched. It is included at the end of smb.conf like the shares payload's
    include files, because the per-address file it includes starts sections of its own:
    anywhere earlier, what follows would land in its last share."""
    if not aliases:
        return None
    return samba_conf.text_of([
        f"# {MARKER}: the old file server names of migrated Kommunen. Do not edit.",
        *samba_conf.section_lines("global", [
            ("netbios aliases", " ".join(sorted({a.upper() for a in aliases}))),
            ("include", f"{include_dir.rstrip('/')}/%i.conf"),
        ]),
    ])
