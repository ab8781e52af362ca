# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Options of the share modules that run on the RZ file server and reach the Kommune's
    file server over SSH with the transfer key: the file server's, which all its shares of a
    run have in common (module_utils/shares/identity.py, server_args; its mapping option is the
    doc fragment kommunal.umzug.identity_mapping). Each module documents its shares' options
    itself, as the suboptions of its O(shares) (identity.py, share_args): a fragment adds
    options at the top only."""

    DOCUMENTATION = r"""
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
