"""Lab only: runs smb_metadata.apply on win-rz-fs against objects as the SMB walk would
hand them over (a Kommune's SIDs, Windows attributes, creation times, streams), on a share
served with vfs_streams_xattr and vfs_acl_xattr, twice, and writes what it saw as JSON for
the scenario's tests (tests/test_smb_metadata.py). Usage: ROOT SERVICE RESULT."""

import json
import os
import subprocess
import sys

from samba.auth_util import system_session_unix
from samba.dcerpc import security
from samba.dcerpc import xattr as xattr_idl
from samba.ndr import ndr_pack
from samba.param import default_path
from samba.samba3 import param as s3param
from samba.samba3 import smbd

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl, smb_metadata
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.smb_source import SmbEntry

ROOT, SERVICE, RESULT = sys.argv[1].encode(), sys.argv[2], sys.argv[3]
OLD = "S-1-5-21-1111111111-2222222222-3333333333"  # the Kommune's domain
UNMAPPED = f"{OLD}-4711"  # a SID the identity mapping has no entry for


def sid_of(name):
    return subprocess.run(["wbinfo", "-n", name], check=True, capture_output=True, text=True).stdout.split()[0]


NEW = {"admin": sid_of("RZ\\Administrator"), "admins": sid_of("RZ\\Domain Admins"),
       "users": sid_of("RZ\\Domain Users")}
MAPPING = {f"{OLD}-1107": NEW["admin"], f"{OLD}-512": NEW["admins"], f"{OLD}-513": NEW["users"]}


def translate(sid):
    return MAPPING.get(sid, sid if sid_codec.is_universal(sid) else None)


FULL, MODIFY, READ = 0x1F01FF, 0x1301BF, 0x1200A9
FILE_SD = ntacl.SecurityDescriptor(
    0x8000 | 0x1000 | 0x10 | 0x4, f"{OLD}-1107", f"{OLD}-513",  # self-relative, DACL protected, SACL, DACL
    ntacl.Acl(2, (ntacl.Ace(2, 0x40, 0x10000, "S-1-1-0"),)),  # audit successful deletes by Everyone
    ntacl.Acl(2, (ntacl.Ace(0, 0, FULL, f"{OLD}-1107"), ntacl.Ace(0, 0, MODIFY, f"{OLD}-512"),
                  ntacl.Ace(0, 0, READ, UNMAPPED), ntacl.Ace(0, 0, READ, "S-1-5-32-545")))).to_bytes()
FOLDER_SD = ntacl.SecurityDescriptor(
    0x8000 | 0x400 | 0x4, f"{OLD}-1107", f"{OLD}-513", None,  # DACL auto-inherited
    ntacl.Acl(2, (ntacl.Ace(0, 0x03, FULL, f"{OLD}-512"), ntacl.Ace(0, 0x0B, FULL, "S-1-3-0"),
                  ntacl.Ace(0, 0x13, READ, f"{OLD}-513")))).to_bytes()
CREATED = {"Haushalt": 1551687300 * 10**9, "Haushalt/Haushaltsplan 2024.xlsx": 1577934245 * 10**9 + 123456700,
           "Haushalt/System.dat": 1262304000 * 10**9}
STREAMS = {"Autor": "Johanna Vogel".encode("utf-16-le"),
           "Zone.Identifier": b"[ZoneTransfer]\r\nZoneId=3\r\n",
           "Gross": bytes(range(256)) * 24,  # 6,144 bytes: below the limit, beyond one ext4 xattr block
           "Vorschau": b"\0" * 1048576}
ENTRIES = [
    SmbEntry(b"Haushalt", "dir", attributes=0x12, creation_ns=CREATED["Haushalt"], sd=FOLDER_SD),
    SmbEntry(b"Haushalt/Haushaltsplan 2024.xlsx", "file", size=7, attributes=0x21 | 0x2000,
             creation_ns=CREATED["Haushalt/Haushaltsplan 2024.xlsx"], sd=FILE_SD, sacl_read=True,
             streams=tuple(sorted((name, len(content)) for name, content in STREAMS.items()))),
    SmbEntry(b"Haushalt/System.dat", "file", size=7, attributes=0x26, creation_ns=CREATED["Haushalt/System.dat"],
             sd=FILE_SD),
]


class Source:
    """The Kommune's share as SmbShare.read gives it."""

    def read(self, relative, stream=None):
        yield STREAMS[stream]


def content_in_place():
    """What the sync does before it calls apply: the content, owned by root."""
    os.makedirs(os.path.join(ROOT, b"Haushalt"), exist_ok=True)
    for entry in ENTRIES[1:]:
        with open(os.path.join(ROOT, entry.path), "wb") as handle:
            handle.write(b"content")


def packed_by_samba(entry):
    info = xattr_idl.DosInfo5()
    info.valid_flags, info.attrib = 0x11, (entry.attributes & 0x27) | (0x10 if entry.kind == "dir" else 0)
    info.create_time = entry.creation_ns // 100 + 116444736000000000
    blob = xattr_idl.DOSATTRIB()
    blob.version, blob.attrib_hex, blob.info = 5, "", info
    return ndr_pack(blob).hex()


def sddl(path):
    s3conf = s3param.get_context()
    s3conf.load(default_path())
    parts = security.SECINFO_OWNER | security.SECINFO_GROUP | security.SECINFO_DACL | security.SECINFO_SACL
    sd = smbd.get_nt_acl(os.fsdecode(path), parts, system_session_unix(), service=SERVICE)
    return sd.as_sddl()


def main():
    content_in_place()
    acl = smb_metadata.SambaAcl(SERVICE)
    runs = []
    for _run in range(2):
        done = {}
        for entry in ENTRIES:
            applied = smb_metadata.apply(ROOT, entry.path, entry, translate, source=Source(), acl=acl,
                                         stream_limit=65535)
            done[entry.path.decode()] = {"written": applied.written,
                                         "problems": [[p.key, p.path, p.detail, list(p.sids)]
                                                      for p in applied.problems]}
        runs.append(done)
    result = {
        "new": NEW, "unmapped": UNMAPPED, "runs": runs,
        "dosattrib": {e.path.decode(): os.getxattr(os.path.join(ROOT, e.path), "user.DOSATTRIB").hex()
                      for e in ENTRIES},
        "ndr_pack": {e.path.decode(): packed_by_samba(e) for e in ENTRIES},
        "sddl": {e.path.decode(): sddl(os.path.join(ROOT, e.path)) for e in ENTRIES},
        "streams": {e.path.decode(): sorted(n for n in os.listxattr(os.path.join(ROOT, e.path))
                                            if n.startswith("user.DosStream.")) for e in ENTRIES},
        "stream_content": {"Autor": STREAMS["Autor"].hex(), "Zone.Identifier": STREAMS["Zone.Identifier"].hex()},
    }
    with open(RESULT, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)


main()
