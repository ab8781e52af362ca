# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Options of the share modules that run on the RZ file server and read a Windows
    Kommune's file server over SMB 3 (module_utils/shares/smb_source.py, connection_args)."""

    DOCUMENTATION = r"""
options:
  server:
    description: Name or address of the source file server.
    type: str
    required: true
  port:
    description: SMB port of the source file server.
    type: int
    default: 445
  username:
    description:
      - Account with SeBackupPrivilege on the source (a member of Backup Operators), e.g. C(KOMMUNEB\\umzug-backup)
        or C(umzug-backup@kommune-b.example). With O(auth=kerberos) and no O(password), the ticket in the
        credential cache is used.
    type: str
    required: true
  password:
    description: The account's password.
    type: str
  auth:
    description: V(ntlm) (NTLMv2) or V(kerberos).
    type: str
    choices: [ntlm, kerberos]
    default: ntlm
  encrypt:
    description: Require SMB 3 encryption; a server that cannot encrypt is refused. Signing is always required.
    type: bool
    default: true
  retries:
    description: Further tries of an open a sharing mode refused, with a doubling wait from O(retry_delay).
    type: int
    default: 3
  retry_delay:
    description: Seconds before the first retry.
    type: float
    default: 1.0
"""
