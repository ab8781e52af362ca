# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Common types of the endpoint handlers: decoded documents, occurrences, changes, errors.

A handler never re-serialises a file. It decodes the raw bytes only to *locate* values,
then splices replacement bytes at the located byte spans, so comments, order, encoding,
BOM and line endings outside the spliced spans stay exactly as they were.

Standard library only: this runs on managed nodes.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, Reason

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
LINE_BREAK = re.compile(r"\r\n|\n|\r")

KEY_UNPARSEABLE = "clients.unparseable_config"
KEY_NO_MATCH = "clients.selector_no_match"
KEY_UNRECOGNISED = "clients.endpoint_unrecognised"
KEY_UNENCODABLE = "clients.replacement_unencodable"


class ProfileError(ValueError):
    """A selector or declared encoding in a client profile is malformed (a profile bug, not a file bug)."""


class MissingDependency(RuntimeError):
    """A format needs a library that is not installed on the target."""


@dataclass(frozen=True)
class Problem:
    """One reason a file is not rewritten: its finding key, where, and why in one sentence."""

    key: str
    line: int
    message: str
    selector: str = ""


class ConfigError(Exception):
    """A file that is not rewritten, with every problem found in it (never a partial guess)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(f"line {p.line}: {p.message}" for p in self.problems))

    def findings(self, path: str, *, kommune: str | None = None, host: str | None = None) -> list[Finding]:
        return [problem_finding(p, path, kommune=kommune, host=host) for p in self.problems]


class Unparseable(ConfigError):
    def __init__(self, line: int, message: str):
        super().__init__([Problem(KEY_UNPARSEABLE, line, message)])


class Refused(ConfigError):
    """The file parses, but a selector matched nothing or a value is not a recognisable endpoint."""


def problem_finding(problem: Problem, path: str, *, kommune: str | None = None,
                    host: str | None = None) -> Finding:
    # The line is in the summary, not the resources: lines move between runs, and the
    # resources are what identifies "the same finding" across runs.
    resources = (path, problem.selector) if problem.selector else (path,)
    return Finding.of(problem.key, location=f"{path}:{problem.line}", message=problem.message,
                      selector=problem.selector, variant="selector" if problem.selector else "plain",
                      resources=resources, kommune=kommune, host=host)


@dataclass(frozen=True)
class Selector:
    """One validated selector of a client profile; ``label`` names it in findings."""

    index: int
    fields: dict
    label: str
    optional: bool = False

    def get(self, name, default=None):
        return self.fields.get(name, default)


@dataclass(frozen=True)
class Occurrence:
    """A value a selector points at: its logical (unescaped) text and where its raw form sits.

    ``span`` is the byte span of the raw value in the file. ``offsets`` maps each logical
    character i to the character index in the decoded document where its raw form starts
    (plus one entry for the end), so a rewrite can splice just the host or port even when
    the format escapes other characters of the value. ``unsupported`` says why the value
    could be read but not safely rewritten (a multi-line YAML scalar, a hex(2) registry value);
    ``value`` is None when the selector reaches something that is not a value at all (a JSON
    object, a number), and ``unsupported`` says what.
    """

    selector: str
    line: int
    value: str | None
    span: tuple[int, int]
    offsets: tuple[int, ...] | None = field(default=None, repr=False, compare=False)
    quoting: str = field(default="", repr=False, compare=False)
    unsupported: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True)
class Change:
    """One rewritten value: selector, line, the value before and after, and its old byte span."""

    selector: str
    line: int
    old: str
    new: str
    span: tuple[int, int]

    def describe(self, path: str) -> str:
        return f"{path}:{self.line} {self.selector}: {self.old} -> {self.new}"


@dataclass
class Document:
    """Raw bytes plus their decoded text, with conversions between text and byte offsets."""

    data: bytes
    text: str
    codec: str
    bom: bytes
    line_starts: list[int]

    @classmethod
    def decode(cls, data: bytes, declared: str | None, default: str = "utf-8") -> Document:
        bom, bom_codec = b"", None
        for mark, name in BOMS:
            if data.startswith(mark):
                bom, bom_codec = mark, name
                break
        codec = _resolve_codec(declared, bom_codec) if declared else (bom_codec or default)
        try:
            text = data[len(bom):].decode(codec)
        except UnicodeDecodeError as err:
            line = data[: len(bom) + err.start].count(b"\n") + 1
            raise Unparseable(line, Reason("not_in_encoding", codec=codec, byte=len(bom) + err.start)) from None
        except LookupError:
            raise ProfileError(f"unknown encoding {codec!r}") from None
        starts = [0] + [m.end() for m in LINE_BREAK.finditer(text)]
        return cls(data, text, codec, bom, starts)

    def line_of(self, index: int) -> int:
        return bisect_right(self.line_starts, index)

    def byte_offset(self, index: int) -> int:
        return len(self.bom) + len(self.text[:index].encode(self.codec))

    def lines(self):
        """(line number, start, end of content) for every line; the line break is not content."""
        for number, start in enumerate(self.line_starts, 1):
            end = self.line_starts[number] if number < len(self.line_starts) else len(self.text)
            content_end = end
            while content_end > start and self.text[content_end - 1] in "\r\n":
                content_end -= 1
            if start == len(self.text) and number > 1:
                return
            yield number, start, content_end

    def occurrence(self, selector: Selector, start: int, end: int, value: str | None = None,
                   offsets: list[int] | None = None, quoting: str = "", unsupported: str = "") -> Occurrence:
        """An occurrence whose raw text is text[start:end]; without ``value`` it is taken verbatim."""
        if value is None:
            value = self.text[start:end]
            offsets = list(range(start, end + 1))
        return Occurrence(selector=selector.label, line=self.line_of(start), value=value,
                          span=(self.byte_offset(start), self.byte_offset(end)),
                          offsets=None if offsets is None else tuple(offsets),
                          quoting=quoting, unsupported=unsupported)

    def unreadable(self, selector: Selector, start: int, end: int, reason: str) -> Occurrence:
        """An occurrence of something that is not a text value (a mapping, a number ...)."""
        return Occurrence(selector=selector.label, line=self.line_of(start), value=None,
                          span=(self.byte_offset(start), self.byte_offset(end)), unsupported=reason)


def _resolve_codec(declared: str, bom_codec: str | None) -> str:
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise ProfileError(f"unknown encoding {declared!r} in the client profile") from None
    if bom_codec is None:
        return name
    # A BOM is the file's own statement; a profile that says otherwise is wrong, not overridable.
    compatible = {"utf-8": ("utf-8",), "utf-16-le": ("utf-16", "utf-16-le"),
                  "utf-16-be": ("utf-16", "utf-16-be")}[bom_codec]
    if name not in compatible:
        raise Unparseable(1, Reason("bom_mismatch", declared=declared, bom=bom_codec))
    return bom_codec


def selector_label(fields: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in fields.items() if k != "optional")
