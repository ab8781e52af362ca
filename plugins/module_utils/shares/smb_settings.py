# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A share's own settings read over the protocol (srvsvc, MS-SRVS), for a Windows source.

``read_settings`` asks the server's srvsvc pipe for NetShareGetInfo level 502 (path,
comment, the share ACL) and level 1005 (the SHI1005 flags: caching, access-based
enumeration, encryption) and answers them as the Samba path's ``share_discover`` does:
smb.conf keys, so ``share_provision`` carries them the same way. The share ACL is not an
smb.conf key (Samba keeps it in share_info.tdb): it comes back as the self-relative
security descriptor, parsed by the one SD parser (``ntacl.parse_sd``).

The binding is Samba's stable DCE/RPC one, ``samba.dcerpc.srvsvc`` (python3-samba on the
RZ file server, reached from the venv through --system-site-packages); smbprotocol has no
srvsvc client. Level 502 needs administrator rights on a Windows server: an account
without them gets level 1 (name, comment) and 1005, and ``partial`` says what was missing.

``SrvsvcClient`` is the one client of the pipe: it also carries the calls of the freeze
(share ACL by levels 502 and 1501, open files, connections, sessions), whose decisions
live in ``smb_freeze``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ansible_collections.kommunal.umzug.plugins.module_utils.shares import ntacl

# SHI1005 flags (MS-SRVS 2.2.4.29)
CSC_MASK, CSC_SHIFT = 0x30, 4
CSC_POLICIES = ("manual", "documents", "programs", "disable")  # Samba's names for 0..3
ACCESS_BASED_DIRECTORY_ENUM = 0x800
ENCRYPT_DATA = 0x8000
STYPE_MASK, STYPE_DISKTREE, STYPE_SPECIAL = 0xFF, 0, 0x80000000


@dataclass
class ShareSettings:
    name: str
    path: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    share_sd: bytes | None = None
    partial: list[str] = field(default_factory=list)

    def share_acl(self) -> list[dict]:
        """The share ACL's entries, readable: type, flags, mask, SID."""
        if not self.share_sd:
            return []
        sd = ntacl.parse_sd(self.share_sd)
        return [{"type": ace.type, "flags": ace.flags, "mask": ace.mask, "sid": ace.sid}
                for ace in (sd.dacl.aces if sd.dacl else ())]

    def sids(self) -> list[str]:
        return ntacl.parse_sd(self.share_sd).sids() if self.share_sd else []


def settings_of(comment: str | None, flags: int | None) -> dict[str, str]:
    """smb.conf keys of a share's comment and SHI1005 flags."""
    settings = {}
    if comment:
        settings["comment"] = comment
    if flags is not None:
        settings["csc policy"] = CSC_POLICIES[(flags & CSC_MASK) >> CSC_SHIFT]
        # Windows' access-based enumeration hides what a user may not read: Samba's "hide unreadable".
        settings["hide unreadable"] = "Yes" if flags & ACCESS_BASED_DIRECTORY_ENUM else "No"
        if flags & ENCRYPT_DATA:
            settings["smb encrypt"] = "required"
    return settings


def is_file_share(name: str, share_type: int) -> bool:
    """A disk share a user sees (no IPC$, printers, or administrative C$ / ADMIN$)."""
    return share_type & STYPE_MASK == STYPE_DISKTREE and not share_type & STYPE_SPECIAL and not name.endswith("$")


class SrvsvcClient:
    """The srvsvc pipe of one server. ``binding`` is Samba's Python (``samba`` package's
    ``dcerpc.srvsvc``, ``credentials``, ``param``, ``ndr``), handed in so tests need no Samba."""

    def __init__(self, server: str, username: str | None, password: str | None, domain: str = "",
                 kerberos: bool = False, encrypt: bool = True, samba=None):
        self.server = server
        self.samba = samba or _samba()
        lp = self.samba.param.LoadParm()
        creds = self.samba.credentials.Credentials()
        creds.guess(lp)
        if username:
            # DOMAIN\user and user@realm as smbprotocol takes them; a bare name logs on to the server's own SAM.
            creds.parse_string(username)
            if "\\" not in username and "@" not in username:
                creds.set_domain(domain or "")
        if password is not None:
            creds.set_password(password)
        creds.set_kerberos_state(self.samba.credentials.MUST_USE_KERBEROS if kerberos
                                 else self.samba.credentials.DONT_USE_KERBEROS)
        how = "smb2,seal,sign" if encrypt else "smb2,sign"
        self.pipe = self.samba.dcerpc.srvsvc.srvsvc(f"ncacn_np:{server}[{how}]", lp, creds)

    def _get(self, share: str, level: int):
        return self.pipe.NetShareGetInfo(f"\\\\{self.server}", share, level)

    def share_names(self) -> list[str]:
        srvsvc = self.samba.dcerpc.srvsvc
        ctr = srvsvc.NetShareInfoCtr()
        ctr.level, ctr.ctr = 1, srvsvc.NetShareCtr1()
        answer = self.pipe.NetShareEnumAll(f"\\\\{self.server}", ctr, 0xFFFFFFFF, 0)
        return sorted(item.name for item in answer[0].ctr.array if is_file_share(item.name, item.type))

    def read_settings(self, share: str) -> ShareSettings:
        result = ShareSettings(share)
        comment = None
        try:
            info = self._get(share, 502)
            comment, result.path = info.comment, info.path
            sd = getattr(info.sd_buf, "sd", None)
            result.share_sd = self.samba.ndr.ndr_pack(sd) if sd is not None else None
            if sd is None:
                # Every share has an SD (a default one at least); servers give it to administrators only.
                result.partial.append("share ACL (level 502 gave none: the account is not an administrator "
                                      "of the server)")
        except RuntimeError as err:  # Samba's bindings raise (NTSTATUS/WERROR, text)
            result.partial.append(f"path and share ACL (level 502: {words(err)})")
            comment = self._get(share, 1).comment
        try:
            flags = self._get(share, 1005).dfs_flags
        except RuntimeError as err:
            result.partial.append(f"caching and access-based enumeration (level 1005: {words(err)})")
            flags = None
        result.settings = settings_of(comment, flags)
        return result

    # The freeze (module share_freeze_smb, pure part in smb_freeze.py) ----------------------

    def share_sd(self, share: str) -> tuple[str | None, bytes | None]:
        """The share's path and its share ACL's self-relative SD (level 502), as stored."""
        info = self._get(share, 502)
        sd = getattr(info.sd_buf, "sd", None)
        return info.path, self.samba.ndr.ndr_pack(sd) if sd is not None else None

    def set_share_sd(self, share: str, sd_bytes: bytes) -> None:
        """NetShareSetInfo level 1501 (SHARE_INFO_1501): the share ACL and nothing else."""
        buf = self.samba.dcerpc.security.sec_desc_buf()
        buf.sd = self.samba.ndr.ndr_unpack(self.samba.dcerpc.security.descriptor, sd_bytes)
        self.pipe.NetShareSetInfo(f"\\\\{self.server}", share, 1501, buf, 0)

    def open_files(self) -> list[tuple[int, str, str]]:
        """Every open file of the server (NetFileEnum level 3): id, path, user."""
        srvsvc = self.samba.dcerpc.srvsvc
        ctr = srvsvc.NetFileInfoCtr()
        ctr.level, ctr.ctr = 3, srvsvc.NetFileCtr3()
        answer = self.pipe.NetFileEnum(f"\\\\{self.server}", None, None, ctr, 0xFFFFFFFF, 0)
        return [(item.fid, item.path, item.user) for item in answer[0].ctr.array or ()]

    def close_file(self, fid: int) -> None:
        self.pipe.NetFileClose(f"\\\\{self.server}", fid)

    def share_users(self, share: str) -> list[str]:
        """The users with a tree connected to the share (NetConnectionEnum level 1)."""
        srvsvc = self.samba.dcerpc.srvsvc
        ctr = srvsvc.NetConnInfoCtr()
        ctr.level, ctr.ctr = 1, srvsvc.NetConnCtr1()
        answer = self.pipe.NetConnEnum(f"\\\\{self.server}", share, ctr, 0xFFFFFFFF, 0)
        return sorted({item.user for item in answer[0].ctr.array or () if item.user})

    def close_sessions(self, user: str) -> None:
        """NetSessionDel of every session of ``user``: its trees go with it."""
        self.pipe.NetSessDel(f"\\\\{self.server}", None, user)


def words(err: RuntimeError) -> str:
    """The error's name as Samba's bindings give it (WERR_ACCESS_DENIED ...)."""
    args = err.args
    return str(args[1]) if len(args) > 1 else str(err)


def _samba():
    from types import SimpleNamespace

    from samba import credentials, ndr, param  # python3-samba; the module reports a missing one
    from samba.dcerpc import security, srvsvc
    return SimpleNamespace(credentials=credentials, ndr=ndr, param=param,
                           dcerpc=SimpleNamespace(srvsvc=srvsvc, security=security))


def as_discovered(found: ShareSettings) -> Mapping:
    """The settings in share_discover's shape: the share's section with its path (which
    share_provision never carries: the RZ has its own)."""
    return {**found.settings, **({"path": found.path} if found.path else {})}


def client_of(params) -> SrvsvcClient:
    """The srvsvc client of the server the SMB connection options name (a module's params of
    ``smb_source.connection_args``), as ``smb_source.share_of`` is the share's reader."""
    return SrvsvcClient(params["server"], params["username"], params["password"],
                        kerberos=params["auth"] == "kerberos", encrypt=params["encrypt"])
