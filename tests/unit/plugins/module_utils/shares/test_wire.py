"""share_wire: which codec each side takes, and the line that names it."""

import io
import os

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import wire


def which_of(*programs):
    return lambda name: f"/usr/bin/{name}" if name in programs else None


@pytest.mark.parametrize(("offered", "has", "expected"), [
    (["zstd", "gzip"], ("zstd",), "zstd"),
    (["zstd", "gzip"], (), "gzip"),
    (["gzip"], ("zstd",), "gzip"),
    (["zstd"], (), "none"),
    ([], ("zstd",), "none"),
], ids=["both have zstd", "source without zstd", "rz without zstd", "zstd only offered, none here", "nothing offered"])
def test_the_sender_takes_the_first_offered_codec_it_can_make(offered, has, expected):
    assert wire.choose(offered, which_of(*has)) == expected


def test_the_rz_side_offers_zstd_only_where_it_has_it():
    assert wire.offered(which_of("zstd")) == ["zstd", "gzip"]
    assert wire.offered(which_of()) == ["gzip"]


@pytest.mark.parametrize(("data", "expected"), [
    (b"umzug-codec zstd\n(zstd frame)", "zstd"),
    (b"umzug-codec none\nustar...", "none"),
    (b"", ValueError),
    (b"Traceback (most recent call last):\n", ValueError),
    (b"umzug-codec lz4\n", ValueError),
    (b"umzug-codec " + b"z" * 100, ValueError),
], ids=["zstd", "none", "nothing", "not a header", "unknown codec", "no end of line"])
def test_the_header_names_the_codec_and_nothing_of_the_stream_after_it_is_read(data, expected):
    reading, writing = os.pipe()
    os.write(writing, data)
    os.close(writing)
    try:
        if expected is ValueError:
            with pytest.raises(ValueError):
                wire.read_header(reading)
        else:
            assert wire.read_header(reading) == expected
            assert os.read(reading, 100) == data.split(b"\n", 1)[1]
    finally:
        os.close(reading)


def test_the_raw_size_is_taken_from_the_senders_lines_and_the_rest_kept():
    lines = ["zstd: warning", wire.report_line(4096).decode().strip(), "other"]
    assert wire.raw_from(lines) == (4096, ["zstd: warning", "other"])
    assert wire.raw_from(["other"]) == (None, ["other"])


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_what_the_sender_compresses_the_rz_side_decompresses(tmp_path, codec):
    """send_compressed on a real folder, its stream through the RZ side's decompressor: a tar
    stream that tar lists."""
    import subprocess

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Antrag.txt").write_bytes(b"Antrag auf Baugenehmigung\n" * 1000)
    out = tmp_path / "stream"
    report = io.BytesIO()
    with out.open("wb") as handle:
        used = wire.send_compressed(os.fsencode(tmp_path / "src"), io.BytesIO(b"fAntrag.txt\0"), [codec],
                                    handle.fileno(), report)
    assert used == codec
    data = out.read_bytes()
    assert data.startswith(wire.header(codec)) and len(data) < 26_000 // 4
    raw, _other = wire.raw_from(report.getvalue().decode().splitlines())
    plain = subprocess.run(wire.decompressor(codec), input=data[len(wire.header(codec)):], capture_output=True,
                           check=True).stdout
    assert len(plain) == raw and raw % 512 == 0
    listed = subprocess.run(["tar", "-tvf", "-"], input=plain, capture_output=True, check=True).stdout
    assert b"Antrag.txt" in listed and b"26000" in listed
