"""The accounts payload's life cycle, from what prepare.yml and side_effect.yml kept in
runs/: the dry run, the delta re-sync, disable/enable of the source accounts and the
rollback, each against the real DCs; and no secret in any run's output or file."""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.acceptance.remote import parse_ldif, run_with_password
from tests.support.lab import SEED, password, users

testinfra_hosts = ["ansible://acc-rz-dc"]
SAM = "/var/lib/samba/private/sam.ldb"
STATE = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
RUNS = STATE / "runs"
TOP = Path(__file__).resolve().parents[3]
PASSWORDS = TOP / ".lab" / "molecule" / "passwords"
VAULT_PASSWORD_FILE = PASSWORDS / "umzug-vault"
ALTDORF = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"
BERGHEIM = "OU=Bergheim,OU=Kommunen,DC=rz,DC=test"
# Objects the RZ put into Altdorf's OU before the migration (prepare.yml).
PREEXISTING = [ALTDORF, f"CN=rz-betreuer,{ALTDORF}", f"CN=rz-betreuung,{ALTDORF}"]
LETTERS = STATE / "letters" / "kommune-b.vault.yml"


def dump(name):
    """{lower-case DN: entry} of a dump in runs/."""
    return {e["dn"][0].lower(): e for e in parse_ldif((RUNS / name).read_text(encoding="utf-8"))}


def by_name(name):
    return {e["sAMAccountName"][0]: e for e in dump(name).values() if "sAMAccountName" in e}


def disabled(entry):
    return bool(int(entry["userAccountControl"][0]) & 0x2)


def log(name):
    return (RUNS / f"{name}.log").read_text(encoding="utf-8")


def mapping(kommune):
    return yaml.safe_load((STATE / "mapping" / f"{kommune}.yml").read_text(encoding="utf-8"))


def undo_record_entries(folder, key):
    return [r for p in sorted(folder.glob("*.yml")) for r in (yaml.safe_load(p.read_text(encoding="utf-8")) or {})
            .get(key) or ()]


def letters():
    ansible_vault = Path(sys.executable).parent / "ansible-vault"
    shown = subprocess.run([str(ansible_vault), "view", "--vault-id", f"umzug@{VAULT_PASSWORD_FILE}", str(LETTERS)],
                           capture_output=True, text=True, check=False)
    assert shown.returncode == 0, "the letter file decrypts with the lab's vault password"
    return yaml.safe_load(shown.stdout)


@pytest.mark.parametrize("run", ["check", "delta-vvv", "disable-source", "delta-after-disable", "enable-source",
                                 "disable-source-again", "rollback", "apply-after-rollback"])
def test_run_succeeded(run):
    assert "failed=0" in log(run) and "unreachable=0" in log(run)


# --- dry run -----------------------------------------------------------------------------

def test_dry_run_changed_nothing():
    before, after = dump("central-before-check.ldif"), dump("central-after-check.ldif")
    assert set(before) == set(after), "no object added or removed"
    # Samba itself updates the bind account's logon time stamps, so the change counters
    # are compared where the payload writes: the Kommunen's OUs.
    kommunen = "ou=kommunen,dc=rz,dc=test"
    assert len([dn for dn in before if dn.endswith(kommunen)]) == len(PREEXISTING) + 1
    assert {dn: e["uSNChanged"] for dn, e in before.items() if dn.endswith(kommunen)} == \
        {dn: e["uSNChanged"] for dn, e in after.items() if dn.endswith(kommunen)}


def _migrated(kommune):
    entries = mapping(kommune)
    seeded_users = {u["name"] for u in SEED[kommune]["users"]}
    seeded_groups = {g["name"] for g in SEED[kommune]["groups"]}
    return ([e["new_name"] for e in entries["users"] if e["old_name"] in seeded_users]
            + [e["new_name"] for e in entries["groups"] if e["old_name"] in seeded_groups])


@pytest.mark.parametrize("kommune", ["kommune-a", "kommune-b"])
def test_dry_run_diff_shows_every_object(kommune):
    shown = log("check")
    # The diff is rendered in the configured result format (YAML here, JSON by default).
    missing = [name for name in _migrated(kommune)
               if not re.search(rf'^\+?\s*"?sAMAccountName"?: "?{re.escape(name)}"?,?$', shown, re.MULTILINE)]
    assert not missing
    assert "initial password from the letter file" in shown
    assert "carried from the source (hash not shown)" in shown


# --- delta re-sync -----------------------------------------------------------------------

def test_delta_creates_updates_and_disables():
    after = by_name("central-after-delta.ldif")
    assert not disabled(after["ald-dkommt"]), "new at the source: created and enabled"
    assert after["ald-dbleibt"]["description"] == ["nachher"], "changed at the source: updated"
    assert disabled(after["ald-dgeht"]), "removed at the source: disabled, not deleted"
    assert not disabled(after["rz-betreuer"]), "not umzug's: left alone"


# --- source accounts ---------------------------------------------------------------------

def test_disable_source_disabled_exactly_the_enabled_migrated_accounts():
    before, after = by_name("source-before.ldif"), by_name("source-after-disable.ldif")
    migrated = {e["old_name"] for e in mapping("kommune-a")["users"] if e.get("new_sid")}
    # umzug's own replication account (Altdorf's hashes come over DRSUAPI) is never disabled.
    own = {"umzug-repl"}
    expected = {name for name, e in before.items() if not disabled(e) and name in migrated and name not in own}
    assert "pschneider" not in expected and "hmueller" in expected and "Administrator" not in expected
    assert own <= migrated and not any(disabled(after[name]) for name in own)
    recorded = undo_record_entries(RUNS / "undo-record-before-rollback", "source_disabled")
    first_run = [r["name"] for r in recorded][:len(expected)]
    assert set(first_run) == expected
    was_disabled = {name for name, e in before.items() if disabled(e)}
    assert {name for name, e in after.items() if disabled(e)} == was_disabled | expected


def test_delta_after_disable_source_keeps_the_migrated_users_enabled():
    """The cut-over's order: disable_source, then the delta. umzug's own disable at the
    source does not reach the central directory; the Kommune's own one (dbleibt, disabled
    at the source just before) does."""
    source_before, source_after = by_name("source-before.ldif"), by_name("source-after-disable.ldif")
    by_umzug = {n for n, e in source_after.items() if disabled(e) and not disabled(source_before[n])}
    assert "hmueller" in by_umzug and "dbleibt" not in by_umzug
    assert disabled(source_before["dbleibt"])
    new_name = {e["old_name"]: e["new_name"] for e in mapping("kommune-a")["users"]}
    before, after = by_name("central-after-delta.ldif"), by_name("central-after-disable-delta.ldif")
    assert [new_name[n] for n in sorted(by_umzug) if disabled(after[new_name[n]])] == []
    assert disabled(after["ald-dbleibt"]) and not disabled(before["ald-dbleibt"])
    assert disabled(after["ald-pschneider"]), "disabled at the source before umzug: stays disabled"
    altdorf = [n for n, e in after.items()
               if e["dn"][0].lower().endswith(ALTDORF.lower()) and "userAccountControl" in e]
    assert len(altdorf) > 5
    changed = sorted(n for n in altdorf if after[n]["userAccountControl"] != before[n]["userAccountControl"])
    assert changed == ["ald-dbleibt"]


@pytest.mark.parametrize("dump_name", ["source-after-enable.ldif", "source-after-rollback.ldif"])
def test_enable_source_and_rollback_give_back_exactly_the_old_state(dump_name):
    before, after = by_name("source-before.ldif"), by_name(dump_name)
    assert {n: e["userAccountControl"] for n, e in after.items()} == \
        {n: e["userAccountControl"] for n, e in before.items()}
    assert disabled(after["pschneider"]), "disabled before umzug: still disabled"


# --- rollback ----------------------------------------------------------------------------

def test_rollback_removed_what_umzug_created():
    created = undo_record_entries(RUNS / "undo-record-before-rollback", "created")
    assert {r["kind"] for r in created} >= {"user", "group"}
    after = dump("central-after-rollback.ldif")
    left = [r["dn"] for r in created if r["dn"].lower() in after]
    assert not left


@pytest.mark.parametrize("dn", PREEXISTING)
def test_rollback_left_preexisting_objects_untouched(dn):
    before, after = dump("central-before-rollback.ldif"), dump("central-after-rollback.ldif")
    assert after[dn.lower()]["uSNChanged"] == before[dn.lower()]["uSNChanged"]
    assert after[dn.lower()].get("objectSid") == before[dn.lower()].get("objectSid")


def test_rollback_of_one_kommune_leaves_the_other():
    before, after = dump("central-before-rollback.ldif"), dump("central-after-rollback.ldif")
    bergheim = {dn: e["uSNChanged"] for dn, e in before.items() if dn.endswith(BERGHEIM.lower())}
    assert len(bergheim) > 10
    assert {dn: after[dn]["uSNChanged"] for dn in bergheim if dn in after} == bergheim


# --- OpenLDAP source ---------------------------------------------------------------------

def test_openldap_source_disable_is_reported_not_done():
    import json

    result = json.loads((STATE / "openldap-disable.json").read_text(encoding="utf-8"))
    assert result["changed"] is False and result["accounts"] == []
    (finding,) = result["umzug_findings"]
    assert finding["key"] == "accounts.source_disable_unsupported"
    assert sorted(finding["resources"]) == ["jkoenig", "mschmidt"]


# --- secrets -----------------------------------------------------------------------------

def _nt_hashes(host):
    found = host.run(f"ldbsearch -H {SAM} -b %s %s unicodePwd", "OU=Kommunen,DC=rz,DC=test", "(objectClass=user)")
    assert found.rc == 0
    raw = [line.split("::", 1)[1].strip() for line in found.stdout.splitlines() if line.startswith("unicodePwd::")]
    return [(b64, base64.b64decode(b64).hex()) for b64 in raw]


def _secrets(host):
    found = [password(wg, u["name"]) for k, wg in (("kommune-a", "KOMMUNEA"), ("kommune-b", "KOMMUNEB"))
             for u in users(k)]
    found += ["Lab-" + (PASSWORDS / wg / "Administrator").read_text(encoding="utf-8").strip()
              for wg in ("KOMMUNEA", "KOMMUNEB", "RZ")]
    found += ["Lab-" + (PASSWORDS / "KOMMUNEA" / account).read_text(encoding="utf-8").split()[0]
              for account in ("umzug-repl", "umzug-norepl")]
    found += [(PASSWORDS / "KOMMUNEC" / "admin").read_text(encoding="utf-8").strip(),
              VAULT_PASSWORD_FILE.read_text(encoding="utf-8").strip()]
    found += [letter["password"] for letter in letters()["letters"]]
    hashes = _nt_hashes(host)
    assert len(hashes) > 20
    for b64, hexa in hashes:
        found += [b64, hexa, hexa.upper()]
    return [s for s in found if s]


def test_no_secret_in_any_output_or_file(host):
    verbose = log("delta-vvv")
    assert "ESTABLISH SSH CONNECTION" in verbose, "the delta run was verbose (-vvv)"
    texts = {str(p): p.read_text(encoding="utf-8", errors="replace") for p in STATE.rglob("*")
             if p.is_file() and p.suffix in (".log", ".ldif", ".yml", ".json")}
    assert any(name.endswith(".vault.yml") for name in texts)
    leaked = [(name, i) for i, secret in enumerate(_secrets(host)) for name, text in texts.items() if secret in text]
    assert not leaked, f"secrets (by index) found in {sorted({n for n, _ in leaked})}"


# --- reset policy ------------------------------------------------------------------------

def test_letter_file_is_vault_encrypted():
    raw = LETTERS.read_text(encoding="utf-8")
    assert raw.startswith("$ANSIBLE_VAULT;1.2;AES256;umzug\n")
    (letter,) = letters()["letters"]
    assert letter["name"] == "bgh-rkuehn" and letter["old_name"] == "rkuehn"
    assert letter["password"] not in raw and "rkuehn" not in raw


def test_initial_password_must_be_changed_at_first_logon(host):
    initial = letters()["letters"][0]["password"]
    (entry,) = parse_ldif(host.run(f"ldbsearch -H {SAM} %s pwdLastSet", "(sAMAccountName=bgh-rkuehn)").stdout)
    assert entry["pwdLastSet"] == ["0"]
    logon = ["smbclient", "//acc-rz-fs/IPC$", "-U", "RZ\\bgh-rkuehn", "-c", "exit"]
    # Samba enforces the change: the right initial password is answered with
    # PASSWORD_MUST_CHANGE, a wrong one with LOGON_FAILURE.
    assert "NT_STATUS_PASSWORD_MUST_CHANGE" in run_with_password(host, initial, logon).output
    assert "NT_STATUS_LOGON_FAILURE" in run_with_password(host, initial + "x", logon).output
    # The person changes it (as Windows asks at logon) and logs on with the new one.
    new = "Neu-" + initial[::-1]
    changed = run_with_password(host, f"{initial} {new}", [
        "bash", "-c", 'set -- $PASSWD; printf "%s\\n%s\\n%s\\n" "$1" "$2" "$2" '
                      "| smbpasswd -s -r acc-rz-dc -U bgh-rkuehn"])
    assert changed.rc == 0, changed.output
    assert run_with_password(host, new, logon).rc == 0
