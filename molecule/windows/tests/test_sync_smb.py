"""The SMB sync of the Windows-like Kommune's share as converge ran it (tasks/sync_smb.yml):
the target on win-rz-fs against the source on win-c-fs, compared independently of umzug
(sha256sum on both sides: over SSH on the RZ file server, through podman on the Kommune's
file server, which umzug never logs on to), and what each pass said it did.
"""

import json
import subprocess

import pytest

testinfra_hosts = ["ansible://win-rz-fs"]
SOURCE_HOST = "win-c-fs"
SOURCE = "/srv/shares/kaemmerei"
TARGET = "/srv/lab-sync-smb/kaemmerei"
RECORD = "/var/lib/umzug-lab/sync-smb"
LOCKED = "Offen/Haushaltsplan in Bearbeitung.xlsx"
OFFLINE = "Archiv/Altakte 1998.pdf"
LARGE = "Umzugsprobe/Gross.bin"
CHANGED = "Umzugsprobe/Notiz.txt"
# Every file, and every symlink Samba serves as the file it points to, with its content's
# hash; sha256sum follows a symlink, and one out of the share (a folder) has no hash.
HASHES = (r"cd {root} && find . \( -type f -o -type l \) ! -name '.umzug-part-*' -print0"
          r" | xargs -0 -r sha256sum --zero 2>/dev/null || true")
PARTS = r"find {root} -name '.umzug-part-*' -print"


def parse(output: bytes) -> dict[str, str]:
    hashes = {}
    for line in output.split(b"\0"):
        if line:
            digest, _dummy, path = line.partition(b"  ")
            hashes[path.decode("utf-8", "surrogateescape").removeprefix("./")] = digest.decode()
    return hashes


def on_source(command: str) -> bytes:
    result = subprocess.run(["podman", "exec", SOURCE_HOST, "bash", "-c", command], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def on_target(host, command: str) -> bytes:
    result = host.run(command)
    assert result.rc == 0, result.stderr
    return result.stdout_bytes


@pytest.fixture(scope="module")
def source():
    return parse(on_source(HASHES.format(root=SOURCE)))


@pytest.fixture(scope="module")
def target(host):
    return parse(on_target(host, HASHES.format(root=TARGET)))


def record(host, name: str) -> dict:
    return json.loads(host.file(f"{RECORD}/{name}.json").content_string)


def held_paths(result: dict) -> set[str]:
    return {path for resources in result["held"] for path in resources[1:]}


def test_every_file_on_the_target_has_the_sources_content(source, target):
    assert len(target) > 300
    differ = sorted(path for path, digest in target.items() if source.get(path) != digest)
    assert differ == []


def test_what_the_target_lacks_is_what_the_passes_reported_they_could_not_read(host, source, target):
    held = held_paths(record(host, "seed"))
    assert {LOCKED, OFFLINE} <= held
    missing = {path for path in source if path not in target}
    assert missing and all(path in held or any(path.startswith(h + "/") for h in held) for path in missing), \
        sorted(missing - held)


def test_the_dry_run_counted_exactly_what_the_seed_then_did(host):
    dry, seed = record(host, "dry"), record(host, "seed")
    assert dry["counts"] == seed["counts"] and dry["bytes"] == seed["bytes"]
    assert seed["counts"]["copy"] > 300 and seed["bytes"] >= 48 << 20
    assert {"shares.file_locked", "shares.offline_file"} <= set(seed["findings"])


def test_the_delta_pass_copied_only_the_file_changed_at_the_source(host):
    delta, killed = record(host, "delta"), record(host, "killed")
    assert delta["first"]["copy"] == [CHANGED] and delta["counts"]["copy"] == 1
    assert delta["bytes"] == killed["delta_changed_size"]
    assert all(delta["counts"][kind] == 0 for kind in ("mkdir", "local", "link", "delete", "replaced"))


def test_a_pass_killed_mid_copy_left_the_old_file_under_its_name_and_the_next_pass_completed_it(host, source, target):
    killed = record(host, "killed")
    assert killed["killed"]["finished"] is True and killed["killed"]["returned"] is False
    assert killed["killed"]["part"].startswith(f"{TARGET}/Umzugsprobe/.umzug-part-")
    assert killed["killed"]["parts_left"] >= 1
    # Under the real name the whole old content, never half of the new.
    assert killed["killed"]["target_sha256"] == killed["killed"]["seed_sha256"] != source[LARGE]
    assert LARGE in killed["final"]["first"]["copy"]
    assert target[LARGE] == source[LARGE]
    assert on_target(host, PARTS.format(root=TARGET)) == b""


def in_100ns(stat_output: bytes) -> int:
    """``stat -c %.9Y`` in the unit SMB carries times in (100 ns)."""
    seconds, _dot, fraction = stat_output.strip().decode().partition(".")
    return (int(seconds) * 10**9 + int(fraction.ljust(9, "0"))) // 100


@pytest.mark.parametrize("path", [LARGE, CHANGED])
def test_modification_times_are_the_sources_to_the_100_ns_smb_carries(host, path):
    stat = "stat -c %.9Y {root}/'{path}'"
    assert in_100ns(on_target(host, stat.format(root=TARGET, path=path))) == \
        in_100ns(on_source(stat.format(root=SOURCE, path=path)))
