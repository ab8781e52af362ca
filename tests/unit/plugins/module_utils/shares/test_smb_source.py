"""smb_source: wire structures, times, stream names, classification, error translation,
and the walk's handling of sharing violations and SACL refusals (with a fake server)."""

import os
import struct

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_source as s


def dir_entry(name, attributes=0x20, size=5, file_id=7, ea=0, created=133_000_000_000_000_000, last=True):
    encoded = name.encode("utf-16-le")
    body = s.DIR_ENTRY.pack(0, 0, created, created + 1, created + 2, created + 3, size, 4096, attributes,
                            len(encoded), ea, 0, 0, b"\0" * 24, 0, file_id) + encoded
    pad = (-len(body)) % 8
    if last:
        return body
    return struct.pack("<I", len(body) + pad) + body[4:] + b"\0" * pad


def stream_entry(name, size, last=True):
    encoded = name.encode("utf-16-le")
    body = s.STREAM_ENTRY.pack(0, len(encoded), size, size) + encoded
    pad = (-len(body)) % 8
    return body if last else struct.pack("<I", len(body) + pad) + body[4:] + b"\0" * pad


@pytest.mark.parametrize("filetime, ns", [
    (0, None),
    (116444736000000000, 0),
    (116444736000000001, 100),
    (133_000_000_000_000_000, (133_000_000_000_000_000 - 116444736000000000) * 100),
])
def test_filetime_ns(filetime, ns):
    assert s.filetime_ns(filetime) == ns


def test_parse_directory_reads_every_field_and_the_reparse_tag_only_for_reparse_points():
    buffer = dir_entry("a.txt", last=False) + dir_entry("link", attributes=0x410, ea=0xA000000C, file_id=9) \
        + b""
    entries = s.parse_directory(buffer)
    assert [e["name"] for e in entries] == ["a.txt", "link"]
    assert entries[0]["creation"] == 133_000_000_000_000_000 and entries[0]["change"] == 133_000_000_000_000_003
    assert entries[0]["reparse_tag"] == 0 and entries[0]["size"] == 5 and entries[0]["file_id"] == 7
    assert entries[1]["reparse_tag"] == 0xA000000C and entries[1]["file_id"] == 9


def test_parse_directory_ignores_ea_size_of_ordinary_files():
    assert s.parse_directory(dir_entry("x", ea=44))[0]["reparse_tag"] == 0


@pytest.mark.parametrize("raw, named", [
    ([("::$DATA", 15)], ()),
    ([("::$DATA", 15), (":Zone.Identifier:$DATA", 26)], (("Zone.Identifier", 26),)),
    ([(":b:$DATA", 1), (":a:$DATA", 2)], (("a", 2), ("b", 1))),
    ([(":Übersicht:$DATA", 3)], (("Übersicht", 3),)),
])
def test_named_streams(raw, named):
    assert s.named_streams(raw) == named


def test_parse_streams_walks_the_chain():
    buffer = stream_entry("::$DATA", 15, last=False) + stream_entry(":Zone.Identifier:$DATA", 26)
    assert s.parse_streams(buffer) == [("::$DATA", 15), (":Zone.Identifier:$DATA", 26)]


@pytest.mark.parametrize("name, xattr", [
    ("Zone.Identifier", "user.DosStream.Zone.Identifier:$DATA"),
    ("com.apple.metadata", "user.DosStream.com.apple.metadata:$DATA"),
])
def test_stream_xattr_is_what_streams_xattr_serves(name, xattr):
    assert s.stream_xattr(name) == xattr


def test_parse_standard_gives_the_link_count():
    assert s.parse_standard(struct.pack("<qqIBBH", 4096, 5, 3, 0, 0, 0)) == 3
    assert s.parse_standard(b"") == 1


@pytest.mark.parametrize("attributes, tag, kind, keys", [
    (0x20, 0, "file", []),
    (0x10, 0, "dir", []),
    (0x410, 0xA0000003, "reparse", ["shares.reparse_point"]),
    (0x420, 0xA000000C, "reparse", ["shares.reparse_point"]),
    (0x420, 0x80000013, "file", []),  # a deduplicated file is a file to any client
    (0x1020, 0, "file", ["shares.offline_file"]),
    (0x400020, 0, "file", ["shares.offline_file"]),
    (0x40020, 0, "file", ["shares.offline_file"]),
    (0x1420, 0xC0000004, "reparse", ["shares.reparse_point"]),
])
def test_classification(attributes, tag, kind, keys):
    assert s.kind_of(attributes, tag) == kind
    assert [key for key, _sentence in s.classify(kind, attributes, tag)] == keys


@pytest.mark.parametrize("attributes, letters", [
    (0x27, "RHSA"), (0x10, "D"), (0x1020, "AO"), (0, ""),
])
def test_attribute_letters(attributes, letters):
    assert s.attribute_letters(attributes) == letters


class Status(Exception):
    def __init__(self, status):
        super().__init__(f"status {status:#x}")
        self.status = status


@pytest.mark.parametrize("err, words", [
    (Status(0xC0000043), "another program holds it open with a sharing mode that denies reading (NTSTATUS 0xC0000043)"),
    (Status(0xC0000022), "access denied (NTSTATUS 0xC0000022)"),
    (Status(0xC000006D), "the server refused the account's name or password (NTSTATUS 0xC000006D)"),
    (Status(0xC0000999), "NTSTATUS 0xC0000999"),
    (ValueError("Failed to connect to '10.0.0.1:445': timed out."), "Failed to connect to '10.0.0.1:445': timed out"),
])
def test_describe(err, words):
    assert s.describe(err) == words


def test_connect_error_names_server_and_share():
    err = s.connect_error("kommune-b-fs", "bauamt", Status(0xC00000CC))
    assert str(err) == ("cannot read the share \\\\kommune-b-fs\\bauamt over SMB: the server has no share of that "
                        "name (NTSTATUS 0xC00000CC)")


@pytest.mark.parametrize("retries, first, delays", [(3, 1.0, [1.0, 2.0, 4.0]), (0, 1.0, []), (2, 0.5, [0.5, 1.0])])
def test_retry_delays(retries, first, delays):
    assert s.retry_delays(retries, first) == delays


@pytest.mark.parametrize("relative, name", [(b"", ""), (b"a/b", "a\\b"), ("Ä/ö".encode(), "Ä\\ö")])
def test_smb_name(relative, name):
    assert s.smb_name(relative) == name


def test_parse_basic_gives_times_and_attributes():
    buffer = struct.pack("<qqqqI4x", 133_000_000_000_000_000, 1, 2, 3, 0x10)
    assert s.parse_basic(buffer) == {"creation": 133_000_000_000_000_000, "last_write": 2, "change": 3,
                                     "attributes": 0x10}
    assert s.parse_basic(b"") is None


def test_the_root_takes_its_times_from_basic_information():
    basic = {"creation": 116444736000000010, "last_write": 116444736000000020, "change": 116444736000000030,
             "attributes": 0x30}
    share = FakeShare({}, {"": [(1, [], SD.to_bytes(), basic)]}, sacl=False)
    root = next(share.walk())
    assert (root.creation_ns, root.last_write_ns, root.change_ns, root.attributes) == (1000, 2000, 3000, 0x30)


def test_credentials_never_show_the_password():
    assert "geheim" not in repr(s.Credentials("umzug", "geheim"))


SD = ntacl.SecurityDescriptor(
    control=0x8004, owner="S-1-5-21-1-2-3-1107", group="S-1-5-21-1-2-3-513", sacl=None,
    dacl=ntacl.Acl(2, (ntacl.Ace(0, 3, 0x1F01FF, "S-1-5-21-1-2-3-1107"), ntacl.Ace(0, 0, 0x1200A9, "S-1-1-0"))))


class FakeShare(s.SmbShare):
    """The walk's logic without a server: ``answers`` per path, a list of outcomes per try;
    ``content`` per path is what a read in the compound gives. Every compound is counted
    (``compounds``: name and read length), and so is every other request (``requests``)."""

    def __init__(self, listing, answers, content=None, limit=1 << 20, **kwargs):
        self.slept: list[float] = []
        super().__init__("fs", "daten", s.Credentials("u", "p"), sleep=self.slept.append, **kwargs)
        self.listing, self.answers, self.asked = listing, answers, []
        self.content, self.limit = content or {}, limit
        self.compounds: list[tuple[str, int | None]] = []
        self.requests: list[str] = []

    def _list(self, folder):
        return self.listing.get(folder, [])

    def read_limit(self):
        return self.limit

    def read(self, relative, stream=None, chunk=1 << 20, depth=4):
        self.requests += ["create", "read", "close"]
        yield self.content[relative.decode()]

    def _describe_object(self, name, access, sd_parts, read_length=None):
        self.asked.append((name, access, sd_parts))
        self.compounds.append((name, read_length))
        outcome = self.answers.get(name, [(1, [], SD.to_bytes(), None)])
        result = outcome.pop(0) if len(outcome) > 1 else outcome[0]
        if isinstance(result, Exception):
            raise result
        data = self.content.get(name, b"")
        if read_length is None:
            return (*result, None)
        return (*result, data[:read_length] if read_length else (b"" if not data else None))


def listed(name, attributes=0x20, tag=0, file_id=1):
    return {"name": name, "creation": 133_000_000_000_000_000, "last_write": 0, "change": 0, "size": 3,
            "allocated": 4096, "attributes": attributes, "reparse_tag": tag, "file_id": file_id}


@pytest.fixture(autouse=True)
def patch_errors(monkeypatch):
    monkeypatch.setattr(s, "SMBResponseException", Status)


def test_sharing_violation_is_retried_then_a_finding_and_the_metadata_still_read():
    locked = Status(s.STATUS_SHARING_VIOLATION)
    answers = {"db.mdb": [locked, locked, locked, locked, (2, [], SD.to_bytes(), None)]}
    share = FakeShare({b"": [listed("db.mdb")]}, answers, retries=3, retry_delay=0.5, sacl=False)
    entries = list(share.walk())
    entry = entries[1]
    assert [key for key, _sentence in entry.problems] == ["shares.file_locked"]
    assert "after 4 tries" in entry.problems[0][1]
    assert share.slept == [0.5, 1.0, 2.0]
    assert entry.nlink == 2 and ntacl.parse_sd(entry.sd).owner == "S-1-5-21-1-2-3-1107"
    assert not share.asked[-1][1] & s.FILE_READ_DATA


def test_sacl_refused_once_is_not_asked_again():
    share = FakeShare({b"": [listed("a"), listed("b", file_id=2)]},
                      {"": [Status(s.STATUS_PRIVILEGE_NOT_HELD), (1, [], SD.to_bytes(), None)]})
    entries = list(share.walk())
    assert share.try_sacl is False
    assert all(not e.sacl_read for e in entries)
    assert [a for _n, a, _p in share.asked if a & s.ACCESS_SYSTEM_SECURITY] == [share.asked[0][1]]


def test_access_denied_is_a_finding_and_the_walk_goes_on():
    share = FakeShare({b"": [listed("geheim"), listed("offen", file_id=2)]},
                      {"geheim": [Status(s.STATUS_ACCESS_DENIED)]}, sacl=False)
    entries = {e.path: e for e in share.walk()}
    assert [k for k, _s in entries[b"geheim"].problems] == ["shares.access_denied"]
    assert entries[b"geheim"].sd is None
    assert entries[b"offen"].problems == []


def test_content_denied_keeps_the_descriptor_readable_without_data_access():
    share = FakeShare({b"": [listed("geheim")]},
                      {"geheim": [Status(s.STATUS_ACCESS_DENIED), (1, [], SD.to_bytes(), None)]}, sacl=False)
    entry = list(share.walk())[1]
    assert [k for k, _s in entry.problems] == ["shares.access_denied"] and entry.sd == SD.to_bytes()
    assert [bool(access & s.FILE_READ_DATA) for _n, access, _p in share.asked[1:]] == [True, False]


def test_a_folder_that_may_not_be_listed_is_a_finding_and_not_descended():
    share = FakeShare({b"": [listed("geheim", 0x10, file_id=5)], b"geheim": [listed("x")]},
                      {"geheim": [Status(s.STATUS_ACCESS_DENIED)]}, sacl=False)
    paths = {e.path: e for e in share.walk()}
    assert b"geheim/x" not in paths
    assert paths[b"geheim"].denied()


def test_offline_files_and_reparse_points_are_never_opened_for_data():
    share = FakeShare({b"": [listed("archiv.pst", 0x1020), listed("junction", 0x410, 0xA0000003, 2)]}, {},
                      sacl=False)
    entries = {e.path: e for e in share.walk()}
    assert all(not access & s.FILE_READ_DATA for name, access, _p in share.asked if name)
    assert entries[b"junction"].kind == "reparse"
    assert [k for k, _s in entries[b"archiv.pst"].problems] == ["shares.offline_file"]


def test_a_folder_seen_twice_by_file_id_is_not_descended():
    share = FakeShare({b"": [listed("ordner", 0x10, file_id=5), listed("verbindung", 0x10, file_id=5)],
                       b"ordner": [listed("x")], b"verbindung": [listed("y")]}, {}, sacl=False)
    paths = [e.path for e in share.walk()]
    assert b"ordner/x" in paths and b"verbindung/y" not in paths


@pytest.mark.parametrize("nlink, problems", [
    (1, ["shares.reparse_point"]),  # a symlink the server follows: one file, one link, two names
    (2, []),                        # a hard link: preflight's shares.hard_link, by file id and link count
])
def test_a_file_seen_twice_by_file_id(nlink, problems):
    share = FakeShare({b"": [listed("a.pdf", file_id=7), listed("verweis", file_id=7), listed("b", file_id=8)]},
                      {name: [(nlink, [], SD.to_bytes(), None)] for name in ("a.pdf", "verweis", "b")}, sacl=False)
    entries = {e.path: e for e in share.walk()}
    assert [k for k, _s in entries[b"verweis"].problems] == problems
    assert entries[b"a.pdf"].problems == [] and entries[b"b"].problems == []
    if problems:
        assert "the same file as a.pdf" in entries[b"verweis"].problems[0][1]


def test_vanished_paths_are_no_finding():
    share = FakeShare({b"": [listed("weg")]}, {"weg": [Status(s.STATUS_OBJECT_NAME_NOT_FOUND)]}, sacl=False)
    assert [e.problems for e in share.walk()] == [[], []]


class FakeConnection:
    def __init__(self, dialect, encrypts):
        self.dialect, self.supports_encryption = dialect, encrypts

    def __call__(self, guid, server, port, require_signing):
        assert require_signing is True
        return self

    def connect(self, timeout):
        pass

    def disconnect(self, close):
        pass


@pytest.mark.parametrize("dialect, encrypts, encrypt, message", [
    (0x311, False, True, "\\\\fs cannot encrypt SMB traffic, and encryption was required (shares_smb_encrypt); "
                         "enable SMB encryption on the server or turn it off for this Kommune"),
    (0x210, True, False, "\\\\fs speaks SMB dialect 0x0210 only; umzug reads shares over SMB 3 (signed, encrypted "
                         "when asked)"),
])
def test_a_server_short_of_what_was_required_is_refused(monkeypatch, dialect, encrypts, encrypt, message):
    monkeypatch.setattr(s, "HAS_SMBPROTOCOL", True)
    monkeypatch.setattr(s, "Connection", FakeConnection(dialect, encrypts), raising=False)
    monkeypatch.setattr(s, "Dialects", type("Dialects", (), {"SMB_3_0_0": 0x300}), raising=False)
    with pytest.raises(s.SmbSourceError) as caught:
        s.SmbShare("fs", "daten", s.Credentials("u", "p"), encrypt=encrypt).connect()
    assert str(caught.value) == message


def test_share_of_opens_the_named_share_with_the_modules_connection_options(monkeypatch):
    made = []
    monkeypatch.setattr(s, "SmbShare", lambda *args, **kwargs: made.append((args, kwargs)) or "share")
    params = {"server": "win-c-fs", "port": 4445, "username": "KOMMUNEC\\umzug-backup", "password": "geheim",
              "auth": "kerberos", "encrypt": False, "retries": 5, "retry_delay": 0.5}
    assert s.share_of(params, "kaemmerei") == "share"
    (server, share, credentials), kwargs = made[0]
    assert (server, share) == ("win-c-fs", "kaemmerei")
    assert credentials == s.Credentials("KOMMUNEC\\umzug-backup", "geheim", "kerberos")
    assert kwargs == {"encrypt": False, "port": 4445, "retries": 5, "retry_delay": 0.5}


def test_connection_args_declare_the_password_no_log():
    args = s.connection_args()
    assert set(args) == {"server", "port", "username", "password", "auth", "encrypt", "retries", "retry_delay"}
    assert args["password"]["no_log"] is True


def small(name, size, file_id):
    return {**listed(name, file_id=file_id), "size": size}


def test_a_wanted_small_file_is_read_in_the_compound_that_opens_it_one_round_trip_each():
    content = {"a.txt": b"abc", "b.txt": b"defg", "leer": b""}
    share = FakeShare({b"": [small("a.txt", 3, 1), small("b.txt", 4, 2), small("leer", 0, 3)]}, {}, content,
                      sacl=False)
    entries = {e.path: e for e in share.walk(wants_content=lambda entry: True)}
    assert {p: e.content for p, e in entries.items()} == {b"": None, b"a.txt": b"abc", b"b.txt": b"defg",
                                                            b"leer": b""}
    # One compound per object (the root's without a read); a file's read asks one byte more
    # than listed, so growth shows; an empty file sends no read; no request besides.
    assert share.compounds == [("", None), ("a.txt", 4), ("b.txt", 5), ("leer", 0)]
    assert share.requests == []


@pytest.mark.parametrize("item, limit, wanted, asked_for", [
    (small("gross.bin", 1 << 20, 1), 1 << 20, True, None),        # not below the limit: read after the walk
    (small("klein.bin", 10, 1), 1 << 20, False, None),            # the caller does not want it: unchanged
    (listed("archiv.pst", 0x1020), 1 << 20, True, None),          # offline: never read
    (listed("verbindung", 0x410, 0xA000000C), 1 << 20, True, None),  # a reparse point
    (listed("ordner", 0x10), 1 << 20, True, None),                # a folder
    (small("klein.bin", 10, 1), 8, True, None),                   # the server's max_read_size is smaller
    (small("klein.bin", 10, 1), 1 << 20, True, 11),
])
def test_what_the_walk_reads_in_its_compound(item, limit, wanted, asked_for):
    share = FakeShare({b"": [item]}, {}, {item["name"]: b"x" * item["size"]}, limit=limit, sacl=False)
    questions = []
    entries = list(share.walk(wants_content=lambda entry: questions.append(entry.path) or wanted))
    assert share.compounds[1] == (item["name"], asked_for)
    assert (entries[1].content is not None) == (asked_for is not None)
    # Asked only of files the compound could read, before the compound was sent.
    assert questions == ([item["name"].encode()] if item["name"] in ("klein.bin",) and limit > 10 else [])


def test_without_a_caller_that_wants_content_nothing_is_read():
    share = FakeShare({b"": [small("a.txt", 3, 1)]}, {}, {"a.txt": b"abc"}, sacl=False)
    entries = list(share.walk())
    assert share.compounds == [("", None), ("a.txt", None)] and entries[1].content is None


def test_a_locked_file_keeps_no_content_and_is_asked_again_without_reading():
    locked = Status(s.STATUS_SHARING_VIOLATION)
    share = FakeShare({b"": [small("db.mdb", 3, 1)]}, {"db.mdb": [locked, locked, (1, [], SD.to_bytes(), None)]},
                      {"db.mdb": b"abc"}, retries=1, retry_delay=0.5, sacl=False)
    entry = list(share.walk(wants_content=lambda entry: True))[1]
    assert [k for k, _s in entry.problems] == ["shares.file_locked"] and entry.content is None
    assert share.compounds[1:] == [("db.mdb", 4), ("db.mdb", 4), ("db.mdb", None)]


def test_content_is_trusted_only_when_the_standard_information_says_the_file_is_empty():
    assert s.SmbShare._content_of(s.STANDARD.pack(0, 0, 1, 0, 0, 0), None) == b""
    assert s.SmbShare._content_of(s.STANDARD.pack(4096, 5, 1, 0, 0, 0), None) is None
    assert s.SmbShare._content_of(s.STANDARD.pack(4096, 5, 1, 0, 0, 0), b"12345") == b"12345"
    assert s.SmbShare._content_of(Status(s.STATUS_ACCESS_DENIED), None) is None
    assert s.standard_size(s.STANDARD.pack(4096, 5, 2, 0, 0, 0)) == 5 and s.standard_size(b"") is None


class WorkerFake(FakeShare):
    """A FakeShare whose walk runs its compounds in forked worker processes, each with a
    FakeShare of its own (``connect`` as ``connects`` says: None, an error, or exit)."""

    connects = None

    def connect(self):
        if self.connects == "exit":
            os._exit(3)
        if self.connects is not None:
            raise self.connects

    def _worker_copy(self):
        copy = WorkerFake(self.listing, self.answers, self.content, limit=self.limit, sacl=False)
        copy.pid = os.getpid()
        return copy

    def _describe_object(self, name, access, sd_parts, read_length=None):
        if name == "stirbt":
            os._exit(9)  # as kill -9 of the worker would end it
        *result, content = super()._describe_object(name, access, sd_parts, read_length)
        # The worker's pid rides in the link count, so the test sees who sent the compound.
        return (os.getpid(), *result[1:], content)


def parallel(listing, answers=None, content=None, **kwargs):
    share = WorkerFake(listing, answers or {}, content, sacl=False, **kwargs)
    share.workers = 2
    share._start_workers()
    return share


def test_workers_send_the_compounds_and_the_walk_is_the_same_as_in_one_process():
    listing = {b"": [small(f"d{n:02d}.txt", 3, n + 1) for n in range(20)] + [listed("ordner", 0x10, file_id=99)],
               b"ordner": [small("innen.txt", 3, 100)]}
    content = {f"d{n:02d}.txt": b"%03d" % n for n in range(20)} | {"ordner\\innen.txt": b"inn"}
    serial = list(FakeShare(listing, {}, content, sacl=False).walk(wants_content=lambda e: e.file_id % 2 == 0))
    share = parallel(listing, content=content)
    asked = []
    try:
        entries = list(share.walk(wants_content=lambda e: asked.append(e.path) or e.file_id % 2 == 0))
        assert share.pool is None  # stopped at the walk's end: a pass reads large files after it alone
    finally:
        share.close()
    assert [(e.path, e.kind, e.sd, e.content) for e in entries] == [(e.path, e.kind, e.sd, e.content) for e in serial]
    assert [e.content for e in entries if e.path == b"d01.txt"] == [b"001"]
    assert [e.content for e in entries if e.path == b"d00.txt"] == [None]  # not wanted: not read
    # Asked in the main process, in the listing's order; the compounds came from the workers.
    assert asked == [f"d{n:02d}.txt".encode() for n in range(20)] + [b"ordner/innen.txt"]
    assert {e.nlink for e in entries[1:]} - {os.getpid()} == {e.nlink for e in entries[1:]}


@pytest.mark.parametrize("connects, answers, words", [
    (Status(s.STATUS_LOGON_FAILURE), {}, "a worker process of the walk could not connect: the server refused the "
                                         "account's name or password (NTSTATUS 0xC000006D)"),
    (None, {"a.txt": [ValueError("kaputt")]}, "a worker process of the walk failed at a.txt: kaputt"),
    (None, {}, "a worker process of the walk ended without an answer (killed, or out of memory)"),
], ids=["cannot connect", "fails", "killed"])
def test_a_failing_worker_is_one_clear_error(connects, answers, words):
    names = ["stirbt"] if words.startswith("a worker process of the walk ended") else ["a.txt"]
    WorkerFake.connects = connects
    try:
        share = parallel({b"": [small(n, 3, 1) for n in names]}, answers)
        share.connects = None
        with pytest.raises(s.WorkerError) as caught:
            list(share.walk())
        share.close()
    finally:
        WorkerFake.connects = None
    assert str(caught.value) == words


def info_body(buffer: bytes, offset: int = 72) -> bytes:
    """A QUERY_INFO answer's body as the server sends it: its buffer right after the 8 fixed bytes."""
    return s.QUERY_INFO_ANSWER.pack(9, offset, len(buffer)) + b"\0" * (offset - 72) + buffer


def read_body(data: bytes, offset: int = 80) -> bytes:
    return s.READ_ANSWER.pack(17, offset, len(data)) + b"\0" * (8 + offset - 80) + data


@pytest.mark.parametrize("body, buffer", [
    (info_body(b"abc"), b"abc"),
    (info_body(b"abc", offset=80), b"abc"),        # a server that pads before the buffer
    (info_body(b"abc", offset=0), b"abc"),         # no offset: right after the fixed part
    (info_body(b""), b""),
    (b"\x09\x00", b""),                            # cut short
], ids=["usual", "padded", "no offset", "empty", "short"])
def test_the_buffer_of_a_query_info_answer(body, buffer):
    assert s.info_buffer(body) == buffer


@pytest.mark.parametrize("body, data", [
    (read_body(b"hello"), b"hello"),
    (read_body(b"hello", offset=88), b"hello"),
    (read_body(b""), b""),
    (b"\x11\x00\x50", b""),
], ids=["usual", "padded", "empty", "short"])
def test_the_data_of_a_read_answer(body, data):
    assert s.read_buffer(body) == data


class Value:
    def __init__(self, value):
        self.value = value

    def get_value(self):
        return self.value


class WireConnection:
    """What ``_describe_object`` sees of smbprotocol's Connection: the compounds it sends and
    the answers' bodies per position (an exception: that answer's status)."""

    max_read_size = 1 << 20

    def __init__(self, bodies):
        self.bodies, self.sent = bodies, []
        self.sequence_window = {"low": 0, "high": 1000}

    def send_compound(self, messages, sid, tid, related=False):
        self.sent.append(messages)
        return list(range(len(messages)))

    def receive(self, request, resolve_symlinks=True):
        assert resolve_symlinks is False  # opened with FILE_OPEN_REPARSE_POINT: nothing to resolve
        body = self.bodies[request]
        if isinstance(body, Exception):
            raise body
        return {"data": Value(body)}


class WireOpen:
    def __init__(self, tree, name):
        self.name = name

    def create(self, *args, send=True):
        return ("create", self.name), None


def wire_share(monkeypatch, bodies):
    monkeypatch.setattr(s, "Open", WireOpen)
    share = s.SmbShare("fs", "daten", s.Credentials("u", "p"))
    share.connection = WireConnection(bodies)
    share.session, share.tree = Value(None), Value(None)
    share.session.session_id, share.tree.tree_connect_id = 1, 2
    return share


STANDARD_5 = s.STANDARD.pack(4096, 5, 2, 0, 0, 0)  # 5 bytes, 2 links


@pytest.mark.parametrize("name, read_length, bodies, commands, result", [
    ("a.txt", 6, [b"", info_body(STANDARD_5), info_body(stream_entry("::$DATA", 5)), info_body(b"SD"),
                  read_body(b"hello"), b""],
     ["create", 16, 16, 16, 8, 6], (2, (), b"SD", None, b"hello")),
    ("a.txt", None, [b"", info_body(STANDARD_5), info_body(b""), info_body(b"SD"), b""],
     ["create", 16, 16, 16, 6], (2, (), b"SD", None, None)),
    ("a.txt", 6, [b"", info_body(STANDARD_5), info_body(b""), Status(s.STATUS_ACCESS_DENIED),
                  Status(s.STATUS_END_OF_FILE), b""],
     ["create", 16, 16, 16, 8, 6], (2, (), "denied", None, None)),
    ("", None, [b"", info_body(STANDARD_5), info_body(b""), info_body(b"SD"),
                info_body(s.BASIC.pack(116444736000000010, 0, 116444736000000020, 116444736000000030, 0x10)), b""],
     ["create", 16, 16, 16, 16, 6], (2, (), b"SD", "basic", None)),
], ids=["file with content", "file", "descriptor refused", "the root: its times too"])
def test_one_compound_per_object_with_its_answers_taken_apart(monkeypatch, name, read_length, bodies, commands,
                                                              result):
    share = wire_share(monkeypatch, bodies)
    nlink, streams, sd, basic, content = share._describe_object(name, 0x1, 0x7, read_length)
    sent = share.connection.sent[0]
    assert ["create" if isinstance(m, tuple) else int(m.COMMAND) for m in sent] == commands
    assert (nlink, s.named_streams(streams),
            "denied" if isinstance(sd, Exception) else sd, basic and "basic", content) == result
    # The fixed requests are packed once and sent again as they are.
    share.connection.sent.clear()
    share.connection.bodies = bodies
    share._describe_object(name, 0x1, 0x7, read_length)
    assert [id(m) for m in share.connection.sent[0][1:4]] == [id(m) for m in sent[1:4]]
    assert sent[-1] is share.connection.sent[0][-1] and sent[-1].pack() == sent[-1].message.pack()


def test_a_failed_open_fails_the_compound_after_every_answer_is_read(monkeypatch):
    refused = Status(s.STATUS_ACCESS_DENIED)
    share = wire_share(monkeypatch, [refused] + [Status(0xC0000128)] * 4)
    with pytest.raises(Status) as caught:
        share._describe_object("a.txt", 0x1, 0x7)
    assert caught.value is refused


class Sent:
    connected = True

    def __init__(self):
        self.data = []

    def send(self, data):
        self.data.append(data if isinstance(data, bytes) else data.pack())


def wire_connection(signing_key=None):
    """smbprotocol's own Connection, not connected: a session and a tree in its tables, a
    transport that keeps what is sent."""
    from types import SimpleNamespace

    from smbprotocol.connection import Connection, Dialects, SigningAlgorithms

    connection = Connection(None, "fs", 445, require_signing=True)
    connection.dialect, connection.signing_algorithm_id = Dialects.SMB_3_1_1, SigningAlgorithms.AES_CMAC
    connection.supports_multi_credit = True
    connection.transport, connection._t_exc = Sent(), None
    connection.sequence_window = {"low": 5, "high": 200}
    tree = SimpleNamespace(tree_connect_id=9, is_dfs_share=False, encrypt_data=False)
    session = SimpleNamespace(session_id=0x1234, signing_required=signing_key is not None, signing_key=signing_key,
                              encrypt_data=False, tree_connect_table={9: tree})
    connection.session_table[0x1234] = session
    return connection, session, tree


@pytest.mark.parametrize("signing_key", [None, b"k" * 16], ids=["unsigned", "signed"])
def test_the_compound_is_sent_byte_for_byte_as_smbprotocol_sends_it(monkeypatch, signing_key):
    share = wire_share(monkeypatch, [])
    connection, session, tree = wire_connection(signing_key)
    create = s.SMB2ReadRequest()  # any message smbprotocol packs: its own structure
    create["length"], create["file_id"] = 70000, b"\xff" * 16
    messages = [s._Packed(create), share._query(s.INFO_FILE, s.FILE_STANDARD_INFORMATION, s.STANDARD.size),
                share._query(s.INFO_SECURITY, 0, s.SD_BUFFER, 7), share._close_request()]
    theirs = connection.send_compound([m.message for m in messages], 0x1234, 9, related=True)
    window = dict(connection.sequence_window)
    connection.sequence_window = {"low": 5, "high": 200}
    ours = s.send_compound(connection, session, tree, messages)
    assert connection.transport.data[1] == connection.transport.data[0]
    assert connection.sequence_window == window  # the read of 70,000 bytes takes 2 credits, as theirs
    assert [r.message["message_id"].get_value() for r in ours] == [5, 7, 8, 9] == \
        [r.message["message_id"].get_value() for r in theirs] and ours[0].related_ids == [7, 8, 9]
    assert all(connection.outstanding_requests[r.message["message_id"].get_value()] is r for r in ours)


FAULTS = """
import resource, sys
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import smb_source as s
kept = s.keep_buffers() if sys.argv[1] == "keep" else None
def rounds(n):  # what read() does with 8 answers of 1 MiB in flight
    for _ in range(n):
        held = [b"x" * ((1 << 20) + 64) for _ in range(8)]
        del held
rounds(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds(50)
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, s.keep_buffers() if kept else None)
"""


def test_keep_buffers_stops_the_page_faults_of_large_reads():
    import subprocess
    import sys

    def faults(mode):
        out = subprocess.run([sys.executable, "-c", FAULTS, mode], check=True, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}).stdout.split()
        return out[0], int(out[1]), out[2]

    plain_kept, plain, _ = faults("plain")
    kept, after, again = faults("keep")
    # Debian's glibc has mallopt; a second call keeps what the first set.
    assert (plain_kept, kept, again) == ("None", "True", "True")
    # 50 rounds of 8 MiB: glibc maps and unmaps (or trims) them, 256 page faults per MiB;
    # with the buffers kept, the heap serves every round after the first three.
    assert plain > 50 * 8 * 200
    assert after < 50 * 8
