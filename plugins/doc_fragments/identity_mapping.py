# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The identity mapping option of the share modules that translate or judge SIDs
    (module_utils/shares/identity.py, mapping_args, module_translator, module_judge)."""

    DOCUMENTATION = r"""
options:
  mapping:
    description:
      - The Kommune's identity mapping, old accounts to new (the data of the mapping file the accounts payload writes,
        C(mapping) of M(kommunal.umzug.accounts_mapping); in a dry run, the mapping it would write).
      - A sync or a verification translates every SID of owners and ACL entries through it. A discovery counts a SID
        as mapped when the mapping translates it or has an active entry for it whose account the accounts payload
        is still to create (no C(new_sid) yet).
      - Without it only SIDs that mean the same everywhere (well-known SIDs, root's Unix SIDs) are mapped; every
        other SID stays as it is, and a sync or a discovery reports it (C(shares.sid_unmapped)).
    type: dict
"""
