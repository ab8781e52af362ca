# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: progress
type: notification
short_description: One line per Kommune and wave step, readable in a CI log
version_added: 0.1.0
description:
  - Prints the progress of the wave playbook as single lines with the time (see the examples), next to
    whatever the stdout callback shows, one per Kommune and step of a phase, with its begin and end. It reads the
    progress from the task results as data (C(umzug_progress), which M(kommunal.umzug.wave_progress) returns),
    never from a task's text. Progress of payload roles inside a step (the shares sync's polling,
    M(kommunal.umzug.share_progress)) is printed the same way, after the Kommune and phase of its host.
  - When a task fails on a host or a host is unreachable, prints one line naming the Kommune and phase, the
    host, the task and the first 240 characters of its message. A failure that the C(rescue) of a block around
    the task handles prints nothing, as Ansible counts it as rescued, not failed; the rescue says what follows.
    The wave role's gate, for one, records a refused cut-over in the journal and stops the Kommune with the
    gate's message, which is then printed once.
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
# UMZUG 18:02:16 [wave 1] kommune-a cutover: bauamt (final): 1200/5000 files, 1.2 GiB/4.0 GiB, 95.3 MiB/s, 30 s left
"""

RETURN = r""" # """

from datetime import datetime

from ansible.playbook.block import Block
from ansible.plugins.callback import CallbackBase

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.steps import progress_text, progress_where

PROGRESS = "umzug_progress"
OUTSIDE = "[wave] outside a wave step"
REASON_LENGTH = 240


def progress_of(result: dict) -> dict | None:
    progress = result.get(PROGRESS)
    return progress if isinstance(progress, dict) and progress.get("event") else None


def rescued(task) -> bool:
    """Whether the failure of ``task`` goes to the rescue of a block it sits in (directly or
    in a block nested there), as Ansible's strategy decides it: that block lists the task (or
    the block holding it) among its own tasks, not in its rescue or always, and has a rescue."""
    child, parent = task, getattr(task, "_parent", None)
    while parent is not None:
        if isinstance(parent, Block) and parent.rescue and any(
                getattr(item, "_uuid", None) == child._uuid for item in parent.block or []):
            return True
        child, parent = parent, getattr(parent, "_parent", None)
    return False


def shorten(text: str, length: int = REASON_LENGTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 3] + "..."


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

    def progress(self, host: str, progress: dict) -> str:
        """The line of one progress event of a host; remembers where the host stands."""
        if progress["event"] == "payload":
            # a payload's own progress inside a step, e.g. the shares sync's polling
            return f"{self._where.get(host, host)}: {progress_text(progress)}"
        self._where[host] = progress_where(progress)
        return f"{self._where[host]}: {progress_text(progress)}"

    def failure(self, host: str, task: str, result: dict, what: str) -> str:
        progress = progress_of(result)
        if progress and progress["event"] != "payload":
            # the wave role's own refusals say which Kommune and step
            where = progress_where(progress)
            reason = shorten(f"{where}: {progress_text(progress)}")[len(where) + 2:]
        else:
            where, reason = self._where.get(host, OUTSIDE), shorten(result.get("msg", ""))
        return f"{where}: {what} on {host} ({task}): {reason}"

    def v2_runner_on_ok(self, result):
        progress = progress_of(result._result)
        if progress:
            self._line(self.progress(result._host.name, progress))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        # A rescued failure is not where the host stops; its rescue prints what does (e.g. the
        # gate's refusal, re-raised by the rescue that records it: one line, not two).
        if ignore_errors or rescued(result._task):
            return
        self._line(self.failure(result._host.name, result._task.get_name(), result._result, "FAILED"))

    def v2_runner_on_unreachable(self, result):
        self._line(self.failure(result._host.name, result._task.get_name(), result._result, "UNREACHABLE"))
