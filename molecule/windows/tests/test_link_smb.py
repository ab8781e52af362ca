"""The SMB sync on a limited link (converge's link_smb.yml): the rate kept within 10 % of the
limit, and a limit that changes during the pass taking effect there, for content read in
chunks and in the walk's compound alike.

Two measurements each: the pass's own (its result's ``transfer`` and its progress file) and
one apart from umzug's code, the bytes a sampler found on the target every 0.2 s by the RZ
file server's clock. The content on both sides is compared by its hashes, on the RZ file
server over SSH and on the Kommune's file server through podman."""

import subprocess

import pytest

from tests.support.link import MBIT, assert_limit_change_took_effect, assert_steady_limit_kept, line_slope, record

testinfra_hosts = ["ansible://win-rz-fs"]
SOURCE_HOST, SOURCE, TARGET = "win-c-fs", "/srv/umzug-link", "/srv/lab-link-smb"
FILES = 8 + 96
HASHES = "cd {root} && find . -type f ! -name '.umzug-part-*' -print0 | sort -z | xargs -0 sha256sum"


@pytest.mark.parametrize("name", ["steady", "change"])
def test_the_pass_carried_every_file(host, name):
    evidence = record(f"link-smb-{name}.json")
    assert evidence["pass"]["counts"]["copy"] == FILES and evidence["pass"]["bytes"] == evidence["total"]
    source = subprocess.run(["podman", "exec", SOURCE_HOST, "bash", "-c", HASHES.format(root=SOURCE)],
                            check=True, capture_output=True, text=True).stdout
    target = host.check_output(HASHES.format(root=f"{TARGET}/{name}"))
    assert len(source.splitlines()) == FILES and source.strip() == target.strip()


def test_steady_limit_is_kept():
    # Over SMB the pass counts the content read, large files' chunks and small files' compound
    # reads alike.
    assert_steady_limit_kept(record("link-smb-steady.json"), 16 * MBIT, line_slope)


def test_limit_change_takes_effect_during_the_pass():
    assert_limit_change_took_effect(record("link-smb-change.json"), 8 * MBIT, 32 * MBIT, line_slope)
