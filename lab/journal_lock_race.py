#!/usr/bin/env python3
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One controller of a race for the Kommune's lock (docs/awx.md "The lock across controllers").

Runs inside a container that shares a folder with another container, as two AWX execution
nodes share the journal folder. Round by round both take the lock of a Kommune of their own
(``k<round>``) through the journal code (plugins/plugin_utils/wave/journal.py), starting at
the same moment (a barrier of files in the shared folder), and write which rounds they won and
what the refusals said to ``<shared>/result-<me>.json``. The caller checks that exactly one
controller won each round (molecule/default/tests/test_journal_lock.py).

    python3 lab/journal_lock_race.py --shared /shared --me a --peer b --rounds 100
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time
from pathlib import Path

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.journal import (
    Journal,
    JournalError,
    Owner,
    PhaseRules,
)

RULES = PhaseRules(phases=("cutover",), refused_after_finalize=())


def wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"the other controller never reached {path.name}")
        time.sleep(0.0005)


def race(shared: Path, me: str, peer: str, rounds: int) -> dict:
    ready = shared / "ready"
    ready.mkdir(parents=True, exist_ok=True)
    owner = Owner.current(os.getpid())
    won, refused = [], {}
    for number in range(rounds):
        (ready / f"{number}.{me}").touch()
        wait_for(ready / f"{number}.{peer}")
        try:
            Journal(shared / "journal", 1, f"k{number}", RULES).begin(owner, "cutover")
            won.append(number)
        except JournalError as err:
            refused[number] = str(err)
    return {"me": me, "host": socket.gethostname(), "owner": owner.to_dict(), "won": won, "refused": refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True)
    parser.add_argument("--me", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    result = race(args.shared, args.me, args.peer, args.rounds)
    (args.shared / f"result-{args.me}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
