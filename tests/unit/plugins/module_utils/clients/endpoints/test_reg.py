import pytest
from endpoint_strategies import assert_round_trip, endpoint
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import FORMATS, Refused, Unparseable


def reg(text: str) -> bytes:
    """What regedit writes: UTF-16 LE with BOM and CRLF."""
    return ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-16-le")


# Export of a Personenstand (civil registry) client.
PERSONENSTAND = """Windows Registry Editor Version 5.00

; Personenstandswesen, exportiert vom Standesamt
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\Personenstand]
"Server"="kommune-a-app01.kommune-a.local"
"Archiv"="\\\\\\\\kommune-a-fs\\\\bauamt\\\\Register \\"alt\\""
"Port"=dword:00001f90
@="https://kommune-a-app01:8080/ps/"
"Pfad"=hex(2):25,00,55,00,53,00,45,00,52,00,25,00,00,00
"Liste"=hex(7):61,00,00,00,\\
  00,00

[HKEY_CURRENT_USER\\Software\\Vendor\\Personenstand]
"Server"="kommune-a-app01"
"""


def test_personenstand_export_rewrite(check_rewrite):
    expected = reg(PERSONENSTAND.replace('"Server"="kommune-a-app01.kommune-a.local"',
                                         '"Server"="rz-app07.rz.example"')
                   .replace('\\\\\\\\kommune-a-fs\\\\bauamt\\\\Register',
                            '\\\\\\\\rz-fs\\\\kommune-a\\\\bauamt\\\\Register')
                   .replace("https://kommune-a-app01:8080/", "https://rz-app07.rz.example:18080/"))
    selectors = [{"key": "HKLM\\Software\\Vendor\\Personenstand", "value": "server"},
                 {"key": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\Personenstand\\", "value": "Archiv"},
                 {"key": "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\Personenstand", "value": "@"}]
    changes = check_rewrite("reg", reg(PERSONENSTAND), selectors, expected)
    assert changes[1].old == '\\\\kommune-a-fs\\bauamt\\Register "alt"'
    assert changes[1].new == '\\\\rz-fs\\kommune-a\\bauamt\\Register "alt"'
    assert expected.startswith(b"\xff\xfe") and b"\r\x00\n\x00" in expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [("Port", "'dword:00001f90' is not a string"),
     # hex(2) is decoded: %USER% is no endpoint, whatever its storage.
     ("Pfad", "'%USER%' is not a host")],
)
def test_non_string_values_are_refused(mapping, value, reason):
    selectors = [{"key": "HKLM\\SOFTWARE\\Vendor\\Personenstand", "value": value}]
    with pytest.raises(Refused, match=reason):
        FORMATS["reg"].rewrite(reg(PERSONENSTAND), selectors, mapping)


def test_expand_string_naming_an_old_server_is_refused(mapping):
    hex_value = ",".join(f"{b:02x}" for b in "\\\\kommune-a-fs\\x\0".encode("utf-16-le"))
    data = reg(f'REGEDIT4\n[HKEY_CURRENT_USER\\A]\n"P"=hex(2):{hex_value}\n')
    with pytest.raises(Refused, match="hex\\(2\\)"):
        FORMATS["reg"].rewrite(data, [{"key": "HKCU\\A", "value": "P"}], mapping)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Windows Registry Editor\n", 1, "not a registry export"),
        ("REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"S\"=\"x\n", 3, "without closing quote"),
        ("REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"S\"=\"a\\q\"\n", 3, "unknown escape"),
        ("REGEDIT4\n\"S\"=\"x\"\n", 2, "outside a key"),
        ("REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"S\"=qword:1\n", 3, "unknown value type"),
        ("REGEDIT4\n[HKEY_CURRENT_USER\\A]\nS=x\n", 3, "not a key, value or comment"),
    ],
)
def test_unparseable_exports(text, line, message):
    with pytest.raises(Unparseable, match=message) as err:
        FORMATS["reg"].find(reg(text), [{"key": "HKCU\\A", "value": "S"}])
    assert err.value.problems[0].line == line


@st.composite
def reg_exports(draw):
    lines, selectors = ["Windows Registry Editor Version 5.00", ""], []
    for number in range(draw(st.integers(1, 3))):
        key = f"HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\App{number}"
        lines += [f"[{key}]", f'"Zaehler"=dword:0000000{number}']
        for value_number in range(draw(st.integers(1, 3))):
            value = draw(endpoint).replace("\\", "\\\\")
            lines.append(f'"Wert{value_number}"="{value}"')
            selectors.append({"key": key, "value": f"Wert{value_number}"})
        lines.append("")
    return reg("\n".join(lines)), selectors


@settings(max_examples=100, deadline=None)
@given(reg_exports())
def test_generated_reg_round_trip(export):
    data, selectors = export
    assert_round_trip("reg", data, selectors)
