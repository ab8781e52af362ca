# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""UNC paths: the one codec every payload splits, builds and compares them with.

The forms in use: ``\\\\server\\share\\folder\\file`` (Windows: plan files, home and profile
paths, client configurations) and ``//server/share/folder/file`` (smbclient, mount.cifs).
A path uses one separator throughout, the one its first two characters give.

- ``parse`` splits a path into ``Unc(server, share, path)``, every part as written (case
  kept): the server comes right after the leading pair, and there must be a share. Runs of
  separators and a trailing one count as one and none, as Windows normalises them:
  ``\\\\fs\\Bauamt\\\\Pläne\\`` is server ``fs``, share ``Bauamt``, path ``Pläne``.
- ``str(unc)`` (and ``build``) writes the Windows form, ``Unc.service`` the
  ``//server/share`` that smbclient takes, ``normalise`` the Windows form of any path.
- ``Unc.lower()``: server and share names are case-insensitive (Windows and Samba compare
  them so); what is below the share keeps its case.
- ``join`` appends a relative path to a UNC path; ``spans`` says where the server and each
  part sit in a text, for rewriting one part in place and keeping the rest verbatim.

Standard library only, no I/O: runs on file servers, DCs and workstations alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

BACKSLASH, SLASH = "\\", "/"


class UncError(ValueError):
    """A value that is not a UNC path naming a share; the message names the value."""


@dataclass(frozen=True)
class Unc:
    server: str
    share: str
    path: str = ""  # below the share, parts separated by a backslash; "" for the share itself

    def __str__(self) -> str:
        return build(self.server, self.share, *self.folders)

    @property
    def folders(self) -> tuple[str, ...]:
        return tuple(self.path.split(BACKSLASH)) if self.path else ()

    @property
    def service(self) -> str:
        """``//server/share``: the share as smbclient and mount.cifs name it."""
        return f"//{self.server}/{self.share}"

    def lower(self) -> Unc:
        return replace(self, server=self.server.lower(), share=self.share.lower())

    def with_folders(self, folders) -> Unc:
        return replace(self, path=BACKSLASH.join(folders))


def separator(value: str) -> str | None:
    """The separator of a UNC path (its first two characters), None for anything else."""
    for sep in (BACKSLASH, SLASH):
        if value.startswith(sep * 2):
            return sep
    return None


def spans(value: str) -> list[tuple[int, int]]:
    """Half-open spans of the server (first, empty when a third separator follows the
    leading pair) and of each part below it in ``value``; a doubled or trailing separator
    adds none. Raises UncError for a value that does not start like a UNC path."""
    sep = separator(value)
    if sep is None:
        raise UncError(f"{value!r} is not a UNC path (\\\\server\\share)")
    found, start = [], 2
    while True:
        end = value.find(sep, start)
        end = len(value) if end < 0 else end
        if not found or end > start:
            found.append((start, end))
        if end == len(value):
            return found
        start = end + 1


def parse(value: str) -> Unc:
    """``\\\\server\\share[\\path]`` or ``//server/share[/path]`` as Unc (module docstring)."""
    parts = [value[start:end] for start, end in spans(value)]
    if not parts[0]:
        raise UncError(f"{value!r} names no server (\\\\server\\share)")
    if len(parts) < 2:
        raise UncError(f"{value!r} names no share (\\\\server\\share)")
    return Unc(parts[0], parts[1], BACKSLASH.join(parts[2:]))


def build(server: str, share: str, *folders: str) -> str:
    """``\\\\server\\share\\folder...``."""
    return BACKSLASH * 2 + BACKSLASH.join([server, share, *folders])


def normalise(value: str) -> str:
    """The Windows form of a UNC path in either form, without doubled or trailing separators."""
    return str(parse(value))


def join(base: str, relative: str) -> str:
    """``relative`` (parts separated by either separator) below the UNC path ``base``, in
    ``base``'s form; ``base`` itself when ``relative`` is empty. Nothing else is changed, so
    the length of the result is the length a client sees."""
    sep = separator(base) or BACKSLASH
    if not relative:
        return base
    other = SLASH if sep == BACKSLASH else BACKSLASH
    return base.rstrip(sep) + sep + relative.replace(other, sep)
