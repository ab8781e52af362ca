# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The identity mapping of one Kommune: old account or group -> new one in the central AD.

One file per Kommune is the single source of truth the accounts, shares and clients
payloads read. It is YAML, meant to be reviewed and edited by an engineer:

- ``schema_version``, ``kommune``, ``source_domain_sid``, ``target_domain_sid``, then
  ``users`` and ``groups``, each entry with ``old_sid``, ``old_name``, old ids
  (``old_uid`` / ``old_gid``, RFC 2307, null where the old directory had none),
  ``new_name`` (sAMAccountName), ``upn`` (users), ``new_dn``, ``new_sid`` (null until the
  accounts payload created the object), new ids, ``source`` and ``status``, and ``note``.
- ``source: generated`` entries are the naming policy's work (see ``naming``); set
  ``source: manual`` on an entry and change what you like: a manual entry is never
  changed by a later run, only its empty (null) fields are filled in (ids, UPN, DN) and
  its ``status`` is kept up to date.
- A generated entry is renamed on a later run only while nothing depends on its name:
  no ``new_sid`` yet and the name not present in the central directory. Otherwise its
  name stays, whatever the policy would say today.
- An entry whose old object disappeared is kept with ``status: gone`` (its name and ids
  stay reserved, so they are never handed to someone else) and reported
  (``accounts.source_object_gone``). Delete it by hand once nothing refers to it.
- New ids come from the Kommune's ``uid_range`` / ``gid_range``: the old id if it lies in
  the range and is free (then files keep their owner), else the lowest id that no entry
  in the file (gone ones included) and no object in the central directory uses.
  Objects are served in the naming policy's stable order, so allocation is deterministic.
- A user's ``new_gid`` is the new gid of its old primary group (by ``old_gid``), else the
  ``default_user_gid`` of the settings.

SID translation (``IdentityMap.translate_sid``), in this order:

1. An entry with that ``old_sid``: its ``new_sid`` (None while not created). A manual
   entry can thereby redirect even a well-known SID, e.g. the old Domain Users (RID 513)
   to the Kommune's own group instead of the central Domain Users that all Kommunen share.
2. SIDs that mean the same on every machine (``is_universal`` of the SID codec,
   identity/sid.py: everything outside ``S-1-5-21-*`` and ``S-1-22-*``: Everyone S-1-1-0,
   CREATOR OWNER S-1-3-0, Authenticated Users S-1-5-11, SYSTEM S-1-5-18,
   BUILTIN\\Administrators S-1-5-32-544 ...): unchanged.
3. The old domain's well-known RIDs below 1000 (500 Administrator, 512 Domain Admins,
   513 Domain Users, 514 Domain Guests, 515 Domain Computers ...): the target domain's SID
   with the same RID.
4. Samba's Unix SIDs ``S-1-22-1-<uid>`` / ``S-1-22-2-<gid>``: the same form with the new id.
5. Anything else (an old-domain object without an entry, another domain, a local SAM
   account): None; the caller decides (and reports) what to do with it.

The logic (``regenerate``, ``IdentityMap``) does no I/O; ``dump_map`` / ``parse_map`` turn
a map into text and back, ``load_map`` / ``write_map`` add the file. Writing uses a small
emitter of our own (stable layout, comments, no dependency); reading needs PyYAML
(python3-yaml), imported only when a file is read. Runs on managed nodes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, Reason
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec
from ansible_collections.kommunal.umzug.plugins.module_utils.identity.naming import (
    KINDS,
    NamingPolicy,
    SourceObject,
    assign_names,
    make_dn,
    make_upn,
    sam_account_name_problems,
    stable_key,
)

SCHEMA_VERSION = 1
SOURCES = ("generated", "manual")
STATUSES = ("active", "gone")
SECTIONS = {"user": "users", "group": "groups"}
# Field order in the file; the first line of an entry is the one a reviewer scans for.
USER_FIELDS = ("old_name", "old_sid", "old_uid", "old_gid", "new_name", "upn", "new_dn", "new_sid",
               "new_uid", "new_gid", "source", "status", "note")
GROUP_FIELDS = ("old_name", "old_sid", "old_gid", "new_name", "new_dn", "new_sid", "new_gid",
                "source", "status", "note")
INT_FIELDS = ("old_uid", "old_gid", "new_uid", "new_gid")
REQUIRED_FIELDS = ("old_name", "new_name", "source")
TOP_FIELDS = ("schema_version", "kommune", "source_domain_sid", "target_domain_sid", "users", "groups")
MAX_ID = 2**32 - 1

# What classify_sid answers.
SID_MAPPED = "mapped"
SID_UNIVERSAL = "universal"
SID_DOMAIN_WELL_KNOWN = "domain_well_known"
SID_UNIX = "unix"
SID_UNMAPPED = "unmapped"
SID_FOREIGN = "foreign"

HEADER = """\
# umzug identity mapping of Kommune {kommune}: old accounts and groups -> central AD.
# The shares and clients payloads read this file; review it before the accounts are created.
#
# How to edit:
# - To choose a name (or any other value) yourself, change it and set `source: manual`.
#   Later runs never change a manual entry; they only fill its null fields.
# - `new_sid` stays null until the accounts payload created the object; do not invent one.
# - Entries with `status: gone` lost their old object. They are kept so their name and ids
#   are never reused; delete one only when no file or ACL refers to its ids any more.
# - Keep the notes you want to keep in an entry's `note:`; other comments are rewritten.
# - Quote values YAML would read as something else (yes, no, on, 012 ...).
"""


class MappingFileError(ValueError):
    """A mapping file that cannot be used; the message names file, entry and problem."""


@dataclass(frozen=True)
class IdRange:
    first: int
    last: int

    def __post_init__(self):
        if not 0 < self.first <= self.last <= MAX_ID:
            raise ValueError(f"id range {self.first}-{self.last} is empty or outside 1-{MAX_ID}")

    @classmethod
    def from_context(cls, value: Mapping) -> IdRange:
        """From the plan context's ``{start: ..., end: ...}``."""
        return cls(int(value["start"]), int(value["end"]))

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and self.first <= number <= self.last


@dataclass(frozen=True)
class Entry:
    kind: str
    old_name: str
    new_name: str
    old_sid: str | None = None
    old_uid: int | None = None
    old_gid: int | None = None
    upn: str | None = None
    new_dn: str | None = None
    new_sid: str | None = None
    new_uid: int | None = None
    new_gid: int | None = None
    source: str = "generated"
    status: str = "active"
    note: str | None = None

    @property
    def key(self) -> tuple:
        return identity_key(self.kind, self.old_sid, self.old_name)

    @property
    def manual(self) -> bool:
        return self.source == "manual"

    def to_dict(self) -> dict:
        fields = USER_FIELDS if self.kind == "user" else GROUP_FIELDS
        return {name: getattr(self, name) for name in fields}


def identity_key(kind: str, old_sid: str | None, old_name: str) -> tuple:
    """What makes an entry the same old object across runs: its SID, else kind and name."""
    return ("sid", old_sid) if old_sid else ("name", kind, old_name.casefold())


def entry_order(entry: Entry) -> tuple:
    return (entry.old_name.casefold(), entry.old_name, entry.old_sid or "")


@dataclass(frozen=True)
class IdentityMap:
    kommune: str
    source_domain_sid: str | None = None
    target_domain_sid: str | None = None
    users: tuple[Entry, ...] = ()
    groups: tuple[Entry, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.users + self.groups

    @cached_property
    def _by_old_sid(self) -> dict[str, Entry]:
        return {entry.old_sid: entry for entry in self.entries if entry.old_sid}

    @cached_property
    def _by_old_name(self) -> dict[tuple[str, str], Entry]:
        return {(entry.kind, entry.old_name.casefold()): entry for entry in self.entries}

    @cached_property
    def _new_uid_by_old(self) -> dict[int, int | None]:
        return _unambiguous((e.old_uid, e.new_uid) for e in self.users if e.old_uid is not None)

    @cached_property
    def _new_gid_by_old(self) -> dict[int, int | None]:
        return _unambiguous((e.old_gid, e.new_gid) for e in self.groups if e.old_gid is not None)

    def entry_for_old_sid(self, old_sid: str) -> Entry | None:
        return self._by_old_sid.get(sid_codec.normalise(old_sid))

    def user_for_old_name(self, name: str) -> Entry | None:
        """``name``, ``DOMAIN\\name`` or ``name@realm``, case-insensitive."""
        return self._by_old_name.get(("user", bare_name(name).casefold()))

    def group_for_old_name(self, name: str) -> Entry | None:
        return self._by_old_name.get(("group", bare_name(name).casefold()))

    def translate_uid(self, old_uid: int) -> int | None:
        """None for an unknown uid, and for one that two old users shared (no safe answer)."""
        return self._new_uid_by_old.get(old_uid)

    def translate_gid(self, old_gid: int) -> int | None:
        return self._new_gid_by_old.get(old_gid)

    def classify_sid(self, old_sid: str) -> str:
        """Which rule of the module docstring applies to ``old_sid`` (one of the SID_* values)."""
        sid = sid_codec.normalise(old_sid)
        if sid in self._by_old_sid:
            return SID_MAPPED
        if sid_codec.parse_unix(sid):
            return SID_UNIX
        if sid_codec.is_universal(sid):
            return SID_UNIVERSAL
        domain, rid = sid_codec.split_rid(sid)
        if domain != self.source_domain_sid:
            return SID_FOREIGN
        return SID_DOMAIN_WELL_KNOWN if sid_codec.is_well_known_rid(rid) else SID_UNMAPPED

    def translate_sid(self, old_sid: str) -> str | None:
        """The SID to put in place of ``old_sid`` in an ACL, or None if there is none (yet)."""
        sid = sid_codec.normalise(old_sid)
        kind = self.classify_sid(sid)
        if kind == SID_MAPPED:
            return self._by_old_sid[sid].new_sid
        if kind == SID_UNIVERSAL:
            return sid
        if kind == SID_DOMAIN_WELL_KNOWN and self.target_domain_sid:
            return f"{self.target_domain_sid}-{sid_codec.rid(sid)}"
        if kind == SID_UNIX:
            return self._translate_unix_sid(sid)
        return None

    def will_translate(self, old_sid: str) -> bool:
        """Whether ``old_sid`` has a new identity once the accounts payload created the objects
        of this mapping: translate_sid answers, or an active entry waits for its object (its
        ``new_sid`` is still null). What a pre-flight reports as unmapped is what stays so."""
        entry = self.entry_for_old_sid(old_sid)
        if entry is not None and entry.status == "active" and entry.new_sid is None:
            return True
        return self.translate_sid(old_sid) is not None

    def _translate_unix_sid(self, sid: str) -> str | None:
        kind, number = sid_codec.parse_unix(sid)
        new = (self.translate_uid if kind == "uid" else self.translate_gid)(number)
        return None if new is None else sid_codec.unix_sid(kind, new)


def bare_name(name: str) -> str:
    return name.rpartition("\\")[2].partition("@")[0]


def _unambiguous(pairs: Iterable[tuple[int, int | None]]) -> dict[int, int | None]:
    pairs = list(pairs)
    counts = Counter(old for old, _dummy in pairs)
    return {old: new for old, new in pairs if counts[old] == 1}


# ---------------------------------------------------------------------------------------
# Regeneration: the pure logic that turns old objects + previous file into the new file.
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapSettings:
    """Everything about the Kommune that regeneration needs besides the objects themselves."""

    policy: NamingPolicy
    uid_range: IdRange
    gid_range: IdRange
    source_domain_sid: str | None = None
    target_domain_sid: str | None = None
    default_user_gid: int | None = None

    def __post_init__(self):
        for name in ("source_domain_sid", "target_domain_sid"):
            value = getattr(self, name)
            if value is not None and not sid_codec.is_domain_sid(value):
                raise ValueError(f"{name} {value!r} is not a domain SID like S-1-5-21-1-2-3")


@dataclass(frozen=True)
class LiveDirectory:
    """What the central directory already holds.

    ``names``: every sAMAccountName (users, groups, computers: one namespace) -> its
    objectSid, or None where unknown; add the names other Kommunen of the same wave have
    planned in their mapping files, with None. ``uids`` / ``gids``: uidNumber and
    gidNumber values in use.
    """

    names: Mapping[str, str | None] = field(default_factory=dict)
    uids: frozenset[int] = frozenset()
    gids: frozenset[int] = frozenset()

    @cached_property
    def lower_names(self) -> dict[str, str | None]:
        return {name.lower(): sid for name, sid in self.names.items()}


def is_migrated(obj: SourceObject, source_domain_sid: str | None) -> bool:
    """Well-known objects are translated by rule (module docstring), not created anew."""
    if not obj.old_sid:
        return True
    if not sid_codec.in_domain(obj.old_sid):
        return False
    domain, rid = sid_codec.split_rid(obj.old_sid)
    return not (domain == source_domain_sid and sid_codec.is_well_known_rid(rid))


def regenerate(previous: IdentityMap | None, objects: Iterable[SourceObject], settings: MapSettings,
               live: LiveDirectory | None = None) -> tuple[IdentityMap, list[Finding]]:
    """The mapping for the old directory's ``objects``, keeping what ``previous`` fixed.

    Deterministic: the same inputs in any order give the same map and findings.
    """
    live = live or LiveDirectory()
    objects = sorted(set(objects), key=stable_key)
    by_key = {identity_key(o.kind, o.old_sid, o.old_name): o for o in objects}
    findings: list[Finding] = []
    kept, renamed = _carry_over(previous.entries if previous else (), by_key, live, settings, findings)
    known = {entry.key for entry in kept} | {identity_key(e.kind, e.old_sid, e.old_name) for e, _dummy in renamed}
    fresh = [o for o in objects if identity_key(o.kind, o.old_sid, o.old_name) not in known
             and is_migrated(o, settings.source_domain_sid)]
    entries = kept + _named_entries(renamed, fresh, kept, live, settings, findings)
    entries = _fill_manual_gaps(entries, settings)
    entries = _allocate_ids(entries, by_key, live, settings, findings)
    findings.extend(_ambiguous_old_ids(entries, settings))
    identity_map = IdentityMap(
        kommune=settings.policy.kommune, source_domain_sid=settings.source_domain_sid,
        target_domain_sid=settings.target_domain_sid,
        users=tuple(sorted((e for e in entries if e.kind == "user"), key=entry_order)),
        groups=tuple(sorted((e for e in entries if e.kind == "group"), key=entry_order)))
    return identity_map, findings


def _finding(settings: MapSettings, key: str, *resources: str, **params) -> Finding:
    return Finding.of(key, resources=resources, kommune=settings.policy.kommune or None, **params)


def _carry_over(previous: Iterable[Entry], by_key: Mapping[tuple, SourceObject], live: LiveDirectory,
                settings: MapSettings, findings: list[Finding]) -> tuple[list[Entry], list]:
    """Split the previous entries into those kept as they are and those to be named again."""
    kept, renamed = [], []
    for entry in sorted(previous, key=entry_order):
        source = by_key.get(entry.key)
        if source is None:
            kept.append(replace(entry, status="gone"))
            findings.append(_finding(settings, "accounts.source_object_gone", entry.old_name, entry.new_name,
                                     old_name=repr(entry.old_name), old_sid=entry.old_sid or Reason("no_sid"),
                                     new_name=repr(entry.new_name)))
        elif entry.manual or entry.new_sid or entry.new_name.lower() in live.lower_names:
            kept.append(replace(entry, status="active"))
            findings.extend(_live_conflict(entry, live, settings))
        else:
            renamed.append((entry, source))
    return kept, renamed


def _live_conflict(entry: Entry, live: LiveDirectory, settings: MapSettings) -> list[Finding]:
    name = entry.new_name.lower()
    if name not in live.lower_names or (entry.new_sid and live.lower_names[name] == entry.new_sid):
        return []
    return [_finding(settings, "accounts.fixed_name_taken", entry.old_name, entry.new_name,
                     new_name=repr(entry.new_name), source=entry.source, old_name=repr(entry.old_name),
                     holder=live.lower_names[name] or Reason("unknown_sid_object"),
                     new_sid=entry.new_sid or Reason("empty"))]


def _named_entries(renamed, fresh, kept, live: LiveDirectory, settings: MapSettings,
                   findings: list[Finding]) -> list[Entry]:
    previous = {identity_key(o.kind, o.old_sid, o.old_name): entry for entry, o in renamed}
    objects = [o for _dummy, o in renamed] + fresh
    taken = {e.new_name for e in kept} | set(live.lower_names)
    names, naming_findings = assign_names(objects, settings.policy, taken=taken,
                                          taken_dns=(e.new_dn for e in kept if e.new_dn))
    findings.extend(naming_findings)
    entries = []
    for obj, new in names.items():
        before = previous.get(identity_key(obj.kind, obj.old_sid, obj.old_name))
        is_user = obj.kind == "user"
        entries.append(Entry(
            kind=obj.kind, old_name=obj.old_name, old_sid=obj.old_sid,
            old_uid=obj.old_uid if is_user else None, old_gid=obj.old_gid,
            new_name=new.sam_account_name, upn=new.upn, new_dn=new.dn,
            # Ids survive a rename: files may already carry them.
            new_uid=before.new_uid if before else None,
            new_gid=before.new_gid if before and not is_user else None,
            note=before.note if before else None))
    return entries


def _fill_manual_gaps(entries: list[Entry], settings: MapSettings) -> list[Entry]:
    policy = settings.policy
    filled = []
    for entry in entries:
        if entry.kind == "user" and entry.upn is None:
            entry = replace(entry, upn=make_upn(entry.new_name, policy.upn_suffix))
        if entry.new_dn is None:
            entry = replace(entry, new_dn=make_dn(entry.new_name, policy.ou_for(entry.kind)))
        filled.append(entry)
    return filled


def _allocate_ids(entries: list[Entry], by_key, live: LiveDirectory, settings: MapSettings,
                  findings: list[Finding]) -> list[Entry]:
    groups = _allocate(entries, "group", "new_gid", settings.gid_range, live.gids, by_key, settings, findings)
    new_gid_of_old = _unambiguous((e.old_gid, e.new_gid) for e in groups
                                  if e.kind == "group" and e.old_gid is not None)
    with_gids = [_with_primary_gid(e, new_gid_of_old, settings) for e in groups]
    return _allocate(with_gids, "user", "new_uid", settings.uid_range, live.uids, by_key, settings, findings)


def _with_primary_gid(entry: Entry, new_gid_of_old: Mapping[int, int | None], settings: MapSettings) -> Entry:
    if entry.kind != "user" or entry.new_gid is not None:
        return entry
    if entry.old_gid is not None and new_gid_of_old.get(entry.old_gid) is not None:
        return replace(entry, new_gid=new_gid_of_old[entry.old_gid])
    return replace(entry, new_gid=settings.default_user_gid)


def _allocate(entries: list[Entry], kind: str, id_field: str, id_range: IdRange, live_ids: frozenset[int],
              by_key, settings: MapSettings, findings: list[Finding]) -> list[Entry]:
    old_field = "old_uid" if id_field == "new_uid" else "old_gid"
    used = {getattr(e, id_field) for e in entries if e.kind == kind and getattr(e, id_field) is not None}
    used |= set(live_ids)
    wanting = [e for e in entries if e.kind == kind and getattr(e, id_field) is None]
    wanting.sort(key=lambda e: stable_key(by_key[e.key]) if e.key in by_key else (9, entry_order(e)))
    given: dict[tuple, int] = {}
    free = _free_ids(id_range, used)
    for entry in wanting:
        old = getattr(entry, old_field)
        number = old if old in id_range and old not in used else next(free, None)
        if number is None:
            break
        used.add(number)
        given[entry.key] = number
    starved = [e.old_name for e in wanting if e.key not in given]
    if starved:
        findings.append(_exhausted(settings, kind, id_range, starved))
    return [replace(e, **{id_field: given[e.key]}) if e.key in given else e for e in entries]


def _free_ids(id_range: IdRange, used: set[int]):
    # ``used`` grows while the generator runs; checking it lazily skips ids taken meanwhile.
    return (number for number in range(id_range.first, id_range.last + 1) if number not in used)


def _exhausted(settings: MapSettings, kind: str, id_range: IdRange, starved: list[str]) -> Finding:
    key = "accounts.uid_range_exhausted" if kind == "user" else "accounts.gid_range_exhausted"
    return _finding(settings, key, *starved, first=id_range.first, last=id_range.last, count=len(starved))


def _ambiguous_old_ids(entries: list[Entry], settings: MapSettings) -> list[Finding]:
    findings = []
    for kind, id_field in (("user", "old_uid"), ("group", "old_gid")):
        counts = Counter(getattr(e, id_field) for e in entries
                         if e.kind == kind and getattr(e, id_field) is not None)
        for number in sorted(n for n, count in counts.items() if count > 1):
            owners = sorted(e.old_name for e in entries if e.kind == kind and getattr(e, id_field) == number)
            findings.append(_finding(settings, "accounts.old_id_ambiguous", *owners, variant=kind,
                                     id_field=id_field, number=number, owners=", ".join(owners)))
    return findings


# ---------------------------------------------------------------------------------------
# The file: dump (own emitter), parse (PyYAML) and validate.
# ---------------------------------------------------------------------------------------

def dump_map(identity_map: IdentityMap) -> str:
    lines = [HEADER.format(kommune=identity_map.kommune).rstrip("\n"),
             f"schema_version: {SCHEMA_VERSION}",
             f"kommune: {_scalar(identity_map.kommune)}",
             f"source_domain_sid: {_scalar(identity_map.source_domain_sid)}",
             f"target_domain_sid: {_scalar(identity_map.target_domain_sid)}"]
    for kind in KINDS:
        entries = identity_map.users if kind == "user" else identity_map.groups
        lines.append(f"{SECTIONS[kind]}:" + ("" if entries else " []"))
        for entry in entries:
            lines.extend(_entry_lines(entry))
    return "\n".join(lines) + "\n"


def _entry_lines(entry: Entry) -> list[str]:
    lines = []
    if entry.status == "gone":
        lines.append("  # gone: the old object no longer exists; name and ids stay reserved")
    for index, (name, value) in enumerate(entry.to_dict().items()):
        lines.append(("  - " if index == 0 else "    ") + f"{name}: {_scalar(value)}")
    return lines


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _quote(str(value))


_YAML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _quote(text: str) -> str:
    """A YAML double-quoted scalar that any YAML parser reads back as exactly ``text``."""
    body = "".join(_YAML_ESCAPES.get(ch) or (ch if _printable(ch) else _escape(ch)) for ch in text)
    return f'"{body}"'


def _printable(ch: str) -> bool:
    # YAML's printable set, minus the line breaks (NEL, LS, PS) and BOM a parser would act on.
    code = ord(ch)
    return (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF) and ch not in "\u2028\u2029\ufeff"


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def parse_map(text: str, filename: str = "<mapping>") -> IdentityMap:
    """Read and validate a mapping file's text; every error names file, entry and problem."""
    try:
        import yaml
    except ImportError:
        raise MappingFileError(f"{filename}: reading a mapping file needs PyYAML (python3-yaml)") from None
    try:
        # The C safe loader where libyaml is present: 5000 accounts load in a fraction of the time.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise MappingFileError(f"{filename}: not valid YAML: {err}") from None
    return map_from_data(data, filename)


def map_from_data(data, filename: str = "<mapping>") -> IdentityMap:
    problems = _top_level_problems(data)
    if problems:
        raise MappingFileError(f"{filename}: " + "; ".join(problems))
    entries = {kind: tuple(_entry(kind, index, item, filename)
                           for index, item in enumerate(data.get(SECTIONS[kind]) or (), start=1))
               for kind in KINDS}
    identity_map = IdentityMap(kommune=data["kommune"], source_domain_sid=data.get("source_domain_sid"),
                               target_domain_sid=data.get("target_domain_sid"),
                               users=entries["user"], groups=entries["group"])
    _check_unique(identity_map, filename)
    return identity_map


def _top_level_problems(data) -> list[str]:
    if not isinstance(data, dict):
        return [f"is not a mapping file (top level is {type(data).__name__}, not a mapping)"]
    problems = [f"unknown key {key!r}" for key in sorted(set(data) - set(TOP_FIELDS), key=str)]
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        problems.append(f"schema_version is {version!r}, expected {SCHEMA_VERSION}")
    elif version > SCHEMA_VERSION:
        problems.append(f"schema_version {version} was written by a newer umzug; "
                        f"this one reads {SCHEMA_VERSION}")
    elif version != SCHEMA_VERSION:
        problems.append(f"schema_version {version} is not supported; this umzug reads {SCHEMA_VERSION}")
    if not isinstance(data.get("kommune"), str) or not data.get("kommune"):
        problems.append("kommune is missing or not a string")
    for name in ("source_domain_sid", "target_domain_sid"):
        value = data.get(name)
        if value is not None and not sid_codec.is_domain_sid(value):
            problems.append(f"{name} {value!r} is not a domain SID like S-1-5-21-1-2-3")
    for kind in KINDS:
        if not isinstance(data.get(SECTIONS[kind]) or [], list):
            problems.append(f"{SECTIONS[kind]} is not a list")
    return problems


def _entry(kind: str, index: int, item, filename: str) -> Entry:
    label = _label(kind, index, item)
    if not isinstance(item, dict):
        raise MappingFileError(f"{filename}: {label}: is not a mapping of fields")
    problems = _entry_problems(kind, item)
    if problems:
        raise MappingFileError(f"{filename}: {label}: " + "; ".join(problems))
    return Entry(kind=kind, **{name: item.get(name) for name in _fields(kind) if name in item})


def _label(kind: str, index: int, item) -> str:
    name = item.get("old_name") if isinstance(item, dict) else None
    return f"{SECTIONS[kind]} entry {index}" + (f" (old_name {name!r})" if name is not None else "")


def _fields(kind: str) -> tuple[str, ...]:
    return USER_FIELDS if kind == "user" else GROUP_FIELDS


def _entry_problems(kind: str, item: dict) -> list[str]:
    problems = [f"unknown field {name!r}" for name in sorted(set(item) - set(_fields(kind)), key=str)]
    problems += [f"{name} is missing" for name in REQUIRED_FIELDS if item.get(name) is None]
    for name in _fields(kind):
        value = item.get(name)
        if value is not None:
            problems += [f"{name} {problem}" for problem in _field_problems(kind, name, value)]
    return problems


def _field_problems(kind: str, name: str, value) -> list[str]:
    if name in INT_FIELDS:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
            return [f"is {value!r}, expected a whole number from 0 to {MAX_ID}"]
        return []
    if not isinstance(value, str):
        return [f"is {type(value).__name__} {value!r}, expected text (quote it)"]
    checks = {
        "new_name": lambda: [f"{value!r} {p}" for p in sam_account_name_problems(value, kind)],
        "old_sid": lambda: [] if sid_codec.is_sid(value) else [f"{value!r} is not a SID"],
        "new_sid": lambda: [] if sid_codec.is_sid(value) else [f"{value!r} is not a SID"],
        "upn": lambda: [] if re.match(r"^[^@\s]+@[^@\s]+$", value) else [f"{value!r} is not name@suffix"],
        "new_dn": lambda: [] if re.match(r"^CN=.+,.+=", value, re.IGNORECASE)
        else [f"{value!r} is not a DN (CN=...,OU=...)"],
        "source": lambda: [] if value in SOURCES else [f"{value!r} is not one of {', '.join(SOURCES)}"],
        "status": lambda: [] if value in STATUSES else [f"{value!r} is not one of {', '.join(STATUSES)}"],
    }
    return checks.get(name, lambda: [])()


def _check_unique(identity_map: IdentityMap, filename: str) -> None:
    """Two entries must never claim the same old object, new name, new SID or new id."""
    claims = [
        ("old object", lambda e: e.key),
        ("new_name", lambda e: e.new_name.lower()),
        ("new_sid", lambda e: e.new_sid),
        ("new_uid", lambda e: e.new_uid if e.kind == "user" else None),
        ("new_gid", lambda e: e.new_gid if e.kind == "group" else None),
    ]
    for what, claim in claims:
        seen: dict = {}
        for kind in KINDS:
            section = identity_map.users if kind == "user" else identity_map.groups
            for index, entry in enumerate(section, start=1):
                value = claim(entry)
                label = _label(kind, index, entry.to_dict())
                if value is not None and value in seen:
                    raise MappingFileError(f"{filename}: {label}: same {what} as {seen[value]}")
                seen.setdefault(value, label)


def load_map(path: str) -> IdentityMap:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise MappingFileError(f"{path}: cannot read: {err.strerror}") from None
    return parse_map(text, path)


def write_map(path: str, identity_map: IdentityMap) -> None:
    """Write atomically: a reader (or a crash) never sees half a mapping file."""
    write_atomic(path, dump_map(identity_map), mode=0o600)
