# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Options of the share modules that run on the RZ file server and reach the Kommune's
    file server over SSH with the transfer key (module_utils/shares/identity.py, source_args;
    its mapping option is the doc fragment kommunal.umzug.identity_mapping): DOCUMENTATION
    the share's, SERVER the file server's."""

    # The options of one share (module_utils/shares/identity.py, share_args).
    DOCUMENTATION = r"""
options:
  share:
    description: Name of the source share (for results and findings).
    type: str
    required: true
  source_root:
    description: Path of the share on the source.
    type: path
    required: true
  target_root:
    description: Folder of the share on the RZ file server.
    type: path
    required: true
"""

    # The options all shares of a file server have in common (server_args); a module that
    # takes one share extends both, share_sync and share_verify (several shares) this one.
    SERVER = r"""
options:
  source_host:
    description: Address of the Kommune's file server as the RZ file server reaches it over SSH.
    type: str
    required: true
  source_user:
    description: SSH user on the source (must read every file and its ACLs).
    type: str
    default: root
  key:
    description: Private key of the transfer key pair on the RZ file server.
    type: path
  ssh_options:
    description: Further ssh arguments, e.g. C([-o, UserKnownHostsFile=/var/lib/umzug/shares/known_hosts]).
    type: list
    elements: str
    default: []
  kommune:
    description: Kommune id the findings belong to.
    type: str
"""
