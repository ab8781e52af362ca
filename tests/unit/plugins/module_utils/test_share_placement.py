"""The one rule of where a share goes (issue 12): the default naming, the plan's `new`,
and how a payload finds a share's target by the old server's names."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.share_placement import (
    discovered_target,
    place,
    placement,
    rewrite_unc,
    same_server,
    target_of,
)

PLACED = placement([{"old": "\\\\altdorf-fs\\standesamt"},
                    {"old": "\\\\altdorf-fs.altdorf.test\\Bauamt", "new": "\\\\rz-fs\\bau-altdorf"},
                    {"old": "\\\\altdorf-fs\\daten\\Bau", "new": "\\\\rz-fs\\altdorf-bau"}],
                   "rz-fs", "altdorf", "rz-fs")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("\\\\a-fs\\Bauamt", None, {"server": "rz-fs", "share": "altdorf-bauamt", "unc": "\\\\rz-fs\\altdorf-bauamt"}),
    ("\\\\a-fs\\Bauamt\\Pläne", None,
     {"server": "rz-fs", "share": "altdorf-bauamt", "unc": "\\\\rz-fs\\altdorf-bauamt\\Pläne"}),
    ("\\\\a-fs\\Bauamt", "\\\\rz-fs\\Bau-Altdorf",
     {"server": "rz-fs", "share": "Bau-Altdorf", "unc": "\\\\rz-fs\\Bau-Altdorf"}),
])
def test_place(old, new, expected):
    assert place(old, "rz-fs", "altdorf", new) == expected


@pytest.mark.parametrize(("names", "share", "expected"), [
    (["altdorf-fs", "10.0.1.12"], "bauamt", ("rz-fs", "bau-altdorf")),      # FQDN in the plan, short name here
    (["altdorf-fs"], "STANDESAMT", ("rz-fs", "altdorf-standesamt")),
    (["altdorf-fs"], "daten", ("rz-fs", "altdorf-daten")),                  # a folder entry moves no share
    (["bergheim-fs"], "bauamt", ("rz-fs", "altdorf-bauamt")),               # another server's share
])
def test_target_of_a_source_share(names, share, expected):
    target = target_of(PLACED, names, share)
    assert (target["server"], target["share"]) == expected


def _at(server, share):
    return {"server": server, "share": share, "unc": f"\\\\{server}\\{share}"}


@pytest.mark.parametrize(("share_placement", "target_server", "namespace", "share", "expected"), [
    # No placement: the module's own server and namespace.
    (None, "rz-fs", "altdorf", "Bauamt", _at("rz-fs", "altdorf-bauamt")),
    ({}, "rz-fs2", "altdorf", "daten", _at("rz-fs2", "altdorf-daten")),
    # The plan's placement: its listed share wins, its server stands where it names one.
    (PLACED, "other-fs", "altdorf", "bauamt", _at("rz-fs", "bau-altdorf")),
    (PLACED, "other-fs", "altdorf", "home", _at("rz-fs", "altdorf-home")),
    # The module's namespace wins over the placement's; a placement without server takes the module's.
    ({**PLACED, "namespace": "x", "server": None}, "rz-fs9", "bergheim", "home", _at("rz-fs9", "bergheim-home")),
])
def test_discovered_target(share_placement, target_server, namespace, share, expected):
    assert discovered_target(share_placement, target_server, namespace, ["altdorf-fs"], share) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("\\\\ALTDORF-FS\\bauamt\\Profile\\hmueller", "\\\\rz-fs\\bau-altdorf\\Profile\\hmueller"),
    ("\\\\altdorf-fs\\Bauamt", "\\\\rz-fs\\bau-altdorf"),
    ("\\\\altdorf-fs\\home\\hmueller", None),
    ("\\\\altdorf-fs", None),
    ("C:\\Users", None),
])
def test_rewrite_unc(path, expected):
    assert rewrite_unc(path, PLACED) == expected


@pytest.mark.parametrize(("one", "other", "expected"), [
    ("rz-fs", "RZ-FS", True), ("rz-fs", "rz-fs.rz.test", True), ("rz-fs.rz.test", "rz-fs", True),
    ("rz-fs.a.test", "rz-fs.b.test", False), ("rz-fs", "rz-fs2", False), ("10.0.0.1", "10", False),
    (None, "rz-fs", False),
])
def test_same_server(one, other, expected):
    assert same_server(one, other) is expected
