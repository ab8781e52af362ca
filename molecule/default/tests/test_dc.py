"""The Kommune's domain controller: Samba AD with the seeded directory."""

import pytest

from tests.acceptance.remote import parse_ldif
from tests.support.lab import SEED, users

testinfra_hosts = ["ansible://dc"]
KOMMUNE = "kommune-a"
SAM = "/var/lib/samba/private/sam.ldb"


def ldb(host, filt, *attrs):
    placeholders = " ".join(["%s"] * (2 + len(attrs)))
    result = host.run(f"ldbsearch -H {placeholders}", SAM, filt, *attrs)
    assert result.rc == 0, result.stderr
    return parse_ldif(result.stdout)


def test_samba_ad_dc_runs(host):
    service = host.service("samba-ad-dc")
    assert service.is_running
    assert service.is_enabled


def test_dc_serves_its_own_domain(host):
    out = host.run("samba-tool domain info 127.0.0.1").stdout
    info = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}
    assert info["Domain"] == "kommune-a.test"
    assert info["Netbios domain"] == "KOMMUNEA"


@pytest.mark.parametrize("port", [53, 88, 389, 445, 636])
def test_dc_listens(host, port):
    assert host.socket(f"tcp://0.0.0.0:{port}").is_listening


@pytest.mark.parametrize("user", users(KOMMUNE), ids=lambda u: u["name"])
def test_seeded_user_exists_with_its_state(host, user):
    entries = ldb(host, f"(sAMAccountName={user['name']})", "userAccountControl", "sn")
    assert len(entries) == 1, entries
    assert entries[0]["sn"] == [user["surname"]]
    uac = int(entries[0]["userAccountControl"][0])
    disabled = bool(uac & 0x2)
    assert disabled == (not user.get("enabled", True))
    never_expires = bool(uac & 0x10000)
    assert never_expires == bool(user.get("service"))


@pytest.mark.parametrize(
    "group", [g for g in SEED[KOMMUNE]["groups"] if g.get("members")], ids=lambda g: g["name"]
)
def test_nested_groups_hold_their_groups(host, group):
    (entry,) = ldb(host, f"(sAMAccountName={group['name']})", "member")
    member_cns = {dn.split(",")[0].removeprefix("CN=") for dn in entry["member"]}
    assert set(group["members"]) <= member_cns
