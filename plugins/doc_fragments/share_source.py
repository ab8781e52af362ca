# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Options of the share modules that run on the RZ file server and reach the Kommune's
    file server over SSH with the transfer key (module_utils/shares/identity.py, source_args;
    its mapping option is the doc fragment kommunal.umzug.identity_mapping)."""

    DOCUMENTATION = r"""
options:
  share:
    description: Name of the source share (for results and findings).
    type: str
    required: true
  source_host:
    description: Address of the Kommune's file server as the RZ file server reaches it over SSH.
    type: str
    required: true
  source_user:
    description: SSH user on the source (must read every file and its ACLs).
    type: str
    default: root
  source_root:
    description: Path of the share on the source.
    type: path
    required: true
  key:
    description: Private key of the transfer key pair on the RZ file server.
    type: path
  ssh_options:
    description: Further ssh arguments, e.g. C([-o, UserKnownHostsFile=/var/lib/umzug/shares/known_hosts]).
    type: list
    elements: str
    default: []
  target_root:
    description: Folder of the share on the RZ file server.
    type: path
    required: true
  kommune:
    description: Kommune id the findings belong to.
    type: str
"""

    # How the source is reached, without the one share's options above (identity.py,
    # connection_args), for a module that takes several shares of one source and documents
    # each share's options itself (kommunal.umzug.share_source.connection). ansible-test reads
    # a fragment as one literal, so the options are restated here; DOCUMENTATION keeps them
    # for the modules that take one share.
    CONNECTION = r"""
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
