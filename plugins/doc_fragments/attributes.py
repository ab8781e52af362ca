# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """What the attributes of a module mean; the module itself says how far it supports each
    (C(support)) and, where that needs a sentence, C(details)."""

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and then reports what it would change, without changing anything.
  diff_mode:
    description: Returns details on what it changed (or would change in check mode) when run with C(--diff).
"""

    # For modules an action plugin of the same name runs on the controller.
    ACTION = r"""
options: {}
attributes:
  action:
    description: An action plugin of the same name runs the module's work on the controller.
"""
