import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, Refused

# unixODBC DSNs of the finance client (HKR): FreeTDS for SQL Server, plus a second DSN whose
# server is written as tcp:host,port by the Microsoft driver.
ODBC_INI = b"""[ODBC Data Sources]
FINANZ = Finanzwesen HKR

# Kassenverfahren, Mandant 01
[FINANZ]
Driver      = FreeTDS
Description = HKR Produktion
Servername  = kommune-a-sql01.kommune-a.local
Port        = 1433
Database    = HKR_PROD

[FINANZ_MS]
Driver=ODBC Driver 18 for SQL Server
Server=tcp:kommune-a-sql01,1433
TrustServerCertificate=yes
"""


def test_finance_dsns_are_re_pointed(check_rewrite):
    expected = ODBC_INI.replace(b"Servername  = kommune-a-sql01.kommune-a.local",
                                b"Servername  = rz-sql03.rz.example")
    expected = expected.replace(b"Server=tcp:kommune-a-sql01,1433", b"Server=tcp:rz-sql03.rz.example,14331")
    changes = check_rewrite("odbc", ODBC_INI, [{"dsn": "FINANZ", "key": "servername"},
                                               {"dsn": "finanz_ms", "key": "Server"}], expected)
    assert [c.line for c in changes] == [8, 14]


def test_a_description_is_no_endpoint(mapping):
    with pytest.raises(Refused, match="whitespace"):
        FORMATS["odbc"].rewrite(ODBC_INI, [{"dsn": "FINANZ", "key": "Description"}], mapping)


def test_ini_selector_fields_are_not_odbc_fields():
    with pytest.raises(ValueError, match="missing dsn"):
        FORMATS["odbc"].find(ODBC_INI, [{"section": "FINANZ", "key": "Servername"}])
