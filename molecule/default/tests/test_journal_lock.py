"""The Kommune's lock across controllers: two containers sharing one folder of this machine take
the same Kommunen's locks at the same moments, round by round, through the journal code, and
exactly one wins each round (lab/journal_lock_race.py; docs/awx.md "The lock across controllers").

Two containers are two PID namespaces and two host names on one kernel, as two execution nodes
are to each other; what this cannot show is NFS between two machines (docs/awx.md says so).
The second case gives both containers the same host name: both run the race as PID 1, and only
the PID namespace in the lock tells the two runs apart.
"""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
IMAGE = "localhost/umzug-lab-samba:latest"
ROUNDS = 150


def controller(name: str, hostname: str, shared: Path, me: str, peer: str) -> subprocess.Popen:
    command = ["podman", "run", "--rm", "--name", name, "--hostname", hostname, "--network", "none",
               "-v", f"{ROOT}:/src:ro", "-v", f"{shared}:/shared", "-e", "PYTHONPATH=/src/collections",
               IMAGE, "python3", "/src/lab/journal_lock_race.py", "--shared", "/shared", "--me", me,
               "--peer", peer, "--rounds", str(ROUNDS)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize(("host_a", "host_b"), [("ctl-a", "ctl-b"), ("controller", "controller")],
                         ids=["two-host-names", "one-host-name-two-pid-namespaces"])
def test_two_controllers_on_one_folder_never_both_hold_a_kommune(tmp_path, host_a, host_b):
    shared = tmp_path / "shared"
    shared.mkdir()
    tag = uuid.uuid4().hex[:8]
    runs = [controller(f"umzug-lock-race-{tag}-a", host_a, shared, "a", "b"),
            controller(f"umzug-lock-race-{tag}-b", host_b, shared, "b", "a")]
    for run in runs:
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, output
    a, b = (json.loads((shared / f"result-{me}.json").read_text()) for me in ("a", "b"))
    assert a["owner"]["pid_ns"] != b["owner"]["pid_ns"]  # two containers, not one
    assert a["owner"]["boot_id"] == b["owner"]["boot_id"]  # on one kernel

    both = set(a["won"]) & set(b["won"])
    neither = set(range(ROUNDS)) - set(a["won"]) - set(b["won"])
    assert not both, f"rounds both controllers won: {sorted(both)}"
    assert not neither, f"rounds nobody won: {sorted(neither)}"
    # Each refusal names the other controller's host and says its lock is never taken over.
    for loser, winner in ((a, b), (b, a)):
        for message in loser["refused"].values():
            assert f"on {winner['host']}, another" in message and "never taken over" in message, message
    # Each lock file names the one winner of its round.
    for number in range(ROUNDS):
        lock = json.loads((shared / "journal" / "wave-1" / f"k{number}.lock").read_text())
        winner = a if number in a["won"] else b
        assert (lock["host"], lock["pid_ns"]) == (winner["host"], winner["owner"]["pid_ns"])
    print(f"{host_a}/{host_b}: {len(a['won'])} and {len(b['won'])} of {ROUNDS} rounds won, none twice "
          f"(pid {a['owner']['pid']} and {b['owner']['pid']})", file=sys.stderr)
