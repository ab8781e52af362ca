# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings every sync pass raises the same way, whatever it reads from (share_sync over
SSH, share_sync_smb over SMB)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding
from ansible_collections.kommunal.umzug.plugins.module_utils.shares.tree import shown

BERLIN = ZoneInfo("Europe/Berlin")


def not_deleted_findings(share: str, not_deleted: Iterable[bytes], where: dict, show: int = 10) -> list[Finding]:
    """The target paths the source no longer has, left there because deletion is off (the
    role's safe mode): one finding, so a person decides before anything is deleted."""
    paths = [shown(p) for p in sorted(not_deleted)]
    if not paths:
        return []
    return [Finding.of(
        "shares.deletion_held", share=share, count=len(paths), paths=", ".join(paths[:show]),
        resources=(share, *paths[:20]), **where)]


def unmapped_sid_findings(share: str, unmapped_sids: Mapping[str, Iterable[bytes]], where: dict) -> list[Finding]:
    """The SIDs a pass kept as they were because the identity mapping has no new identity
    for them (SID -> the paths whose owner, group or ACL names it): one finding per share
    with the number of SIDs and paths and the first SIDs."""
    if not unmapped_sids:
        return []
    sids = sorted(unmapped_sids)
    paths = sorted({shown(p) for s in sids for p in unmapped_sids[s]})
    return [Finding.of(
        "shares.sid_unmapped", share=share, count=len(sids), paths=len(paths), sids=", ".join(sids[:10]),
        variant="pass", resources=(share, *sids[:20]), **where)]


def stopped_findings(share: str, sync_pass: str, stop, progress: dict | None, where: dict) -> list[Finding]:
    """A pass that stopped because no transfer was allowed any more (``rate.Stop``): how far
    the share got and when transfer is next allowed; the next pass continues."""
    if stop is None:
        return []
    progress = progress or {}

    def when(moment) -> str:
        return "-" if moment is None else moment.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M (Europe/Berlin)")

    return [Finding.of(
        "shares.pass_stopped", variant=stop.reason, share=share, sync_pass=sync_pass, at=when(stop.at),
        next=when(stop.next_allowed), files=progress.get("files", "?"), files_total=progress.get("files_total", "?"),
        size=size_text(progress.get("bytes")), size_total=size_text(progress.get("bytes_total")),
        resources=(share,), **where)]


def size_text(nbytes: int | None) -> str:
    """Bytes as a person reads them: ``12.0 GiB``."""
    if nbytes is None:
        return "?"
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= factor:
            return f"{nbytes / factor:.1f} {unit}"
    return f"{nbytes} B"


def compress_findings(share: str, stream: Mapping, source: str, where: dict) -> list[Finding]:
    """A pass over SSH that was to compress with zstd and could not (``stream``: the
    result's ``stream``): a notice naming which side lacks zstd and the codec it used."""
    if not stream.get("compress") or stream.get("codec") in (None, "zstd"):
        return []
    side = "rz" if "zstd" not in stream.get("offered", ()) else "source"
    return [Finding.of("shares.compress_fallback", share=share, source=source,
                       codec=stream.get("codec_label") or stream["codec"], variant=side,
                       resources=(share, source), **where)]


def compress_smb_findings(share: str, compress: bool, source: str, where: dict) -> list[Finding]:
    """The SMB path does not compress (docs/shares.md "Compression on the wire"): a pass
    of a Kommune whose plan asks for it says so."""
    if not compress:
        return []
    return [Finding.of("shares.compress_unavailable_smb", share=share, source=source, resources=(share, source),
                       **where)]
