"""The Kommune's member file server: joined, resolving domain users, files with NT ACLs."""

import pytest

from tests.acceptance.remote import run_with_password
from tests.support.lab import SEED, password, users

testinfra_hosts = ["ansible://fs"]
KOMMUNE = "kommune-a"
SHARES = SEED[KOMMUNE]["shares"]
FILES = [(s["path"], f["path"]) for s in SHARES for f in s.get("files", [])]
WELL_KNOWN = {"Everyone": "S-1-1-0"}
# smbcacls --numeric: type 0 is ALLOWED; flags 0x3 are OI|CI; masks of Samba's names.
MASKS = {"FULL": "0x001f01ff", "CHANGE": "0x001301ff", "READ": "0x001200a9"}
FLAGS = {"OI|CI": "0x3", "0x0": "0x0"}


def sid_of(host, name):
    result = host.run("wbinfo --name-to-sid %s", f"KOMMUNEA\\{name}")
    assert result.rc == 0, f"{name}: {result.stderr}"
    return result.stdout.split()[0]


def test_domain_trust_is_valid(host):
    result = host.run("wbinfo -t")
    assert result.rc == 0, result.stdout + result.stderr


@pytest.mark.parametrize("user", users(KOMMUNE), ids=lambda u: u["name"])
def test_winbind_resolves_domain_users(host, user):
    result = host.run("wbinfo --name-to-sid %s", f"KOMMUNEA\\{user['name']}")
    assert result.rc == 0 and result.stdout.startswith("S-1-5-21-"), result.stderr
    assert host.user(f"KOMMUNEA\\{user['name']}").exists


# Distribution groups are no security principals: winbind rightly gives them no gid.
SECURITY_GROUPS = [g for g in SEED[KOMMUNE]["groups"] if g.get("type", "security") == "security"]


@pytest.mark.parametrize("group", SECURITY_GROUPS, ids=lambda g: g["name"])
def test_winbind_resolves_domain_groups(host, group):
    assert host.group(f"KOMMUNEA\\{group['name']}").exists


def test_shares_store_windows_acls_in_xattrs(host):
    config = host.run("testparm -s --section-name=global --parameter-name='vfs objects'")
    assert config.stdout.strip() == "acl_xattr"


@pytest.mark.parametrize(("root", "path"), FILES, ids=[p for _, p in FILES])
def test_seeded_file_carries_an_nt_acl_and_dos_attributes(host, root, path):
    target = f"{root}/{path}"
    assert host.file(target).exists
    names = host.run("getfattr --absolute-names -d -m - %s", target).stdout
    assert "security.NTACL=" in names
    assert "user.DOSATTRIB=" in names


@pytest.mark.parametrize("share", SHARES, ids=lambda s: s["name"])
def test_share_acl_as_served_names_the_kommunes_groups(host, share):
    """Read over SMB (as a PC would see it) with SIDs, not names, so nothing is guessed."""
    acl = run_with_password(host, password("KOMMUNEA", "Administrator"), [
        "smbcacls", f"//{host.backend.get_hostname()}/{share['name']}", "", "--numeric",
        "-U", "KOMMUNEA\\Administrator"])
    assert acl.rc == 0, acl.output
    for entry in share["acl"]:
        sid = WELL_KNOWN.get(entry["principal"]) or sid_of(host, entry["principal"])
        expected = f"ACL:{sid}:0/{FLAGS[entry.get('flags', 'OI|CI')]}/{MASKS[entry['access']]}"
        assert expected in acl.stdout.splitlines(), f"{entry['principal']}: {expected} not in {acl.stdout}"
