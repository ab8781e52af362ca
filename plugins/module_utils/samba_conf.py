# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Samba configuration as the shares payload reads and writes it.

- ``parse_testparm``: the sections of ``testparm -s`` output (Samba's own view of the
  configuration, includes resolved, only what differs from the defaults).
- ``carried_settings``: which share settings move to the RZ file server as they are, and
  which cannot (they name principals of the old domain, or belong to the old host).
- ``render_include``: the per-Kommune include file on the RZ file server.
- ``freeze_section`` / ``unfreeze_section``: a share of the source's smb.conf made
  read-only and back, exactly as it was, from a record of the lines that were changed.

Text in, text out: no I/O here. Standard library only: runs on the file servers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.kommunal.umzug.plugins.module_utils import share_placement

# Sections that are not file shares.
NOT_SHARES = {"global", "homes", "printers", "print$", "ipc$"}
# Settings that belong to the old server or name principals of the old domain: never
# carried blindly. Principals would have to be translated (docs/shares.md).
HOST_SETTINGS = {"path", "vfs objects", "copy", "include", "root preexec", "root postexec", "preexec", "postexec",
                 "magic script", "msdfs proxy", "msdfs root"}
PRINCIPAL_SETTINGS = {"valid users", "invalid users", "write list", "read list", "admin users", "force user",
                      "force group", "printer admin"}
# Keys that decide whether a share is writable (synonyms included), and the lists that
# grant write access despite "read only".
WRITE_KEYS = {"readonly", "writeable", "writable", "writeok", "writelist"}
FREEZE_MARKER = "# umzug: frozen for the move (share_freeze); unfreeze restores the lines it took out"
FROZEN_LINE = "read only = yes"

SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
PARAMETER = re.compile(r"^\s*(?P<key>[^=;#][^=]*?)\s*=\s*(?P<value>.*?)\s*$")


class SambaConfError(ValueError):
    """A configuration the payload cannot work with; the message says where."""


def normal_key(key: str) -> str:
    """Samba ignores case and spaces in parameter names."""
    return "".join(key.split()).replace("_", "").lower()


def parse_testparm(text: str) -> dict[str, dict[str, str]]:
    """Sections of ``testparm -s`` output: {section name: {parameter: value}}, in order."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        header = SECTION.match(line)
        if header:
            current = sections.setdefault(header["name"], {})
            continue
        parameter = PARAMETER.match(line)
        if parameter and current is not None:
            current[parameter["key"].lower()] = parameter["value"]
    return sections


def file_shares(sections: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The sections that are file shares with a path (no printers, no [homes], no IPC$)."""
    return {name: dict(settings) for name, settings in sections.items()
            if name.lower() not in NOT_SHARES and settings.get("path")
            and settings.get("printable", "no").lower() not in ("yes", "true", "1")}


def target_share_name(namespace: str, share: str) -> str:
    """The default RZ naming, <namespace>-<share> in lower case. Where a share goes is
    decided by share_placement (which names it this way unless the plan says ``new``)."""
    return share_placement.default_share_name(namespace, share)


def carried_settings(settings: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(settings carried as they are, settings left out) of one source share."""
    carried, left = {}, {}
    for key, value in settings.items():
        if key in HOST_SETTINGS or key in PRINCIPAL_SETTINGS:
            if key != "path":
                left[key] = value
        else:
            carried[key] = value
    return carried, left


def render_include(kommune: str, namespace: str, shares: list[Mapping]) -> str:
    """The include file of one Kommune: each share with its path and carried settings.
    ``shares``: {name, path, settings} with name already the target name."""
    lines = [f"# umzug: the file shares of Kommune {kommune} (namespace {namespace}).",
             "# Written by kommunal.umzug.share_provision; changes here are overwritten."]
    for share in sorted(shares, key=lambda s: s["name"]):
        _check_value("share name", share["name"])
        lines += ["", f"[{share['name']}]", f"\tpath = {share['path']}"]
        for key in sorted(share.get("settings") or {}):
            value = str(share["settings"][key])
            _check_value(f"[{share['name']}] {key}", value)
            lines.append(f"\t{key} = {value}")
    return "\n".join(lines) + "\n"


def _check_value(what: str, value: str) -> None:
    if "\n" in value or "\r" in value or ("]" in value and what == "share name"):
        raise SambaConfError(f"{what} {value!r} cannot be written to smb.conf")


def include_line(path: str) -> str:
    return f"include = {path}"


def has_include(conf_text: str, path: str) -> bool:
    for line in conf_text.splitlines():
        parameter = PARAMETER.match(line)
        if parameter and normal_key(parameter["key"]) == "include" and parameter["value"] == path:
            return True
    return False


def add_include(conf_text: str, path: str) -> str:
    """At the very end: an included file's sections must not swallow what follows."""
    if has_include(conf_text, path):
        return conf_text
    return conf_text + ("" if conf_text.endswith("\n") or not conf_text else "\n") + include_line(path) + "\n"


TRUE_WORDS, FALSE_WORDS = {"yes", "true", "1", "on"}, {"no", "false", "0", "off"}
NEGATED_SYNONYMS = {"writeable", "writable", "writeok"}


def as_testparm(key: str, value: str) -> tuple[str, str]:
    """A writability line of smb.conf as ``testparm -s`` shows it (``read only = No`` for
    ``writeable = yes``), so settings read back from a freeze record equal testparm's."""
    word = value.strip().lower()
    if normal_key(key) in NEGATED_SYNONYMS | {"readonly"} and word in TRUE_WORDS | FALSE_WORDS:
        read_only = (word in TRUE_WORDS) != (normal_key(key) in NEGATED_SYNONYMS)
        return "read only", "Yes" if read_only else "No"
    return key.strip().lower(), value.strip()


# --- freeze ------------------------------------------------------------------------------

def _section_span(lines: list[str], share: str) -> tuple[int, int]:
    """(index of the header, index after the last line) of ``[share]`` in smb.conf lines."""
    start = None
    for index, line in enumerate(lines):
        header = SECTION.match(line)
        if header:
            if start is not None:
                return start, index
            if header["name"].strip().lower() == share.lower():
                start = index
    if start is None:
        raise SambaConfError(f"share [{share}] is not defined in this file (shares in the registry or in "
                             "included files cannot be frozen by umzug; freeze them by hand)")
    return start, len(lines)


def is_frozen(conf_text: str, share: str) -> bool:
    lines = conf_text.splitlines()
    start, end = _section_span(lines, share)
    return any(line.strip() == FREEZE_MARKER for line in lines[start:end])


def freeze_section(conf_text: str, share: str) -> tuple[str, dict]:
    """``[share]`` made read-only: every line deciding writability taken out (recorded),
    ``read only = yes`` put in. Returns (new text, record for ``unfreeze_section``)."""
    lines = conf_text.splitlines()
    start, end = _section_span(lines, share)
    if any(line.strip() == FREEZE_MARKER for line in lines[start:end]):
        raise SambaConfError(f"share [{share}] is already frozen")
    removed = []
    body = []
    for offset, line in enumerate(lines[start + 1:end]):
        parameter = PARAMETER.match(line)
        if parameter and normal_key(parameter["key"]) in WRITE_KEYS:
            removed.append([offset, line])
        else:
            body.append(line)
    new = [*lines[:start + 1], f"\t{FREEZE_MARKER}", f"\t{FROZEN_LINE}", *body, *lines[end:]]
    return "\n".join(new) + "\n", {"share": share, "removed": removed}


def unfreeze_section(conf_text: str, share: str, record: Mapping) -> str:
    """The section as it was before ``freeze_section``, from its record."""
    lines = conf_text.splitlines()
    start, end = _section_span(lines, share)
    body = list(lines[start + 1:end])
    marker = next((i for i, line in enumerate(body) if line.strip() == FREEZE_MARKER), None)
    if marker is None:
        raise SambaConfError(f"share [{share}] is not frozen by umzug")
    del body[marker]
    if marker < len(body) and normal_key(body[marker].split("=")[0]) == "readonly":
        del body[marker]
    for offset, line in sorted(record.get("removed") or (), key=lambda item: item[0]):
        body.insert(min(offset, len(body)), line)
    new = [*lines[:start + 1], *body, *lines[end:]]
    return "\n".join(new) + "\n"
