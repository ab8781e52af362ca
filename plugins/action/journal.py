# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs kommunal.umzug.journal on the controller, in the worker forked from ansible-playbook.

The lock names the run by the PID of that ansible-playbook process (the worker's parent):
workers come and go with every task, the playbook process lives as long as the run. The
phases are the wave table's (roles/wave/vars/main.yml, read by plugin_utils/wave/steps.py).
"""

import os

from ansible.plugins.action import ActionBase

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.journal import (
    ARGUMENT_SPEC,
    REQUIRED_IF,
    JournalError,
    Owner,
    run_journal,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        rules = wave_steps.journal_rules()
        spec = dict(ARGUMENT_SPEC, phase=dict(ARGUMENT_SPEC["phase"], choices=list(rules.phases)))
        _validation, args = self.validate_argument_spec(argument_spec=spec, required_if=REQUIRED_IF)
        owner = Owner.current(os.getppid())
        try:
            result.update(run_journal(args, owner, rules, check_mode=bool(self._play_context.check_mode)))
        except JournalError as err:
            result.update(failed=True, msg=str(err))
        return result
