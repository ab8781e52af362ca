"""Shared mapping and checks for the endpoint handler tests."""

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, EndpointMap

# The servers of Kommune A and where the RZ puts them; every format test re-points these.
KOMMUNE_A = {
    "hosts": [
        {"old": ["kommune-a-app01.kommune-a.local", "10.20.1.15"], "new": "rz-app07.rz.example",
         "ports": {8080: 18080}},
        {"old": ["kommune-a-sql01.kommune-a.local"], "new": "rz-sql03.rz.example", "ports": {1433: 14331}},
        {"old": ["kommune-a-fs"], "new": "rz-fs"},
        {"old": ["kommune-a-ts01.kommune-a.local"], "new": "rz-ts02.rz.example"},
    ],
    "shares": {"\\\\kommune-a-fs\\bauamt": "\\\\rz-fs\\kommune-a\\bauamt",
               "\\\\kommune-a-fs\\home": "\\\\rz-fs\\kommune-a\\home"},
}


@pytest.fixture
def mapping():
    return EndpointMap.from_dict(KOMMUNE_A)


@pytest.fixture
def check_rewrite(mapping):
    """Rewrite, assert the exact result, then the properties every rewrite must have:
    a second run changes nothing, and an empty mapping is the identity."""

    def check(fmt, before, selectors, expected, encoding=None):
        handler = FORMATS[fmt]
        after, changes = handler.rewrite(before, selectors, mapping, encoding)
        assert after == expected
        assert handler.rewrite(after, selectors, mapping, encoding) == (after, [])
        assert handler.rewrite(before, selectors, {}, encoding) == (before, [])
        return changes

    return check
