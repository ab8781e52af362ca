# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoint values and the old-to-new mapping that re-points them.

An endpoint value is one of (tried in this order):

=================  ==================================================================
``unc``            ``\\\\server\\share\\dir`` (the server may be a name or an IPv4 address)
``jdbc``           ``jdbc:sqlserver://host\\inst:1433;databaseName=x``,
                   ``jdbc:postgresql://h1:5432,h2:5432/db``, ``jdbc:oracle:thin:@host:1521:SID``,
                   ``jdbc:oracle:thin:@//host:1521/svc``, Oracle TNS descriptors
                   ``jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(HOST=h)(PORT=p))...)``,
                   ``jdbc:sqlserver://;serverName=host;portNumber=1433``
``url``            ``scheme://[user@]host[:port][/path][?query][#fragment]``, several
                   comma-separated hosts allowed
``tcp``            ``tcp:host[\\instance][,port]`` (SQL Server network library prefix)
``server``         ``host``, ``host:port``, ``host,port``, ``host\\instance[,port]``, ``[v6]:port``
=================  ==================================================================

Only the host, the port and (for UNC paths) a mapped share prefix are ever replaced; the
rest of the value (path case, trailing slashes, query strings, instance names) is kept
verbatim. Anything else (an empty value, ``${DB_HOST}``, ``jdbc:odbc:FINANZ``, a bare
number) raises ``EndpointUnrecognised``: it is reported, never guessed at.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils import unc
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import ProfileError
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_PORT = r"\d{1,5}"
_SERVER = re.compile(
    rf"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:,\\\[\]/]+)(?:\\(?P<instance>[A-Za-z0-9_$#-]+))?"
    rf"(?:(?P<sep>[:,])(?P<port>{_PORT}))?"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_TNS_ADDRESS = re.compile(r"\(\s*ADDRESS\s*=((?:[^()]|\([^()]*\))*)\)", re.IGNORECASE)
_TNS_HOST = re.compile(r"\(\s*HOST\s*=\s*([^)\s]+)\s*\)", re.IGNORECASE)
_TNS_PORT = re.compile(r"\(\s*PORT\s*=\s*(\d+)\s*\)", re.IGNORECASE)
_JDBC_PROPERTY = re.compile(r";\s*(serverName|server|portNumber|port)\s*=\s*([^;]*)", re.IGNORECASE)


class EndpointUnrecognised(ValueError):
    """A value that is not any of the endpoint forms this module knows."""

    def __init__(self, reason: Reason):
        super().__init__(reason)
        self.reason = reason


class MappingError(ProfileError):
    """A mapping that is ambiguous or would not be idempotent."""


@dataclass(frozen=True)
class HostRef:
    """Where a host (and its port, if written) sits inside a value: half-open character spans."""

    host: tuple[int, int]
    port: tuple[int, int] | None = None


@dataclass(frozen=True)
class Endpoint:
    kind: str
    refs: tuple[HostRef, ...]
    # For UNC paths: the end of each path component after the server (share, dir, ...).
    unc_components: tuple[tuple[int, int], ...] = ()


def is_host(text: str) -> bool:
    """A DNS or NetBIOS name with at least one letter, or an IP address."""
    if is_ip(text):
        return True
    return (len(text) <= 254 and _HOSTNAME.fullmatch(text) is not None
            and any(c.isalpha() for c in text))


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def parse_endpoint(value: str) -> Endpoint:
    if not value:
        raise EndpointUnrecognised(Reason("endpoint_empty"))
    if any(c.isspace() for c in value) and not value.startswith("\\\\"):
        raise EndpointUnrecognised(Reason("endpoint_whitespace", value=repr(value)))
    if value.startswith("\\\\"):
        return _parse_unc(value)
    if value[:5].lower() == "jdbc:":
        return _parse_jdbc(value)
    if _SCHEME.match(value):
        return Endpoint("url", _parse_authority(value, _SCHEME.match(value).end(), "/?#"))
    if value[:4].lower() == "tcp:":
        return Endpoint("tcp", (_parse_server(value, 4, len(value)),))
    if ":" in value and is_ip(value):
        return Endpoint("server", (HostRef((0, len(value))),))
    return Endpoint("server", (_parse_server(value, 0, len(value)),))


def _parse_server(value: str, start: int, end: int) -> HostRef:
    match = _SERVER.fullmatch(value, start, end)
    if not match or not is_host(match["host"]):
        raise EndpointUnrecognised(Reason("endpoint_unknown_form", value=repr(value)))
    if match["port"] and not 0 < int(match["port"]) < 65536:
        raise EndpointUnrecognised(Reason("endpoint_port_range", value=repr(value), port=match["port"]))
    host = match.span("host")
    if value[host[0]] == "[":
        host = (host[0] + 1, host[1] - 1)
    return HostRef(host, match.span("port") if match["port"] else None)


def _parse_authority(value: str, start: int, stops: str) -> tuple[HostRef, ...]:
    end = start
    while end < len(value) and value[end] not in stops:
        end += 1
    at = value.rfind("@", start, end)
    if at >= 0:
        start = at + 1
    if start == end:
        raise EndpointUnrecognised(Reason("endpoint_no_host", value=repr(value)))
    refs, pos = [], start
    for part in value[start:end].split(","):
        refs.append(_parse_server(value, pos, pos + len(part)))
        pos += len(part) + 1
    return tuple(refs)


def _parse_unc(value: str) -> Endpoint:
    host, *parts = unc.spans(value)
    if not is_host(value[host[0]:host[1]]):
        raise EndpointUnrecognised(Reason("endpoint_bad_server", value=repr(value), host=repr(value[host[0]:host[1]])))
    return Endpoint("unc", (HostRef(host),), tuple(parts))


def _parse_jdbc(value: str) -> Endpoint:
    lower = value.lower()
    if "(description" in lower or "(address" in lower:
        refs = []
        for address in _TNS_ADDRESS.finditer(value):
            host = _TNS_HOST.search(value, address.start(1), address.end(1))
            port = _TNS_PORT.search(value, address.start(1), address.end(1))
            if host and is_host(host[1]):
                refs.append(HostRef(host.span(1), port.span(1) if port else None))
        if refs:
            return Endpoint("jdbc", tuple(refs))
        raise EndpointUnrecognised(Reason("endpoint_tns_no_host", value=repr(value)))
    at = value.find(":@")
    if lower.startswith("jdbc:oracle:") and at >= 0:
        start = at + 2 + (2 if value.startswith("//", at + 2) else 0)
        end = start
        while end < len(value) and value[end] not in ":/?":
            end += 1
        if end < len(value) and value[end] == ":":
            port_end = end + 1
            while port_end < len(value) and value[port_end].isdigit():
                port_end += 1
            end = port_end if port_end > end + 1 else end
        return Endpoint("jdbc", (_parse_server(value, start, end),))
    slashes = value.find("//")
    if slashes >= 0:
        stop = ";/?" if lower.startswith(("jdbc:sqlserver:", "jdbc:jtds:", "jdbc:as400:")) else "/?;"
        if value.startswith(";", slashes + 2) or slashes + 2 == len(value):
            return _parse_jdbc_properties(value)
        return Endpoint("jdbc", _parse_authority(value, slashes + 2, stop))
    raise EndpointUnrecognised(Reason("endpoint_jdbc_alias", value=repr(value)))


def _parse_jdbc_properties(value: str) -> Endpoint:
    host = port = None
    for prop in _JDBC_PROPERTY.finditer(value):
        if prop[1].lower() in ("servername", "server"):
            host = prop.span(2)
        else:
            port = prop.span(2)
    if host is None or not is_host(value[host[0]:host[1]]):
        raise EndpointUnrecognised(Reason("endpoint_jdbc_no_host", value=repr(value)))
    return Endpoint("jdbc", (HostRef(host, port),))


def _norm(host: str) -> str:
    host = host.strip("[]").rstrip(".").lower()
    if is_ip(host):
        return ipaddress.ip_address(host).compressed
    return host


@dataclass(frozen=True)
class HostEntry:
    """One server: every name it was known by, where it goes, and which ports change with it."""

    old: tuple[str, ...]
    new: str
    ports: dict = field(default_factory=dict)


@dataclass
class EndpointMap:
    """Old servers and UNC share prefixes to new ones.

    ``hosts``: entries ``{old: [names...] | name, new: name, ports: {old_port: new_port}}``.
    Names match case-insensitively; an old FQDN also matches its short name unless that
    short name is claimed by another entry. ``shares``: ``{old_unc_prefix: new_unc_prefix}``
    matched on whole path components, longest prefix first. A mapping whose result would
    itself be rewritten again is refused, so a second run never changes anything.
    """

    entries: tuple[HostEntry, ...] = ()
    shares: tuple[tuple[str, str], ...] = ()
    _by_name: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: dict | None) -> EndpointMap:
        data = data or {}
        entries = []
        for item in data.get("hosts") or ():
            old = item.get("old")
            old = (old,) if isinstance(old, str) else tuple(old or ())
            ports = {int(k): int(v) for k, v in (item.get("ports") or {}).items()}
            entries.append(HostEntry(old, str(item.get("new") or ""), ports))
        shares = tuple((str(k), str(v)) for k, v in (data.get("shares") or {}).items())
        return cls(tuple(entries), shares)

    def __post_init__(self):
        explicit, derived = {}, {}
        for entry in self.entries:
            if not entry.old or not is_host(entry.new) or ":" in entry.new:
                raise MappingError(f"mapping entry {entry.old!r} -> {entry.new!r} needs old names and a new "
                                   "host name or IPv4 address")
            for name in entry.old:
                if not is_host(name):
                    raise MappingError(f"{name!r} is not a host name or IP address")
                key = _norm(name)
                if explicit.get(key, entry) is not entry:
                    raise MappingError(f"{name!r} is mapped twice")
                explicit[key] = entry
                if not is_ip(name) and "." in key:
                    derived.setdefault(key.split(".")[0], set()).add(id(entry))
        by_id = {id(e): e for e in self.entries}
        self._by_name = dict(explicit)
        for short, owners in derived.items():
            if short not in explicit and len(owners) == 1:
                self._by_name[short] = by_id[next(iter(owners))]
        self._check_idempotent()

    def _check_idempotent(self):
        for entry in self.entries:
            again = self.lookup(entry.new)
            if again is not None and _norm(again.new) != _norm(entry.new):
                raise MappingError(f"{entry.new!r} is both a new and an old name; "
                                   "a second run would move it again")
            for new_port in entry.ports.values():
                if new_port in entry.ports and entry.ports[new_port] != new_port:
                    raise MappingError(f"port {new_port} of {entry.new} is both a new and an old port")
        for old, new in self.shares:
            for prefix in (old, new):
                parsed = _parse_unc(prefix) if prefix.startswith("\\\\") else None
                if parsed is None or not parsed.unc_components or prefix.endswith("\\"):
                    raise MappingError(f"share prefix {prefix!r} is not \\\\server\\share[\\dir]")
            if self._share_match(new) is not None:
                raise MappingError(f"share {new!r} would be rewritten again by another share mapping")
            server = unc.parse(new).server
            again = self.lookup(server)
            if again is not None and _norm(again.new) != _norm(server):
                raise MappingError(f"share {new!r} is on a server that is itself mapped away")

    def __bool__(self):
        return bool(self.entries or self.shares)

    def lookup(self, host: str) -> HostEntry | None:
        return self._by_name.get(_norm(host))

    @property
    def old_names(self) -> list[str]:
        """Every name an old server may appear under: for scanning files nobody told us about."""
        names = set(self._by_name)
        names.update(_norm(unc.parse(old).server) for old, _new in self.shares)
        return sorted(names)

    def _same_host(self, a: str, b: str) -> bool:
        if _norm(a) == _norm(b):
            return True
        entry = self.lookup(a)
        return entry is not None and entry is self.lookup(b)

    def _share_match(self, value: str) -> tuple[int, str] | None:
        """(length of the matched prefix in value, new prefix) for the longest matching share."""
        try:
            endpoint = _parse_unc(value)
        except EndpointUnrecognised:
            return None
        host = endpoint.refs[0].host
        best = None
        for old, new in self.shares:
            prefix = unc.parse(old)
            old_parts = [prefix.server, prefix.share, *prefix.folders]
            comps = endpoint.unc_components
            if (len(comps) >= len(old_parts) - 1 and self._same_host(value[host[0]:host[1]], old_parts[0])
                    and all(value[s:e].lower() == p.lower() for (s, e), p in zip(comps, old_parts[1:],
                                                                                 strict=False))):
                length = comps[len(old_parts) - 2][1]
                if best is None or length > best[0]:
                    best = (length, new)
        return best


def endpoint_edits(value: str, mapping: EndpointMap) -> list[tuple[int, int, str]]:
    """The (start, end, replacement) edits that re-point ``value``; empty when nothing moves."""
    endpoint = parse_endpoint(value)
    if endpoint.kind == "unc":
        share = mapping._share_match(value)
        if share is not None:
            return [] if value[:share[0]] == share[1] else [(0, share[0], share[1])]
    edits = []
    for ref in endpoint.refs:
        host = value[ref.host[0]:ref.host[1]]
        entry = mapping.lookup(host)
        if entry is None:
            continue
        if _norm(entry.new) != _norm(host):
            edits.append((ref.host[0], ref.host[1], entry.new))
        if ref.port is not None:
            new_port = entry.ports.get(int(value[ref.port[0]:ref.port[1]]))
            if new_port is not None and str(new_port) != value[ref.port[0]:ref.port[1]]:
                edits.append((ref.port[0], ref.port[1], str(new_port)))
    return edits


def apply_edits(value: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, text in sorted(edits, reverse=True):
        value = value[:start] + text + value[end:]
    return value


def as_map(mapping: EndpointMap | dict | None) -> EndpointMap:
    return mapping if isinstance(mapping, EndpointMap) else EndpointMap.from_dict(mapping)


def rewrite_endpoint(value: str, mapping: EndpointMap | dict | None) -> str:
    """``value`` re-pointed by ``mapping``; raises EndpointUnrecognised for a non-endpoint."""
    mapping = as_map(mapping)
    return apply_edits(value, endpoint_edits(value, mapping))
