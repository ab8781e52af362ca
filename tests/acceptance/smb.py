"""SMB as the Kommune's people use it: smbclient on a workstation, one log-on per user and
server, the password only in the environment (remote.run_batch). Each function takes many
users or shares and asks the workstation once."""

from __future__ import annotations

from tests.acceptance.remote import command, run_batch

# Lists each share given and prints "<share> <exit code>"; smbclient reads $PASSWD.
_LIST_EACH = 'server=$1; user=$2; shift 2; for s in "$@"; do smbclient "//$server/$s" -U "$user" -c ls ' \
             '>/dev/null 2>&1; echo "$s $?"; done'


# Log-ons at once from the workstation: each smbclient waits mostly for the file server and its
# DC to check the password, so a few at once shorten the checks inside the freeze without
# crowding the server (each run's own log-on and result, as one at a time).
LOGONS_AT_ONCE = 4


def _batch(host, runs: list[tuple[str, str]]):
    """Run each (command line, password) with the password as $PASSWD, all in one round
    trip, LOGONS_AT_ONCE at a time; each password reaches the host once, as $PASSWD_<n> in
    the environment."""
    numbers: dict[str, int] = {}
    lines = [f'PASSWD="$PASSWD_{numbers.setdefault(password, len(numbers))}" {line}' for line, password in runs]
    return run_batch(host, lines, {f"PASSWD_{number}": password for password, number in numbers.items()},
                     at_once=LOGONS_AT_ONCE)


def can_list_each(host, server: str, accounts: list[tuple[str, str]], shares: list[str]) -> list[dict[str, bool]]:
    """For each (user, password) of ``accounts``: whether the user can list each share's
    root on ``server``."""
    results = _batch(host, [(command("bash", "-c", _LIST_EACH, "list", server, user, *shares), password)
                            for user, password in accounts])
    allowed = []
    for result in results:
        found = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines() if " " in line)
        allowed.append({share: found.get(share) == "0" for share in shares})
    return allowed


def logs_on_each(host, server: str, accounts: list[tuple[str, str]]) -> list[bool]:
    """For each (user, password) of ``accounts``: whether the user logs on to ``server``."""
    results = _batch(host, [(command("smbclient", f"//{server}/IPC$", "-U", user, "-c", "exit"), password)
                            for user, password in accounts])
    return [result.rc == 0 for result in results]


def listings(host, reads: list[tuple[str, str, str, str]]) -> list[set[str] | None]:
    """For each (password, server, user, share) of ``reads``: the names in the share's root
    as the user sees them, or None if the share cannot be opened."""
    results = _batch(host, [(command("smbclient", f"//{server}/{share}", "-U", user, "-c", "ls"), password)
                            for password, server, user, share in reads])
    return [names_in(result.stdout) if result.rc == 0 else None for result in results]


def names_in(text: str) -> set[str]:
    """The names of smbclient's ``ls`` output, without . and .."""
    names = set()
    for line in text.splitlines():
        # "  Bauanträge        D        0  Mon Nov 17 10:00:00 2026"
        parts = line.strip().rsplit(None, 7)
        if len(parts) == 8 and parts[0] not in (".", "..") and "blocks of size" not in line:
            names.add(parts[0])
    return names
