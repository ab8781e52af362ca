# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Options of the modules that read or write a directory over LDAPS (module_utils/accounts/ldaps.py)."""

    DOCUMENTATION = r"""
options:
  server:
    description: LDAPS URI of the directory, e.g. C(ldaps://kommune-a-dc.kommune-a.test); anything else is refused.
    type: str
    required: true
  flavour:
    description: What kind of directory it is.
    type: str
    choices: [ad, openldap]
    default: ad
  base_dn:
    description: Where to search; defaults to the server's default naming context (AD).
    type: str
  bind_dn:
    description: Who binds (a DN, or C(user@realm) for AD).
    type: str
    required: true
  bind_password:
    description: The bind password (never logged).
    type: str
    required: true
  ca_file:
    description: CA certificate (PEM) the server certificate must chain to.
    type: path
    required: true
  page_size:
    description: Entries per page of a paged search (RFC 2696).
    type: int
    default: 500
requirements:
  - ldap3 (controller)
"""
