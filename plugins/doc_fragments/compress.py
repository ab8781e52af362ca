# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Compression on the wire of the share sync modules (module_utils/shares/wire.py)."""

    DOCUMENTATION = r"""
options:
  compress:
    description:
      - Compress the content's stream on the wire; the plan's C(transfer.compress) as the inventory hands it on
        (C(umzug_kommune.transfer.compress)).
      - Over SSH (M(kommunal.umzug.share_sync)) the Kommune's side compresses the tar stream with C(zstd -3)
        where its server and the RZ file server have C(zstd), and otherwise with gzip from Python's zlib at
        level 1 (finding C(shares.compress_fallback)); the RZ side decompresses it after the rate limiter, so
        O(bandwidth_schedule) counts the compressed bytes. Nothing is installed on the Kommune's server.
      - Over SMB (M(kommunal.umzug.share_sync_smb)) nothing is compressed (smbprotocol does not negotiate SMB 3.1.1
        compression); V(true) raises the finding C(shares.compress_unavailable_smb) and the pass moves its
        content uncompressed.
    type: bool
    default: false
"""
