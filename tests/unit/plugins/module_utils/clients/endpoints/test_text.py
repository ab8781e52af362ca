import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, ProfileError, Refused

# A connection string in a vendor's free-form .cfg for the Friedhofsverwaltung.
FRIEDHOF = (b"# Friedhof 3.1\r\n"
            b"Verbindung: Provider=SQLOLEDB;Data Source=kommune-a-sql01,1433;Initial Catalog=FRIEDHOF\r\n"
            b"Lizenzserver=lizenz.extern.example\r\n")


def test_pattern_group_is_rewritten(check_rewrite):
    expected = FRIEDHOF.replace(b"Data Source=kommune-a-sql01,1433;",
                                b"Data Source=rz-sql03.rz.example,14331;")
    [change] = check_rewrite("text", FRIEDHOF, [{"pattern": r"data source=(?P<endpoint>[^;\r\n]+)",
                                                 "ignorecase": True}], expected)
    assert change.line == 2


def test_pattern_matching_nothing_is_a_finding(mapping):
    with pytest.raises(Refused, match="matches nothing"):
        FORMATS["text"].rewrite(FRIEDHOF, [{"pattern": r"Server=(?P<endpoint>\S+)"}], mapping)


@pytest.mark.parametrize(("pattern", "message"),
                         [(r"Server=(\S+)", "no named group"), (r"(?P<endpoint>[", "text pattern")])
def test_bad_patterns_are_profile_errors(pattern, message):
    with pytest.raises(ProfileError, match=message):
        FORMATS["text"].find(FRIEDHOF, [{"pattern": pattern}])
