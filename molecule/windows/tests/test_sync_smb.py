"""The SMB sync of the Windows-like Kommune's share as converge ran it (tasks/sync_smb.yml):
the target on win-rz-fs against the source on win-c-fs, compared independently of umzug
(sha256sum on both sides: over SSH on the RZ file server, through podman on the Kommune's
file server, which umzug never logs on to; smbcacls and smbclient allinfo of both shares as
served, the source's read as the backup operator from the RZ file server; getfattr of the
DOS attributes and streams on both disks), and what each pass said it did.
"""

import json
import re
import struct
import subprocess

import pytest

from tests.acceptance.remote import run_with_password
from tests.support.lab import admin_password, password

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


# --- the metadata, as Samba serves it on both sides -----------------------------------------

WORKGROUP, SHARE, TARGET_SERVICE = "KOMMUNEC", "kaemmerei", "lab-sync-smb"
PLAN = "Haushalt/Haushaltsplan 2024.xlsx"
PROTECTED = "Personal/Vertraulich"
DEEP = "Projekte/" + "/".join(f"Ebene{n:02d}" for n in range(1, 13))
META = "Belege/2024/Beleg-0003.txt"
ATTRIBUTES = ["Attribute/versteckt.txt", "Attribute/system.dat", "Attribute/schreibgeschützt.txt",
              "Attribute/archiv.txt", "Attribute/ohne Archivbit.txt", "Attribute/alle vier.txt"]
# Objects with every kind of security descriptor the seed gives: the root's, inherited ones
# (one level and twelve deep), explicit ones on a folder with broken inheritance and below it.
# (Haushalt/Jahresabschluss 2019.pdf is not among them: Samba serves a symlink to it as the
# same file, a reparse point the passes hold.)
SD_PATHS = ["", "Haushalt", PLAN, "Personal/Dienstplan.txt", "Attribute/alle vier.txt", PROTECTED,
            f"{PROTECTED}/Gehaltsliste.txt", DEEP, f"{DEEP}/Ganz unten.txt", META]
DOSATTRIB_V5 = struct.Struct("<BBHHHIIQ")


def source_tool(host, tool, *args):
    """A Samba tool against the source share as served, as the backup operator, from the RZ file server."""
    outcome = run_with_password(host, password(WORKGROUP, "umzug-backup"),
                                [tool, f"//{SOURCE_HOST}/{SHARE}", *args, "-U", f"{WORKGROUP}\\umzug-backup"])
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    return outcome.stdout


def target_tool(host, tool, *args):
    """The same against the target share as the RZ file server serves it, as its administrator."""
    outcome = run_with_password(host, admin_password("RZ"),
                                [tool, "//win-rz-fs/" + TARGET_SERVICE, *args, "-U", "RZ\\Administrator"])
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    return outcome.stdout


@pytest.fixture(scope="module")
def mapping(host):
    return json.loads(host.file(f"{RECORD}/mapping.json").content_string)


@pytest.fixture(scope="module")
def translate(mapping):
    """The identity mapping's rule, restated: an entry's new SID, a well-known RID of the
    Kommune's domain in the RZ's domain, anything else as it was."""
    by_old = {e["old_sid"]: e["new_sid"] for section in ("users", "groups") for e in mapping[section]}

    def new(sid):
        domain, _dash, rid = sid.rpartition("-")
        if sid in by_old:
            return by_old[sid]
        if domain == mapping["source_domain_sid"] and int(rid) < 1000:
            return f"{mapping['target_domain_sid']}-{rid}"
        return sid
    return new


def sd_fields(text):
    fields, aces = {}, []
    for line in text.splitlines():
        name, _colon, value = line.partition(":")
        if name == "ACL":
            aces.append(value)
        elif name in ("OWNER", "GROUP", "CONTROL"):
            fields[name] = value
    return fields, aces


@pytest.mark.parametrize("path", SD_PATHS, ids=[p or "root" for p in SD_PATHS])
def test_the_security_descriptor_as_served_is_the_sources_with_the_sids_translated(host, translate, path):
    source, source_aces = sd_fields(source_tool(host, "smbcacls", path, "--numeric"))
    target, target_aces = sd_fields(target_tool(host, "smbcacls", path, "--numeric"))
    assert (target["OWNER"], target["GROUP"]) == (translate(source["OWNER"]), translate(source["GROUP"]))
    expected = []
    for ace in source_aces:
        sid, _colon, rest = ace.partition(":")
        expected.append(f"{translate(sid)}:{rest}")
    assert target_aces == expected
    # DACL protected and auto-inherited as at the source (the folder with broken inheritance).
    assert int(target["CONTROL"], 16) & 0x1400 == int(source["CONTROL"], 16) & 0x1400


def test_the_kommunes_mapped_sids_are_gone_from_the_target_and_the_backup_operator_is_kept_and_reported(
        host, mapping, translate):
    backup = on_source(f"wbinfo -n '{WORKGROUP}\\umzug-backup'").split()[0].decode()
    root = sd_fields(target_tool(host, "smbcacls", "", "--numeric"))[1]
    sids = {ace.partition(":")[0] for ace in root}
    assert backup in sids
    assert not sids & {e["old_sid"] for section in ("users", "groups") for e in mapping[section]}
    # The department's group, translated; the mapping holds the domain's other groups too.
    [kaemmerei] = [e["new_sid"] for e in mapping["groups"] if e["old_name"] == "Kaemmerei"]
    assert kaemmerei in sids
    record_ = record(host, "meta")
    for name in ("seed_findings", "dry_findings"):
        [unmapped] = [f for f in record_[name] if f["key"] == "shares.sid_unmapped"]
        assert backup in unmapped["resources"]
        assert not set(unmapped["resources"]) & {e["old_sid"] for s in ("users", "groups") for e in mapping[s]}
        assert not any(sid.startswith(mapping["source_domain_sid"] + "-") and int(sid.rpartition("-")[2]) < 1000
                       for sid in unmapped["resources"][1:])


def allinfo_fields(text):
    return {"attributes": re.search(r"^attributes: .*\((\w+)\)$", text, re.M).group(1),
            "create_time": re.search(r"^create_time:\s+(.+)$", text, re.M).group(1)}


@pytest.mark.parametrize("path", [*ATTRIBUTES, PLAN, "Haushalt", PROTECTED])
def test_attributes_and_creation_time_as_served_are_the_sources(host, path):
    source = allinfo_fields(source_tool(host, "smbclient", "-c", f'allinfo "{path}"'))
    target = allinfo_fields(target_tool(host, "smbclient", "-c", f'allinfo "{path}"'))
    assert target == source


def dosattrib(blob_hex):
    _hex, _pad, version, level, _pad2, valid, attributes, created = DOSATTRIB_V5.unpack(bytes.fromhex(blob_hex))
    assert (version, level) == (5, 5)
    return attributes, created if valid & 0x10 else None


def xattrs_of(output: bytes) -> dict[str, str]:
    """``getfattr -d -m - -e hex`` of one path: name -> hex value."""
    found = {}
    for line in output.decode("utf-8", "surrogateescape").splitlines():
        name, equals, value = line.partition("=")
        if equals:
            found[name] = value.removeprefix("0x")
    return found


@pytest.mark.parametrize("path", [*ATTRIBUTES, PLAN, "Haushalt"])
def test_the_dosattrib_on_the_target_holds_the_sources_attributes_and_creation_time(host, path):
    dump = "getfattr -d -m - -e hex {root}/'{path}'"
    source = dosattrib(xattrs_of(on_source(dump.format(root=SOURCE, path=path)))["user.DOSATTRIB"])
    target = dosattrib(xattrs_of(on_target(host, dump.format(root=TARGET, path=path)))["user.DOSATTRIB"])
    # Samba keeps read-only, hidden, system, archive and the directory bit.
    assert (target[0], target[1]) == (source[0] & 0x37, source[1])


@pytest.mark.parametrize("stream", ["Autor", "Zone.Identifier"])
def test_the_streams_are_on_the_target_in_streams_xattrs_form_with_the_sources_content(host, stream):
    local = f"/var/tmp/umzug-lab-stream-{stream}"
    source_tool(host, "smbclient", "-c", f'get "{PLAN}:{stream}" {local}')
    content = host.file(local).content
    target = xattrs_of(on_target(host, f"getfattr -d -m - -e hex {TARGET}/'{PLAN}'"))
    assert bytes.fromhex(target[f"user.DosStream.{stream}:$DATA"]) == content + b"\0"
    served = dict(re.findall(r"^stream: \[(.*)\], (\d+) bytes$",
                             target_tool(host, "smbclient", "-c", f'allinfo "{PLAN}"'), re.M))
    assert served[f":{stream}:$DATA"] == str(len(content))


def test_the_stream_beyond_the_limit_is_not_on_the_target_and_is_a_finding(host):
    target = xattrs_of(on_target(host, f"getfattr -d -m - -e hex {TARGET}/'{PLAN}'"))
    assert "user.DosStream.Vorschau:$DATA" not in target
    [too_large] = [f for f in record(host, "meta")["seed_findings"] if f["key"] == "shares.stream_too_large"]
    assert too_large["resources"] == [SHARE, PLAN] and "stream Vorschau: 1048576 bytes" in too_large["summary"]


def test_a_metadata_only_change_is_carried_without_reading_the_content(host):
    meta = record(host, "meta")
    assert meta["counts"]["meta"] == 1 and meta["first"]["meta"] == [META]
    assert meta["counts"]["copy"] == 0 and meta["bytes"] == 0
    assert meta["inode_after"] == meta["inode_before"]  # the same file, not a new copy renamed into place
    source = allinfo_fields(source_tool(host, "smbclient", "-c", f'allinfo "{META}"'))
    assert int(source["attributes"], 16) & 0x2
    assert allinfo_fields(target_tool(host, "smbclient", "-c", f'allinfo "{META}"')) == source
