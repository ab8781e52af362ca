import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    ProfileError,
    Refused,
    Unparseable,
)

# The Bauamt's logon script (cp850, as cmd.exe reads it in Germany).
LOGON = (
    "@echo off\r\n"
    "REM Laufwerke f\u00fcr das Bauamt - alt: net use H: \\\\kommune-a-fs\\home\r\n"
    "net use H: \\\\kommune-a-fs\\home\\%USERNAME% /persistent:yes\r\n"
    'NET USE P: "\\\\kommune-a-fs\\bauamt\\Pl\u00e4ne 2024" /persistent:no\r\n'
    "net use S: \\\\%FILESERVER%\\Scan\r\n"
    "if exist \\\\kommune-a-fs\\netlogon\\drucker.cmd call \\\\kommune-a-fs\\netlogon\\drucker.cmd\r\n"
    ":: net use X: \\\\kommune-a-fs\\alt\r\n"
).encode("cp850")


def test_drive_selectors_rewrite_the_mapped_unc_paths(check_rewrite):
    expected = (LOGON.replace(b"H: \\\\kommune-a-fs\\home\\%USERNAME%",
                              b"H: \\\\rz-fs\\kommune-a\\home\\%USERNAME%")
                .replace(b'"\\\\kommune-a-fs\\bauamt\\Pl', b'"\\\\rz-fs\\kommune-a\\bauamt\\Pl'))
    changes = check_rewrite("netuse", LOGON, [{"drive": "h:"}, {"drive": "P:"}], expected, "cp850")
    assert [(c.line, c.new) for c in changes] == [
        (3, "\\\\rz-fs\\kommune-a\\home\\%USERNAME%"), (4, "\\\\rz-fs\\kommune-a\\bauamt\\Pl\u00e4ne 2024")]


def test_all_unc_takes_literal_servers_outside_comments(check_rewrite):
    expected = (LOGON.replace(b"H: \\\\kommune-a-fs\\home\\%USERNAME%",
                              b"H: \\\\rz-fs\\kommune-a\\home\\%USERNAME%")
                .replace(b'"\\\\kommune-a-fs\\bauamt\\Pl', b'"\\\\rz-fs\\kommune-a\\bauamt\\Pl')
                .replace(b"exist \\\\kommune-a-fs\\netlogon", b"exist \\\\rz-fs\\netlogon")
                .replace(b"call \\\\kommune-a-fs\\netlogon", b"call \\\\rz-fs\\netlogon"))
    check_rewrite("netuse", LOGON, [{"all_unc": True}], expected, "cp850")


def test_variable_server_is_refused(mapping):
    with pytest.raises(Refused, match="is not a server name") as err:
        FORMATS["netuse"].rewrite(LOGON, [{"drive": "S:"}], mapping, "cp850")
    assert err.value.problems[0].line == 5


def test_undeclared_oem_codepage_is_unparseable():
    with pytest.raises(Unparseable, match="not valid utf-8") as err:
        FORMATS["netuse"].find(LOGON, [{"drive": "H:"}])
    assert err.value.problems[0].line == 2


def test_unbalanced_quote_in_net_use_is_unparseable():
    with pytest.raises(Unparseable, match="unbalanced quote"):
        FORMATS["netuse"].find(b'net use P: "\\\\kommune-a-fs\\bauamt\r\n', [{"drive": "P:"}])


@pytest.mark.parametrize("selector", [{}, {"drive": "H:", "all_unc": True}, {"all_unc": False}])
def test_selector_needs_drive_or_all_unc(selector):
    with pytest.raises(ProfileError, match="either drive or all_unc"):
        FORMATS["netuse"].find(LOGON, [selector], "cp850")
