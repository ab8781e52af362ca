import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.plugin_utils.report import scrub
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.scrub import MASK, Scrubber, collect_secrets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("net ads join -U admin%x password=Geheim123", f"net ads join -U admin%x password={MASK}"),
        ("smbpasswd --password Geheim123 user", f"smbpasswd --password {MASK} user"),
        ("db_secret: abc123def", f"db_secret: {MASK}"),
        ("hash $6$rounds$abcdefgh/ij. found", f"hash {MASK} found"),
        ("userPassword {SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", f"userPassword {MASK}"),
        ("NT 8846F7EAEE8FB117AD06BDD830B7586C", f"NT {MASK}"),
        ("$ANSIBLE_VAULT;1.1;AES256\n6162636465", MASK),
        ("share \\\\fs\\daten has 12 files", "share \\\\fs\\daten has 12 files"),
        ("password is unknown", "password is unknown"),
    ],
)
def test_credential_patterns_are_masked(text, expected):
    assert Scrubber().text(text) == expected


def test_known_secret_values_are_masked_wherever_they_appear():
    scrubber = Scrubber(["S3cret-Value", "abc"])
    assert scrubber.text("x S3cret-Value y abc") == f"x {MASK} y abc"


def test_secret_named_keys_are_masked_in_data():
    data = Scrubber().data({"title": "ok", "admin_password": "x", "nt_hash": "z", "umzug_plan_hash": "p"})
    assert data == {"title": "ok", "admin_password": MASK, "nt_hash": MASK, "umzug_plan_hash": "p"}


def test_collect_secrets_by_name_and_by_vault():
    variables = {
        "umzug_admin_password": "Plain-1234",
        "ldap": {"bind_pw": "x", "credentials": {"user": "u-9999"}},
        "umzug_plan_hash": "a" * 64,
        "vaulted": "Vault-5678",
        "name": "Altdorf",
    }
    found = collect_secrets(variables, lambda value: value == "Vault-5678")
    assert found == {"Plain-1234", "u-9999", "Vault-5678"}


@pytest.mark.parametrize(
    ("variables", "found"),
    [
        # the Welle's step table names sync passes, not passwords: "seed" stays readable in step names
        ({"__wave_steps": {"shares_seed": {"payload": [{"vars": {"shares_pass": "seed"}}]}}}, set()),
        ({"shares_pass": "final"}, set()),
        ({"bind_pass": "Geheim-1234"}, {"Geheim-1234"}),
        ({"shares_smb_password": "Geheim-5678"}, {"Geheim-5678"}),
    ],
)
def test_a_sync_pass_is_no_password(variables, found):
    assert collect_secrets(variables) == found


def test_counts_of_passed_tests_and_sync_passes_are_no_secrets():
    """An acceptance finding's counts (passed, failed) and a pass's records stay readable; a
    password under any of its names is still masked."""
    data = Scrubber().data({"code": "acceptance_counts", "passed": 41, "failed": 0, "passes": [{"files": 3}],
                            "passwords": {"alt": "Geheim-1"}, "vault_pass": "Geheim-2", "passphrase": "Geheim-3",
                            "userPassword": "Geheim-4", "shares_pass": "final"})
    assert data == {"code": "acceptance_counts", "passed": 41, "failed": 0, "passes": [{"files": 3}],
                    "passwords": MASK, "vault_pass": MASK, "passphrase": MASK, "userPassword": MASK,
                    "shares_pass": "final"}


@pytest.mark.parametrize("name", ["passkey", "passcode", "smb_passcode", "Passkey", "vault_pass", "pass", "passwords",
                                  "passphrase", "userPassword", "bind_pass"])
def test_every_pass_name_but_its_inflections_is_a_secret(name):
    """Names that go on after "pass" stay masked, whatever follows (a deny-list of the three
    inflections, not an allow-list of the secret names)."""
    assert Scrubber().data({name: "Geheim-9"}) == {name: MASK}
    assert collect_secrets({name: "Geheim-9"}) == {"Geheim-9"}


@pytest.mark.parametrize("name", ["passed", "passes", "passing", "acceptance_passed", "shares_passes", "tests_passing"])
def test_the_inflections_of_pass_are_no_secrets(name):
    """A count of passed tests, a list of sync passes and "passing" stay readable."""
    assert Scrubber().data({name: "readable"}) == {name: "readable"}
    assert collect_secrets({name: "readable-value"}) == set()


def every_pattern(text: str) -> str:
    """What Scrubber.text did before it looked for what the patterns need: every pattern, in turn."""
    for pattern, replacement in scrub._PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# Letters that IGNORECASE folds onto the patterns' words (the long s, the Kelvin sign), the words
# themselves in any case, and the characters the other patterns start with.
PIECES = st.sampled_from(["password", "PassWD", "pwd", "\u017fecret", "to\u212aen", "tOKEN", "=", ": ", "--", " ", "x",
                          "$6$", "$ANSIBLE_VAULT;1.1", "{SSHA}", "{crypt}", "0123456789abcdef", "ABCDEF", "ä", "\n"])


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES | st.text(max_size=4), max_size=12).map("".join))
def test_looking_first_for_what_the_patterns_need_changes_nothing(text):
    assert Scrubber().text(text) == every_pattern(text)


def test_a_secret_learnt_later_is_masked_in_a_text_scrubbed_before():
    scrubber = Scrubber()
    assert scrubber.text("Kennwort Winter2025 gesetzt") == "Kennwort Winter2025 gesetzt"
    scrubber.add_secret("Winter2025")
    assert scrubber.text("Kennwort Winter2025 gesetzt") == f"Kennwort {MASK} gesetzt"
