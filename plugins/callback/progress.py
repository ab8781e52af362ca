# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: progress
type: notification
short_description: One line per Kommune and wave step, readable in a CI log
version_added: 0.1.0
description:
  - Prints the progress lines of the wave playbook (tasks named C(Progress) that show a message, such as
    C([wave 1] kommune-a cutover 4/9 final share sync ... running)) as single lines with the time,
    next to whatever the stdout callback shows. Progress messages of payload roles inside a step (the shares
    sync's polling) are printed the same way, after the Kommune and phase of their host.
  - When a task fails on a host or a host is unreachable, prints one line naming the Kommune and phase, the
    host, the task and the first 240 characters of its message.
  - Enable it with C(callbacks_enabled = kommunal.umzug.progress) in C(ansible.cfg)
    or C(ANSIBLE_CALLBACKS_ENABLED).
author:
  - umzug developers (@kommunal)
options:
  prefix:
    description: Printed before every line, so a CI log can be filtered for it.
    type: str
    default: "UMZUG"
    env:
      - name: UMZUG_PROGRESS_PREFIX
    ini:
      - section: callback_umzug_progress
        key: prefix
"""

EXAMPLES = r"""
# ANSIBLE_CALLBACKS_ENABLED=kommunal.umzug.report,kommunal.umzug.progress \
#   ansible-playbook playbooks/wave.yml -e wave_phase=cutover
# UMZUG 18:02:11 [wave 1] kommune-a cutover: 4/9 final share sync ... running
"""

RETURN = r""" # """

from datetime import datetime

from ansible.plugins.callback import CallbackBase

PROGRESS_TASK = "Progress"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "kommunal.umzug.progress"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._where = {}

    def _line(self, text):
        self._display.display(f"{self.get_option('prefix')} {datetime.now().strftime('%H:%M:%S')} {text}")

    def v2_runner_on_ok(self, result):
        if result._task.name != PROGRESS_TASK:
            return
        message = result._result.get("msg")
        if not isinstance(message, str) or not message:
            return
        host = result._host.name
        if message.startswith("[wave "):
            # "[wave 1] kommune-a cutover: 4/9 ..." -> "[wave 1] kommune-a cutover"
            self._where[host] = message.split(":", 1)[0]
            self._line(message)
        else:
            # a payload's own progress inside a step, e.g. the shares sync's polling
            self._line(f"{self._where.get(host, host)}: {' '.join(message.split())}")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            return
        self._failure(result, "FAILED")

    def v2_runner_on_unreachable(self, result):
        self._failure(result, "UNREACHABLE")

    def _failure(self, result, what):
        host = result._host.name
        reason = " ".join(str(result._result.get("msg", "")).split())
        if len(reason) > 240:
            reason = reason[:237] + "..."
        if reason.startswith("[wave ") and ": " in reason:
            # the wave role's own refusals name their Kommune and step already
            where, reason = reason.split(": ", 1)
        else:
            where = self._where.get(host, "[wave] outside a wave step")
        self._line(f"{where}: {what} on {host} ({result._task.get_name()}): {reason}")
