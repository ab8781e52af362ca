"""The SMB sync's metadata writer (shares/smb_metadata.py) against Samba on the RZ file
server: what converge wrote (tasks/smb_metadata.yml) as Samba serves it over SMB
(smbclient allinfo and get, smbcacls), and on disk (the DOSATTRIB bytes next to Samba's own
ndr_pack, getfacl for the POSIX side)."""

import json
import re

import pytest

from tests.acceptance.remote import run_with_password
from tests.support.lab import admin_password

testinfra_hosts = ["ansible://win-rz-fs"]
SERVER, SHARE, ROOT = "win-rz-fs", "umzug-meta", "/srv/shares/umzug-meta"
RESULT = "/var/tmp/umzug-smb-metadata/result.json"
PLAN, SYSTEM, FOLDER = "Haushalt/Haushaltsplan 2024.xlsx", "Haushalt/System.dat", "Haushalt"


@pytest.fixture(scope="module")
def result(host):
    return json.loads(host.file(RESULT).content_string)


def as_admin(host, tool, *args):
    outcome = run_with_password(host, admin_password("RZ"), [tool, f"//{SERVER}/{SHARE}", *args, "-U",
                                                             "RZ\\Administrator"])
    assert outcome.rc == 0, outcome.stdout + outcome.stderr
    return outcome.stdout


def allinfo(host, path):
    return as_admin(host, "smbclient", "-c", f'allinfo "{path}"')


@pytest.mark.parametrize("path", [FOLDER, PLAN, SYSTEM])
def test_dosattrib_is_what_samba_packs(result, path):
    assert result["dosattrib"][path] == result["ndr_pack"][path]


@pytest.mark.parametrize("path, attributes, created", [
    (FOLDER, "HD (12)", "Mon Mar  4 08:15:00 2019 UTC"),
    # not content indexed (0x2000) is not kept by Samba and reported instead
    (PLAN, "RA (21)", "Thu Jan  2 03:04:05 2020 UTC"),
    (SYSTEM, "HSA (26)", "Fri Jan  1 00:00:00 2010 UTC"),
])
def test_attributes_and_creation_time_as_served(host, path, attributes, created):
    info = allinfo(host, path)
    assert f"attributes: {attributes}" in info, info
    assert re.search(rf"^create_time:\s+{re.escape(created)}$", info, re.M), info


def test_streams_as_served_with_their_sizes(host):
    streams = dict(re.findall(r"^stream: \[(.*)\], (\d+) bytes$", allinfo(host, PLAN), re.M))
    # Gross (6,144 bytes: more than the file's xattrs hold on ext4) and Vorschau (1 MiB,
    # beyond the limit) are not there in part: they are findings.
    assert streams == {"::$DATA": "7", ":Autor:$DATA": "26", ":Zone.Identifier:$DATA": "26"}


@pytest.mark.parametrize("stream", ["Autor", "Zone.Identifier"])
def test_stream_content_reads_back_over_smb(host, result, stream):
    local = f"/var/tmp/umzug-smb-metadata/{stream}.got"
    as_admin(host, "smbclient", "-c", f'get "{PLAN}:{stream}" {local}')
    assert host.file(local).content.hex() == result["stream_content"][stream]


def test_streams_the_target_cannot_hold_are_findings(result):
    for run in result["runs"]:
        found = {(key, path): detail for key, path, detail, _sids in run[PLAN]["problems"]}
        assert "no room for it" in found[("shares.stream_too_large", f"{PLAN}:Gross")]
        assert "up to 65535" in found[("shares.stream_too_large", f"{PLAN}:Vorschau")]
        assert found[("shares.attribute_not_carried", PLAN)] == "I"
    assert result["streams"][PLAN] == ["user.DosStream.Autor:$DATA", "user.DosStream.Zone.Identifier:$DATA"]


def test_a_second_run_writes_only_the_security_descriptor(result):
    assert {path: done["written"] for path, done in result["runs"][1].items()} == \
        {FOLDER: ["sd"], PLAN: ["sd"], SYSTEM: ["sd"]}


def sd_of(host, path):
    text = as_admin(host, "smbcacls", "--numeric", path)
    lines = text.splitlines()
    field = {line.split(":", 1)[0]: line.split(":", 1)[1] for line in lines if not line.startswith("ACL:")}
    return field, [line[len("ACL:"):] for line in lines if line.startswith("ACL:")]


def test_file_sd_as_served_with_translated_sids(host, result):
    new, unmapped = result["new"], result["unmapped"]
    field, aces = sd_of(host, PLAN)
    assert (field["OWNER"], field["GROUP"]) == (new["admin"], new["users"])
    assert int(field["CONTROL"], 16) & 0x1000  # DACL protected, as at the source
    assert aces == [f"{new['admin']}:0/0x0/0x001f01ff", f"{new['admins']}:0/0x0/0x001301bf",
                    f"{unmapped}:0/0x0/0x001200a9", "S-1-5-32-545:0/0x0/0x001200a9"]
    assert [path for path, done in result["runs"][0].items()
            if ["shares.sid_unmapped", path, unmapped, [unmapped]] in done["problems"]] == [PLAN, SYSTEM]
    # The SACL as Samba keeps it (read by Samba's own get_nt_acl).
    assert result["sddl"][PLAN].endswith("S:(AU;SA;SD;;;WD)")
    assert "S:" not in result["sddl"][SYSTEM]


def test_folder_sd_keeps_its_inheritance_flags(host, result):
    new = result["new"]
    field, aces = sd_of(host, FOLDER)
    assert int(field["CONTROL"], 16) & 0x400  # DACL auto-inherited
    assert aces == [f"{new['admins']}:0/0x3/0x001f01ff", "S-1-3-0:0/0xb/0x001f01ff",
                    f"{new['users']}:0/0x13/0x001200a9"]


def ids(host, sid):
    outcome = host.run(f"wbinfo --sid-to-uid {sid} || wbinfo --sid-to-gid {sid}")
    assert outcome.rc == 0, outcome.stderr
    return outcome.stdout.split()[0]


def test_posix_side_is_consistent(host, result):
    new = result["new"]
    admin, admins, users = ids(host, new["admin"]), ids(host, new["admins"]), ids(host, new["users"])
    plan = host.run(f'getfacl -n "{ROOT}/{PLAN}"').stdout
    assert f"# owner: {admin}" in plan and f"# group: {users}" in plan, plan
    assert f"group:{admins}:rwx" in plan, plan
    folder = host.run(f'getfacl -n "{ROOT}/{FOLDER}"').stdout
    assert f"default:group:{admins}:rwx" in folder, folder
    assert f"# owner: {admin}" in folder, folder
