"""The plan's per-Kommune source: samba (reached by SSH, the default) or windows (SMB 3,
LDAPS and DRSUAPI only). Every wrong combination is refused with one exact sentence."""

from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import (
    RESERVED_VARS,
    PlanError,
    inventory_model,
    load_plan,
    parse_plan,
)

TOP = Path(__file__).resolve().parents[4]
FILE = "mixed.umzug.yml"
# One Welle, two kinds: Altdorf is a Samba Kommune (no source block), Colberg a Windows one.
# Line numbers in the expected messages below refer to this text.
MIXED = r"""plugin: kommunal.umzug.plan
version: 1
rz:
  domain: {realm: RZ.TEST, workgroup: RZ, dns_domain: rz.test, dc: rz-dc}
  hosts:
    dc: {rz-dc: null}
    fs: {rz-fs: null}
waves:
  - wave: 1
    kommunen:
      - id: altdorf
        name: Gemeinde Altdorf
        ags: "09162000"
        hosts:
          dc: {altdorf-dc: {ansible_host: 10.0.1.11, ansible_user: root}}
          fs: {altdorf-fs: {ansible_host: 10.0.1.12}}
        target: {ou: "OU=Altdorf,DC=rz,DC=test", share_namespace: altdorf, account_prefix: ald-,
                 uid_range: 200000-209999, gid_range: 200000-209999}
        window: {start: "2025-03-14 18:00", end: "2025-03-16 18:00"}
        contacts: [{name: Erika Muster, email: it@altdorf.example}]
      - id: colberg
        name: Stadt Colberg
        ags: "05362008"
        domain: {realm: COLBERG.LOCAL, workgroup: COLBERG, dns_domain: colberg.local, dc: colberg-dc}
        hosts:
          dc: {colberg-dc: {ansible_host: 10.0.3.11}}
          fs: {colberg-fs: {ansible_host: 10.0.3.12}, colberg-fs2: null}
          clients: {colberg-pc1: {ansible_user: admin}}
        source:
          kind: windows
          smb:
            auth: kerberos
            protection: encrypt
            username: COLBERG\umzug-backup
            password: "{{ vault_colberg_smb_password }}"
            admin: {username: COLBERG\umzug-admin, password: "{{ vault_colberg_fs_admin_password }}"}
          drsuapi:
            username: umzug-repl@COLBERG.LOCAL
            password: "{{ vault.colberg.drs_password }}"
        target: {ou: "OU=Colberg,DC=rz,DC=test", share_namespace: colberg, account_prefix: cbg-,
                 uid_range: 210000-219999, gid_range: 210000-219999}
        window: {start: "2025-03-21 18:00", end: "2025-03-23 18:00"}
        contacts: [{name: Max Beispiel, email: it@colberg.example}]
"""
A = "waves[0].kommunen[0]"
C = "waves[0].kommunen[1]"
SMB_BLOCK = """          smb:
            auth: kerberos
            protection: encrypt
            username: COLBERG\\umzug-backup
            password: "{{ vault_colberg_smb_password }}"
            admin: {username: COLBERG\\umzug-admin, password: "{{ vault_colberg_fs_admin_password }}"}
"""
DRS_BLOCK = """          drsuapi:
            username: umzug-repl@COLBERG.LOCAL
            password: "{{ vault.colberg.drs_password }}"
"""
SECRET = "Geheim-1234"


def changed(old: str, new: str) -> str:
    assert MIXED.count(old) == 1, f"test setup: {old!r} is not once in the plan"
    return MIXED.replace(old, new)


def errors_of(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, FILE)
    return caught.value.messages


VAULT_REFERENCE = ('must be a Jinja reference to one variable that an ansible-vault file holds, in quotes, '
                   'e.g. "{{ vault_kommune_c_smb_password }}"; a plan never holds a password')
ALTDORF_TARGET = '        target: {ou: "OU=Altdorf'


def altdorf_with(lines: str) -> str:
    """The plan with ``lines`` given to the Samba Kommune Altdorf, from line 17 on."""
    return changed(ALTDORF_TARGET, lines + ALTDORF_TARGET)


CASES = [
    (
        "smb for a samba Kommune",
        altdorf_with("        source:\n          kind: samba\n" + SMB_BLOCK),
        [f"{FILE}:19: {A}.source.smb: 'smb' is only for a Kommune of kind 'windows'; a 'samba' Kommune is "
         "reached by SSH (set kind: windows, or remove 'smb')"],
    ),
    (
        "drsuapi for a samba Kommune",
        altdorf_with("        source:\n          kind: samba\n" + DRS_BLOCK),
        [f"{FILE}:19: {A}.source.drsuapi: 'drsuapi' is only for a Kommune of kind 'windows'; a 'samba' Kommune "
         "is reached by SSH (set kind: windows, or remove 'drsuapi')"],
    ),
    (
        "windows with file servers but no smb",
        changed(SMB_BLOCK, ""),
        [f"{FILE}:29: {C}.source: a 'windows' Kommune with file servers (hosts.fs) needs 'smb': the account "
         "umzug reads their shares with over SMB 3"],
    ),
    (
        "smb without file servers",
        changed("          fs: {colberg-fs: {ansible_host: 10.0.3.12}, colberg-fs2: null}\n", ""),
        [f"{FILE}:30: {C}.source.smb: 'smb' is the account for the Kommune's hosts.fs, but hosts.fs lists none"],
    ),
    (
        "drsuapi without a DC",
        changed("          dc: {colberg-dc: {ansible_host: 10.0.3.11}}\n", "").replace(", dc: colberg-dc}", "}"),
        [f"{FILE}:36: {C}.source.drsuapi: 'drsuapi' is the account for the Kommune's hosts.dc, "
         "but hosts.dc lists none"],
    ),
    (
        "unknown kind",
        changed("kind: windows", "kind: wind0ws"),
        [f"{FILE}:30: {C}.source.kind: 'wind0ws' is not a source kind: 'samba' (reached by SSH) or 'windows' "
         "(reached only over SMB 3, LDAPS and DRSUAPI)"],
    ),
    (
        "source without kind",
        changed("          kind: windows\n", ""),
        [f"{FILE}:29: {C}.source: missing required key 'kind'"],
    ),
    (
        "unknown auth",
        changed("auth: kerberos", "auth: ntlmv1"),
        [f"{FILE}:32: {C}.source.smb.auth: 'ntlmv1' is not an SMB authentication: 'kerberos' or 'ntlm' "
         "(NTLMv2 only)"],
    ),
    (
        "unknown protection",
        changed("protection: encrypt", "protection: none"),
        [f"{FILE}:33: {C}.source.smb.protection: 'none' is not an SMB protection: 'encrypt' or 'sign' "
         "(signing is always required)"],
    ),
    (
        "unknown key in a protocol block",
        changed("            protection: encrypt\n", "            protection: encrypt\n            domain: COLBERG\n"),
        [f"{FILE}:34: {C}.source.smb.domain: unknown key 'domain' "
         "(allowed: admin, auth, password, protection, username)"],
    ),
    (
        "drsuapi without a password",
        changed('            password: "{{ vault.colberg.drs_password }}"\n', ""),
        [f"{FILE}:37: {C}.source.drsuapi: missing required key 'password'"],
    ),
    (
        "account without a domain",
        changed(r"username: COLBERG\umzug-backup", "username: umzug-backup"),
        [f"{FILE}:34: {C}.source.smb.username: 'umzug-backup' is not an account 'DOMAIN\\user' or 'user@realm'"],
    ),
    (
        "plain-text password",
        changed('"{{ vault_colberg_smb_password }}"', f'"{SECRET}"'),
        [f"{FILE}:35: {C}.source.smb.password: {VAULT_REFERENCE}"],
    ),
    (
        "password as a number",
        changed('"{{ vault.colberg.drs_password }}"', "12345678"),
        [f"{FILE}:39: {C}.source.drsuapi.password: {VAULT_REFERENCE}"],
    ),
    (
        "password reference without quotes (YAML reads a mapping)",
        changed('"{{ vault_colberg_smb_password }}"', "{{ vault_colberg_smb_password }}"),
        [f"{FILE}:35: {C}.source.smb.password: {VAULT_REFERENCE}"],
    ),
    (
        "password as an expression, not a variable",
        changed('"{{ vault_colberg_smb_password }}"', "\"{{ vault_x | default('" + SECRET + "') }}\""),
        [f"{FILE}:35: {C}.source.smb.password: {VAULT_REFERENCE}"],
    ),
    (
        "inline vault value",
        changed('"{{ vault_colberg_smb_password }}"', f"!vault |\n              $ANSIBLE_VAULT;1.1;AES256\n"
                                                      f"              {SECRET}"),
        [f"{FILE}:35: {C}.source.smb.password: an inline '!vault' value is not read from a plan: keep the "
         'secret in an ansible-vault file and give its variable, e.g. "{{ vault_kommune_c_smb_password }}"'],
    ),
    (
        "connection setting on a windows file server",
        changed("colberg-fs: {ansible_host: 10.0.3.12}", "colberg-fs: {ansible_host: 10.0.3.12, ansible_user: root}"),
        [f"{FILE}:27: {C}.hosts.fs.colberg-fs.ansible_user: 'ansible_user' is a connection setting, but the fs "
         "hosts of a 'windows' Kommune are reached only over SMB 3, LDAPS and DRSUAPI, never by SSH (only "
         "'ansible_host', the address, is read)"],
    ),
    (
        "connection plugin on a windows DC",
        changed("colberg-dc: {ansible_host: 10.0.3.11}", "colberg-dc: {ansible_connection: ssh}"),
        [f"{FILE}:26: {C}.hosts.dc.colberg-dc.ansible_connection: 'ansible_connection' is a connection setting, "
         "but the dc hosts of a 'windows' Kommune are reached only over SMB 3, LDAPS and DRSUAPI, never by SSH "
         "(only 'ansible_host', the address, is read)"],
    ),
    (
        "umzug_source set per host",
        changed("colberg-fs2: null", "colberg-fs2: {umzug_source: {kind: samba}}"),
        [f"{FILE}:27: {C}.hosts.fs.colberg-fs2.umzug_source: 'umzug_source' is set by the plan for Kommune "
         "'colberg' and cannot be overridden per host"],
    ),
    (
        "file servers without the administrator account the freeze needs",
        changed(SMB_BLOCK.splitlines(keepends=True)[-1], ""),
        [f"{FILE}:31: {C}.source.smb: the file servers of a 'windows' Kommune need 'admin': an account of their "
         "Administrators group, with which the cut-over's freeze makes their shares read-only over srvsvc (and a "
         "rollback writable again); the backup account in 'smb' cannot"],
    ),
    (
        "administrator account without a domain",
        changed(r"username: COLBERG\umzug-admin", "username: umzug-admin"),
        [f"{FILE}:36: {C}.source.smb.admin.username: 'umzug-admin' is not an account 'DOMAIN\\user' or "
         "'user@realm'"],
    ),
    (
        "administrator password in plain text",
        changed('"{{ vault_colberg_fs_admin_password }}"', f'"{SECRET}"'),
        [f"{FILE}:36: {C}.source.smb.admin.password: {VAULT_REFERENCE}"],
    ),
    (
        "administrator password as an inline vault value",
        changed('password: "{{ vault_colberg_fs_admin_password }}"}',
                f"password: !vault '$ANSIBLE_VAULT;1.1;AES256 {SECRET}'}}"),
        [f"{FILE}:36: {C}.source.smb.admin.password: an inline '!vault' value is not read from a plan: keep the "
         'secret in an ansible-vault file and give its variable, e.g. "{{ vault_kommune_c_smb_password }}"'],
    ),
    (
        "administrator account without a password",
        changed(', password: "{{ vault_colberg_fs_admin_password }}"}', "}"),
        [f"{FILE}:36: {C}.source.smb.admin: missing required key 'password'"],
    ),
    (
        "unknown key in the administrator account",
        changed('admin: {username:', 'admin: {auth: ntlm, username:'),
        [f"{FILE}:36: {C}.source.smb.admin.auth: unknown key 'auth' (allowed: password, username)"],
    ),
    (
        "two wrong combinations at once, in line order",
        changed("auth: kerberos", "auth: ntlmv1").replace('"{{ vault.colberg.drs_password }}"', f'"{SECRET}"'),
        [f"{FILE}:32: {C}.source.smb.auth: 'ntlmv1' is not an SMB authentication: 'kerberos' or 'ntlm' "
         "(NTLMv2 only)",
         f"{FILE}:39: {C}.source.drsuapi.password: {VAULT_REFERENCE}"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_wrong_source_is_refused_with_exact_message(text, expected):
    messages = errors_of(text)
    assert messages == expected
    assert not any(SECRET in message for message in messages)


def model(text: str = MIXED):
    return inventory_model(parse_plan(text, FILE))


SAMBA = {"kind": "samba", "smb": None, "drsuapi": None}
COLBERG = {
    "kind": "windows",
    "smb": {"auth": "kerberos", "protection": "encrypt", "username": "COLBERG\\umzug-backup",
            "password": "{{ vault_colberg_smb_password }}",
            "admin": {"username": "COLBERG\\umzug-admin", "password": "{{ vault_colberg_fs_admin_password }}"}},
    "drsuapi": {"username": "umzug-repl@COLBERG.LOCAL", "password": "{{ vault.colberg.drs_password }}"},
}


@pytest.mark.parametrize(
    ("host", "source"),
    [
        ("altdorf-dc", SAMBA),
        ("altdorf-fs", SAMBA),
        ("colberg-dc", COLBERG),
        ("colberg-fs", COLBERG),
        ("colberg-fs2", COLBERG),
        ("colberg-pc1", COLBERG),
    ],
)
def test_every_kommune_host_gets_its_source(host, source):
    assert model().hostvars[host]["umzug_source"] == source


def test_rz_hosts_have_no_source():
    hostvars = model().hostvars
    assert "umzug_source" not in hostvars["rz-dc"] and "umzug_source" not in hostvars["rz-fs"]


def test_windows_servers_are_agentless_and_the_rest_is_not():
    groups = model().groups
    assert groups["agentless"] == {"hosts": ["colberg-dc", "colberg-fs", "colberg-fs2"], "children": []}
    # Clients are the Kommune's PCs, reached as any Kommune's are; the Samba Kommune stays as it was.
    assert groups["clients"]["hosts"] == ["colberg-pc1"]
    assert groups["kommune_colberg"]["hosts"] == ["colberg-dc", "colberg-fs", "colberg-fs2", "colberg-pc1"]
    assert groups["fs"]["hosts"] == ["rz-fs", "altdorf-fs", "colberg-fs", "colberg-fs2"]


def test_agentless_hosts_carry_no_connection_setting():
    built = model()
    for host in built.groups["agentless"]["hosts"]:
        assert [name for name in built.hostvars[host] if name.startswith("ansible_")] in ([], ["ansible_host"])
    # A Samba Kommune's hosts keep what the plan gives them.
    assert built.hostvars["altdorf-dc"]["ansible_user"] == "root"


@pytest.mark.parametrize(
    ("old", "new", "smb"),
    [
        # What the plan leaves out takes the defaults: Kerberos, encryption.
        ("            auth: kerberos\n            protection: encrypt\n", "",
         {"auth": "kerberos", "protection": "encrypt"}),
        ("auth: kerberos", "auth: ntlm", {"auth": "ntlm", "protection": "encrypt"}),
        ("protection: encrypt", "protection: sign", {"auth": "kerberos", "protection": "sign"}),
    ],
)
def test_smb_defaults_and_choices(old, new, smb):
    source = model(changed(old, new)).hostvars["colberg-fs"]["umzug_source"]
    assert {key: source["smb"][key] for key in ("auth", "protection")} == smb


def test_windows_without_drsuapi_is_valid():
    """Whether hashes are carried is the accounts role's choice (accounts_password_policy), which
    the plan does not know; the accounts payload refuses 'hash' without it."""
    source = model(changed(DRS_BLOCK, "")).hostvars["colberg-dc"]["umzug_source"]
    assert (source["kind"], source["drsuapi"]) == ("windows", None)


def test_explicit_samba_is_the_default():
    built = model(altdorf_with("        source: {kind: samba}\n"))
    assert built.hostvars["altdorf-fs"]["umzug_source"] == SAMBA
    assert "altdorf-fs" not in built.groups["agentless"]["hosts"]


def test_umzug_source_is_reserved():
    assert "umzug_source" in RESERVED_VARS


PLANS_WITHOUT_SOURCE = [
    "inventories/lab/lab.umzug.yml",
    "molecule/wave/inventory/wave.umzug.yml",
    "tests/unit/playbooks/fixtures/wave.umzug.yml",
    "tests/unit/plugins/callback/fixtures/local.umzug.yml",
]


@pytest.mark.parametrize("path", PLANS_WITHOUT_SOURCE)
def test_plans_without_source_are_samba_and_reached_as_before(path):
    plan = load_plan(TOP / path)
    assert not any("source" in kommune for _, kommune in plan.kommunen), "test setup: the plan has a source"
    built = inventory_model(plan)
    assert built.groups["agentless"] == {"hosts": [], "children": []}
    kommune_hosts = {host for name, group in built.groups.items() if name.startswith("kommune_")
                     for host in group["hosts"]}
    assert kommune_hosts
    for host, variables in built.hostvars.items():
        assert variables.get("umzug_source") == (SAMBA if host in kommune_hosts else None)
    # Nothing else changed: the plan's own groups and variables, plus umzug_source.
    assert set(built.groups) - {"agentless"} <= {"dc", "fs", "clients", "app", "rz"} | {
        name for name in built.groups if name.startswith(("wave_", "kommune_"))}
    assert {name for variables in built.hostvars.values() for name in variables if name.startswith("umzug_")} <= {
        *RESERVED_VARS, "umzug_lab_image", "umzug_lab_capabilities"}
