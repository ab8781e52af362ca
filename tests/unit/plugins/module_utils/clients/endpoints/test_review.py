import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    KEY_UNMANAGED,
    scan_for_hosts,
    unified_diff,
    unmanaged_reference_finding,
)


def test_unified_diff_of_a_crlf_utf16_file(mapping):
    before = "\ufeff[Server]\r\nHost=kommune-a-fs\r\nPort=1\r\n".encode("utf-16-le")
    after, _changes = FORMATS["ini"].rewrite(before, [{"section": "Server", "key": "Host"}], mapping)
    assert unified_diff("C:/Melde/melde.ini", before, after) == (
        "--- C:/Melde/melde.ini\n+++ C:/Melde/melde.ini\n@@ -1,3 +1,3 @@\n"
        " [Server]\r\n-Host=kommune-a-fs\r\n+Host=rz-fs\r\n Port=1\r\n")


def test_unified_diff_marks_a_missing_final_newline():
    assert unified_diff("a.ini", b"Host=a", b"Host=b") == (
        "--- a.ini\n+++ a.ini\n@@ -1 +1 @@\n-Host=a\n\\ No newline at end of file\n"
        "+Host=b\n\\ No newline at end of file\n")


def test_unified_diff_of_identical_files_is_empty():
    assert unified_diff("a.ini", b"x\n", b"x\n") == ""


SCRIPT = (b"@echo off\r\n"
          b"set FS=KOMMUNE-A-FS\r\n"
          b"copy x \\\\kommune-a-fs.kommune-a.local\\daten\r\n"
          b"ping kommune-a-fs2\r\n"
          b"ping 10.20.1.150 & ping 10.20.1.15\r\n"
          b"rem M\x84rz\r\n")


def test_scan_finds_whole_names_and_ips_only(mapping):
    assert scan_for_hosts(SCRIPT, mapping.old_names) == [
        (2, "set FS=KOMMUNE-A-FS"), (3, "copy x \\\\kommune-a-fs.kommune-a.local\\daten"),
        (5, "ping 10.20.1.150 & ping 10.20.1.15")]


def test_scan_reads_utf16_by_its_bom():
    data = "\ufeff\"Server\"=\"kommune-a-fs\"\r\n".encode("utf-16-le")
    assert scan_for_hosts(data, ["kommune-a-fs"]) == [(1, '"Server"="kommune-a-fs"')]


def test_scan_needs_names():
    with pytest.raises(ValueError, match="no host names"):
        scan_for_hosts(b"x", [])


def test_unmanaged_reference_finding():
    finding = unmanaged_reference_finding("C:/Skripte/alt.cmd", [(2, "set FS=KOMMUNE-A-FS"), (3, "x")],
                                          kommune="kommune-a")
    assert (finding.key, finding.payload) == (KEY_UNMANAGED, "clients")
    assert finding.resources == ("C:/Skripte/alt.cmd",)
    assert finding.summary == ("C:/Skripte/alt.cmd: line(s) 2, 3 name an old server, "
                               "e.g. 'set FS=KOMMUNE-A-FS'")
