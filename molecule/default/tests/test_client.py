"""The Kommune workstation: what a person at a PC can reach, as that person."""

import pytest

from tests.support.lab import domain_of, ldaps_search, smbclient

testinfra_hosts = ["ansible://clients"]


@pytest.fixture
def domain(host):
    return domain_of(host)


def test_dc_answers_ldaps_with_a_verified_certificate(host, domain):
    out = ldaps_search(host, domain["dc_fqdn"], domain["realm"], domain["workgroup"], "zweiss", domain["base_dn"],
                       "(sAMAccountName=aschaefer-oezdemir)", "memberOf")
    assert out.rc == 0, out.output
    assert f"memberOf: CN=Ordnungsamt,OU=Gruppen,{domain['base_dn']}" in out.stdout


@pytest.mark.parametrize(
    ("user", "share", "expect"),
    [
        ("hmueller", "bauamt", "Bauanträge"),          # Bauamt: change
        ("aschaefer-oezdemir", "bauamt", "Bauanträge"),  # Ordnungsamt via Bauamt-Lesen: read
        ("zweiss", "bauamt", "NT_STATUS_ACCESS_DENIED"),  # Standesamt: nothing
        ("zweiss", "standesamt", "Eheschließungen"),
        ("hmueller", "standesamt", "NT_STATUS_ACCESS_DENIED"),
        ("mschmidt", "austausch", "Telefonliste.txt"),   # everyone reads the public share
    ],
)
def test_share_access_follows_the_acls(host, domain, user, share, expect):
    out = smbclient(host, domain["fs"], share, domain["workgroup"], user, "ls")
    assert expect in out.output


def test_reader_cannot_write(host, domain):
    out = smbclient(host, domain["fs"], "bauamt", domain["workgroup"], "aschaefer-oezdemir",
                    "put /etc/hostname Unerlaubt.txt")
    assert "NT_STATUS_ACCESS_DENIED" in out.output


def test_user_writes_to_the_own_home_only(host, domain):
    own = smbclient(host, domain["fs"], "home", domain["workgroup"], "hmueller",
                    "cd hmueller; put /etc/hostname Test.txt; ls Test.txt; del Test.txt")
    assert own.rc == 0 and "Test.txt" in own.stdout, own.output
    other = smbclient(host, domain["fs"], "home", domain["workgroup"], "hmueller", "cd zweiss; ls")
    assert "NT_STATUS_ACCESS_DENIED" in other.output
