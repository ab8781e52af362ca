# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The path language of JSON and YAML selectors: ``{path: "$.db.host"}``.

A path starts at the document root ``$`` and is followed by steps:

==================  =====================================================
``.name``           member ``name`` of a mapping (letters, digits, ``_ -``)
``['any name']``    member whose name needs quoting (``["a.b"]`` also works)
``[3]``             element 3 of a list, counted from 0
``[*]`` or ``.*``   every element of a list or every member of a mapping
==================  =====================================================

Example: ``$.datenbanken[*].host`` or ``$['Fachverfahren.Meldewesen'].server``. Member
names compare exactly (JSON and YAML keys are case-sensitive). It is deliberately smaller
than JSONPath: no filters, slices or recursive descent, so a profile can be read at a glance.
"""

from __future__ import annotations

import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import ProfileError

_STEP = re.compile(
    r"\.(?P<name>[A-Za-z0-9_-]+)|\.(?P<star>\*)|\[(?P<index>\d+)\]|\[(?P<all>\*)\]"
    r"|\['(?P<squoted>[^']*)'\]|\[\"(?P<dquoted>[^\"]*)\"\]"
)
ANY = object()


def parse_path(path: str) -> list:
    """Steps of ``path``: a str (member), an int (index) or ANY."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ProfileError(f"path {path!r} must start with '$'")
    steps, pos = [], 1
    while pos < len(path):
        match = _STEP.match(path, pos)
        if not match:
            raise ProfileError(f"path {path!r}: cannot read step at {path[pos:]!r}")
        if match["index"] is not None:
            steps.append(int(match["index"]))
        elif match["star"] or match["all"]:
            steps.append(ANY)
        else:
            names = (match["name"], match["squoted"], match["dquoted"])
            steps.append(next(name for name in names if name is not None))
        pos = match.end()
    return steps


def select(root, steps, members, elements):
    """Nodes reached from ``root``; ``members(node)`` gives (name, child) pairs of a mapping
    node or None, ``elements(node)`` the children of a list node or None."""
    nodes = [root]
    for step in steps:
        reached = []
        for node in nodes:
            pairs, items = members(node), elements(node)
            if step is ANY:
                reached += [child for _name, child in pairs or ()] + list(items or ())
            elif isinstance(step, int):
                if items is not None and step < len(items):
                    reached.append(items[step])
            else:
                reached += [child for name, child in pairs or () if name == step]
        nodes = reached
    return nodes
