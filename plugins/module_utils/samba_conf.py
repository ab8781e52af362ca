# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""smb.conf, read and written the way Samba reads it: the one codec of the format.

The shares payload (share_samba_conf, share_provision, share_discover, share_freeze) and the
name switch (name_switch, name_switch_alias) read ``testparm -s`` output and edit smb.conf
and their include files through it; they never match smb.conf lines themselves.

Samba's reader (lib/util/tini.c) is followed where it matters to a writer:

- a line whose first character past white space is ``#`` or ``;`` is a comment, also when
  it ends in a backslash; there are no comments after a value (``;`` belongs to it);
- a line ending in ``\\`` (or ``\\`` and white space) goes on in the next one;
- runs of white space count as one; a section header is ``[`` up to the first ``]``;
  a line without ``=`` that is no header is ignored, as Samba ignores it;
- parameters before the first section belong to ``[global]``; a parameter given twice
  in a section (in any spelling) has the last value, a section given twice has both
  halves.

Parameter names are compared by ``normal_key``: without case, white space and
underscores (Samba ignores case and white space; ``read_only`` is taken as ``read only``
so that no spelling of a writability or include line is overlooked).

Editing keeps every line it does not change byte for byte (``lines`` / ``join``): a
continued line is one ``Line``, so it is kept, removed or moved whole.

Text in, text out: no I/O here. Standard library only: runs on the file servers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

GLOBAL = "global"
# C's isspace: what Samba's reader counts as white space (str.isspace knows more).
_SPACE = " \t\n\v\f\r"
_TRUE_WORDS, _FALSE_WORDS = {"yes", "true", "1", "on"}, {"no", "false", "0", "off"}


class SambaConfError(ValueError):
    """A configuration that cannot be read or written as asked; the message says where."""


class Line(NamedTuple):
    """One line of smb.conf as Samba reads it; a continued line spans several of the file.

    ``text`` is the line as written without its final line break (``end``), so
    ``text + end`` over all lines gives the file back. ``kind`` is one of ``blank``,
    ``comment``, ``section`` (``name``: the section name), ``parameter`` (``name`` and
    ``value`` as Samba reads them) and ``other`` (a line Samba ignores). ``section`` is
    the section the line belongs to, its own name for a header. ``open`` is set on a
    last line that asks for a continuation the file does not have.
    """

    text: str
    end: str
    kind: str
    section: str
    name: str = ""
    value: str = ""
    open: bool = False


def normal_key(key: str) -> str:
    """A parameter name compared as Samba compares it (``NetBIOS Aliases`` = ``netbiosaliases``)."""
    return "".join(char for char in key if char not in _SPACE and char != "_").lower()


def display_key(key: str) -> str:
    """A parameter name as the payloads keep it: lower case, one space between words
    (``testparm`` shows every name this way)."""
    return " ".join(_split_space(key)).lower()


def section_key(name: str) -> str:
    """A section (share) name compared as Samba looks shares up: without case."""
    return name.strip().lower()


def boolean(value: str) -> bool | None:
    """A boolean parameter's value as Samba reads it; None for a value that is no boolean."""
    word = value.strip().lower()
    return True if word in _TRUE_WORDS else False if word in _FALSE_WORDS else None


# --- reading ------------------------------------------------------------------------------

def _split_space(text: str) -> list[str]:
    words, word = [], ""
    for char in text:
        if char in _SPACE:
            if word:
                words.append(word)
            word = ""
        else:
            word += char
    return [*words, word] if word else words


def _physical(text: str) -> list[tuple[str, str]]:
    """(content, line break) of each line of the file, broken at "\\n" only as Samba does."""
    result = []
    for chunk in text.split("\n"):
        result.append([chunk, "\n"])
    result[-1][1] = ""
    if result[-1][0] == "":
        result.pop()
    return [(content[:-1], "\r\n") if end and content.endswith("\r") else (content, end)
            for content, end in result]


def _continues(buffer: str) -> int:
    """How many characters end ``buffer`` as a continuation (``\\`` or ``\\`` and a space), else 0."""
    if buffer.endswith("\\"):
        return 1
    if len(buffer) > 1 and buffer[-2] == "\\" and buffer[-1] in _SPACE:
        return 2
    return 0


def _squeeze(buffer: str, content: str) -> str:
    """``content`` appended to ``buffer``, runs of white space kept as their first character."""
    for char in content:
        if char in _SPACE and buffer and buffer[-1] in _SPACE:
            continue
        buffer += char
    return buffer


def _trim_one_space(text: str) -> str:
    if text[:1] and text[0] in _SPACE:
        text = text[1:]
    if text[-1:] and text[-1] in _SPACE:
        text = text[:-1]
    return text


def lines(text: str) -> list[Line]:
    """Every line of ``text`` in order, read as Samba reads it."""
    physical = _physical(text)
    result: list[Line] = []
    section = GLOBAL
    index = 0
    while index < len(physical):
        content, end = physical[index]
        start = content.lstrip(_SPACE)
        if not start:
            result.append(Line(content, end, "blank", section))
            index += 1
            continue
        if start[0] in "#;":
            result.append(Line(content, end, "comment", section))
            index += 1
            continue
        # Samba keeps a "\r" before "\n" as a character of the line (white space).
        buffer = _squeeze("", start + ("\r" if end == "\r\n" else ""))
        written = [content]
        is_open = False
        while _continues(buffer):
            if not end:
                is_open = True
                break
            buffer = buffer[:-_continues(buffer)]
            index += 1
            if index == len(physical):
                is_open = True
                break
            written.append(end)
            content, end = physical[index]
            written.append(content)
            buffer = _squeeze(buffer, content + ("\r" if end == "\r\n" else ""))
        index += 1
        line = _classify("".join(written), end, buffer, section)
        if line.kind == "section":
            section = line.name
        result.append(line._replace(section=section, open=is_open))
    return result


def _classify(text: str, end: str, buffer: str, section: str) -> Line:
    if buffer.startswith("["):
        if "]" not in buffer:
            return Line(text, end, "other", section)
        return Line(text, end, "section", section, name=buffer[1:buffer.index("]")])
    name, equals, value = buffer.partition("=")
    name = _trim_one_space(name)
    if not equals or not name:
        return Line(text, end, "other", section)
    return Line(text, end, "parameter", section, name=name, value=_trim_one_space(value))


def parameter(text: str) -> tuple[str, str] | None:
    """(name, value) of one line (continued or not) that is a parameter; None for any other."""
    found = [line for line in lines(text) if line.kind == "parameter"]
    return (found[0].name, found[0].value) if len(found) == 1 else None


def sections(text: str) -> dict[str, dict[str, str]]:
    """{section name: {parameter: value}} in order of first appearance.

    Names as first written (``testparm`` writes each once); parameters under
    ``display_key`` of their first spelling, with the value of their last line.
    """
    result: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    spellings: dict[tuple[str, str], str] = {}
    for line in lines(text):
        if line.kind not in ("section", "parameter"):
            continue
        name = names.setdefault(section_key(line.section), line.section)
        settings = result.setdefault(name, {})
        if line.kind == "parameter":
            key = spellings.setdefault((section_key(name), normal_key(line.name)), display_key(line.name))
            settings[key] = line.value
    return result


def section(text: str, name: str) -> dict[str, str] | None:
    """The parameters of section ``name`` (any case); None where it is not defined."""
    return next((settings for found, settings in sections(text).items()
                 if section_key(found) == section_key(name)), None)


def get(settings: Mapping[str, str], key: str, default: str | None = None) -> str | None:
    """The value of parameter ``key`` in any spelling."""
    return next((value for found, value in settings.items() if normal_key(found) == normal_key(key)), default)


def section_span(parsed: list[Line], name: str) -> tuple[int, int] | None:
    """(index of the header, index after its last line) of the first ``[name]`` in
    ``parsed``; None where the text does not define it."""
    start = None
    for index, line in enumerate(parsed):
        if line.kind != "section":
            continue
        if start is not None:
            return start, index
        if section_key(line.name) == section_key(name):
            start = index
    return None if start is None else (start, len(parsed))


# --- writing ------------------------------------------------------------------------------

def join(parsed: Iterable[Line]) -> str:
    """The text of ``parsed``: byte for byte what ``lines`` read, for the lines kept."""
    return "".join(line.text + line.end for line in parsed)


def text_of(texts: Iterable[str]) -> str:
    """Lines (without line breaks) as a file: one "\\n" after each."""
    return "".join(f"{text}\n" for text in texts)


def _check(what: str, text: str, forbidden: str = "", may_be_empty: bool = False) -> None:
    breaks = "\n" in text or "\r" in text or any(char in forbidden for char in text)
    runs_on = text.rstrip(_SPACE).endswith("\\")
    if breaks or runs_on or not (may_be_empty or text.strip(_SPACE)):
        raise SambaConfError(f"{what} {text!r} cannot be written to smb.conf")


def section_lines(name: str, parameters: Iterable[tuple[str, str]]) -> list[str]:
    """``[name]`` and one ``\tkey = value`` line each, refusing what would not read back
    as written (a line break, a ``]`` in the name, a value running on into the next line)."""
    _check("share name", name, "]")
    result = [f"[{name}]"]
    for key, value in parameters:
        _check(f"[{name}] parameter", key, "=")
        if key.strip(_SPACE)[0] in "[#;":
            raise SambaConfError(f"[{name}] parameter {key!r} cannot be written to smb.conf")
        _check(f"[{name}] {key}", str(value), may_be_empty=True)
        result.append(f"\t{key} = {value}")
    return result


def is_include_of(line: Line, path: str) -> bool:
    return line.kind == "parameter" and normal_key(line.name) == "include" and line.value == path


def has_include(text: str, path: str) -> bool:
    return any(is_include_of(line, path) for line in lines(text))


def add_include(text: str, path: str) -> str:
    """``include = path`` as the last line of ``text`` unless it is there already, the rest
    byte for byte. At the very end: an included file's sections must not swallow what
    follows."""
    parsed = lines(text)
    if any(is_include_of(line, path) for line in parsed):
        return text
    # A last line left asking for a continuation would take the include line in.
    separator = "\n" if text and not text.endswith("\n") else ""
    if parsed and parsed[-1].open:
        separator += "\n"
    return f"{text}{separator}include = {path}\n"


def remove_include(text: str, path: str) -> str:
    """``text`` without its ``include = path`` lines (any spelling), the rest byte for byte."""
    parsed = lines(text)
    if not any(is_include_of(line, path) for line in parsed):
        return text
    return join(line for line in parsed if not is_include_of(line, path))
