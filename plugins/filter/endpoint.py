# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that re-point single endpoint values, for what modules cannot reach as files:
registry values on Windows PCs (read with win_reg_stat, written with win_regedit).
Documentation: endpoint_rewrite.yml beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    EndpointMap,
    EndpointUnrecognised,
    MappingError,
    rewrite_endpoint,
)


def endpoint_rewrite(value, mapping):
    if not isinstance(value, str):
        raise AnsibleFilterError(f"endpoint_rewrite: expected a string, got {value!r}")
    try:
        return rewrite_endpoint(value, EndpointMap.from_dict(mapping))
    except (EndpointUnrecognised, MappingError) as err:
        raise AnsibleFilterError(f"endpoint_rewrite: {value!r}: {err}") from None


class FilterModule:
    def filters(self):
        return {"endpoint_rewrite": endpoint_rewrite}
