"""accounts_letters: policies per account and the vault-encrypted letter file."""

import json

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.kommunal.umzug.plugins.module_utils.accounts import passwords as accounts_passwords
from ansible_collections.kommunal.umzug.plugins.modules import accounts_letters

SID = "S-1-5-21-1-2-3"
VAULT_PASSWORD = "lab-vault-password"


def user(rid, name, display):
    return {"key": f"{SID}-{rid}", "sid": f"{SID}-{rid}", "name": name, "display": display}


def entry(rid, old, new, new_sid=None):
    return {"old_name": old, "old_sid": f"{SID}-{rid}", "new_name": new, "upn": f"{new}@rz.test",
            "status": "active", "new_sid": new_sid}


@pytest.fixture
def setup(tmp_path):
    password_file = tmp_path / "vault-password"
    password_file.write_text(VAULT_PASSWORD + "\n")
    directory = {"users": [user(1105, "hmueller", "Hans Müller"), user(1106, "jgrosse", "Jana Große"),
                           user(1107, "azubi-tim", "Tim")]}
    mapping = {"users": [entry(1105, "hmueller", "bgh-hmueller"), entry(1106, "jgrosse", "bgh-jgrosse"),
                         entry(1107, "azubi-tim", "bgh-azubi-tim")]}

    def args(**more):
        return {"path": str(tmp_path / "kommune-b.yml"), "vault_password_file": str(password_file),
                "directory": directory, "mapping": mapping, "kommune": "kommune-b",
                "overrides": {"jgrosse": "reset", "AZUBI-*": "none"}, **more}
    return args, tmp_path / "kommune-b.yml"


def decrypt(path, password=VAULT_PASSWORD):
    vault = VaultLib([("umzug", VaultSecret(password.encode()))])
    return yaml.safe_load(vault.decrypt(path.read_bytes()))


@pytest.mark.parametrize(("name", "expected"), [
    ("jgrosse", "reset"), ("JGrosse", "reset"), ("azubi-tim", "none"), ("hmueller", "hash")])
def test_policy_of(name, expected):
    assert accounts_passwords.policy_of(name, "hash", {"jgrosse": "reset", "azubi-*": "none"}) == expected


def test_generated_passwords_meet_ad_complexity_and_differ():
    made = {accounts_passwords.generate() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert len(password) == 19
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)


def test_letter_file_is_vault_encrypted_and_second_run_keeps_it(run_module, setup):
    args, path = setup
    first = run_module(accounts_letters.main, args())
    assert first["changed"] and first["added"] == ["bgh-jgrosse"]
    assert first["hash_sids"] == [f"{SID}-1105"]
    assert first["policies"] == {"hmueller": "hash", "jgrosse": "reset", "azubi-tim": "none"}
    raw = path.read_bytes()
    assert raw.startswith(b"$ANSIBLE_VAULT;1.2;AES256;umzug\n")
    password = first["passwords"]["bgh-jgrosse"]
    assert password.encode() not in raw and b"bgh-jgrosse" not in raw
    assert path.stat().st_mode & 0o777 == 0o600
    (letter,) = decrypt(path)["letters"]
    assert letter == {"name": "bgh-jgrosse", "upn": "bgh-jgrosse@rz.test", "display": "Jana Große",
                      "old_name": "jgrosse", "password": password}
    second = run_module(accounts_letters.main, args())
    assert not second["changed"]
    assert second["passwords"] == {"bgh-jgrosse": password}
    assert path.read_bytes() == raw


def test_check_mode_writes_nothing_and_diff_shows_no_password(run_module, setup):
    args, path = setup
    result = run_module(accounts_letters.main, args(), check=True, diff=True)
    assert result["changed"] and not path.exists()
    assert result["diff"]["after"] == {"letters": ["bgh-jgrosse"]}
    shown = json.dumps({k: v for k, v in result.items() if k != "passwords"})
    assert result["passwords"]["bgh-jgrosse"] not in shown


def test_no_letter_for_an_account_that_exists_already(run_module, setup):
    args, path = setup
    mapping = {"users": [entry(1106, "jgrosse", "bgh-jgrosse", new_sid="S-1-5-21-7-8-9-1601")]}
    result = run_module(accounts_letters.main, args(mapping=mapping))
    assert result["added"] == [] and not result["changed"] and not path.exists()


def test_wrong_vault_password_fails_with_the_file_named(run_module, setup, tmp_path):
    args, path = setup
    run_module(accounts_letters.main, args())
    other = tmp_path / "other"
    other.write_text("another password\n")
    result = run_module(accounts_letters.main, args(vault_password_file=str(other)), fails=True)
    assert str(path) in result["msg"]


@pytest.mark.parametrize(("more", "message"), [
    ({"vault_password_file": "/nonexistent/vault"}, "vault password file /nonexistent/vault does not exist"),
    ({"overrides": {"x*": "later"}}, "password policy 'later' of pattern 'x*' is not one of hash, reset, none"),
])
def test_bad_input_one_clear_message(run_module, setup, more, message):
    args, path = setup
    result = run_module(accounts_letters.main, args(**more), fails=True)
    assert message in result["msg"]
    assert not path.exists()
