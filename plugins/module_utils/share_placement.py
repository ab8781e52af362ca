# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a Kommune's share goes: the one rule, read by every payload (issue 12).

A share of a Kommune goes to its share server (the plan's ``share_server``, else the
RZ's first fs host) as ``<share_namespace>-<share>`` in lower case, folders below it
unchanged: ``\\\\kommune-a-fs\\Bauamt\\Pläne`` becomes ``\\\\rz-fs\\altdorf-bauamt\\Pläne``.
A share the plan lists with ``new`` goes where ``new`` says instead.

The plan applies the rule once per Kommune (``placement``) and hands the result to every
host as ``umzug_kommune.share_placement``; the shares payload (which share it provisions
under which name), the accounts payload (home and profile paths), the clients payload
(``umzug_kommune.endpoints.shares``, made from the same result) and the name switch (the
server that takes the old names) read it through the functions here, and never restate it.

UNC paths are read and written with the one UNC codec (module_utils/unc.py). Standard
library only: runs on the file servers and DCs.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.kommunal.umzug.plugins.module_utils import unc


def same_server(one: str | None, other: str | None) -> bool:
    """Whether two server names, as UNC paths write them, name one server: case aside, a
    short name stands for an FQDN starting with it (``rz-fs`` and ``rz-fs.rz.test``)."""
    if not one or not other:
        return False
    one, other = one.lower(), other.lower()
    if one == other:
        return True
    if _is_address(one) or _is_address(other):
        return False
    return ("." not in one and other.split(".")[0] == one) or ("." not in other and one.split(".")[0] == other)


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def default_share_name(namespace: str, share: str) -> str:
    """The RZ share naming: share ``Bauamt`` of namespace ``altdorf`` is ``altdorf-bauamt``."""
    return f"{namespace}-{share.lower()}"


def place(old: str, server: str | None, namespace: str, new: str | None = None) -> dict:
    """Where the UNC path ``old`` goes: {server, share, unc}. ``new`` (the plan's) wins;
    without it, the default naming on ``server``, folders below the share kept."""
    if new:
        target = unc.parse(new)
        return {"server": target.server, "share": target.share, "unc": new}
    source = unc.parse(old)
    return _default(server, namespace, source.share, source.folders)


def _default(server: str | None, namespace: str, share: str, folders=()) -> dict:
    name = default_share_name(namespace, share)
    return {"server": server, "share": name, "unc": unc.build(str(server), name, *folders)}


def placement(shares: list[dict], server: str | None, namespace: str, host: str | None = None) -> dict:
    """``umzug_kommune.share_placement``: the Kommune's share server (``server`` as UNC
    paths write it, ``host`` its inventory name), its namespace, and each listed share's
    target by its old UNC path, in the plan's order."""
    return {"server": server, "host": host, "namespace": namespace,
            "shares": {entry["old"]: place(entry["old"], server, namespace, entry.get("new"))
                       for entry in shares}}


def _listed(share_placement: dict, server_names, share: str) -> dict | None:
    """The target the plan lists for the whole share ``share`` of a server known by
    ``server_names``; None when the plan does not list it."""
    for old, target in (share_placement.get("shares") or {}).items():
        listed = unc.parse(old).lower()
        if listed.path or listed.share != share.lower():
            continue
        if any(same_server(listed.server, name) for name in server_names):
            return target
    return None


def target_of(share_placement: dict, server_names, share: str) -> dict:
    """{server, share, unc} of the source share ``share`` on a server known by
    ``server_names`` (its inventory name, address, FQDN ...)."""
    listed = _listed(share_placement, server_names, share)
    if listed is not None:
        return dict(listed)
    return _default(share_placement["server"], share_placement["namespace"], share)


def discovered_target(share_placement: dict | None, target_server: str | None, namespace: str, server_names,
                      share: str) -> dict:
    """``target_of`` as the discover modules know a share: by the plan's placement where
    they are given one, their own ``namespace`` always, and ``target_server`` where the
    placement names no server (or there is none)."""
    placed = share_placement or {"server": target_server}
    placed = {**placed, "namespace": namespace, "server": placed.get("server") or target_server}
    return target_of(placed, server_names, share)


def rewrite_unc(path: str, share_placement: dict) -> str | None:
    """``path`` below a share the plan lists (whole), moved to that share's target;
    None for a path the plan does not list (the caller applies the default naming)."""
    try:
        source = unc.parse(path)
    except unc.UncError:
        return None
    listed = _listed(share_placement, (source.server,), source.share)
    if listed is None:
        return None
    return unc.join(listed["unc"], source.path)
