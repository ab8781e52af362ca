# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find and re-point endpoint values in client configuration files, byte for byte.

``FORMATS`` maps a client profile's ``format`` to its handler. Every handler has

* ``find(data, selectors, encoding=None) -> [Occurrence]``: the values the selectors
  point at, each with selector, line, value and byte span;
* ``rewrite(data, selectors, mapping, encoding=None) -> (bytes, [Change])``: the file with
  every selected endpoint re-pointed.

Both work on the file's raw bytes and never write anything. They raise ``Unparseable``
(a file they cannot parse) or ``Refused`` (a selector that matches nothing, a value that is
not a recognisable endpoint); both carry ``.findings(path)``. A bad selector or encoding
name in the profile raises ``ProfileError``. ``encoding`` is the profile's declared
encoding; without it a file is read by its BOM, else as UTF-8 (XML also by its
declaration), and never by guessing.

Selectors per format (each may add ``optional: true``):

===========  ========================================================================
ini          ``{section: Server, key: Host}``
odbc         ``{dsn: FINANZ, key: Servername}``
xml          ``{xpath: "/config/server/@host"}`` (subset: see xmldoc.py)
properties   ``{key: server.url}``
json, yaml   ``{path: "$.db.host"}`` (path language: see paths.py)
reg          ``{key: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\App', value: Server}``
rdp          ``{key: "full address"}``
netuse       ``{drive: "H:"}`` or ``{all_unc: true}``
text         ``{pattern: 'Server=(?P<endpoint>[^;]+)', ignorecase: false}``
===========  ========================================================================
"""

from __future__ import annotations

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import (
    KEY_NO_MATCH,
    KEY_UNENCODABLE,
    KEY_UNPARSEABLE,
    KEY_UNRECOGNISED,
    Change,
    ConfigError,
    MissingDependency,
    Occurrence,
    Problem,
    ProfileError,
    Refused,
    Unparseable,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.handler import Handler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.ini import IniHandler, OdbcHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.jsondoc import JsonHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.netuse import NetUseHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.properties import PropertiesHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.rdp import RdpHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.regfile import RegHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.review import (
    KEY_UNMANAGED,
    scan_for_hosts,
    unified_diff,
    unmanaged_reference_finding,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.text import TextHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.values import (
    EndpointMap,
    EndpointUnrecognised,
    MappingError,
    parse_endpoint,
    rewrite_endpoint,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.xmldoc import XmlHandler
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.yamldoc import YamlHandler

FORMATS: dict[str, Handler] = {
    handler.name: handler
    for handler in (IniHandler(), OdbcHandler(), XmlHandler(), PropertiesHandler(), JsonHandler(),
                    YamlHandler(), RegHandler(), RdpHandler(), NetUseHandler(), TextHandler())
}

__all__ = [
    "FORMATS", "KEY_NO_MATCH", "KEY_UNENCODABLE", "KEY_UNMANAGED", "KEY_UNPARSEABLE", "KEY_UNRECOGNISED",
    "Change", "ConfigError", "EndpointMap", "EndpointUnrecognised", "Handler", "MappingError",
    "MissingDependency", "Occurrence", "Problem", "ProfileError", "Refused", "Unparseable",
    "parse_endpoint", "rewrite_endpoint", "scan_for_hosts", "unified_diff", "unmanaged_reference_finding",
]
