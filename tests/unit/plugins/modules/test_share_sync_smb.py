"""share_sync_smb: the pass over a fake SMB share, its check mode, results and findings, and
one sentence when the share cannot be reached."""


import os
import socket
import sys
from typing import ClassVar

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_metadata, smb_source
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry
from ansible_collections.kommunal.umzug.plugins.modules import share_sync_smb

CONTENT = {b"Haushalt/Plan.xlsx": b"plan", b"Wurzel.txt": b"wurzel!"}
ENTRIES = [
    SmbEntry(b"", "dir", attributes=0x10, last_write_ns=10**18, change_ns=1, file_id=1),
    SmbEntry(b"Haushalt", "dir", attributes=0x10, last_write_ns=10**18, change_ns=1, file_id=2),
    SmbEntry(b"Haushalt/Plan.xlsx", "file", size=4, attributes=0x20, last_write_ns=10**18, change_ns=2, file_id=3),
    SmbEntry(b"Wurzel.txt", "file", size=7, attributes=0x20, last_write_ns=10**18, change_ns=3, file_id=4),
    SmbEntry(b"archiv.pst", "file", size=9, attributes=0x1020, file_id=5,
             problems=[("shares.offline_file", "offline: never read")]),
]
READS = []
OPENED = []  # (share, workers) of every share the module connected to


class FakeShare:
    def __init__(self, server, share, creds, **kwargs):
        self.share = share
        self.workers = 1

    def __enter__(self):
        OPENED.append((self.share, self.workers))
        if self.share == "kaputt":
            raise smb_source.SmbSourceError("cannot read the share \\\\fs\\kaputt over SMB: access denied")
        return self

    def __exit__(self, *exc):
        return None

    def walk(self, wants_content=None):
        return iter(ENTRIES)

    def read(self, path, stream=None, **_window):
        READS.append(path)
        yield CONTENT[path]


class FakeAcl:
    """smb_metadata.SambaAcl without Samba: the SDs it was given, by the path's base name."""

    def __init__(self, service):
        self.service = service

    def check(self, target_root=None):
        return None

    def set(self, path, sd, parts):
        SDS.append((self.service, os.fsdecode(os.path.basename(path)), ntacl.parse_sd(sd), parts))


SDS = []


@pytest.fixture
def args(tmp_path, monkeypatch):
    monkeypatch.setattr(smb_source, "SmbShare", FakeShare)
    monkeypatch.setattr(smb_source, "HAS_SMBPROTOCOL", True)
    monkeypatch.setattr(smb_metadata, "SambaAcl", FakeAcl)
    READS.clear()
    SDS.clear()
    return {"share": "kaemmerei", "server": "win-c-fs", "username": "KOMMUNEC\\umzug-backup", "password": "geheim",
            "target_root": str(tmp_path / "target"), "state_path": str(tmp_path / "state.json"),
            "kommune": "kommune-c", "sync_pass": "seed", "target_service": "cranach-kaemmerei"}


def test_check_mode_counts_exactly_reads_nothing_and_the_pass_then_does_that(run_module, args, tmp_path):
    dry = run_module(share_sync_smb.main, args, check=True)
    assert READS == [] and not (tmp_path / "target").exists() and dry["changed"]
    real = run_module(share_sync_smb.main, args)
    assert dry["counts"] == real["counts"] == {"mkdir": 2, "copy": 2, "local": 0, "link": 0, "meta": 0, "delete": 0,
                                                "replaced": 0, "unchanged": 0, "held": 1, "not_deleted": 0,
                                                "not_copied": 0}
    assert dry["bytes"] == real["bytes"] == 11 and sorted(READS) == [b"Haushalt/Plan.xlsx", b"Wurzel.txt"]
    assert real["first"]["copy"] == ["Haushalt/Plan.xlsx", "Wurzel.txt"]
    assert (tmp_path / "target/Wurzel.txt").read_bytes() == b"wurzel!"
    [offline] = real["umzug_findings"]
    assert offline["key"] == "shares.offline_file" and offline["resources"] == ["kaemmerei", "archiv.pst"]
    again = run_module(share_sync_smb.main, {**args, "sync_pass": "delta"})
    assert not again["changed"] and again["counts"]["unchanged"] == 4


def test_with_deletion_off_a_path_the_source_lost_is_kept_and_one_finding(run_module, args, tmp_path):
    run_module(share_sync_smb.main, args)
    (tmp_path / "target/alt.txt").write_bytes(b"alt")
    done = run_module(share_sync_smb.main, {**args, "delete": False})
    assert done["not_deleted"] == ["alt.txt"] and done["counts"]["delete"] == 0 and not done["changed"]
    assert (tmp_path / "target/alt.txt").exists()
    assert [f["key"] for f in done["umzug_findings"]] == ["shares.offline_file", "shares.deletion_held"]
    done = run_module(share_sync_smb.main, args)
    assert done["first"]["delete"] == ["alt.txt"] and not (tmp_path / "target/alt.txt").exists()


def test_a_share_that_cannot_be_reached_fails_with_one_sentence_without_the_password(run_module, args):
    failed = run_module(share_sync_smb.main, {**args, "share": "kaputt"}, fails=True)
    assert failed["msg"] == "share kaputt, seed pass: cannot read the share \\\\fs\\kaputt over SMB: access denied"
    assert "geheim" not in str(failed)


@pytest.mark.parametrize("given, workers", [({}, 2), ({"workers": 1}, 1), ({"workers": 4}, 4)])
def test_the_share_is_read_with_the_workers_asked_for(run_module, args, given, workers):
    OPENED.clear()
    run_module(share_sync_smb.main, {**args, **given})
    assert list(OPENED) == [("kaemmerei", workers)]


def test_no_workers_is_refused(run_module, args):
    failed = run_module(share_sync_smb.main, {**args, "workers": 0}, fails=True)
    assert failed["msg"] == "workers must be 1 or more, not 0"


def test_ntlm_needs_a_password(run_module, args):
    failed = run_module(share_sync_smb.main, {k: v for k, v in args.items() if k != "password"}, fails=True)
    assert "password" in failed["msg"]


# --- the metadata: smb_metadata.apply once per changed object, through smb_sync.TargetMetadata

REAL_SAMBA_ACL = smb_metadata.SambaAcl
OLD, NEW = "S-1-5-21-1111-2222-3333", "S-1-5-21-7777-8888-9999"
MAPPING = {"schema_version": 1, "kommune": "kommune-c", "source_domain_sid": OLD, "target_domain_sid": NEW,
           "users": [{"old_name": "jvogel", "old_sid": f"{OLD}-1105", "new_name": "crn-jvogel",
                      "new_sid": f"{NEW}-1201", "source": "generated"}],
           "groups": [{"old_name": "Kaemmerei", "old_sid": f"{OLD}-1110", "new_name": "crn-kaemmerei",
                       "new_sid": f"{NEW}-1202", "source": "generated"}]}
CREATED = 1_546_398_245 * 10**9 + 1234500
STREAMS = {b"Haushalt/Plan.xlsx": {"Autor": b"J. Vogel"}, b"Haushalt/Gross.bin": {"Vorschau": b"x" * 300}}


def sd(owner, *readers):
    return ntacl.SecurityDescriptor(0x8004, owner, f"{OLD}-513", None, ntacl.Acl(2, tuple(
        ntacl.Ace(0, 0, 0x1200A9, sid) for sid in readers))).to_bytes()


def meta_entries(changed=None):
    """A share whose objects carry what a Windows server gives: SDs, attributes, creation
    times, streams; ``changed``: path -> fields that differ from the seed's."""
    entries = [
        SmbEntry(b"", "dir", attributes=0x10, last_write_ns=10**18, change_ns=1, file_id=1),
        SmbEntry(b"Haushalt", "dir", attributes=0x12, creation_ns=CREATED, last_write_ns=10**18, change_ns=1,
                 file_id=2, sd=sd(f"{OLD}-1105", f"{OLD}-1110", "S-1-1-0")),
        SmbEntry(b"Haushalt/Plan.xlsx", "file", size=4, attributes=0x23, creation_ns=CREATED,
                 last_write_ns=10**18, change_ns=2, file_id=3, streams=(("Autor", 8),),
                 sd=sd(f"{OLD}-1105", f"{OLD}-1106")),
        SmbEntry(b"Haushalt/Gross.bin", "file", size=7, attributes=0x20 | 0x100, creation_ns=CREATED,
                 last_write_ns=10**18, change_ns=3, file_id=4, streams=(("Vorschau", 300),),
                 sd=sd(f"{OLD}-1107", f"{OLD}-1106")),
    ]
    return [SmbEntry(**{**e.__dict__, **(changed or {}).get(e.path, {})}) for e in entries]


class MetaShare(FakeShare):
    entries: ClassVar[list[SmbEntry]] = meta_entries()
    content: ClassVar[dict[bytes, bytes]] = {b"Haushalt/Plan.xlsx": b"plan", b"Haushalt/Gross.bin": b"gross!!"}

    def walk(self, wants_content=None):
        return iter(self.entries)

    def read(self, path, stream=None):
        READS.append((path, stream))
        yield STREAMS[path][stream] if stream else self.content[path]


@pytest.fixture
def meta(args, monkeypatch):
    monkeypatch.setattr(smb_source, "SmbShare", MetaShare)
    monkeypatch.setattr(MetaShare, "entries", meta_entries())
    return {**args, "mapping": MAPPING}


def xattrs(path):
    return {name: os.getxattr(path, name) for name in os.listxattr(path)}


def test_the_metadata_is_written_once_per_changed_object_and_unchanged_ones_are_not_touched(run_module, meta,
                                                                                           tmp_path, monkeypatch):
    run_module(share_sync_smb.main, meta)
    plan = tmp_path / "target/Haushalt/Plan.xlsx"
    assert xattrs(plan) == {"user.DOSATTRIB": smb_metadata.dosattrib(0x23, CREATED, False),
                            "user.DosStream.Autor:$DATA": b"J. Vogel\0"}
    assert xattrs(tmp_path / "target/Haushalt")["user.DOSATTRIB"] == smb_metadata.dosattrib(0x12, CREATED, True)
    # One SD per object, on the target share; a file's on its temporary name before the rename.
    assert [(service, name.startswith(".umzug-part-") or name) for service, name, _sd, _parts in SDS] == \
        [("cranach-kaemmerei", "Haushalt"), ("cranach-kaemmerei", True), ("cranach-kaemmerei", True)]
    haushalt = SDS[0][2]
    assert (haushalt.owner, haushalt.group) == (f"{NEW}-1201", f"{NEW}-513")
    assert [ace.sid for ace in haushalt.dacl.aces] == [f"{NEW}-1202", "S-1-1-0"]
    READS.clear()
    SDS.clear()
    again = run_module(share_sync_smb.main, {**meta, "sync_pass": "delta"})
    assert READS == [] and SDS == [] and not again["changed"] and again["counts"]["unchanged"] == 4
    # Only the attributes of one file changed at the source (its change time moved).
    monkeypatch.setattr(MetaShare, "entries", meta_entries({b"Haushalt/Plan.xlsx": {"attributes": 0x21,
                                                                                     "change_ns": 9}}))
    delta = run_module(share_sync_smb.main, {**meta, "sync_pass": "delta"})
    assert delta["counts"]["meta"] == 1 and delta["first"]["meta"] == ["Haushalt/Plan.xlsx"]
    assert READS == [(b"Haushalt/Plan.xlsx", "Autor")]  # its stream, not its content
    assert [name for _service, name, _sd, _parts in SDS] == ["Plan.xlsx"]
    assert xattrs(plan)["user.DOSATTRIB"] == smb_metadata.dosattrib(0x21, CREATED, False)


@pytest.mark.parametrize("stream_limit, refuse, expected", [
    (65535, None, {
        "shares.attribute_not_carried": ["kaemmerei", "Haushalt/Gross.bin"],
        "shares.sid_unmapped": ["kaemmerei", f"{OLD}-1106", f"{OLD}-1107"],
    }),
    (100, None, {
        "shares.attribute_not_carried": ["kaemmerei", "Haushalt/Gross.bin"],
        "shares.stream_too_large": ["kaemmerei", "Haushalt/Gross.bin"],
        "shares.sid_unmapped": ["kaemmerei", f"{OLD}-1106", f"{OLD}-1107"],
    }),
    (4, "Haushalt", {
        "shares.attribute_not_carried": ["kaemmerei", "Haushalt/Gross.bin"],
        "shares.metadata_not_written": ["kaemmerei", "Haushalt"],
        "shares.stream_too_large": ["kaemmerei", "Haushalt/Gross.bin", "Haushalt/Plan.xlsx"],
        "shares.sid_unmapped": ["kaemmerei", f"{OLD}-1106", f"{OLD}-1107"],
    }),
], ids=["unmapped SIDs and a dropped attribute", "a stream beyond the limit", "Samba refuses an SD"])
def test_what_could_not_be_carried_is_one_finding_per_key_for_the_share(run_module, meta, monkeypatch,
                                                                         stream_limit, refuse, expected):
    accepting = FakeAcl.set

    def refusing(self, path, sd, parts):
        if os.fsdecode(os.path.basename(path)) == refuse:
            raise RuntimeError("NT_STATUS_ACCESS_DENIED")
        accepting(self, path, sd, parts)

    monkeypatch.setattr(FakeAcl, "set", refusing, raising=True)
    done = run_module(share_sync_smb.main, {**meta, "stream_limit": stream_limit})
    found = {f["key"]: f for f in done["umzug_findings"]}
    assert len(found) == len(done["umzug_findings"])  # one per key
    assert {key: f["resources"] for key, f in found.items()} == expected
    unmapped = found["shares.sid_unmapped"]
    assert "2 SID(s) in Windows ACLs of 2 path(s)" in unmapped["summary"]
    assert f"{OLD}-1106, {OLD}-1107" in unmapped["summary"]
    if refuse:
        assert "security descriptor: NT_STATUS_ACCESS_DENIED" in found["shares.metadata_not_written"]["summary"]
    if "shares.stream_too_large" in found:
        assert "stream Vorschau: 300 bytes" in found["shares.stream_too_large"]["summary"]


def test_check_mode_writes_no_metadata_and_reports_the_sids_the_pass_will_keep(run_module, meta, tmp_path):
    dry = run_module(share_sync_smb.main, meta, check=True)
    assert SDS == [] and READS == [] and not (tmp_path / "target").exists()
    real = run_module(share_sync_smb.main, meta)
    assert SDS and READS
    sids = {f["key"]: f for f in real["umzug_findings"]}["shares.sid_unmapped"]
    assert [f for f in dry["umzug_findings"] if f["key"] == "shares.sid_unmapped"] == [sids]


@pytest.mark.parametrize("check", [False, True], ids=["pass", "check mode"])
def test_without_python3_samba_the_module_fails_before_the_pass_with_one_sentence(run_module, meta, monkeypatch,
                                                                                 tmp_path, check):
    monkeypatch.setattr(smb_metadata, "SambaAcl", REAL_SAMBA_ACL)
    monkeypatch.setitem(sys.modules, "samba", None)  # what an RZ file server without python3-samba has
    failed = run_module(share_sync_smb.main, meta, check=check, fails=True)
    assert failed["msg"].startswith(f"on {socket.gethostname()}: Samba's Python bindings (python3-samba) cannot be "
                                    f"imported by {sys.executable}")
    assert "apt-get install python3-samba" in failed["msg"] and "--system-site-packages" in failed["msg"]
    assert "Traceback" not in str(failed) and "exception" not in failed
    assert READS == [] and not (tmp_path / "target").exists() and not (tmp_path / "state.json").exists()


class ServedConf:
    """Samba's loadparm on the RZ file server: the one share the tests' configuration has."""

    configfile = "/etc/samba/smb.conf"

    def __init__(self, paths):
        self.paths = paths

    def get(self, name, service):
        return self.paths.get(service)


@pytest.mark.parametrize("check", [False, True], ids=["pass", "check mode"])
@pytest.mark.parametrize("paths, expected", [
    ({}, "on {host}: Samba's configuration /etc/samba/smb.conf has no share 'cranach-kaemmerei' (target_service) to "
         "set the security descriptors of target_root {root} through; name the share whose path is target_root or a "
         "folder above it"),
    ({"cranach-kaemmerei": "/srv/shares/cranach-bauamt"},
     "on {host}: the Samba share 'cranach-kaemmerei' (target_service) in /etc/samba/smb.conf serves "
     "/srv/shares/cranach-bauamt, which does not hold target_root {root}; name the share whose path is target_root "
     "or a folder above it"),
], ids=["no such share", "another folder"])
def test_a_target_service_that_does_not_serve_target_root_fails_before_the_pass(run_module, meta, monkeypatch,
                                                                                tmp_path, check, paths, expected):
    monkeypatch.setattr(smb_metadata, "SambaAcl", REAL_SAMBA_ACL)
    monkeypatch.setattr(REAL_SAMBA_ACL, "_bindings", lambda self: (None, None, None, None, ServedConf(paths)))
    failed = run_module(share_sync_smb.main, meta, check=check, fails=True)
    assert failed["msg"] == expected.format(host=socket.gethostname(), root=meta["target_root"])
    assert READS == [] and not (tmp_path / "target").exists() and not (tmp_path / "state.json").exists()


def test_a_target_service_serving_a_folder_above_target_root_is_taken(run_module, meta, monkeypatch, tmp_path):
    monkeypatch.setattr(smb_metadata, "SambaAcl", REAL_SAMBA_ACL)
    served = ServedConf({"cranach-kaemmerei": str(tmp_path)})
    monkeypatch.setattr(REAL_SAMBA_ACL, "_bindings", lambda self: (None, None, None, None, served))
    dry = run_module(share_sync_smb.main, meta, check=True)
    assert dry["changed"] and dry["counts"]["copy"] == 2


def test_compression_asked_for_over_smb_is_a_notice_and_the_content_moves_uncompressed(run_module, args, tmp_path):
    done = run_module(share_sync_smb.main, {**args, "compress": True})
    assert (tmp_path / "target/Wurzel.txt").read_bytes() == b"wurzel!"
    notice = next(f for f in done["umzug_findings"] if f["key"] == "shares.compress_unavailable_smb")
    assert notice["severity"] == "low" and not notice["inhibitor"]
    assert "smbprotocol does not negotiate SMB 3.1.1 compression" in notice["summary"]
    assert notice["resources"] == ["kaemmerei", args["server"]]
    plain = run_module(share_sync_smb.main, {**args, "sync_pass": "delta"})
    assert "shares.compress_unavailable_smb" not in [f["key"] for f in plain["umzug_findings"]]


# --- several shares of one file server in one run, one after another


def several(tmp_path, names, **extra):
    return {"shares": [{"share": name, "target_root": str(tmp_path / "rz" / name), "target_service": f"cranach-{name}",
                        "state_path": str(tmp_path / f"{name}.smb-state.json"),
                        "progress_path": str(tmp_path / f"{name}.progress.json")} for name in names],
            "server": "win-c-fs", "username": "KOMMUNEC\\umzug-backup", "password": "geheim",
            "kommune": "kommune-c", "sync_pass": "final", **extra}


def test_several_shares_pass_one_after_another_in_order_each_over_its_own_connection(run_module, args, tmp_path):
    OPENED.clear()
    names = ["kaemmerei", "bauamt", "standesamt"]
    done = run_module(share_sync_smb.main, several(tmp_path, names))
    assert [item["share"] for item in done["shares"]] == names
    assert [(name, 2) for name in names] == OPENED
    assert all(not item["failed"] and item["complete"] and item["counts"]["copy"] == 2 for item in done["shares"])
    for name in names:
        assert (tmp_path / "rz" / name / "Wurzel.txt").read_bytes() == b"wurzel!"
    assert done["changed"] and done["complete"] and "counts" not in done  # one share's fields: single form only
    assert done["umzug_changes"]["counts"]["copy"] == 6
    assert "kaemmerei/Wurzel.txt" in done["umzug_changes"]["items"]["copy"]
    # Each share's findings, named by the share.
    assert [f["resources"][0] for f in done["umzug_findings"]] == names
    again = run_module(share_sync_smb.main, several(tmp_path, names, sync_pass="delta"))
    assert not again["changed"] and [item["counts"]["unchanged"] for item in again["shares"]] == [4, 4, 4]


def test_a_failing_share_is_its_own_result_and_the_next_share_still_passes(run_module, args, tmp_path):
    OPENED.clear()
    failed = run_module(share_sync_smb.main, several(tmp_path, ["bauamt", "kaputt", "kasse"]), fails=True)
    assert [name for name, _workers in OPENED] == ["bauamt", "kaputt", "kasse"]
    bauamt, kaputt, kasse = failed["shares"]
    assert kaputt["failed"] and kaputt["msg"] == ("share kaputt, final pass: cannot read the share \\\\fs\\kaputt "
                                                  "over SMB: access denied")
    assert not bauamt["failed"] and not kasse["failed"] and kasse["counts"]["copy"] == 2
    assert (tmp_path / "rz/kasse/Wurzel.txt").read_bytes() == b"wurzel!"
    assert failed["msg"] == "1 of 3 shares failed: " + kaputt["msg"]
    assert not failed["complete"] and "geheim" not in str(failed)


def test_check_mode_reaches_every_share_and_writes_nothing(run_module, args, tmp_path):
    names = ["kaemmerei", "bauamt"]
    dry = run_module(share_sync_smb.main, several(tmp_path, names), check=True)
    assert READS == [] and not (tmp_path / "rz").exists()
    assert [item["counts"]["copy"] for item in dry["shares"]] == [2, 2] and dry["changed"]
    assert not any((tmp_path / f"{name}.smb-state.json").exists() for name in names)


def test_a_target_service_that_does_not_serve_its_folder_fails_that_share_only(run_module, args, tmp_path,
                                                                               monkeypatch):
    monkeypatch.setattr(smb_metadata, "SambaAcl", REAL_SAMBA_ACL)
    served = ServedConf({"cranach-bauamt": str(tmp_path / "rz/bauamt"), "cranach-kasse": "/srv/shares/anderes"})
    monkeypatch.setattr(REAL_SAMBA_ACL, "_bindings", lambda self: (None, None, None, None, served))
    OPENED.clear()
    dry = run_module(share_sync_smb.main, several(tmp_path, ["kasse", "bauamt"]), check=True, fails=True)
    kasse, bauamt = dry["shares"]
    assert kasse["failed"] and "the Samba share 'cranach-kasse' (target_service)" in kasse["msg"]
    assert not bauamt["failed"] and bauamt["counts"]["copy"] == 2
    assert OPENED == [("bauamt", 2)]  # the share that cannot be written is not read


def test_the_passes_share_the_links_limit_and_each_reports_its_own_bytes(run_module, args, tmp_path):
    done = run_module(share_sync_smb.main, several(tmp_path, ["kaemmerei", "bauamt"],
                                                   bandwidth_schedule={"default": 800}))
    [link] = done["transfer"]
    assert link["limit_bytes_per_s"] == 100_000_000 and link["bytes"] == 22
    assert [item["transfer"][0]["bytes"] for item in done["shares"]] == [11, 11]


def test_once_the_runs_end_time_came_every_share_stops_without_being_read(run_module, args, tmp_path):
    done = run_module(share_sync_smb.main, several(tmp_path, ["kaemmerei", "bauamt"], until="2026-01-01T00:00"))
    assert READS == [] and not done["complete"] and not (tmp_path / "rz").exists()
    assert [(item["complete"], item["stopped"]["reason"]) for item in done["shares"]] == [(False, "until")] * 2
    assert [f["key"] for f in done["umzug_findings"]].count("shares.pass_stopped") == 2


@pytest.mark.parametrize(("given", "message"), [
    ({"shares": []}, "shares is empty"),
    ({"twice": True}, "each share needs its own share"),
    ({"share": "kasse"}, "mutually exclusive"),
], ids=["none", "twice", "both forms"])
def test_what_the_options_cannot_mean_fails_with_one_sentence(run_module, args, tmp_path, given, message):
    OPENED.clear()
    params = several(tmp_path, ["bauamt"])
    if given.pop("twice", False):
        params["shares"] = params["shares"] * 2
    assert message in run_module(share_sync_smb.main, {**params, **given}, fails=True)["msg"]
    assert OPENED == []


def test_an_unexpected_error_in_one_share_is_that_shares_and_named_with_its_kind(run_module, args, tmp_path,
                                                                                  monkeypatch):
    walk = FakeShare.walk

    def breaking(self, wants_content=None):
        if self.share == "bauamt":
            raise RuntimeError("NT_STATUS_INTERNAL_ERROR")
        return walk(self, wants_content)

    monkeypatch.setattr(FakeShare, "walk", breaking)
    failed = run_module(share_sync_smb.main, several(tmp_path, ["bauamt", "kasse"]), fails=True)
    bauamt, kasse = failed["shares"]
    assert bauamt["msg"] == "share bauamt, final pass: RuntimeError: NT_STATUS_INTERNAL_ERROR"
    assert not kasse["failed"] and kasse["seconds"] >= 0 and kasse["counts"]["copy"] == 2
