"""Names and strategies shared by the property tests of the endpoint handlers.

A plain module (not a conftest) because hypothesis strategies are needed at import time.
"""

from itertools import pairwise

from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, EndpointMap

# Generated documents use these one-to-one names, so the inverse mapping restores them.
OLD = ["kommune-a-app01", "kommune-a-fs", "kommune-a-sql01"]
NEW = ["rz-app07", "rz-fs", "rz-sql03"]
FORWARD = EndpointMap.from_dict({"hosts": [{"old": o, "new": n, "ports": {1433: 14331}}
                                           for o, n in zip(OLD, NEW, strict=True)]})
BACKWARD = EndpointMap.from_dict({"hosts": [{"old": n, "new": o, "ports": {14331: 1433}}
                                            for o, n in zip(OLD, NEW, strict=True)]})
ENDPOINT_FORMS = ["{}", "{}:1433", "https://{}:1433/Pfad/?q=1", "\\\\{}\\Share\\Dir",
                  "jdbc:sqlserver://{}:1433;databaseName=HKR", "tcp:{},1433"]


def gaps(data, occurrences):
    """The bytes before, between and after the occurrences' values."""
    spans = [(0, 0), *[occ.span for occ in occurrences], (len(data), len(data))]
    return [data[left[1]:right[0]] for left, right in pairwise(spans)]




eol = st.sampled_from(["\r\n", "\n"])
blank = st.sampled_from(["", " ", "\t", "  "])
# Free text for comments: anything but line breaks (str.splitlines breaks are excluded too,
# so a generated "line" is one line for every reader).
words = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                max_size=20)
endpoint = st.builds(str.format, st.sampled_from(ENDPOINT_FORMS), st.sampled_from([*OLD, "andere-app"]))


def assert_round_trip(fmt, before, selectors, encoding=None):
    """The property every generated file must have: outside the values nothing changed, the
    values changed as rewrite_endpoint says, a second run is a no-op, the inverse restores."""
    handler = FORMATS[fmt]
    after, changes = handler.rewrite(before, selectors, FORWARD, encoding)
    old, new = handler.find(before, selectors, encoding), handler.find(after, selectors, encoding)
    assert gaps(before, old) == gaps(after, new)
    assert len(changes) == sum(o.value != n.value for o, n in zip(old, new, strict=True))
    assert handler.rewrite(after, selectors, FORWARD, encoding) == (after, [])
    assert handler.rewrite(after, selectors, BACKWARD, encoding)[0] == before
