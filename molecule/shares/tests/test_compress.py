"""Compression on the wire (converge's compress.yml): the same tree of office-like documents
and already-compressed files pulled three times from the Kommune's file server, with zstd,
with gzip where the Kommune's server has no zstd, and uncompressed.

Content is compared by SHA-256 on both sides; the bytes on the wire are the pass's own figure
and, apart from umzug's code, what the Kommune's file server's eth0 counted as sent during
each pass."""

import json
import os
from pathlib import Path

import pytest
import testinfra

RECORD = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "shares"
SOURCE = "/srv/compress-probe"
# The largest share of the office part's bytes each codec may leave (bench/compress_codecs.py
# measured 0.24 for zstd -3 and 0.30 for zlib level 1 on the same kind of data).
LEFT = {"zstd": 0.35, "gzip": 0.40}


def record(name):
    return json.loads((RECORD / f"compress-{name}.json").read_text(encoding="utf-8"))


def host(name):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture(scope="module")
def source():
    return host("shr-a-fs")


@pytest.fixture(scope="module")
def target():
    return host("shr-rz-fs")


def sums(machine, root):
    listing = machine.check_output(f"cd {root} && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum")
    return listing.splitlines()


def part_bytes(source, part):
    return int(source.check_output(f"du -sb --apparent-size {SOURCE}/{part}").split()[0])


@pytest.mark.parametrize("name", ["zstd", "gzip", "plain"])
def test_every_pass_brings_the_same_content(source, target, name):
    expected = sums(source, SOURCE)
    assert len(expected) > 50 and sums(target, f"{SOURCE}/{name}") == expected


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_a_compressed_pass_leaves_the_office_part_a_fraction_of_its_bytes_on_the_wire(source, codec):
    stream = record(codec)["pass"]["stream"]
    office, packed = part_bytes(source, "office"), part_bytes(source, "packed")
    assert stream["compress"] is True and stream["codec"] == codec and stream["offered"] == ["zstd", "gzip"]
    # The raw stream holds the content and tar's headers; the packed files cross as they are.
    assert office + packed <= stream["raw_bytes"] <= (office + packed) * 1.01
    assert packed < stream["wire_bytes"] < packed + office * LEFT[codec], (stream, office, packed)


def test_the_uncompressed_pass_puts_its_raw_stream_on_the_wire(source):
    stream = record("plain")["pass"]["stream"]
    assert stream["compress"] is False and stream["codec"] == "none"
    assert stream["raw_bytes"] == stream["wire_bytes"] == record("zstd")["pass"]["stream"]["raw_bytes"]


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_fewer_bytes_left_the_kommunes_file_server(source, codec):
    """Apart from umzug's figures: eth0's sent bytes during the pass, against the uncompressed one."""
    compressed, plain = record(codec), record("plain")
    office = part_bytes(source, "office")
    # The uncompressed pass sent all of its stream (and TCP's and SSH's own bytes).
    assert plain["sent"] >= plain["pass"]["stream"]["wire_bytes"]
    # The compressed one sent its wire bytes and the same overhead, saving most of the office part.
    assert compressed["pass"]["stream"]["wire_bytes"] <= compressed["sent"]
    assert compressed["sent"] < plain["sent"] - office * (1 - LEFT[codec]), (compressed["sent"], plain["sent"])


def test_only_the_pass_without_zstd_on_the_source_is_a_notice_and_the_source_keeps_its_zstd(source):
    keys = {name: [f["key"] for f in record(name)["pass"]["umzug_findings"]] for name in ("zstd", "gzip", "plain")}
    assert "shares.compress_fallback" not in keys["zstd"] + keys["plain"]
    [notice] = [f for f in record("gzip")["pass"]["umzug_findings"] if f["key"] == "shares.compress_fallback"]
    assert notice["severity"] == "info" and "has no zstd" in notice["summary"]
    assert "gzip (zlib level 1)" in notice["summary"]
    assert source.file("/usr/bin/zstd").mode == 0o755
