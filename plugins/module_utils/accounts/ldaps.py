# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to reach a directory over LDAPS for the accounts modules: the connection
options (documented once in the doc fragment kommunal.umzug.directory_connection), the
bind with the server certificate verified against a CA file, and paged searches that keep
the raw values (SIDs and umlauts stay exact). ldap3 runs on the controller only."""

from __future__ import annotations

import ssl
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts.directory import FLAVOURS

try:
    # LDAPException is re-exported: the modules catch it as ldaps.LDAPException.
    import ldap3
    from ldap3.core.exceptions import LDAPException  # pylint: disable=unused-import
except ImportError:
    ldap3 = None
    LDAP3_ERROR = traceback.format_exc()
    LDAPException = OSError
else:
    LDAP3_ERROR = None


def connection_args() -> dict:
    """The argument spec of the options in the doc fragment (a new dict each call)."""
    return dict(
        server=dict(type="str", required=True),
        flavour=dict(type="str", choices=list(FLAVOURS), default="ad"),
        base_dn=dict(type="str"),
        bind_dn=dict(type="str", required=True),
        bind_password=dict(type="str", required=True, no_log=True),
        ca_file=dict(type="path", required=True),
        page_size=dict(type="int", default=500),
    )


def connect(params, read_only: bool = True):
    """A bound connection; raises LDAPException with the server's reason on failure."""
    tls = ldap3.Tls(ca_certs_file=params["ca_file"], validate=ssl.CERT_REQUIRED)
    server = ldap3.Server(params["server"], use_ssl=True, tls=tls, get_info=ldap3.DSA)
    return ldap3.Connection(server, user=params["bind_dn"], password=params["bind_password"],
                            auto_bind=True, raise_exceptions=True, read_only=read_only)


def base_of(conn, params) -> str:
    """O(base_dn), or the server's default naming context."""
    return params["base_dn"] or conn.server.info.other["defaultNamingContext"][0]


def paged(conn, base, search_filter, attributes, page_size):
    """Every entry as {attr: [raw values], "dn": dn}."""
    for item in conn.extend.standard.paged_search(base, search_filter, attributes=list(attributes) or [],
                                                  paged_size=page_size, generator=True):
        if item.get("type") != "searchResEntry":
            continue
        entry = {name.split(";")[0]: values for name, values in item["raw_attributes"].items()}
        entry["dn"] = item["dn"]
        yield entry


def check_usable(module) -> None:
    """Fails the module with one sentence when ldap3 is missing or O(server) is not LDAPS."""
    if LDAP3_ERROR:
        module.fail_json(msg=missing_required_lib("ldap3"), exception=LDAP3_ERROR)
    if not module.params["server"].lower().startswith("ldaps://"):
        module.fail_json(msg=f"server {module.params['server']!r} is not an ldaps:// URI; "
                             "account data never travels unencrypted")
