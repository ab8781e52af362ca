# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remote Desktop connection files (.rdp): ``name:type:value`` lines.

Selector: ``{key: "full address"}``; names match case-insensitively. mstsc saves these
files as UTF-16 LE with BOM and CRLF, which the BOM detection of the common layer handles.
Only ``s`` (string) settings hold endpoints; a selected ``i`` (integer) setting is reported.
"""

from __future__ import annotations

import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import Unparseable
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_SETTING = re.compile(r"(?P<key>[^:]+):(?P<type>[sib]):(?P<value>.*)")


class RdpHandler(Handler):
    name = "rdp"
    fields = (("key", str),)

    def locate(self, doc, selectors):
        found = []
        for number, start, end in doc.lines():
            line = doc.text[start:end]
            if not line.strip():
                continue
            match = _SETTING.fullmatch(line)
            if not match:
                raise Unparseable(number, Reason("rdp_not_a_setting", line=repr(line.strip()[:60])))
            for sel in selectors:
                if match["key"].strip().lower() == sel.get("key").strip().lower():
                    value = match["value"]
                    vstart = start + match.start("value") + (len(value) - len(value.lstrip()))
                    vend = start + match.start("value") + len(value.rstrip())
                    vend = max(vend, vstart)
                    unsupported = "" if match["type"] == "s" else Reason("rdp_not_a_string", key=match["key"])
                    found.append(doc.occurrence(sel, vstart, vend, unsupported=unsupported))
        return found
