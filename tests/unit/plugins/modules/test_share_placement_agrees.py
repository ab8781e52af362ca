"""Issue 12: where a share goes is decided once. With a plan that sets a share's `new`, the
shares payload (the name it provisions, the server it provisions on), the accounts payload
(home and profile paths), the clients payload (UNC paths re-pointed) and the name switch (the
server and share an old name serves) all arrive at the same target.

Each payload is run as its role runs it: the role's defaults and task arguments are rendered
with the host variables the plan inventory gives, and the module or filter is called with them."""

from pathlib import Path

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.kommunal.umzug.plugins.filter.endpoint import endpoint_rewrite
from ansible_collections.kommunal.umzug.plugins.module_utils import unc
from ansible_collections.kommunal.umzug.plugins.module_utils.name_switch.dns_smb import aliases_from_shares
from ansible_collections.kommunal.umzug.plugins.modules import accounts_apply, share_discover, share_provision
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import inventory_model, parse_plan
from tests.unit.plugins.modules.test_accounts_apply import FakeDirectory

ROLES = Path(__file__).resolve().parents[4] / "roles"
SID = "S-1-5-21-1-2-3"
OU = "OU=Altdorf,OU=Kommunen,DC=rz,DC=test"

PLAN = """\
plugin: kommunal.umzug.plan
version: 1
rz:
  domain: {realm: RZ.TEST, workgroup: RZ, dns_domain: rz.test, dc: rz-dc}
  hosts:
    dc: {rz-dc: {ansible_host: 10.0.0.31}}
    fs: {rz-fs: {ansible_host: 10.0.0.32}, rz-fs2: {ansible_host: 10.0.0.33}}
waves:
  - wave: 1
    kommunen:
      - id: altdorf
        name: Gemeinde Altdorf
        ags: "09162000"
        hosts:
          fs: {altdorf-fs: {ansible_host: 10.0.1.12}}
        target:
          ou: OU=Altdorf,OU=Kommunen,DC=rz,DC=test
          share_namespace: altdorf
          account_prefix: ald-
          uid_range: 200000-209999
          gid_range: 200000-209999
        window: {start: "2025-03-14 18:00", end: "2025-03-16 18:00"}
        contacts:
          - {name: Erika Muster, email: it@altdorf.example}
        endpoints:
SHARES"""

# (plan's endpoints section, where Bauamt, Home and Standesamt go: server, share)
CASES = {
    "new names on the default server": (
        """\
          shares:
            - {old: \\\\altdorf-fs\\Bauamt, new: \\\\rz-fs\\bau-altdorf}
            - {old: \\\\altdorf-fs\\Home, new: \\\\rz-fs\\home-altdorf}
            - old: \\\\altdorf-fs\\standesamt
""",
        {"bauamt": ("rz-fs", "bau-altdorf"), "home": ("rz-fs", "home-altdorf"),
         "standesamt": ("rz-fs", "altdorf-standesamt")},
    ),
    "share_server and new names on it": (
        """\
          share_server: rz-fs2
          shares:
            - {old: \\\\altdorf-fs\\Bauamt, new: \\\\rz-fs2\\bau-altdorf}
            - {old: \\\\altdorf-fs\\Home, new: \\\\rz-fs2\\home-altdorf}
            - old: \\\\altdorf-fs\\standesamt
""",
        {"bauamt": ("rz-fs2", "bau-altdorf"), "home": ("rz-fs2", "home-altdorf"),
         "standesamt": ("rz-fs2", "altdorf-standesamt")},
    ),
}
SOURCE_SHARES = {"Bauamt": "/srv/shares/bauamt", "Home": "/srv/shares/home", "standesamt": "/srv/shares/standesamt"}


class Role:
    """A role's defaults and task arguments rendered for one host of the plan inventory."""

    def __init__(self, plan_text: str, host: str, *roles: str):
        model = inventory_model(parse_plan(plan_text, "placement.umzug.yml"))
        self.loader = DataLoader()
        variables = {"groups": {name: entry["hosts"] for name, entry in model.groups.items()},
                     "hostvars": model.hostvars, "inventory_hostname": host, **model.hostvars[host]}
        for role in roles:
            variables = {**self.loader.load_from_file(str(ROLES / role / "defaults" / "main.yml"),
                                                      trusted_as_template=True), **variables}
        self.templar = Templar(loader=self.loader, variables=variables)

    def var(self, name: str):
        return self.templar.template(self.templar.available_variables[name])

    def task(self, role: str, tasks_file: str, name: str) -> dict:
        tasks = self.loader.load_from_file(str(ROLES / role / "tasks" / tasks_file), trusted_as_template=True)
        return next(task for task in tasks if task.get("name") == name)

    def args(self, task: dict, module: str, keys) -> dict:
        return {key: self.templar.template(task[module][key]) for key in keys if key in task[module]}


def shares_targets(run_module, monkeypatch, plan_text):
    """The shares payload: share_discover lists the source's shares as the role asks, share_provision
    names the sections it writes from that list, on the host the role delegates to."""
    role = Role(plan_text, "altdorf-fs", "shares")
    testparm = "[global]\n\tworkgroup = ALTDORF\n" + "".join(
        f"\n[{name}]\n\tpath = {path}\n" for name, path in SOURCE_SHARES.items())
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command",
                        lambda self, argv, **_kw: (0, testparm, ""))
    listed = role.task("shares", "shares.yml", "List the source's shares")
    args = role.args(listed, "kommunal.umzug.share_discover", listed["kommunal.umzug.share_discover"])
    shares = run_module(share_discover.main, args, check=True)["shares"]
    provision = role.task("shares", "provision.yml", "Create the Kommune's shares on the RZ file server")
    written, _left, _unmapped = share_provision.planned_shares(
        {"shares": shares, "namespace": role.var("shares_namespace"), "source_domains": [],
         "target_workgroup": "", "target_root": "/srv/shares"}, lookup=None)
    host = role.templar.template(provision["delegate_to"])
    assert host == role.var("shares_target_server"), "provisioned on another server than the UNC paths name"
    return {share["source"].lower(): (host, share["name"]) for share in written}


def accounts_targets(run_module, monkeypatch, plan_text):
    """The accounts payload: home and profile paths of a user, as accounts_apply writes them."""
    role = Role(plan_text, "altdorf-fs", "accounts")
    apply = role.task("accounts", "apply.yml", "Apply the accounts to the central directory")
    args = role.args(apply, "kommunal.umzug.accounts_apply",
                     ("ou", "file_server", "share_namespace", "placement", "path_template", "mail_domain"))
    user = {"key": f"{SID}-1105", "name": "hmueller", "given": "Hans", "surname": "Müller", "display": "",
            "description": "", "mail": "", "enabled": True, "expires": None, "service": False,
            "home_directory": "\\\\altdorf-fs\\Home\\hmueller", "home_drive": "H:",
            "profile_path": "\\\\altdorf-fs\\Bauamt\\Profile\\hmueller",
            "script_path": "\\\\altdorf-fs\\standesamt\\logon.cmd", "primary_group": None}
    mapping = {"kommune": "altdorf", "users": [{"old_name": "hmueller", "old_sid": f"{SID}-1105",
                                                "new_name": "ald-hmueller", "status": "active",
                                                "new_dn": f"CN=hmueller,{OU}"}]}
    monkeypatch.setattr(accounts_apply, "Directory", lambda path: FakeDirectory())
    result = run_module(accounts_apply.main, {**args, "directory": {"users": [user], "groups": []},
                                              "mapping": mapping}, check=True, diff=True)
    attrs = result["diff"]["after"][f"CN=hmueller,{OU}"]
    assert attrs["homeDirectory"].endswith("\\ald-hmueller")
    assert attrs["profilePath"].endswith("\\Profile\\ald-hmueller")
    return {split_unc(old)[1]: split_unc(attrs[attr])[:2] for old, attr in (
        (user["home_directory"], "homeDirectory"), (user["profile_path"], "profilePath"),
        (user["script_path"], "scriptPath"))}


def split_unc(value):
    """(server, share, path) of a UNC path, server and share in lower case as payloads compare them."""
    found = unc.parse(value).lower()
    return found.server, found.share, found.path


def clients_targets(plan_text):
    """The clients payload: a UNC path below each old share, re-pointed by the role's mapping."""
    role = Role(plan_text, "altdorf-fs", "clients")
    endpoints = role.var("clients_endpoints")
    return {share.lower(): split_unc(endpoint_rewrite(f"\\\\altdorf-fs\\{share}\\Akten", endpoints))[:2]
            for share in SOURCE_SHARES}


def name_switch_targets(plan_text):
    """The name switch: which migrated share each old name serves, on which server."""
    role = Role(plan_text, "altdorf-fs", "name_switch")
    server, host = role.var("name_switch_rz_server"), role.var("name_switch_fs_host")
    assert host == server
    aliases, skipped = aliases_from_shares(role.var("name_switch_shares"), "altdorf.test", server)
    assert skipped == []
    return {old: (host, new) for old, new in aliases["altdorf-fs"].items()}


@pytest.mark.parametrize(("endpoints", "expected"), list(CASES.values()), ids=list(CASES))
def test_shares_accounts_clients_and_name_switch_agree_where_a_share_goes(run_module, monkeypatch,
                                                                          endpoints, expected):
    plan_text = PLAN.replace("SHARES", endpoints)
    found = {"shares": shares_targets(run_module, monkeypatch, plan_text),
             "accounts": accounts_targets(run_module, monkeypatch, plan_text),
             "clients": clients_targets(plan_text),
             "name switch": name_switch_targets(plan_text)}
    assert found == dict.fromkeys(found, expected)
    # ... because each reads the plan's one decision.
    context = inventory_model(parse_plan(plan_text, "placement.umzug.yml")).hostvars["altdorf-fs"]["umzug_kommune"]
    assert {split_unc(old)[1]: (target["server"], target["share"])
            for old, target in context["share_placement"]["shares"].items()} == expected
