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


# Runs each command given ("$@" after the first argument), at most $1 of them at once, each with
# its own stdout, stderr and exit code kept in a folder of its own; then prints one line per
# command, in the order given: "<exit code> <stdout as base64> <stderr as base64>". Exits 0
# itself, so its own exit code is never taken for ssh's.
_BATCH = ('d=$(mktemp -d) || exit 1; trap \'rm -rf "$d"\' EXIT; at_once=$1; shift; n=0; for c in "$@"; do '
          '{ bash -c "$c" </dev/null >"$d/$n.o" 2>"$d/$n.e"; echo $? >"$d/$n.rc"; } & n=$((n+1)); '
          'while [ "$(jobs -pr | wc -l)" -ge "$at_once" ]; do wait -n; done; done; wait; '
          'i=0; while [ $i -lt $n ]; do printf "%s %s %s\\n" "$(cat "$d/$i.rc")" "$(base64 -w0 <"$d/$i.o")" '
          '"$(base64 -w0 <"$d/$i.e")"; i=$((i+1)); done; exit 0')


@dataclass(frozen=True)
class Result:
    """One command's result of a batch: exit code and output as bytes."""

    rc: int
    stdout_bytes: bytes
    stderr_bytes: bytes

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", "replace")


def run_batch(host, commands: list[str], secrets: dict[str, str] | None = None, at_once: int = 1) -> list[Result]:
    """Run the shell ``commands`` on ``host`` in one round trip, ``at_once`` of them at a time
    (one after another by default), and return each one's result, in the order given.
    ``secrets`` (name -> value) reach the commands as environment variables only, as in
    run_with_password; no error names them."""
    if not commands:
        return []
    if at_once < 1:
        raise ValueError(f"at_once must be 1 or more, not {at_once}")
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in (secrets or {}).items())
    script = (f"{assignments} bash -c {shlex.quote(_BATCH)} batch {at_once} "
              + " ".join(shlex.quote(c) for c in commands))
    try:
        result = host.run(script.strip())
    except Exception:
        raise AssertionError(f"a batch of {len(commands)} commands could not be run on the host") from None
    lines = result.stdout.splitlines()
    if result.rc != 0 or len(lines) != len(commands):
        detail = "" if secrets else f": {result.stderr.strip()[:300]}"
        raise AssertionError(f"a batch of {len(commands)} commands gave {len(lines)} results "
                             f"(exit code {result.rc}){detail}")
    results = []
    for line in lines:
        rc, _sep, rest = line.partition(" ")
        out, _sep, err = rest.partition(" ")
        results.append(Result(int(rc), base64.b64decode(out), base64.b64decode(err)))
    return results


def command(*parts: str) -> str:
    """A shell command line of ``parts``, each quoted."""
    return " ".join(shlex.quote(part) for part in parts)


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
