# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings every sync pass raises the same way, whatever it reads from (share_sync over
SSH, share_sync_smb over SMB)."""

from __future__ import annotations

from collections.abc import Iterable

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown


def not_deleted_findings(share: str, not_deleted: Iterable[bytes], where: dict, show: int = 10) -> list[Finding]:
    """The target paths the source no longer has, left there because deletion is off (the
    role's safe mode): one finding, so a person decides before anything is deleted."""
    paths = [shown(p) for p in sorted(not_deleted)]
    if not paths:
        return []
    return [Finding.of(
        "shares.deletion_held", share=share, count=len(paths), paths=", ".join(paths[:show]),
        resources=(share, *paths[:20]), **where)]
