# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NT password hashes of a Kommune's users over DRSUAPI, as a replicating DC gets them.

For a Kommune whose DC umzug cannot log on to (a Windows AD): the RZ's central DC asks the
Kommune's DC over DCE/RPC (``ncacn_ip_tcp``, sealed) with an account that holds only the two
replication rights on the domain naming context. Per user one ``DsGetNCChanges`` with the
extended operation ``EXOP_REPL_OBJ``, restricted by a partial attribute set to ``objectSid``
and ``unicodePwd``; Samba's ``replicate_decrypt`` removes the session-key encryption.

Why one object per request and not the whole naming context filtered here: a full replication
would carry the secrets of every account of the domain (krbtgt, computers, admins) to the RZ;
``EXOP_REPL_OBJ`` carries those of the users asked for and nothing else. The SIDs become DNs
in one ``DsCrackNames`` call per ``CRACK_CHUNK`` SIDs, and each replication request is a few
hundred bytes, so thousands of users take thousands of short round trips on one connection.
``EXOP_REPL_SECRET`` is not used: it wants the caller's own DSA object (an RODC) in the
Kommune's domain, which the RZ's DC is not.

The hashes stay in memory: nothing here writes a file or a log. Samba's Python bindings
(python3-samba) are imported only when a connection is opened, so this imports everywhere.
"""

from __future__ import annotations

import binascii
import uuid

from ansible_collections.kommunal.umzug.plugins.module_utils.identity import sid as sid_codec

RIGHTS = ("DS-Replication-Get-Changes and DS-Replication-Get-Changes-All on the domain naming context "
          "(extended rights 1131f6aa-9c07-11d1-f79f-00c04fc2dcd2 and 1131f6ad-9c07-11d1-f79f-00c04fc2dcd2)")
# DsCrackNames takes at most 10000 names a call; smaller calls keep each answer short.
CRACK_CHUNK = 1000

# NTSTATUS codes of a connection that never reached the DC's RPC service.
UNREACHABLE = {
    0xC0000034: "its name does not resolve",
    0xC00000B5: "the connection timed out",
    0xC000020C: "the connection was closed",
    0xC0000236: "the connection was refused",
    0xC000023C: "the network is unreachable",
    0xC000023D: "the host is unreachable",
    0xC0000241: "the connection was aborted",
}
# NTSTATUS codes of a DC that answered but did not accept the account.
AUTHENTICATION = {
    0xC0000022: "access was denied",
    0xC0000064: "the account does not exist",
    0xC000006A: "the password is wrong",
    0xC000006D: "user name or password is wrong",
    0xC000006E: "an account restriction applies",
    0xC0000071: "the password has expired",
    0xC0000072: "the account is disabled",
    0xC0000193: "the account has expired",
    0xC0000224: "the password must be changed first",
    0xC0000234: "the account is locked out",
}
# WERROR codes of a replication request the DC refused for lack of rights.
DENIED = {5: "WERR_ACCESS_DENIED", 0x2105: "WERR_DS_DRA_ACCESS_DENIED"}
# WERROR codes of an object the DC does not have (the user goes to missing).
NOT_FOUND = {0x208D: "WERR_DS_OBJ_NOT_FOUND", 0x20F7: "WERR_DS_DRA_BAD_DN", 0x20F8: "WERR_DS_DRA_BAD_NC"}
# DsCrackNames result status of a name it resolved.
CRACK_OK = 0


class ReplicationError(Exception):
    """One sentence: what failed and where."""


def error_code(err):
    """(kind, code) of an error of Samba's bindings: kind ntstatus, werror or None."""
    kind = {"NTSTATUSError": "ntstatus", "WERRORError": "werror"}.get(type(err).__name__)
    args = getattr(err, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    return (kind if code is not None else None), code


def _detail(err):
    args = getattr(err, "args", ())
    return str(args[1]) if len(args) > 1 else str(err)


def explain_connect(err, server, username):
    """The sentence for an error while connecting and binding to ``server``."""
    kind, code = error_code(err)
    if kind == "ntstatus" and code in UNREACHABLE:
        return (f"the Kommune's DC {server} is unreachable over DRSUAPI ({UNREACHABLE[code]}; ports 135 and "
                f"the DC's RPC ports must be open from the RZ's central DC)")
    if kind == "ntstatus" and code in AUTHENTICATION:
        return f"authentication as {username} at the Kommune's DC {server} failed ({AUTHENTICATION[code]})"
    return f"connecting to the Kommune's DC {server} over DRSUAPI failed: {_detail(err)}"


def explain_replicate(err, server, username, dn):
    """The sentence for an error of a replication request for ``dn``."""
    kind, code = error_code(err)
    if kind == "werror" and code in DENIED:
        return (f"the account {username} may not replicate password hashes from the Kommune's DC {server} "
                f"({DENIED[code]}): it needs {RIGHTS}")
    if kind == "ntstatus" and code in UNREACHABLE:
        return f"the Kommune's DC {server} went away while replicating {dn} ({UNREACHABLE[code]})"
    return f"replicating {dn} from the Kommune's DC {server} failed: {_detail(err)}"


def is_not_found(err):
    kind, code = error_code(err)
    return kind == "werror" and code in NOT_FOUND


def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def collect(session, sids, *, server, username):
    """(hashes, missing) as the local path returns them: SID -> NT hash hex, and the SIDs
    without a hash (not found, found under another SID, or no NT hash set)."""
    wanted = sorted({sid_codec.normalise(s) for s in sids})
    hashes = {}
    for part in chunks(wanted, CRACK_CHUNK):
        for sid, dn in session.crack(part).items():
            if dn is None:
                continue
            try:
                object_sid, nt_hash = session.replicate(dn)
            except Exception as err:  # the bindings' error types are only known after import
                if is_not_found(err):
                    continue
                raise ReplicationError(explain_replicate(err, server, username, dn)) from None
            # DsCrackNames also resolves a SID from sIDHistory; only the object's own SID counts.
            if object_sid is None or sid_codec.normalise(object_sid) != sid or not nt_hash:
                continue
            hashes[sid] = binascii.hexlify(nt_hash).decode()
    missing = sorted(s for s in wanted if s not in hashes)
    return hashes, missing


def split_account(username, domain):
    """(user, domain or None) from DOMAIN\\user, user@realm (kept whole: a UPN) or user."""
    if "\\" in username:
        left, right = username.split("\\", 1)
        return right, domain or left
    return username, domain or None


class Session:
    """One sealed DRSUAPI connection to a Kommune's DC, bound (DsBind) for replication."""

    def __init__(self, server, username, password, domain=None):
        from samba import credentials, net, param
        from samba.dcerpc import drsuapi
        from samba.drs_utils import drs_DsBind

        self.drsuapi = drsuapi
        self.server, self.username = server, username
        lp = param.LoadParm()
        lp.load_default()
        creds = credentials.Credentials()
        creds.guess(lp)
        user, domain = split_account(username, domain)
        creds.set_username(user)
        creds.set_password(password)
        if domain:
            creds.set_domain(domain)
        # NTLMv2: the central DC's Kerberos knows only its own realm, not the Kommune's.
        creds.set_kerberos_state(credentials.DONT_USE_KERBEROS)
        try:
            self.rpc = drsuapi.drsuapi(f"ncacn_ip_tcp:{server}[seal]", lp, creds)
            self.handle, _extensions = drs_DsBind(self.rpc)
        except Exception as err:  # the bindings' error types are only known after import
            raise ReplicationError(explain_connect(err, server, username)) from None
        self.net = net.Net(creds, lp)
        # Names this requester; the DC needs none of it for EXOP_REPL_OBJ (no repsTo is kept).
        self.destination = str(uuid.uuid4())

    def crack(self, sids):
        """{SID: DN or None} in one DsCrackNames call."""
        drsuapi = self.drsuapi
        req = drsuapi.DsNameRequest1()
        names = []
        for sid in sids:
            name = drsuapi.DsNameString()
            name.str = sid
            names.append(name)
        req.codepage = 1252
        req.language = 0x00000407
        req.format_flags = drsuapi.DRSUAPI_DS_NAME_FLAG_NO_FLAGS
        req.format_offered = drsuapi.DRSUAPI_DS_NAME_FORMAT_SID_OR_SID_HISTORY
        req.format_desired = drsuapi.DRSUAPI_DS_NAME_FORMAT_FQDN_1779
        req.count = len(names)
        req.names = names
        try:
            _level, ctr = self.rpc.DsCrackNames(self.handle, 1, req)
        except Exception as err:  # the bindings' error types are only known after import
            raise ReplicationError(f"looking up {len(sids)} SID(s) at the Kommune's DC {self.server} "
                                   f"(DsCrackNames) failed: {_detail(err)}") from None
        items = list(ctr.array or ())
        if len(items) != len(sids):
            raise ReplicationError(f"the Kommune's DC {self.server} answered {len(items)} name(s) for "
                                   f"{len(sids)} SID(s) (DsCrackNames)")
        return {sid: (item.result_name if item.status == CRACK_OK and item.result_name else None)
                for sid, item in zip(sids, items, strict=True)}

    def replicate(self, dn):
        """(objectSid, NT hash bytes or None) of one object, decrypted."""
        from samba.dcerpc import misc

        drsuapi = self.drsuapi
        req = drsuapi.DsGetNCChangesRequest8()
        req.destination_dsa_guid = misc.GUID(self.destination)
        req.source_dsa_invocation_id = misc.GUID()
        ident = drsuapi.DsReplicaObjectIdentifier()
        ident.dn = dn
        req.naming_context = ident
        hwm = drsuapi.DsReplicaHighWaterMark()
        hwm.tmp_highest_usn = hwm.reserved_usn = hwm.highest_usn = 0
        req.highwatermark = hwm
        req.uptodateness_vector = None
        req.replica_flags = drsuapi.DRSUAPI_DRS_INIT_SYNC | drsuapi.DRSUAPI_DRS_WRIT_REP
        req.max_object_count = 1
        req.max_ndr_size = 402116
        req.extended_op = drsuapi.DRSUAPI_EXOP_REPL_OBJ
        attids = sorted([drsuapi.DRSUAPI_ATTID_objectSid, drsuapi.DRSUAPI_ATTID_unicodePwd])
        pas = drsuapi.DsPartialAttributeSet()
        pas.version = 1
        pas.attids = attids
        pas.num_attids = len(attids)
        req.partial_attribute_set = pas
        req.partial_attribute_set_ex = None
        req.mapping_ctr.num_mappings = 0
        req.mapping_ctr.mappings = None
        _level, ctr = self.rpc.DsGetNCChanges(self.handle, 8, req)
        if not ctr.object_count or ctr.first_object is None:
            return None, None
        obj = ctr.first_object.object
        object_sid = str(obj.identifier.sid) if obj.identifier is not None else None
        if not object_sid or not sid_codec.is_sid(object_sid) or object_sid == "S-0-0":
            return None, None
        for attr in obj.attribute_ctr.attributes or ():
            if attr.attid == drsuapi.DRSUAPI_ATTID_unicodePwd and attr.value_ctr.num_values:
                self.net.replicate_decrypt(self.rpc, attr, sid_codec.rid(object_sid))
                return object_sid, bytes(attr.value_ctr.values[0].blob)
        return object_sid, None


def read_hashes(sids, server, username, password, domain=None, session_factory=Session):
    """(hashes, missing) of ``sids`` from the Kommune's DC ``server`` over DRSUAPI."""
    session = session_factory(server, username, password, domain)
    return collect(session, sids, server=server, username=username)
