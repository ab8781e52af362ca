# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The option of the modules that work on a Samba DC's own database through a local ldb."""

    DOCUMENTATION = r"""
options:
  samdb:
    description: The DC's sam.ldb.
    type: path
    default: /var/lib/samba/private/sam.ldb
"""
