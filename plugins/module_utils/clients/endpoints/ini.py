# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""INI files and unixODBC DSN files (odbc.ini), which are INI files with a DSN per section.

Selectors: INI ``{section: Server, key: Host}``, odbc.ini ``{dsn: FINANZ, key: Servername}``.
Section and key names match case-insensitively, as Windows and unixODBC read them; keys
before the first section belong to section ``""``. Lines are blank, comments (``;`` or
``#``), ``[section]`` or ``key = value``; anything else makes the file unparseable, because
a reader that skipped it might disagree with the client about what the file says. A value
is everything after ``=`` without surrounding blanks; one pair of enclosing double quotes
is not part of it. There are no inline comments: Windows does not strip them either.
"""

from __future__ import annotations

import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import Unparseable
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Reason

_BLANK_OR_COMMENT = re.compile(r"\s*(?:[;#].*)?")
_SECTION = re.compile(r"\s*\[(?P<name>[^\]\r\n]*)\]\s*(?:[;#].*)?")
_ENTRY = re.compile(r"\s*(?P<key>[^=\s;#\[][^=]*?)\s*=\s*(?P<value>.*?)\s*")


def parse_ini(doc):
    """Yield (section, key, value start, value end) for every entry; raise on any other line."""
    section = ""
    for number, start, end in doc.lines():
        line = doc.text[start:end]
        if _BLANK_OR_COMMENT.fullmatch(line):
            continue
        if match := _SECTION.fullmatch(line):
            section = match["name"].strip()
            continue
        if match := _ENTRY.fullmatch(line):
            vstart, vend = start + match.start("value"), start + match.end("value")
            if vend - vstart >= 2 and doc.text[vstart] == '"' == doc.text[vend - 1]:
                vstart, vend = vstart + 1, vend - 1
            yield section, match["key"], vstart, vend
            continue
        raise Unparseable(number, Reason("ini_unterminated_section" if line.lstrip().startswith("[")
                                         else "ini_not_an_entry", line=repr(line.strip()[:60])))


class IniHandler(Handler):
    name = "ini"
    fields = (("section", str), ("key", str))
    section_field = "section"

    def locate(self, doc, selectors):
        found = []
        for section, key, start, end in parse_ini(doc):
            for sel in selectors:
                if (section.lower() == sel.get(self.section_field).strip().lower()
                        and key.lower() == sel.get("key").strip().lower()):
                    found.append(doc.occurrence(sel, start, end))
        return found


class OdbcHandler(IniHandler):
    name = "odbc"
    fields = (("dsn", str), ("key", str))
    section_field = "dsn"
