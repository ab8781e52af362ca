"""endpoint_rewrite: the filter the Windows registry tasks use."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kommunal.umzug.plugins.filter.endpoint import FilterModule, endpoint_rewrite

MAPPING = {"hosts": [{"old": ["kommune-a-fs"], "new": "rz-app", "ports": {"7001": 7101}}],
           "shares": {"\\\\kommune-a-fs\\standesamt": "\\\\rz-fs\\altdorf-standesamt"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("kommune-a-fs:7001", "rz-app:7101"),
        ("KOMMUNE-A-FS", "rz-app"),
        ("\\\\kommune-a-fs\\standesamt\\Register", "\\\\rz-fs\\altdorf-standesamt\\Register"),
        ("https://kommune-a-fs:8443/ws?wsdl", "https://rz-app:8443/ws?wsdl"),
        ("other-server:7001", "other-server:7001"),
        ("rz-app:7101", "rz-app:7101"),
    ],
)
def test_value_is_re_pointed(value, expected):
    assert endpoint_rewrite(value, MAPPING) == expected


@pytest.mark.parametrize(("value", "message"), [("", "the value is empty"), ("%SERVER%", "is not a host"),
                                                (7001, "expected a string")])
def test_non_endpoint_is_refused(value, message):
    with pytest.raises(AnsibleFilterError, match=message):
        endpoint_rewrite(value, MAPPING)


def test_filter_is_registered():
    assert FilterModule().filters()["endpoint_rewrite"] is endpoint_rewrite
