"""The UNC codec (module_utils/unc.py): parse, build, normalise, join and spans, each as a
table of input and expected result."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils import unc
from ansible_collections.kommunal.umzug.plugins.module_utils.unc import Unc, UncError


@pytest.mark.parametrize(("value", "expected"), [
    ("\\\\kommune-a-fs\\Bauamt", Unc("kommune-a-fs", "Bauamt")),
    ("\\\\kommune-a-fs\\Bauamt\\Pläne\\2026", Unc("kommune-a-fs", "Bauamt", "Pläne\\2026")),
    ("\\\\10.0.1.12\\daten\\", Unc("10.0.1.12", "daten")),                       # trailing separator
    ("\\\\fs\\Bauamt\\\\Pläne\\\\", Unc("fs", "Bauamt", "Pläne")),               # runs count as one
    ("\\\\fs\\\\Bauamt", Unc("fs", "Bauamt")),
    ("\\\\fs.altdorf.test\\home\\hmueller", Unc("fs.altdorf.test", "home", "hmueller")),
    ("//rz-fs/altdorf-bauamt/Pläne", Unc("rz-fs", "altdorf-bauamt", "Pläne")),   # smbclient's form
    ("//rz-fs/altdorf-bauamt/", Unc("rz-fs", "altdorf-bauamt")),
    ("\\\\fs\\share\\a/b", Unc("fs", "share", "a/b")),                           # one separator per form
    ("//fs/share/a\\b", Unc("fs", "share", "a\\b")),
])
def test_parse(value, expected):
    assert unc.parse(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("/srv/x", "is not a UNC path"),
    ("C:\\Users", "is not a UNC path"),
    ("\\/fs\\share", "is not a UNC path"),
    ("", "is not a UNC path"),
    ("\\\\server", "names no share"),
    ("\\\\server\\", "names no share"),
    ("\\\\server\\\\", "names no share"),
    ("//server", "names no share"),
    ("\\\\", "names no server"),
    ("\\\\\\share", "names no server"),
    ("///share/x", "names no server"),
])
def test_parse_refuses(value, message):
    with pytest.raises(UncError, match=message):
        unc.parse(value)


@pytest.mark.parametrize(("value", "server", "share", "folders", "service"), [
    ("\\\\FS\\Bauamt\\Pläne\\Alt", "FS", "Bauamt", ("Pläne", "Alt"), "//FS/Bauamt"),
    ("\\\\fs\\daten", "fs", "daten", (), "//fs/daten"),
    ("//fs/daten/x", "fs", "daten", ("x",), "//fs/daten"),
])
def test_parts_and_service(value, server, share, folders, service):
    found = unc.parse(value)
    assert (found.server, found.share, found.folders, found.service) == (server, share, folders, service)


@pytest.mark.parametrize(("value", "expected"), [
    ("\\\\ALTDORF-FS\\Bauamt\\Pläne", Unc("altdorf-fs", "bauamt", "Pläne")),    # below the share: as is
    ("\\\\altdorf-fs\\bauamt", Unc("altdorf-fs", "bauamt")),
])
def test_lower_folds_server_and_share_only(value, expected):
    assert unc.parse(value).lower() == expected


@pytest.mark.parametrize(("parts", "expected"), [
    (("rz-fs", "altdorf-bauamt"), "\\\\rz-fs\\altdorf-bauamt"),
    (("rz-fs", "altdorf-bauamt", "Pläne", "2026"), "\\\\rz-fs\\altdorf-bauamt\\Pläne\\2026"),
])
def test_build(parts, expected):
    assert unc.build(*parts) == expected
    assert str(Unc(parts[0], parts[1], "\\".join(parts[2:]))) == expected
    assert unc.parse(expected) == Unc(parts[0], parts[1], "\\".join(parts[2:]))


@pytest.mark.parametrize(("value", "expected"), [
    ("\\\\fs\\Bauamt", "\\\\fs\\Bauamt"),
    ("\\\\fs\\Bauamt\\", "\\\\fs\\Bauamt"),
    ("\\\\fs\\\\Bauamt\\\\a\\", "\\\\fs\\Bauamt\\a"),
    ("//fs/Bauamt/a/b/", "\\\\fs\\Bauamt\\a\\b"),
])
def test_normalise(value, expected):
    assert unc.normalise(value) == expected


def test_with_folders():
    home = unc.parse("\\\\fs\\home\\hmueller")
    assert str(home.with_folders(["ald-hmueller"])) == "\\\\fs\\home\\ald-hmueller"
    assert str(home.with_folders([])) == "\\\\fs\\home"


@pytest.mark.parametrize(("base", "relative", "expected"), [
    ("\\\\rz-fs\\altdorf-bauamt", "a/b.txt", "\\\\rz-fs\\altdorf-bauamt\\a\\b.txt"),
    ("\\\\rz-fs\\altdorf-bauamt\\", "a\\b.txt", "\\\\rz-fs\\altdorf-bauamt\\a\\b.txt"),
    ("\\\\rz-fs\\bau-altdorf", "Profile\\hmueller", "\\\\rz-fs\\bau-altdorf\\Profile\\hmueller"),
    ("\\\\rz-fs\\bau-altdorf", "", "\\\\rz-fs\\bau-altdorf"),
    ("//rz-fs/bau", "a\\b", "//rz-fs/bau/a/b"),
])
def test_join(base, relative, expected):
    assert unc.join(base, relative) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("\\\\fs\\share\\dir", [(2, 4), (5, 10), (11, 14)]),
    ("\\\\fs", [(2, 4)]),
    ("\\\\fs\\", [(2, 4)]),
    ("\\\\fs\\\\share\\", [(2, 4), (6, 11)]),
    ("\\\\\\share", [(2, 2), (3, 8)]),
    ("//fs/share", [(2, 4), (5, 10)]),
])
def test_spans(value, expected):
    assert unc.spans(value) == expected


@pytest.mark.parametrize("value", ["fs\\share", "\\fs\\share", "/fs/share", ""])
def test_spans_refuses_what_is_no_unc_path(value):
    with pytest.raises(UncError, match="is not a UNC path"):
        unc.spans(value)
