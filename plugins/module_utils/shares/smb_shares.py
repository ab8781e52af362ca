# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the shares payload knows of Samba shares; smb.conf itself is read and written by
the one codec, module_utils/samba_conf.py.

- ``file_shares``: the sections of Samba's configuration that are file shares.
- ``carried_settings``: which share settings move to the RZ file server as they are, and
  which cannot (they name principals of the old domain, or belong to the old host).
- ``render_include``: the per-Kommune include file on the RZ file server.
- ``freeze_section`` / ``unfreeze_section``: a share of the source's smb.conf made
  read-only and back, exactly as it was, from a record of the lines that were changed.

Text in, text out: no I/O here. Standard library only: runs on the file servers.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.kommunal.umzug.plugins.module_utils import samba_conf, share_placement

# Sections that are not file shares.
NOT_SHARES = {"global", "homes", "printers", "print$", "ipc$"}
# Settings that belong to the old server or name principals of the old domain: never
# carried blindly. Principals would have to be translated (docs/shares.md).
HOST_SETTINGS = {"path", "vfs objects", "copy", "include", "root preexec", "root postexec", "preexec", "postexec",
                 "magic script", "msdfs proxy", "msdfs root"}
PRINCIPAL_SETTINGS = {"valid users", "invalid users", "write list", "read list", "admin users", "force user",
                      "force group", "printer admin"}
_NOT_CARRIED = {samba_conf.normal_key(key) for key in HOST_SETTINGS | PRINCIPAL_SETTINGS}
# Keys that decide whether a share is writable (synonyms included), and the lists that
# grant write access despite "read only".
WRITE_KEYS = {"readonly", "writeable", "writable", "writeok", "writelist"}
NEGATED_SYNONYMS = {"writeable", "writable", "writeok"}
FREEZE_MARKER = "# umzug: frozen for the move (share_freeze); unfreeze restores the lines it took out"
FROZEN_LINE = "read only = yes"


def file_shares(sections: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The sections that are file shares with a path (no printers, no [homes], no IPC$)."""
    return {name: dict(settings) for name, settings in sections.items()
            if samba_conf.section_key(name) not in NOT_SHARES and samba_conf.get(settings, "path")
            and not samba_conf.boolean(samba_conf.get(settings, "printable", "no"))}


def target_share_name(namespace: str, share: str) -> str:
    """The default RZ naming, <namespace>-<share> in lower case. Where a share goes is
    decided by share_placement (which names it this way unless the plan says ``new``)."""
    return share_placement.default_share_name(namespace, share)


def carried_settings(settings: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(settings carried as they are, settings left out) of one source share; a setting
    is recognised in any spelling of its name."""
    carried, left = {}, {}
    for key, value in settings.items():
        if samba_conf.normal_key(key) in _NOT_CARRIED:
            if samba_conf.normal_key(key) != "path":
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
        settings = share.get("settings") or {}
        lines += ["", *samba_conf.section_lines(
            share["name"], [("path", share["path"]), *((key, settings[key]) for key in sorted(settings))])]
    return samba_conf.text_of(lines)


def as_testparm(key: str, value: str) -> tuple[str, str]:
    """A writability line of smb.conf as ``testparm -s`` shows it (``read only = No`` for
    ``writeable = yes``), so settings read back from a freeze record equal testparm's."""
    word = samba_conf.boolean(value)
    if samba_conf.normal_key(key) in NEGATED_SYNONYMS | {"readonly"} and word is not None:
        read_only = word != (samba_conf.normal_key(key) in NEGATED_SYNONYMS)
        return "read only", "Yes" if read_only else "No"
    return samba_conf.display_key(key), value.strip()


def record_settings(record: Mapping) -> dict[str, str]:
    """The settings of the lines a freeze took out, as ``testparm -s`` shows them."""
    settings = {}
    for _offset, line in record.get("removed") or ():
        parameter = samba_conf.parameter(line)
        if parameter:
            key, value = as_testparm(*parameter)
            settings[key] = value
    return settings


# --- freeze ------------------------------------------------------------------------------

def _section_span(lines: list[samba_conf.Line], share: str) -> tuple[int, int]:
    span = samba_conf.section_span(lines, share)
    if span is None:
        raise samba_conf.SambaConfError(f"share [{share}] is not defined in this file (shares in the registry or in "
                                        "included files cannot be frozen by umzug; freeze them by hand)")
    return span


def _is_marker(line: samba_conf.Line) -> bool:
    return line.text.strip() == FREEZE_MARKER


def is_frozen(conf_text: str, share: str) -> bool:
    lines = samba_conf.lines(conf_text)
    start, end = _section_span(lines, share)
    return any(_is_marker(line) for line in lines[start:end])


def freeze_section(conf_text: str, share: str) -> tuple[str, dict]:
    """``[share]`` made read-only: every line deciding writability taken out (recorded),
    ``read only = yes`` put in. Returns (new text, record for ``unfreeze_section``)."""
    lines = samba_conf.lines(conf_text)
    start, end = _section_span(lines, share)
    if any(_is_marker(line) for line in lines[start:end]):
        raise samba_conf.SambaConfError(f"share [{share}] is already frozen")
    removed = []
    body = []
    for offset, line in enumerate(lines[start + 1:end]):
        if line.kind == "parameter" and samba_conf.normal_key(line.name) in WRITE_KEYS:
            removed.append([offset, line.text])
        else:
            body.append(line.text)
    texts = [line.text for line in lines]
    new = [*texts[:start + 1], f"\t{FREEZE_MARKER}", f"\t{FROZEN_LINE}", *body, *texts[end:]]
    return samba_conf.text_of(new), {"share": share, "removed": removed}


def unfreeze_section(conf_text: str, share: str, record: Mapping) -> str:
    """The section as it was before ``freeze_section``, from its record."""
    lines = samba_conf.lines(conf_text)
    start, end = _section_span(lines, share)
    body = list(lines[start + 1:end])
    marker = next((i for i, line in enumerate(body) if _is_marker(line)), None)
    if marker is None:
        raise samba_conf.SambaConfError(f"share [{share}] is not frozen by umzug")
    del body[marker]
    after = body[marker] if marker < len(body) else None
    if after is not None and after.kind == "parameter" and samba_conf.normal_key(after.name) == "readonly":
        del body[marker]
    texts = [line.text for line in body]
    for offset, text in sorted(record.get("removed") or (), key=lambda item: item[0]):
        texts.insert(min(offset, len(texts)), text)
    return samba_conf.text_of([*(line.text for line in lines[:start + 1]), *texts,
                               *(line.text for line in lines[end:])])
