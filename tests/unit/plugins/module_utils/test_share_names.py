import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.share_names import (
    case_collisions,
    name_problems,
    path_problems,
)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("Bauanträge 2025.txt".encode(), []),
        ("Straße & Plätze (Entwurf).odt".encode(), []),
        (b"Bericht: Q1.txt", ["shares.name_invalid_character"]),
        (b'Angebot "final".pdf', ["shares.name_invalid_character"]),
        (b"a\\b", ["shares.name_invalid_character"]),
        (b"tab\there", ["shares.name_invalid_character"]),
        (b"Notizen.", ["shares.name_trailing_dot_or_space"]),
        (b"Ordner ", ["shares.name_trailing_dot_or_space"]),
        (b"CON", ["shares.name_reserved"]),
        (b"nul.txt", ["shares.name_reserved"]),
        (b"com1.log", ["shares.name_reserved"]),
        (b"LPT9", ["shares.name_reserved"]),
        (b"CONSOLE.txt", []),
        (b"COM10", []),
        (b"M\xfcller.txt", ["shares.name_invalid_utf8"]),
        (b"aux?.", ["shares.name_invalid_character", "shares.name_trailing_dot_or_space"]),
        (b"AUX .", ["shares.name_trailing_dot_or_space", "shares.name_reserved"]),
        ("ä".encode() * 256, ["shares.path_too_long"]),
        (b".", []),
    ],
)
def test_name_rules(name, keys):
    assert [key for key, _ in name_problems(name)] == keys


def test_messages_name_the_characters():
    ((_, message),) = name_problems(b"a:b*c")
    assert message == "the name contains '*', ':', which SMB clients cannot use"


@pytest.mark.parametrize(
    ("relative", "limit", "expected"),
    [
        ("a/b.txt", 260, []),
        ("x" * 230, 260, []),
        ("x" * 250, 260, [("shares.path_too_long", "the path on the target has 273 characters, more than 260")]),
        ("ü" * 240, 260, [("shares.path_too_long", "the path on the target has 263 characters, more than 260")]),
        ("x" * 250, 32767, []),
    ],
)
def test_path_length_counts_the_target_unc_path(relative, limit, expected):
    # \\rz-fs\altdorf-bauamt\ is 23 characters
    assert path_problems(relative, "\\\\rz-fs\\altdorf-bauamt", limit) == expected


def test_case_collisions():
    names = [b"Antrag.txt", b"antrag.TXT", b"Plan.pdf", "Ärger.txt".encode(), "ärger.txt".encode()]
    assert case_collisions(names) == [[b"Antrag.txt", b"antrag.TXT"], ["Ärger.txt".encode(), "ärger.txt".encode()]]


def test_no_collisions():
    assert case_collisions([b"a", b"b", b"c"]) == []
