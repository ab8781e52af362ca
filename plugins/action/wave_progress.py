# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Says where a Welle stands, as data: the wave role's progress for the progress callback.

Runs on the controller and touches nothing. Its result carries the event as
``umzug_progress`` (read by plugins/callback/progress.py) and the line an engineer reads as
``msg``, both from plugin_utils/wave/steps.py; a Kommune that cannot go on (``blocked``,
``stopped``) fails the task with that line.
"""

from ansible.plugins.action import ActionBase

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps

ARGUMENT_SPEC = {
    "event": {"type": "str", "required": True, "choices": [e for e in wave_steps.PROGRESS_EVENTS if e != "payload"]},
    "wave": {"type": "str", "required": True},
    "kommune": {"type": "str", "required": True},
    "phase": {"type": "str", "required": True},
    "count": {"type": "int"},
    "index": {"type": "int"},
    "step": {"type": "str"},
    "label": {"type": "str"},
    "state": {"type": "str", "choices": ["running", "journal"], "default": "running"},
    "resumed": {"type": "int", "default": 0},
    "missing": {"type": "list", "elements": "str", "default": []},
    "failed_hosts": {"type": "list", "elements": "str", "default": []},
    "recorded": {"type": "bool", "default": False},
}
REQUIRED_IF = [
    ("event", "begin", ("count",)),
    ("event", "done", ("count",)),
    ("event", "step", ("count", "index", "step", "label")),
    ("event", "blocked", ("count", "index", "step", "label")),
]
# Which arguments belong to which event's data.
FIELDS = {
    "begin": ("count", "resumed"),
    "done": ("count",),
    "step": ("index", "count", "step", "label", "state"),
    "blocked": ("index", "count", "step", "label", "missing"),
    "stopped": ("failed_hosts", "recorded"),
}


def progress_of(args: dict) -> dict:
    """The event's data, without the arguments other events use."""
    progress = {key: args[key] for key in ("event", "wave", "kommune", "phase")}
    progress.update({key: args[key] for key in FIELDS[args["event"]]})
    return progress


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        spec = dict(ARGUMENT_SPEC, phase=dict(ARGUMENT_SPEC["phase"], choices=list(wave_steps.phases())))
        _validation, args = self.validate_argument_spec(argument_spec=spec, required_if=REQUIRED_IF)
        progress = progress_of(args)
        result.update(changed=False, umzug_progress=progress, msg=wave_steps.progress_line(progress))
        # Shown by the stdout callback too, as ansible.builtin.debug's message is.
        result["_ansible_verbose_always"] = True
        if progress["event"] in ("blocked", "stopped"):
            result["failed"] = True
        return result
