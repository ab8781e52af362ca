import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, Refused, Unparseable


def rdp(text: str) -> bytes:
    """What mstsc saves: UTF-16 LE with BOM and CRLF."""
    return ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-16-le")


# The terminal server session for the Sozialamt's Fachverfahren.
SOZIALAMT = """screen mode id:i:2
full address:s:kommune-a-ts01.kommune-a.local:3389
gatewayhostname:s:
alternate shell:s:
server port:i:3389
drivestoredirect:s:*
username:s:KOMMUNE-A\\sachbearbeitung
"""


def test_sozialamt_rdp_rewrite(check_rewrite):
    expected = rdp(SOZIALAMT.replace("full address:s:kommune-a-ts01.kommune-a.local:3389",
                                     "full address:s:rz-ts02.rz.example:3389"))
    [change] = check_rewrite("rdp", rdp(SOZIALAMT), [{"key": "Full Address"}], expected)
    assert (change.line, change.new) == (2, "rz-ts02.rz.example:3389")


def test_empty_gateway_and_integer_settings_are_refused(mapping):
    with pytest.raises(Refused) as err:
        FORMATS["rdp"].rewrite(rdp(SOZIALAMT), [{"key": "gatewayhostname"}, {"key": "server port"}], mapping)
    assert [(p.line, p.message) for p in err.value.problems] == [
        (3, "the value is empty"), (5, "'3389' is not a host, host:port, URL, UNC path or JDBC URL")]


def test_a_line_without_type_is_unparseable():
    with pytest.raises(Unparseable, match="name:type:value") as err:
        FORMATS["rdp"].find(rdp("full address:s:x\nkaputt\n"), [{"key": "full address"}])
    assert err.value.problems[0].line == 2
