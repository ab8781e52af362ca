"""SMB as the Kommune's people use it: smbclient on a workstation, one log-on per user and
server, the password only in the environment (remote.run_with_password)."""

from __future__ import annotations

from tests.acceptance.remote import run_with_password

# Lists each share given and prints "<share> <exit code>"; smbclient reads $PASSWD.
_LIST_EACH = 'server=$1; user=$2; shift 2; for s in "$@"; do smbclient "//$server/$s" -U "$user" -c ls ' \
             '>/dev/null 2>&1; echo "$s $?"; done'


def can_list(host, secret: str, server: str, user: str, shares: list[str]) -> dict[str, bool]:
    """Whether ``user`` can list each share's root on ``server``."""
    outcome = run_with_password(host, secret, ["bash", "-c", _LIST_EACH, "list", server, user, *shares])
    found = dict(line.rsplit(" ", 1) for line in outcome.stdout.splitlines() if " " in line)
    return {share: found.get(share) == "0" for share in shares}


def listing(host, secret: str, server: str, user: str, share: str):
    """The names in a share's root as ``user`` sees them, or None if the share cannot be opened."""
    outcome = run_with_password(host, secret, ["smbclient", f"//{server}/{share}", "-U", user, "-c", "ls"])
    if outcome.rc != 0:
        return None
    names = set()
    for line in outcome.stdout.splitlines():
        # "  Bauanträge        D        0  Mon Nov 17 10:00:00 2026"
        parts = line.strip().rsplit(None, 7)
        if len(parts) == 8 and parts[0] not in (".", "..") and "blocks of size" not in line:
            names.add(parts[0])
    return names


def logs_on(host, secret: str, server: str, user: str) -> bool:
    return run_with_password(host, secret, ["smbclient", f"//{server}/IPC$", "-U", user, "-c", "exit"]).rc == 0
