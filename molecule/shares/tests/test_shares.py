"""The shares payload's result, checked from the RZ file server and against the source.

Evidence of the converge run (pre-flight, dry run, the killed pass, verification) is
read from the scenario's ephemeral folder; everything else is looked at independently of
umzug's own code: testparm, find/sha256sum/getfattr dumps of both trees, smbcacls as
served, and smbclient log-ons of sample users with their old passwords.
"""

import json
import os
import re
from pathlib import Path

import pytest
import testinfra
import yaml

from tests.acceptance.remote import run_with_password
from tests.support.lab import SEED, TOP, password, smbclient

testinfra_hosts = ["ansible://shr-rz-fs"]
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
RECORD = EPHEMERAL / "shares"
SHARES = {s["name"]: s for s in SEED["kommune-a"]["shares"]}
SOURCE_ROOT = "/srv/shares/bauamt"
TARGET_ROOT = "/srv/shares/altdorf-bauamt"
FOREIGN_SID = "S-1-5-21-1111111111-2222222222-3333333333-1234"


def record(name):
    return json.loads((RECORD / name).read_text(encoding="utf-8"))


def mapping():
    return yaml.safe_load((EPHEMERAL / "mapping" / "kommune-a.yml").read_text(encoding="utf-8"))


def new_name(old):
    return next(e["new_name"] for e in mapping()["users"] if e["old_name"] == old)


def rz_admin_password():
    """The RZ's Administrator password, made by the lab's rule (lab/accounts.yml)."""
    prefix = yaml.safe_load((TOP / "lab" / "accounts.yml").read_text(encoding="utf-8"))["umzug_lab_password_prefix"]
    stored = (TOP / ".lab" / "molecule" / "passwords" / "RZ" / "Administrator").read_text(encoding="utf-8")
    return prefix + stored.split()[0]


@pytest.fixture(scope="module")
def source():
    return testinfra.get_host("ansible://shr-a-fs", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


# --- pre-flight ----------------------------------------------------------------------------

AWKWARD = [
    ("shares.name_invalid_character", "Altlasten/Angebot: Entwurf?.txt"),
    ("shares.name_trailing_dot_or_space", "Altlasten/Protokoll."),
    ("shares.name_reserved", "Altlasten/CON.txt"),
    ("shares.name_invalid_utf8", "Altlasten/M\\xfcller-Lieferschein.txt"),
    ("shares.name_case_collision", "Altlasten/BERICHT.txt"),
    ("shares.path_too_long", None),
    ("shares.hard_link", "Altlasten/Lageplan (harter Link).txt"),
    ("shares.symlink", "Altlasten/Verweis auf Lageplan"),
    ("shares.symlink_outside", "Altlasten/Verweis nach draußen"),
    ("shares.sparse_file", "Altlasten/Festplattenabbild.img"),
    ("shares.sid_unmapped", FOREIGN_SID),
]


@pytest.mark.parametrize(("key", "resource"), AWKWARD, ids=[k for k, _ in AWKWARD])
def test_preflight_reports_each_awkward_case(key, resource):
    findings = [f for f in record("discover.json")["umzug_findings"] if f["key"] == key]
    assert findings, f"no finding {key}"
    assert all(f["payload"] == "shares" and f["kommune"] == "kommune-a" for f in findings)
    if resource:
        assert any(resource in f["resources"] for f in findings), [f["resources"] for f in findings]


def test_preflight_describes_every_share():
    shares = {s["name"]: s for s in record("discover.json")["shares"]}
    assert set(shares) == set(SHARES)
    bauamt = shares["bauamt"]
    assert bauamt["target_name"] == "altdorf-bauamt" and bauamt["files"] > 10 and bauamt["symlinks"] == 2
    assert FOREIGN_SID in {p["sid"] for p in bauamt["principals"]}


# --- provisioning ------------------------------------------------------------------------------

def served_settings(host):
    out = host.check_output("testparm -s 2>/dev/null")
    sections, current = {}, None
    for line in out.splitlines():
        header = re.match(r"^\[(.+)\]$", line.strip())
        if header:
            current = sections.setdefault(header[1], {})
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key.strip().lower()] = value.strip()
    return sections


@pytest.mark.parametrize("share", sorted(SHARES))
def test_share_registered_with_its_settings(host, share):
    served = served_settings(host)[f"altdorf-{share}"]
    assert served["path"] == f"/srv/shares/altdorf-{share}"
    assert served.get("comment") == SHARES[share]["comment"]
    for key, value in SHARES[share].get("options", {}).items():
        assert served[key].lower() == str(value).lower(), key
    assert served.get("read only", "yes").lower() == "no"  # as at the source before the freeze


def names(value):
    """The names of a Samba list (commas or spaces between, double quotes around a part)."""
    return [name.replace('"', "") for name in re.findall(r'(?:[^,\s"]|"[^"]*")+', value)]


def test_principal_setting_names_the_new_groups(host, source):
    """converge gave the source's standesamt share valid users naming old groups."""
    before = served_settings(source)["standesamt"]["valid users"]
    after = served_settings(host)["altdorf-standesamt"]["valid users"]
    group = next(e["new_name"] for e in mapping()["groups"] if e["old_name"].lower() == "standesamt")
    assert names(before) == ["@KOMMUNEA\\Standesamt", "@KOMMUNEA\\Domain Admins"]
    assert names(after) == [f"@RZ\\{group}", "@RZ\\Domain Admins"]


def test_include_file_registered_in_smb_conf(host):
    assert host.file("/etc/samba/smb.conf").contains("^include = /etc/samba/umzug/altdorf.conf$")


# --- the passes ------------------------------------------------------------------------------

def test_dry_run_reported_exact_work_and_first_entries():
    dry = record("dry-run.json")
    assert dry["counts"]["delete"] == 1 and dry["first"]["delete"] == ["Scans/Scan_0001.txt"]
    assert "Bauanträge/2025/Antrag Neubau Mühlweg.txt" in dry["first"]["copy"]
    assert "Pläne/Bebauungsplan Nr. 12 (Entwurf).txt" in dry["first"]["copy"]
    assert "Archiv.bin" in dry["first"]["copy"]
    assert dry["counts"]["copy"] == len(dry["first"]["copy"]) and dry["bytes"] >= 256 * 1024 * 1024


def test_killed_pass_failed_and_the_next_one_completed(host):
    killed = record("killed.json")
    # The job ended with share_sync's failure (converge waits on it with failed_when: false,
    # which sets "failed" to false): a message naming share and pass, and no result of a pass.
    assert killed["finished"] and "counts" not in killed
    assert killed["msg"].startswith("share bauamt, delta pass: "), killed["msg"]
    assert 0 < killed["progress"].get("bytes", 0) < killed["progress"]["bytes_total"]  # killed mid-copy
    verified = {r["share"]: r for r in record("verify.json")["results"]}
    assert verified["bauamt"]["identical"]
    assert host.file(f"{TARGET_ROOT}/Archiv.bin").size == 256 * 1024 * 1024


def test_the_final_pass_of_all_shares_ran_as_one_job_with_a_result_per_share():
    final = record("final-pass.json")
    assert [item["share"] for item in final["shares"]] == [item["name"] for item in final["outcomes"]]
    assert {item["share"] for item in final["shares"]} == set(SHARES)
    assert all(item["complete"] and not item["failed"] for item in final["shares"])
    # one journal entry per share, its time the share's own inside the job, which ran them in parallel
    assert [item["share"] for item in final["passes"]] == [item["share"] for item in final["shares"]]
    assert all(item["pass"] == "final" and item["wall_seconds"] == round(shared["seconds"], 3)
               for item, shared in zip(final["passes"], final["shares"], strict=True))
    assert max(item["seconds"] for item in final["shares"]) <= final["job_seconds"] < final["wall_seconds"]


def test_every_share_verified_identical():
    results = record("verify.json")["results"]
    assert {r["share"] for r in results} == set(SHARES)
    for result in results:
        assert result["identical"], (result["share"], result["counts"], result["differ"])
        assert result["source"] == result["target"]


def test_deletion_reached_the_target(host):
    assert not host.file(f"{TARGET_ROOT}/Scans/Scan_0001.txt").exists
    assert host.file(f"{TARGET_ROOT}/Altlasten/Leerer Ordner").is_directory


# --- independent comparison of both trees ------------------------------------------------------

DUMPS = {
    # A folder's own size depends on the history of its entries, so folders show no size.
    "tree": "{{ find {root} ! -type d -printf '%y %s %T@ %m %n %l %P\\n'; find {root} -type d -printf "
            "'%y %T@ %m %n %P\\n'; }} | LC_ALL=C sort",
    "content": "cd {root} && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum",
    "user xattrs": "cd {root} && getfattr -R -h -d -m '^user\\.' -e hex . 2>/dev/null",
}


def dump(host, command):
    """A command's output as bytes: the tree holds a name that is not valid UTF-8."""
    out = host.run(command)
    assert out.rc == 0, out.stderr
    return out.stdout_bytes


@pytest.mark.parametrize("what", sorted(DUMPS))
def test_both_trees_dump_the_same(host, source, what):
    before = dump(source, DUMPS[what].format(root=SOURCE_ROOT))
    after = dump(host, DUMPS[what].format(root=TARGET_ROOT))
    assert before.count(b"\n") > 10  # the whole tree, not an empty dump
    assert before == after


def acl_dump(host, root):
    """getfacl of every path below root (owner, group, access and default ACL, by name as
    winbind resolves them), one block per path. getfacl lists named entries by numeric id,
    which the new ids order differently: the entries of a block are sorted."""
    out = dump(host, f"cd {root} && getfacl -R -P . 2>/dev/null").decode("utf-8", "surrogateescape")
    return [block.strip() for block in out.split("\n\n") if block.strip()]


def entries_sorted(block):
    lines = block.splitlines()
    head = [line for line in lines if line.startswith("#")]
    return "\n".join(head + sorted(line for line in lines if not line.startswith("#")))


def rename_principals(block, renamed, old_workgroup, new_workgroup):
    """Names of the old domain in a getfacl block -> the new names (getfacl writes the
    backslash doubled and a space as \\040)."""
    def one(match):
        old = match.group(1).replace("\\040", " ")
        new = renamed.get(old, old)  # well-known names (administrator, domain users ...) keep theirs
        return f"{new_workgroup.lower()}\\\\{new.replace(' ', chr(92) + '040')}"
    return re.sub(rf"(?i){old_workgroup}\\\\([^:\n]+)", one, block).lower()


def test_posix_acls_and_owners_are_the_source_ones_translated(host, source):
    data = mapping()
    renamed = {e["old_name"].lower(): e["new_name"].lower() for e in data["users"] + data["groups"]}
    before = acl_dump(source, SOURCE_ROOT)
    after = acl_dump(host, TARGET_ROOT)
    assert any("kommunea\\\\" in block.lower() for block in before)  # the comparison has names to translate
    assert not any("kommunea\\\\" in block.lower() for block in after)
    assert len(before) > 20  # every path of the tree
    expected = sorted(entries_sorted(rename_principals(block, renamed, "KOMMUNEA", "RZ")) for block in before)
    assert sorted(entries_sorted(block.lower()) for block in after) == expected


def test_file_that_became_a_folder_is_a_folder_on_the_target(host):
    folder = host.file(f"{TARGET_ROOT}/Bauanträge/2025/Stellungnahme Große.txt")
    assert folder.is_directory
    assert host.file(f"{folder.path}/Fassung 2.txt").content_string == "Stellungnahme, nun als Ordner mit Fassungen.\n"


def test_sparse_file_stayed_sparse(host):
    out = host.check_output("stat -c '%%s %%b %%B' %s", f"{TARGET_ROOT}/Altlasten/Festplattenabbild.img")
    size, blocks, block_size = (int(x) for x in out.split())
    assert size == 8 * 1024 * 1024 and blocks * block_size < size


def test_hard_link_kept_and_symlinks_carried_as_links(host):
    one = host.file(f"{TARGET_ROOT}/Altlasten/Lageplan.txt")
    two = host.file(f"{TARGET_ROOT}/Altlasten/Lageplan (harter Link).txt")
    assert host.check_output("stat -c %%i %s", one.path) == host.check_output("stat -c %%i %s", two.path)
    assert host.file(f"{TARGET_ROOT}/Altlasten/Verweis nach draußen").linked_to == "/etc/hostname"


def acl_as_served(host, unc, path, workgroup, secret):
    out = run_with_password(host, secret, ["smbcacls", unc, path, "-U", f"{workgroup}\\Administrator", "--numeric"])
    assert out.rc == 0, out.output
    return sorted(line for line in out.stdout.splitlines() if line.startswith(("OWNER:", "GROUP:", "ACL:")))


def translate(line, table, old_domain, new_domain):
    def one(match):
        sid = match.group(0)
        if sid in table:
            return table[sid]
        rid = sid.rsplit("-", 1)[1]
        if sid.startswith(old_domain + "-") and int(rid) < 1000:
            return f"{new_domain}-{rid}"
        return sid
    return re.sub(r"S-1-[0-9-]+", one, line)


ACL_PATHS = ["", "Bauanträge/2025/Antrag Müller, Hauptstraße 5.txt", "Altlasten/Fremdes Recht.txt"]


@pytest.mark.parametrize("path", ACL_PATHS, ids=["root", "file", "unmapped-sid"])
def test_acl_as_served_is_the_source_acl_translated(host, source, path):
    data = mapping()
    table = {e["old_sid"]: e["new_sid"] for e in data["users"] + data["groups"] if e["old_sid"] and e["new_sid"]}
    before = acl_as_served(source, "//shr-a-fs/bauamt", path, "KOMMUNEA", password("KOMMUNEA", "Administrator"))
    after = acl_as_served(host, "//shr-rz-fs/altdorf-bauamt", path, "RZ", rz_admin_password())
    expected = sorted(translate(line, table, data["source_domain_sid"], data["target_domain_sid"]) for line in before)
    assert after == expected
    assert not any(data["source_domain_sid"] + "-" in line for line in after if FOREIGN_SID not in line)
    if path.startswith("Altlasten/Fremdes"):
        assert any(FOREIGN_SID in line for line in after)  # kept, never dropped


# --- freeze ------------------------------------------------------------------------------------

def test_source_share_is_read_only_after_the_freeze(source):
    # testparm -s leaves out what is Samba's default, and read only = Yes is.
    assert served_settings(source)["bauamt"].get("read only", "yes").lower() == "yes"
    out = smbclient(source, "shr-a-fs", "bauamt", "KOMMUNEA", "hmueller", "put /etc/hostname nach-dem-freeze.txt")
    assert "NT_STATUS_ACCESS_DENIED" in out.output or "NT_STATUS_MEDIA_WRITE_PROTECTED" in out.output, out.output
    assert not source.file(f"{SOURCE_ROOT}/nach-dem-freeze.txt").exists


# --- access as served: nobody gains, nobody loses -------------------------------------------

ACCESS = [
    # user, share, path to read, can read, can write (from the seed's ACLs)
    ("hmueller", "bauamt", "Bauanträge/2025", True, True),
    ("aschaefer-oezdemir", "bauamt", "Bauanträge/2025", True, False),  # Ordnungsamt in Bauamt-Lesen
    ("zweiss", "bauamt", "Bauanträge/2025", False, False),
    ("zweiss", "standesamt", "Eheschließungen", True, True),
    ("hmueller", "standesamt", "Eheschließungen", False, False),
    ("mschmidt", "austausch", "Kantine", True, True),
]


def can_read(host, server, share, workgroup, user, secret, path):
    out = run_with_password(host, secret, ["smbclient", f"//{server}/{share}", "-U", f"{workgroup}\\{user}",
                                           "-c", f'ls "{path}/*"'])
    return out.rc == 0 and "NT_STATUS_" not in out.output


@pytest.mark.parametrize(("user", "share", "path", "readable", "writable"), ACCESS,
                         ids=[f"{u}-{s}" for u, s, *_ in ACCESS])
def test_access_as_served_before_and_after(host, source, user, share, path, readable, writable):
    secret = password("KOMMUNEA", user)  # carried with the account
    assert can_read(source, "shr-a-fs", share, "KOMMUNEA", user, secret, path) is readable
    written_before = {(r["user"], r["share"]): r["wrote"] for r in record("written-before.json")}
    assert written_before[(user, share)] is writable  # at the source, over SMB, before the freeze
    assert can_read(host, "shr-rz-fs", f"altdorf-{share}", "RZ", new_name(user), secret, path) is readable
    probe = f"{path}/umzug-probe-{user}.txt"
    folder = f"/srv/shares/altdorf-{share}/{path}"
    mtime = host.check_output("stat -c %%y %s", folder)
    out = run_with_password(host, secret, ["smbclient", f"//shr-rz-fs/altdorf-{share}", "-U", f"RZ\\{new_name(user)}",
                                           "-c", f'put /etc/hostname "{probe}"; rm "{probe}"'])
    host.check_output("touch -m -d %s %s", mtime, folder)  # the tree as it was, for the comparisons
    wrote = out.rc == 0 and "NT_STATUS_" not in out.output
    assert wrote is writable, out.output


def test_a_content_change_that_kept_size_and_mtime_was_flagged_by_verify_and_copied_again(host):
    delta, verify = record("mtime-delta.json"), record("mtime-verify.json")
    final, after = record("mtime-final.json"), record("mtime-verify-after.json")
    # The quick check cannot see it; verify can, and records it beside the pass state.
    assert "Gutachten.txt" not in delta["first"]["copy"] and delta["recopied"] == []
    assert verify["differ"] == {"Gutachten.txt": ["sha256"]}
    assert verify["flagged"] == "/var/lib/umzug/shares/altdorf/bauamt.state.json.flagged"
    assert final["recopied"] == ["Gutachten.txt"] and "Gutachten.txt" in final["first"]["copy"]
    assert after["identical"] and after["flagged"] is None
    target = host.file("/srv/shares/altdorf-bauamt/Gutachten.txt")
    assert target.content_string == "Gutachten, Fassung B.\n"
    assert not host.file("/var/lib/umzug/shares/altdorf/bauamt.state.json.flagged").exists
