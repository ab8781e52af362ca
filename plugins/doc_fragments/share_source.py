# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# How the RZ file server reaches the source (module_utils/shares/identity.py, connection_args):
# the fragment CONNECTION alone, for a module that takes several shares of one source.
_CONNECTION = r"""
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

# One share (identity.py, share_args).
_SHARE = r"""
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


class ModuleDocFragment:
    """Options of the share modules that run on the RZ file server and reach the Kommune's
    file server over SSH with the transfer key (module_utils/shares/identity.py, source_args;
    its mapping option is the doc fragment kommunal.umzug.identity_mapping)."""

    DOCUMENTATION = "\noptions:" + _SHARE + _CONNECTION

    # Only how the source is reached (identity.py, connection_args): a module that takes
    # several shares (kommunal.umzug.share_source.connection) documents them itself.
    CONNECTION = "\noptions:" + _CONNECTION
