# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Welle's routing by a Kommune's source kind, for the wave role (roles/wave/tasks): which
steps have no path for a windows source yet, and which payload calls of a step run. The rule
is the step table's (plugin_utils/wave/steps.py); these filters only hand it to the role.
Documentation: wave_unsupported.yml and wave_payload.yml beside this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps


def _table(step_table):
    if not isinstance(step_table, dict):
        raise AnsibleFilterError(f"expected the step table (__wave_steps), got {step_table!r}")
    try:
        return wave_steps.parse({"__wave_steps": step_table, "__wave_phases": {}})
    except (wave_steps.TableError, KeyError, TypeError) as err:
        raise AnsibleFilterError(f"the step table cannot be read: {err}") from None


def _kind(source):
    try:
        return wave_steps.source_kind(source)
    except wave_steps.TableError as err:
        raise AnsibleFilterError(f"umzug_source {source!r}: {err}") from None


def wave_unsupported(step_table, step_ids, source):
    table = _table(step_table)
    unknown = [ident for ident in step_ids if ident not in table.steps]
    if unknown:
        raise AnsibleFilterError(f"wave_unsupported: no step {', '.join(map(str, unknown))} in the step table")
    return wave_steps.unsupported(table, list(step_ids), _kind(source))


def wave_payload(step, source):
    if not isinstance(step, dict) or "id" not in step:
        raise AnsibleFilterError(f"wave_payload: expected a step of the table with its id, got {step!r}")
    table = _table({step["id"]: {key: value for key, value in step.items() if key != "id"}})
    parsed = table.steps[step["id"]]
    kind = _kind(source)
    if not parsed.runs_for(kind):
        return []
    return [entry for entry, call in zip(step.get("payload") or [], parsed.payload, strict=True)
            if call.runs_for(kind)]


class FilterModule:
    def filters(self):
        return {"wave_unsupported": wave_unsupported, "wave_payload": wave_payload}
