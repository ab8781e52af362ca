"""Commands on the hosts the acceptance suite checks, with a password that never shows.

Passwords reach remote commands through the environment only, and results are returned
without the command line, so no password can show up in an assertion message or a log.
The lab's own tests (tests/support/lab.py) use the same helpers.
"""

from __future__ import annotations

import base64
import logging
import shlex
from dataclasses import dataclass

# testinfra logs every command line it runs; these commands carry passwords in their
# environment assignments.
logging.getLogger("testinfra").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Outcome:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_with_password(host, secret: str, command: list[str]) -> Outcome:
    """Run `command` with the password in $PASSWD (read by smbclient, smbcacls, and by
    ldapsearch through -y); the result carries no trace of it."""
    line = " ".join(shlex.quote(part) for part in command)
    # testinfra raises on exit code 255 (it takes it for ssh's own failure) and puts the
    # whole command line, password included, into that error; so 255 never comes back,
    # and any backend error is replaced by one without the command.
    script = f"PASSWD={shlex.quote(secret)} {line}; rc=$?; [ $rc -eq 255 ] && rc=254; exit $rc"
    try:
        result = host.run(script)
    except Exception:
        raise AssertionError(f"{command[0]} could not be run on the host") from None
    return Outcome(result.rc, result.stdout, result.stderr)


def parse_ldif(text: str, binary: tuple[str, ...] = ()) -> list[dict[str, list]]:
    """Entries of ldbsearch/ldapsearch output as {attribute: [values]}, with folded lines
    joined and base64 values (`attr:: ...`, used for anything non-ASCII) decoded: to text,
    except for the attributes named in ``binary`` (e.g. objectSid, tokenGroups over LDAP),
    whose values stay bytes."""
    binary_keys = {name.casefold() for name in binary}
    entries, current = [], None
    lines = []
    for raw in text.splitlines():
        if raw.startswith(" ") and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    for line in lines:
        if not line or line.startswith("#"):
            current = None
            continue
        if current is None:
            current = {}
            entries.append(current)
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip())
            if key.casefold() not in binary_keys:
                value = value.decode("utf-8")
        else:
            value = value.strip()
        current.setdefault(key, []).append(value)
    return [e for e in entries if "dn" in e]
