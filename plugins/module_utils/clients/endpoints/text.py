# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain text, the last resort: ``{pattern: 'Server=(?P<endpoint>[^;\\s]+)'}``.

The pattern is a Python regular expression applied to the whole file (``^`` and ``$``
match at line boundaries); the named group ``endpoint`` is the value. ``ignorecase: true``
makes it case-insensitive. A pattern without that group is a profile error, not a match.
"""

from __future__ import annotations

import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import ProfileError
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler


def compile_pattern(fields: dict) -> re.Pattern:
    flags = re.MULTILINE | (re.IGNORECASE if fields.get("ignorecase") else 0)
    try:
        pattern = re.compile(fields["pattern"], flags)
    except re.error as err:
        raise ProfileError(f"text pattern {fields['pattern']!r}: {err}") from None
    if "endpoint" not in pattern.groupindex:
        raise ProfileError(f"text pattern {fields['pattern']!r} has no named group 'endpoint'")
    return pattern


class TextHandler(Handler):
    name = "text"
    fields = (("pattern", str),)
    optional_fields = (("ignorecase", bool),)

    def check_selector(self, fields):
        compile_pattern(fields)

    def locate(self, doc, selectors):
        found = []
        for sel in selectors:
            for match in compile_pattern(sel.fields).finditer(doc.text):
                start, end = match.span("endpoint")
                if start >= 0:
                    found.append(doc.occurrence(sel, start, end))
        return found
