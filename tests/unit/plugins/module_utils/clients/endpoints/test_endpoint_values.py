import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    EndpointMap,
    EndpointUnrecognised,
    MappingError,
    parse_endpoint,
    rewrite_endpoint,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("kommune-a-app01", "rz-app07.rz.example"),
        ("KOMMUNE-A-APP01.Kommune-A.local", "rz-app07.rz.example"),
        ("kommune-a-app01.kommune-a.local.", "rz-app07.rz.example"),
        ("10.20.1.15", "rz-app07.rz.example"),
        ("10.20.1.15:8080", "rz-app07.rz.example:18080"),
        ("kommune-a-app01:8443", "rz-app07.rz.example:8443"),
        ("https://kommune-a-app01:8080/Melde/API/?mandant=A&x=1#top",
         "https://rz-app07.rz.example:18080/Melde/API/?mandant=A&x=1#top"),
        ("https://svc:Geheim@kommune-a-app01/Pfad/", "https://svc:Geheim@rz-app07.rz.example/Pfad/"),
        ("ldap://kommune-a-app01.kommune-a.local", "ldap://rz-app07.rz.example"),
        ("jdbc:sqlserver://kommune-a-sql01\\FINANZ:1433;databaseName=HKR;encrypt=true",
         "jdbc:sqlserver://rz-sql03.rz.example\\FINANZ:14331;databaseName=HKR;encrypt=true"),
        ("jdbc:sqlserver://;serverName=kommune-a-sql01;portNumber=1433",
         "jdbc:sqlserver://;serverName=rz-sql03.rz.example;portNumber=14331"),
        ("jdbc:postgresql://kommune-a-app01:5432,kommune-a-sql01:5432/melde?ssl=true",
         "jdbc:postgresql://rz-app07.rz.example:5432,rz-sql03.rz.example:5432/melde?ssl=true"),
        ("jdbc:oracle:thin:@kommune-a-app01:1521:MELDE", "jdbc:oracle:thin:@rz-app07.rz.example:1521:MELDE"),
        ("jdbc:oracle:thin:@//kommune-a-app01:1521/melde.kommune",
         "jdbc:oracle:thin:@//rz-app07.rz.example:1521/melde.kommune"),
        ("jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=kommune-a-sql01)(PORT=1433))"
         "(CONNECT_DATA=(SERVICE_NAME=HKR)))",
         "jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=rz-sql03.rz.example)(PORT=14331))"
         "(CONNECT_DATA=(SERVICE_NAME=HKR)))"),
        ("jdbc:informix-sqli://kommune-a-app01:1526/melde:INFORMIXSERVER=ol_melde",
         "jdbc:informix-sqli://rz-app07.rz.example:1526/melde:INFORMIXSERVER=ol_melde"),
        ("tcp:kommune-a-sql01,1433", "tcp:rz-sql03.rz.example,14331"),
        ("kommune-a-sql01\\SQLEXPRESS,1433", "rz-sql03.rz.example\\SQLEXPRESS,14331"),
        ("\\\\kommune-a-fs\\Bauamt\\Pläne\\2024\\", "\\\\rz-fs\\kommune-a\\bauamt\\Pläne\\2024\\"),
        ("\\\\kommune-a-fs\\bauamt", "\\\\rz-fs\\kommune-a\\bauamt"),
        ("\\\\kommune-a-fs\\Bauamt-Archiv\\x", "\\\\rz-fs\\Bauamt-Archiv\\x"),
        ("\\\\kommune-a-fs\\home\\%USERNAME%", "\\\\rz-fs\\kommune-a\\home\\%USERNAME%"),
        ("\\\\KOMMUNE-A-FS\\Gemeinsam", "\\\\rz-fs\\Gemeinsam"),
        ("\\\\kommune-a-fs\\bauamt\\mit Leerzeichen", "\\\\rz-fs\\kommune-a\\bauamt\\mit Leerzeichen"),
        ("other-host:1433", "other-host:1433"),
        ("https://kommune-a-app01x/", "https://kommune-a-app01x/"),
        ("\\\\kommune-b-fs\\bauamt", "\\\\kommune-b-fs\\bauamt"),
        ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080/"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_rewrite_changes_only_host_port_and_share(mapping, value, expected):
    assert rewrite_endpoint(value, mapping) == expected
    assert rewrite_endpoint(expected, mapping) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("${DB_HOST}", "is not a host"),
        ("%FILESERVER%", "is not a host"),
        ("jdbc:odbc:FINANZ", "names no host"),
        ("1433", "is not a host"),
        ("file:///etc/hosts", "names no host"),
        ("kommune-a-app01 ; Hauptserver", "whitespace"),
        ("kommune-a-app01:99999", "out of range"),
        ("\\\\%LOGONSERVER%\\netlogon", "is not a server name"),
        ("jdbc:oracle:thin:@(DESCRIPTION=(CONNECT_DATA=(SID=X)))", "names no host"),
    ],
)
def test_values_that_are_no_endpoint_are_refused_not_guessed(mapping, value, reason):
    with pytest.raises(EndpointUnrecognised, match=reason):
        rewrite_endpoint(value, mapping)


def test_parse_reports_kind_and_spans():
    endpoint = parse_endpoint("https://host.example:8443/x")
    assert endpoint.kind == "url"
    assert [("https://host.example:8443/x"[slice(*r.host)], "https://host.example:8443/x"[slice(*r.port)])
            for r in endpoint.refs] == [("host.example", "8443")]


def test_mapping_to_the_same_host_keeps_the_spelling():
    same = EndpointMap.from_dict({"hosts": [{"old": "kommune-a-app01", "new": "kommune-a-app01"}]})
    assert rewrite_endpoint("KOMMUNE-A-APP01:80", same) == "KOMMUNE-A-APP01:80"


def test_empty_mapping_changes_nothing():
    assert rewrite_endpoint("\\\\kommune-a-fs\\bauamt", None) == "\\\\kommune-a-fs\\bauamt"


def test_short_name_shared_by_two_fqdns_is_not_derived():
    ambiguous = EndpointMap.from_dict({"hosts": [{"old": "app01.kommune-a.local", "new": "rz-a"},
                                                 {"old": "app01.kommune-b.local", "new": "rz-b"}]})
    assert rewrite_endpoint("app01", ambiguous) == "app01"
    assert rewrite_endpoint("app01.kommune-b.local", ambiguous) == "rz-b"


def test_old_names_lists_every_alias(mapping):
    assert {"kommune-a-app01", "kommune-a-app01.kommune-a.local", "10.20.1.15", "kommune-a-fs"} <= set(
        mapping.old_names)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hosts": [{"old": "a", "new": "b"}, {"old": "b", "new": "c"}]}, "both a new and an old name"),
        ({"hosts": [{"old": "a", "new": "b"}, {"old": "A", "new": "c"}]}, "mapped twice"),
        ({"hosts": [{"old": "a", "new": "b", "ports": {1: 2, 2: 3}}]}, "both a new and an old port"),
        ({"hosts": [{"old": "a", "new": ""}]}, "needs old names"),
        ({"hosts": [{"old": "a b", "new": "c"}]}, "is not a host name"),
        ({"shares": {"\\\\fs\\a": "\\\\fs\\a\\b"}}, "rewritten again"),
        ({"shares": {"fs\\a": "\\\\rz\\a"}}, "is not \\\\\\\\server"),
        ({"hosts": [{"old": "fs", "new": "rz"}], "shares": {"\\\\x\\a": "\\\\fs\\a"}}, "itself mapped away"),
    ],
)
def test_mappings_that_would_not_be_idempotent_are_refused(data, message):
    with pytest.raises(MappingError, match=message):
        EndpointMap.from_dict(data)


@pytest.mark.parametrize(
    ("old", "value", "expected"),
    [
        # A doubled separator in the mapping's prefix is one, as in the values (UNC codec).
        ("\\\\kommune-a-fs\\\\bauamt", "\\\\kommune-a-fs\\Bauamt\\x", "\\\\rz-fs\\bauamt\\x"),
        ("\\\\kommune-a-fs\\bauamt", "\\\\kommune-a-fs\\\\Bauamt\\x", "\\\\rz-fs\\bauamt\\x"),
    ],
)
def test_share_prefixes_match_on_whole_parts(old, value, expected):
    mapping = EndpointMap.from_dict({"shares": {old: "\\\\rz-fs\\bauamt"}})
    assert rewrite_endpoint(value, mapping) == expected
