import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.shares.names import (
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


BEYOND = ("shares.path_beyond_path_max",
          "the path has 4096 bytes below the share root, more than the 4095 Linux takes (PATH_MAX): it is not copied")


@pytest.mark.parametrize(
    ("relative", "limit", "expected"),
    [
        (b"a/b.txt", 260, []),
        (b"x" * 230, 260, []),
        (b"x" * 250, 260, [("shares.path_too_long", "the path on the target has 273 characters, more than 260")]),
        ("ü".encode() * 240, 260,
         [("shares.path_too_long", "the path on the target has 263 characters, more than 260")]),
        (b"x" * 250, 32767, []),
        (b"M\xfcller/" * 10, 260, []),  # not UTF-8: reported by name_problems, its length unknown
        # Linux takes 4095 bytes (PATH_MAX less the NUL), whatever the clients take.
        ((b"x" * 254 + b"/") * 16 + b"x" * 15, 32767, []),
        ((b"x" * 254 + b"/") * 16 + b"x" * 16, 32767, [BEYOND]),
        ((b"x" * 254 + b"/") * 16 + b"x" * 16, 260, [BEYOND]),
        ("ä".encode() * 2048, 32767, [BEYOND]),  # 2048 characters, 4096 bytes
    ],
)
def test_path_length_counts_the_target_unc_path_and_linux_bytes(relative, limit, expected):
    # \\rz-fs\altdorf-bauamt\ is 23 characters
    assert path_problems(relative, "\\\\rz-fs\\altdorf-bauamt", limit) == expected


@pytest.mark.parametrize(
    ("names", "groups"),
    [
        ([b"Antrag.txt", b"antrag.TXT", b"Plan.pdf"], [[b"Antrag.txt", b"antrag.TXT"]]),
        (["Ärger.txt", "ärger.txt"], [["Ärger.txt", "ärger.txt"]]),
        # NFC (Windows) and NFD (macOS) of one name: a user cannot tell them apart.
        (["Bauanträge", "Bauantra\u0308ge"], [["Bauantra\u0308ge", "Bauanträge"]]),
        (["BAUANTRÄGE", "bauantra\u0308ge"], [["BAUANTRÄGE", "bauantra\u0308ge"]]),
        # NTFS upper-cases per character with a simple mapping: ß stays ß, so no collision ...
        (["straße", "STRASSE"], []),
        (["straße.txt", "strasse.txt"], []),
        # ... but ß and its capital form ẞ are not one either (ß has no simple upper case).
        (["straße", "STRAẞE"], []),
        (["STRAßE", "straße"], [["STRAßE", "straße"]]),
        (["ﬁle", "FILE"], []),  # the ligature upper-cases to two letters: not simple
        (["Σίσυφος", "ΣΊΣΥΦΟΣ"], [["ΣΊΣΥΦΟΣ", "Σίσυφος"]]),
        (["\U00010428", "\U00010400"], []),  # outside the BMP NTFS does not upper-case
        ([b"a", b"b", b"c"], []),
    ],
)
def test_collisions_compare_as_windows_clients_do(names, groups):
    encoded = [n if isinstance(n, bytes) else n.encode() for n in names]
    expected = [[n if isinstance(n, bytes) else n.encode() for n in group] for group in groups]
    assert case_collisions(encoded) == expected


def test_no_collisions():
    assert case_collisions([b"a", b"b", b"c"]) == []
