# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The naming policy: how an account or group of a Kommune gets its name in the central AD.

This docstring is the policy's documentation; the tests in
``tests/unit/plugins/module_utils/identity/test_naming.py`` hold it to every rule below.

Invisible characters (``invisible_characters``)
    Format characters (Unicode category Cf: zero-width space and joiner, soft hyphen, as
    pasted from Word, and the bidi controls U+200E/F, U+202A-E, U+2066-9) are removed from
    every name field before anything else, so they become neither a "-" in the account
    name nor hidden text in the CN; an object that had any is reported
    (``accounts.invisible_characters``).

Transliteration (``transliterate``)
    1. Unicode NFC first, so a decomposed "u" + combining diaeresis counts as "ü".
    2. German rules: ä -> ae, ö -> oe, ü -> ue, ß -> ss, Ä -> Ae, Ö -> Oe, Ü -> Ue, ẞ -> SS;
       a capital umlaut before another capital becomes AE, OE, UE ("ÖZTÜRK" -> "OEZTUERK").
    3. Letters Unicode does not decompose: Ł -> L, Đ -> D, Ø -> O, Æ -> Ae, Œ -> Oe, Þ -> Th ...
    4. NFKD, then every combining mark is dropped (é -> e, ñ -> n, ﬁ -> fi).
    5. Apostrophes vanish (O'Brien -> OBrien); every other character outside
       ``[A-Za-z0-9._-]`` (spaces, punctuation, letters of other scripts) becomes "-".
    6. Runs of separators (``.``, ``_``, ``-``) collapse to their first character and none
       is left at either end: "van der Heyde" -> "van-der-Heyde".
    A name in a script without a Latin decomposition (Cyrillic, Greek ...) transliterates
    to "" and falls back, see below.

Templates (``user_template``, ``group_template``)
    Literal characters from ``[A-Za-z0-9._-]`` and placeholders in braces:
    ``{prefix}`` the Kommune's ``account_prefix`` from the plan, ``{name}`` the old
    sAMAccountName / uid / group name, ``{given}`` given name(s), ``{surname}``,
    ``{initials}`` first letter of every given name and surname part ("Hans-Peter Müller"
    -> "hpm"). A number after the field name keeps only that many characters: ``{given1}``
    is the first letter of the given name. A template needs at least one field besides
    ``{prefix}``, or every object would get the same name. With ``lowercase: true``
    (default) the whole name is lower-cased.
    The plan gives a Kommune either ``account_prefix`` (then users and groups are named
    ``{prefix}{name}``) or ``account_template`` (``ald-{given1}.{surname}``, for users).
    Groups have no given name or surname, so with a template they are named by the
    template's leading literal text plus ``{name}`` (``ald-{name}``): they keep the
    Kommune's mark without becoming a fallback name.

Length and shortening
    Users: sAMAccountName at most 20 characters (AD's limit). Groups: at most 64. AD would
    take 256 for a group, but the group's CN (AD limits CN to 64) is built from the
    same words, and a name that long is unreadable on every client anyway.
    A name that is too long is shortened deterministically: one character at a time is
    cut from the longest of the name fields (ties: surname, given, name, initials); the
    prefix and literal characters are never cut. A shortened name is reported
    (``accounts.name_shortened``).

Validity (``sam_account_name_problems``)
    Not empty, within the limit, none of ``"/\\[]:;|=,+*?<>@``, no control characters, not
    ending in ".", not only dots and spaces. Generated names only ever contain
    ``[A-Za-z0-9._-]``; the checks matter for names an engineer writes by hand.

Reserved names
    AD's own accounts and groups (Administrator, Guest, krbtgt, Domain Admins ...), the
    system names of Linux clients (root, nobody ...) and the plan's ``reserved_names``;
    compared case-insensitively. A reserved name is treated as taken and reported
    (``accounts.reserved_name``).

Collisions (``assign_names``)
    Users, groups and computers share one sAMAccountName namespace, so every name held
    in the live central directory is taken, whatever its kind, and so is every name
    already fixed in the Kommune's mapping file. Names are compared case-insensitively.
    Objects are ordered by a stable key (users before groups, then old SID by its
    numbers, so an older account - lower RID - comes first, then old name). First, each
    free name goes to the first object in that order that wants it. Then every object
    left gets the smallest free suffix 2, 3, ... ("-2" if the name ends in a digit),
    the name shortened again to make room. Input order therefore never matters, and
    the same objects with the same taken names always give the same names
    (``accounts.name_collision``).

Fallback
    If every name field of the template comes out empty (a name only in Cyrillic, say)
    the name is the template's leading fixed text plus the transliterated old name, else plus "x" and the
    first 8 hex digits of SHA-256 of the old SID (or old name) (``accounts.name_fallback``).

UPN, CN and DN
    UPN: ``<sAMAccountName>@<upn_suffix>``, users only. CN (``cn: display``, default):
    the display name, else "Surname, Given", else the old name, readable and untransliterated,
    cut to 64 characters; two objects with the same CN in the same OU: the later one in
    the stable order gets " (<sAMAccountName>)" appended. ``cn: name`` uses the
    sAMAccountName. DN: ``CN=<cn escaped per RFC 4514>,<user_ou or group_ou>``, e.g.
    "Müller, Hans" -> ``CN=Müller\\, Hans,OU=...``.

Runs on managed nodes too: standard library only.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, Reason
from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

KINDS = ("user", "group")
NAME_LIMITS = {"user": 20, "group": 64}
CN_LIMIT = 64
FIELDS = ("prefix", "name", "given", "surname", "initials")
# Shortening cuts name fields in this order when they are equally long.
TRIM_PRIORITY = ("surname", "given", "name", "initials")
SEPARATORS = "._-"
FORBIDDEN_CHARACTERS = '"/\\[]:;|=,+*?<>@'
DEFAULT_TEMPLATE = "{prefix}{name}"

BUILTIN_RESERVED = frozenset(name.lower() for name in (
    # AD's own accounts and groups (domain-relative and BUILTIN).
    "Administrator", "Guest", "krbtgt", "DefaultAccount", "WDAGUtilityAccount",
    "Domain Admins", "Domain Users", "Domain Guests", "Domain Computers", "Domain Controllers",
    "Schema Admins", "Enterprise Admins", "Group Policy Creator Owners", "Cert Publishers",
    "RAS and IAS Servers", "DnsAdmins", "DnsUpdateProxy", "Read-only Domain Controllers",
    "Enterprise Read-only Domain Controllers", "Cloneable Domain Controllers", "Protected Users",
    "Key Admins", "Enterprise Key Admins", "Allowed RODC Password Replication Group",
    "Denied RODC Password Replication Group", "Administrators", "Users", "Guests",
    "Account Operators", "Server Operators", "Print Operators", "Backup Operators", "Replicator",
    "Remote Desktop Users", "Network Configuration Operators", "Performance Monitor Users",
    "Performance Log Users", "Distributed COM Users", "IIS_IUSRS", "Cryptographic Operators",
    "Event Log Readers", "Certificate Service DCOM Access", "Pre-Windows 2000 Compatible Access",
    "Incoming Forest Trust Builders", "Windows Authorization Access Group",
    "Terminal Server License Servers",
    # Names Linux clients already use for themselves (winbind would shadow or be shadowed).
    "root", "daemon", "bin", "sys", "adm", "sudo", "wheel", "staff", "nobody", "nogroup",
))

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
                         "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ẞ": "SS"})
# In a word written in capitals, "ÄRGER" is "AERGER", not "AeRGER".
_GERMAN_CAPITALS = {"Ä": "AE", "Ö": "OE", "Ü": "UE"}
_CAPITAL_UMLAUT_IN_CAPITALS = re.compile(r"[ÄÖÜ](?=[A-ZÄÖÜẞ])")
# Latin letters with no Unicode decomposition: NFKD would leave them as they are.
_UNDECOMPOSABLE = str.maketrans({
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Ø": "O", "ø": "o",
    "Æ": "Ae", "æ": "ae", "Œ": "Oe", "œ": "oe", "Þ": "Th", "þ": "th", "\u0131": "i", "Ħ": "H",
    "ħ": "h", "Ŧ": "T", "ŧ": "t", "Ŋ": "N", "ŋ": "n", "ĸ": "k", "\u017f": "s",
})
# Apostrophes join a name (O'Brien), they do not separate it. The acute accent (U+00B4)
# goes before NFKD would turn it into a space. Escapes: ruff rightly flags look-alikes.
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u2018\u02bc\u02b9`\u00b4"), None)
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]")
_SEPARATOR_RUN = re.compile(r"[._-]{2,}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELD_SPEC = re.compile(r"^([a-z]+)([1-9][0-9]*)?$")
_LITERAL = re.compile(r"^[A-Za-z0-9._-]*$")
_DNS_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_UPN_SUFFIX = re.compile(rf"^{_DNS_LABEL}(\.{_DNS_LABEL})*$")
_DN_RDN = re.compile(r"^[A-Za-z][A-Za-z0-9-]*=.+")


class NamingError(ValueError):
    """A naming policy (or a name) that cannot work; the message says which part and why."""


@dataclass(frozen=True)
class SourceObject:
    """An account or group as read from the Kommune's old directory.

    ``old_gid`` is a group's gidNumber, or a user's primary gidNumber (RFC 2307).
    """

    kind: str
    old_name: str
    old_sid: str | None = None
    given_name: str = ""
    surname: str = ""
    display_name: str = ""
    old_uid: int | None = None
    old_gid: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise NamingError(f"object {self.old_name!r}: kind {self.kind!r} is not one of "
                              f"{', '.join(KINDS)}")
        if not self.old_name:
            raise NamingError(f"object with SID {self.old_sid}: old name is empty")
        if self.old_sid is not None and not sid_codec.is_sid(self.old_sid):
            raise NamingError(f"object {self.old_name!r}: {self.old_sid!r} is not a SID")


def stable_key(obj: SourceObject) -> tuple:
    """Order that decides who gets a contested name: never the order objects were read in."""
    sid = sid_codec.numbers(obj.old_sid) if obj.old_sid else ()
    # The tail makes the order total: two objects never tie, so input order cannot leak in.
    return (KINDS.index(obj.kind), 0 if obj.old_sid else 1, sid, obj.old_name.casefold(), obj.old_name,
            obj.given_name, obj.surname, obj.display_name, repr(obj.old_uid), repr(obj.old_gid))


def tidy(name: str) -> str:
    return _SEPARATOR_RUN.sub(lambda run: run.group(0)[0], name).strip(SEPARATORS)


def invisible_characters(text: str) -> list[str]:
    """The format characters (category Cf) in ``text``, each once, in code point order."""
    return sorted({ch for ch in text if unicodedata.category(ch) == "Cf"})


def without_invisible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def transliterate(text: str) -> str:
    """Turn a name into ``[A-Za-z0-9._-]*`` by the rules in the module docstring."""
    text = unicodedata.normalize("NFC", without_invisible(text))
    text = _CAPITAL_UMLAUT_IN_CAPITALS.sub(lambda match: _GERMAN_CAPITALS[match.group(0)], text)
    text = text.translate(_GERMAN).translate(_UNDECOMPOSABLE)
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return tidy(_NOT_ALLOWED.sub("-", text))


def initials(given_name: str, surname: str) -> str:
    parts = re.split(r"[\s-]+", f"{given_name} {surname}")
    return "".join(transliterate(part)[:1] for part in parts if transliterate(part))


def sam_account_name_problems(name: str, kind: str = "user") -> list[str]:
    """Why ``name`` cannot be a sAMAccountName of a ``kind``; empty if it can."""
    problems = []
    if not name:
        return ["is empty"]
    if len(name) > NAME_LIMITS[kind]:
        problems.append(f"is {len(name)} characters long, a {kind} may have {NAME_LIMITS[kind]}")
    bad = sorted({ch for ch in name if ch in FORBIDDEN_CHARACTERS})
    if bad:
        problems.append(f"contains forbidden character(s) {' '.join(bad)}")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        problems.append("contains control characters")
    if name.endswith("."):
        problems.append("ends in a dot")
    if not name.strip(". "):
        problems.append("consists only of dots and spaces")
    return problems


def escape_rdn_value(value: str) -> str:
    """Escape an attribute value for a DN (RFC 4514, section 2.4)."""
    out = []
    for index, ch in enumerate(value):
        if ch in '"+,;<>\\=':
            out.append("\\" + ch)
        elif ch == "\0" or unicodedata.category(ch) == "Cc":
            out.append("".join(f"\\{byte:02X}" for byte in ch.encode("utf-8")))
        elif (index == 0 and ch in " #") or (index == len(value) - 1 and ch == " "):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def make_dn(cn: str, ou: str) -> str:
    return f"CN={escape_rdn_value(cn)},{ou}"


def make_upn(sam_account_name: str, suffix: str) -> str:
    if not _UPN_SUFFIX.match(suffix):
        raise NamingError(f"UPN suffix {suffix!r} is not a DNS name")
    return f"{sam_account_name}@{suffix}"


@dataclass(frozen=True)
class _Part:
    """A piece of a parsed template: literal text, or a field with an optional width."""

    text: str = ""
    field: str | None = None
    width: int | None = None


def parse_template(template: str, what: str = "template") -> tuple[_Part, ...]:
    parts = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.extend(_literal(template[position:match.start()], what))
        parts.append(_field(match.group(1), what))
        position = match.end()
    parts.extend(_literal(template[position:], what))
    if not any(part.field not in (None, "prefix") for part in parts):
        raise NamingError(f"{what} {template!r} has no name field ({', '.join(FIELDS[1:])}): "
                          "every object would get the same name")
    return tuple(parts)


def _literal(text: str, what: str) -> list[_Part]:
    if not text:
        return []
    if not _LITERAL.match(text):
        raise NamingError(f"{what}: literal text {text!r} may only contain A-Z a-z 0-9 . _ - "
                          "(or a brace is not closed)")
    return [_Part(text=text)]


def _field(spec: str, what: str) -> _Part:
    match = _FIELD_SPEC.match(spec)
    if not match or match.group(1) not in FIELDS:
        known = ", ".join(f"{{{name}}}" for name in FIELDS)
        raise NamingError(f"{what}: unknown field {{{spec}}}; known fields are {known}, "
                          "optionally with a width: {given1}")
    width = int(match.group(2)) if match.group(2) else None
    return _Part(field=match.group(1), width=width)


def group_template_for(user_template: str) -> str:
    """A group's template from a user template: the leading literal text plus ``{name}``."""
    parts = parse_template(user_template, "account_template")
    if all(part.field in (None, "prefix", "name") for part in parts):
        return user_template
    lead = []
    for part in parts:
        if part.field not in (None, "prefix"):
            break
        lead.append(part.text if part.field is None else "{prefix}")
    return "".join(lead) + "{name}"


@dataclass(frozen=True)
class NamingPolicy:
    """One Kommune's naming rules, normally built from its plan with ``from_plan``."""

    ou: str
    upn_suffix: str
    kommune: str = ""
    prefix: str = ""
    user_template: str = DEFAULT_TEMPLATE
    group_template: str = DEFAULT_TEMPLATE
    user_ou: str = ""
    group_ou: str = ""
    reserved_names: tuple[str, ...] = ()
    lowercase: bool = True
    cn: str = "display"
    _parsed: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # Settings of the accounts role, beyond what the plan says about a Kommune.
    OPTION_KEYS = ("user_ou", "group_ou", "reserved_names", "lowercase", "cn")

    def __post_init__(self):
        if not _LITERAL.match(self.prefix):
            raise NamingError(f"prefix {self.prefix!r} may only contain A-Z a-z 0-9 . _ -")
        for ou in (self.ou, self.user_ou, self.group_ou):
            if ou and not all(_DN_RDN.match(rdn) for rdn in ou.split(",")):
                raise NamingError(f"OU {ou!r} is not a DN like OU=kommune-a,DC=rz,DC=example")
        if not self.ou:
            raise NamingError("the Kommune's OU (ou) is not set")
        make_upn("x", self.upn_suffix)
        if self.cn not in ("display", "name"):
            raise NamingError(f"cn {self.cn!r} is not one of display, name")
        self._parsed["reserved"] = frozenset(name.lower() for name in self.reserved_names)
        for kind in KINDS:
            self._parsed[kind] = parse_template(self.template(kind), f"{kind}_template")
            self._check_room(kind)

    @classmethod
    def from_kommune(cls, kommune: Mapping, upn_suffix: str, options: Mapping | None = None) -> NamingPolicy:
        """Build from a Kommune's plan context (``umzug_kommune``) and the accounts role's options.

        Unknown options are refused, not ignored: a typo would otherwise silently rename nobody.
        """
        options = dict(options or {})
        unknown = sorted(set(options) - set(cls.OPTION_KEYS))
        if unknown:
            raise NamingError(f"naming: unknown option(s) {', '.join(unknown)}; "
                              f"known: {', '.join(cls.OPTION_KEYS)}")
        if not kommune.get("ou"):
            raise NamingError(f"Kommune {kommune.get('id', '?')!r}: the plan gives no ou")
        values = {"ou": kommune["ou"], "kommune": kommune.get("id", ""), "upn_suffix": upn_suffix}
        template = kommune.get("account_template")
        if template:
            values.update(user_template=template, group_template=group_template_for(template))
        else:
            values["prefix"] = kommune.get("account_prefix") or ""
        options["reserved_names"] = tuple(options.get("reserved_names") or ())
        return cls(**values, **options)

    def template(self, kind: str) -> str:
        return self.user_template if kind == "user" else self.group_template

    def parts(self, kind: str) -> tuple[_Part, ...]:
        return self._parsed[kind]

    def ou_for(self, kind: str) -> str:
        return (self.user_ou if kind == "user" else self.group_ou) or self.ou

    def is_reserved(self, name: str) -> bool:
        return name.lower() in BUILTIN_RESERVED or name.lower() in self._parsed["reserved"]

    def _check_room(self, kind: str) -> None:
        # Every name field must keep one character and a two-digit collision suffix must fit.
        fixed = sum(len(self.prefix) if p.field == "prefix" else len(p.text) for p in self.parts(kind))
        fields = sum(1 for p in self.parts(kind) if p.field not in (None, "prefix"))
        if fixed + fields + 2 > NAME_LIMITS[kind]:
            raise NamingError(f"{kind}_template {self.template(kind)!r} with prefix {self.prefix!r} uses "
                              f"{fixed} fixed characters; a {kind} name may have {NAME_LIMITS[kind]}")


@dataclass(frozen=True)
class NewName:
    """What the policy gave one object."""

    sam_account_name: str
    cn: str
    dn: str
    upn: str | None


def _field_values(obj: SourceObject, policy: NamingPolicy) -> dict[str, str]:
    return {
        "prefix": policy.prefix,
        "given": transliterate(obj.given_name),
        "surname": transliterate(obj.surname),
        "name": transliterate(obj.old_name),
        "initials": initials(obj.given_name, obj.surname),
    }


def _render(obj: SourceObject, policy: NamingPolicy) -> tuple[list[tuple[str | None, str]], bool]:
    """The template filled in, as (field, text) pieces; True if the fallback was needed."""
    values = _field_values(obj, policy)
    pieces = []
    for part in policy.parts(obj.kind):
        if part.field is None:
            text = part.text
        elif part.field == "prefix":
            text = values["prefix"]
        else:
            # A cut can end on a separator ("van-der-"); the prefix's own hyphen is meant.
            text = values[part.field][:part.width].rstrip(SEPARATORS)
        pieces.append((part.field, text.lower() if policy.lowercase else text))
    if any(text for name, text in pieces if name not in (None, "prefix")):
        return pieces, False
    fallback = values["name"] or "x" + hashlib.sha256((obj.old_sid or obj.old_name).encode()).hexdigest()[:8]
    # Keep the template's leading fixed text ("ald-"): it marks the Kommune.
    lead = list(itertools.takewhile(lambda piece: piece[0] in (None, "prefix"), pieces))
    return [*lead, ("name", fallback.lower() if policy.lowercase else fallback)], True


def _fit(pieces: list[tuple[str | None, str]], limit: int) -> str:
    texts = [text for _dummy, text in pieces]
    while len(tidy("".join(texts))) > limit:
        index = _piece_to_cut(pieces, texts)
        if index is None:
            raise NamingError(f"cannot fit {''.join(texts)!r} into {limit} characters")
        texts[index] = texts[index][:-1].rstrip(SEPARATORS)
    return tidy("".join(texts))


def _piece_to_cut(pieces, texts) -> int | None:
    """The longest name field, ties by TRIM_PRIORITY; a field keeps one character while others can give."""
    candidates = [(len(texts[i]) > 1, len(texts[i]), -TRIM_PRIORITY.index(name), i)
                  for i, (name, _dummy) in enumerate(pieces) if name in TRIM_PRIORITY and texts[i]]
    return max(candidates)[3] if candidates else None


def _with_suffix(pieces, limit: int, number: int) -> str:
    name = _fit(pieces, limit - len(str(number)))
    if name[-1:].isdigit():
        # "user1" + "2" would read as "user12": a dash keeps the two numbers apart.
        name = _fit(pieces, limit - len(str(number)) - 1) + "-"
    return name + str(number)


def _finding(key: str, policy: NamingPolicy, *resources: str, **params) -> Finding:
    return Finding.of(key, resources=resources, kommune=policy.kommune or None, **params)


def _invisible_finding(obj: SourceObject, policy: NamingPolicy) -> Finding | None:
    fields = {"name": obj.old_name, "given_name": obj.given_name, "surname": obj.surname,
              "display_name": obj.display_name}
    found = {label: invisible_characters(text) for label, text in fields.items() if invisible_characters(text)}
    if not found:
        return None
    described = [Reason(f"invisible_in_{label}",
                        characters=[f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}" for ch in chars])
                 for label, chars in found.items()]
    return _finding("accounts.invisible_characters", policy, obj.old_name, old_name=repr(obj.old_name),
                    described=described)


def _base_name(obj: SourceObject, policy: NamingPolicy, findings: list[Finding]) -> tuple[list, str]:
    invisible = _invisible_finding(obj, policy)
    if invisible is not None:
        findings.append(invisible)
    pieces, fell_back = _render(obj, policy)
    limit = NAME_LIMITS[obj.kind]
    full = tidy("".join(text for _dummy, text in pieces))
    name = _fit(pieces, limit)
    if fell_back:
        findings.append(_finding("accounts.name_fallback", policy, obj.old_name, old_name=repr(obj.old_name),
                                 new_name=repr(name)))
    elif len(full) > limit:
        findings.append(_finding("accounts.name_shortened", policy, obj.old_name, full=repr(full), limit=limit,
                                 old_name=repr(obj.old_name), new_name=repr(name)))
    return pieces, name


def assign_names(objects: Iterable[SourceObject], policy: NamingPolicy, taken: Iterable[str] = (),
                 taken_dns: Iterable[str] = ()) -> tuple[dict[SourceObject, NewName], list[Finding]]:
    """Name every object; ``taken`` are sAMAccountNames already used (live directory, mapping file).

    ``taken_dns`` are DNs already used (mapping file), so no new CN collides with them.
    Returns the names and the findings, both in the stable order, whatever the input order.
    """
    ordered = sorted(set(objects), key=stable_key)
    findings: list[Finding] = []
    bases = {obj: _base_name(obj, policy, findings) for obj in ordered}
    used = {name.lower() for name in taken}
    names = _first_come_names(ordered, bases, used, policy, findings)
    next_number: dict[tuple, int] = {}
    for obj in ordered:
        if obj not in names:
            names[obj] = _suffixed_name(obj, bases[obj], used, next_number, policy, findings)
    return _with_dns(ordered, names, policy, taken_dns), findings


def _first_come_names(ordered, bases, used: set[str], policy, findings) -> dict[SourceObject, str]:
    names = {}
    for obj in ordered:
        name = bases[obj][1]
        if policy.is_reserved(name):
            findings.append(_finding("accounts.reserved_name", policy, obj.old_name, old_name=repr(obj.old_name),
                                     new_name=repr(name)))
        elif name.lower() not in used:
            names[obj] = name
            used.add(name.lower())
    return names


def _suffixed_name(obj, base, used: set[str], next_number: dict[tuple, int], policy, findings) -> str:
    pieces, wanted = base
    # ``used`` only grows, so numbers already tried for the same pieces stay taken: resuming
    # there keeps a hundred "Müller" linear instead of quadratic, with the same result.
    number = next_number.get((obj.kind, *pieces), 2)
    while True:
        name = _with_suffix(pieces, NAME_LIMITS[obj.kind], number)
        if name.lower() not in used and not policy.is_reserved(name):
            break
        number += 1
    next_number[(obj.kind, *pieces)] = number + 1
    used.add(name.lower())
    if policy.is_reserved(wanted):
        return name  # already reported as accounts.reserved_name
    findings.append(_finding("accounts.name_collision", policy, obj.old_name, name, wanted=repr(wanted),
                             old_name=repr(obj.old_name), new_name=repr(name)))
    return name


def readable_cn(obj: SourceObject) -> str:
    if obj.display_name.strip():
        text = obj.display_name
    elif obj.surname.strip() and obj.given_name.strip():
        text = f"{obj.surname}, {obj.given_name}"
    else:
        text = obj.old_name
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in without_invisible(text))
    return " ".join(text.split())[:CN_LIMIT]


def _with_dns(ordered, names: dict[SourceObject, str], policy: NamingPolicy,
              taken_dns: Iterable[str]) -> dict[SourceObject, NewName]:
    used = {dn.lower() for dn in taken_dns}
    result = {}
    for obj in ordered:
        sam = names[obj]
        ou = policy.ou_for(obj.kind)
        cn = sam if policy.cn == "name" else readable_cn(obj) or sam
        if make_dn(cn, ou).lower() in used:
            tail = f" ({sam})"
            cn = cn[:CN_LIMIT - len(tail)].rstrip() + tail
        used.add(make_dn(cn, ou).lower())
        upn = make_upn(sam, policy.upn_suffix) if obj.kind == "user" else None
        result[obj] = NewName(sam_account_name=sam, cn=cn, dn=make_dn(cn, ou), upn=upn)
    return result
