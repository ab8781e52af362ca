"""The plan model: every broken plan is refused with one exact sentence (file:line: path: what)."""

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils import plan as plan_module
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import (
    PlanError,
    group_name,
    inventory_model,
    parse_plan,
)

FILE = "wave.umzug.yml"
# Line numbers in the expected messages below refer to this text.
VALID = """\
plugin: kommunal.umzug.plan
version: 1
rz:
  domain: {realm: RZ.TEST, workgroup: RZ, dns_domain: rz.test, dc: rz-dc}
  hosts:
    dc: {rz-dc: {ansible_host: 10.0.0.31}}
    fs: {rz-fs: null}
waves:
  - wave: 1
    kommunen:
      - id: altdorf
        name: Gemeinde Altdorf
        ags: "09162000"
        hosts:
          fs: {altdorf-fs: {ansible_host: 10.0.1.12}}
          clients: {altdorf-pc1: null}
        target:
          ou: OU=Altdorf,OU=Kommunen,DC=rz,DC=test
          share_namespace: altdorf
          account_prefix: ald-
          uid_range: 200000-209999
          gid_range: 200000-209999
        window: {start: "2025-03-14 18:00", end: "2025-03-16 18:00"}
        contacts:
          - {name: Erika Muster, email: it@altdorf.example}
      - id: bergheim
        name: Stadt Bergheim
        ags: "05362008"
        hosts:
          fs: {bergheim-fs: null}
        target:
          ou: OU=Bergheim,OU=Kommunen,DC=rz,DC=test
          share_namespace: bergheim
          account_template: "bgh.{name}"
          uid_range: 210000-219999
          gid_range: 210000-219999
        window: {start: "2025-03-21 18:00", end: "2025-03-23 18:00"}
        contacts:
          - {name: Max Beispiel, phone: "+49 2271 000"}
"""
K0 = "waves[0].kommunen[0]"
K1 = "waves[0].kommunen[1]"


def broken(old: str, new: str, count: int = 1) -> str:
    assert VALID.count(old) >= count, f"test setup: {old!r} not in the valid plan"
    return VALID.replace(old, new, count)


def errors_of(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, FILE)
    return caught.value.messages


CASES = [
    # --- shape (JSON Schema) ---
    (
        "plugin",
        broken("plugin: kommunal.umzug.plan", "plugin: kommunal.umzug.plans"),
        [f"{FILE}:1: plugin: must be 'kommunal.umzug.plan', got 'kommunal.umzug.plans'"],
    ),
    ("version", broken("version: 1", "version: 2"), [f"{FILE}:2: version: must be 1, got 2"]),
    (
        "no waves",
        broken(VALID[VALID.index("waves:") :], ""),
        [f"{FILE}:1: (top level): missing required key 'waves'"],
    ),
    ("empty waves", VALID[: VALID.index("waves:")] + "waves: []\n", [f"{FILE}:8: waves: must not be empty"]),
    (
        "unknown top-level key",
        broken("version: 1\n", "version: 1\nwellen: []\n"),
        [f"{FILE}:3: wellen: unknown key 'wellen' (allowed: plugin, rz, vars, version, waves)"],
    ),
    (
        "ags too short",
        broken('ags: "09162000"', 'ags: "0916200"'),
        [
            f"{FILE}:13: {K0}.ags: '0916200' is not an AGS (Amtlicher Gemeindeschlüssel): "
            "8 digits in quotes, e.g. '09162000'"
        ],
    ),
    (
        "ags unquoted becomes a number",
        broken('ags: "05362008"', "ags: 15362008"),
        [
            f"{FILE}:28: {K1}.ags: 15362008 is not an AGS (Amtlicher Gemeindeschlüssel): "
            "8 digits in quotes, e.g. '09162000'"
        ],
    ),
    (
        "kommune id not a slug",
        broken("id: altdorf", "id: Altdorf_1"),
        [
            f"{FILE}:11: {K0}.id: 'Altdorf_1' is not a slug: lower-case letters and digits, "
            "joined by single hyphens, e.g. 'kommune-a'"
        ],
    ),
    (
        "missing name",
        broken("        name: Stadt Bergheim\n", ""),
        [f"{FILE}:26: {K1}: missing required key 'name'"],
    ),
    (
        "unknown role",
        broken("clients: {altdorf-pc1: null}", "printer: {altdorf-pr1: null}"),
        [f"{FILE}:16: {K0}.hosts.printer: unknown key 'printer' (allowed: app, clients, dc, fs)"],
    ),
    (
        "bad host name",
        broken("altdorf-pc1: null", "Altdorf_PC1: null"),
        [
            f"{FILE}:16: {K0}.hosts.clients.Altdorf_PC1: key 'Altdorf_PC1' is not a host name "
            "(lower-case letters, digits, hyphens and dots)"
        ],
    ),
    (
        "host vars not a mapping",
        broken("altdorf-pc1: null", "altdorf-pc1: [a, b]"),
        [
            f"{FILE}:16: {K0}.hosts.clients.altdorf-pc1: host variables must be a mapping of "
            "variable names to values, or empty"
        ],
    ),
    (
        "uid range not a range",
        broken("uid_range: 200000-209999", "uid_range: 200000"),
        [f"{FILE}:21: {K0}.target.uid_range: 200000 is not a range 'first-last', e.g. '200000-209999'"],
    ),
    (
        "prefix and template",
        broken("account_prefix: ald-", "account_prefix: ald-\n          account_template: x{name}"),
        [f"{FILE}:17: {K0}.target: needs exactly one of 'account_prefix' or 'account_template'"],
    ),
    (
        "template without name",
        broken('account_template: "bgh.{name}"', 'account_template: "bgh.user"'),
        [
            f"{FILE}:34: {K1}.target.account_template: 'bgh.user' is not an account template: "
            "it must contain '{name}'"
        ],
    ),
    (
        "ou not a DN",
        broken("ou: OU=Altdorf,OU=Kommunen,DC=rz,DC=test", "ou: Altdorf"),
        [
            f"{FILE}:18: {K0}.target.ou: 'Altdorf' is not an OU distinguished name, "
            "e.g. 'OU=Altdorf,OU=Kommunen,DC=rz,DC=test'"
        ],
    ),
    (
        "window format",
        broken('start: "2025-03-14 18:00"', 'start: "14.03.2025 18:00"'),
        [
            f"{FILE}:23: {K0}.window.start: '14.03.2025 18:00' is not a local time 'YYYY-MM-DD HH:MM' "
            "(Europe/Berlin), e.g. '2025-03-14 18:00'"
        ],
    ),
    (
        "contact unreachable",
        broken('{name: Max Beispiel, phone: "+49 2271 000"}', "{name: Max Beispiel}"),
        [f"{FILE}:39: {K1}.contacts[0]: needs an 'email' or a 'phone' so the RZ can reach this contact"],
    ),
    (
        "no contacts",
        broken(
            '        contacts:\n          - {name: Max Beispiel, phone: "+49 2271 000"}\n',
            "        contacts: []\n",
        ),
        [f"{FILE}:38: {K1}.contacts: must not be empty"],
    ),
    (
        "wave not an integer",
        broken("- wave: 1", "- wave: eins"),
        [f"{FILE}:9: waves[0].wave: expected an integer, got a string 'eins'"],
    ),
    (
        "realm lower case",
        broken("realm: RZ.TEST", "realm: rz.test"),
        [f"{FILE}:4: rz.domain.realm: 'rz.test' is not a Kerberos realm in upper case, e.g. 'RZ.TEST'"],
    ),
    (
        "contacts a mapping",
        broken("contacts:\n          - {name: Max", "contacts:\n            {name: Max"),
        [f"{FILE}:38: {K1}.contacts: expected a list, got a mapping"],
    ),
    # --- YAML itself ---
    (
        "duplicate key",
        broken("share_namespace: altdorf", "share_namespace: altdorf\n          share_namespace: alt"),
        [f"{FILE}:20: {K0}.target.share_namespace: duplicate key, first given on line 19"],
    ),
    (
        "not YAML",
        broken("version: 1", "version: [1"),
        [f"{FILE}:3: (top level): not valid YAML: expected ',' or ']', but got ':'"],
    ),
    # --- semantics ---
    (
        "ags land key",
        broken('ags: "05362008"', 'ags: "17362008"'),
        [f"{FILE}:28: {K1}.ags: AGS '17362008' starts with Land key 17, which is not a German Land (01-16)"],
    ),
    (
        "duplicate ags",
        broken('ags: "05362008"', 'ags: "09162000"'),
        [f"{FILE}:28: {K1}.ags: AGS '09162000' is already used at {K0}.ags (line 13)"],
    ),
    (
        "duplicate kommune id",
        broken("id: bergheim", "id: altdorf"),
        [f"{FILE}:26: {K1}.id: Kommune id 'altdorf' is already used at {K0}.id (line 11)"],
    ),
    (
        "duplicate namespace",
        broken("share_namespace: bergheim", "share_namespace: altdorf"),
        [
            f"{FILE}:33: {K1}.target.share_namespace: share namespace 'altdorf' is already used at "
            f"{K0}.target.share_namespace (line 19)"
        ],
    ),
    (
        "duplicate prefix",
        broken('account_template: "bgh.{name}"', "account_prefix: ald-"),
        [
            f"{FILE}:34: {K1}.target.account_prefix: account prefix 'ald-' is already used at "
            f"{K0}.target.account_prefix (line 20)"
        ],
    ),
    (
        "uid ranges overlap",
        broken("uid_range: 210000-219999", "uid_range: 205000-215000"),
        [
            f"{FILE}:35: {K1}.target.uid_range: range '205000-215000' overlaps 200000-209999 at "
            f"{K0}.target.uid_range (line 21)"
        ],
    ),
    (
        "gid range reversed",
        broken("gid_range: 200000-209999", "gid_range: 209999-200000"),
        [f"{FILE}:22: {K0}.target.gid_range: range '209999-200000' ends before it starts"],
    ),
    (
        "window ends before it starts",
        broken('end: "2025-03-23 18:00"', 'end: "2025-03-20 18:00"'),
        [f"{FILE}:37: {K1}.window.end: window ends (2025-03-20 18:00) before it starts (2025-03-21 18:00)"],
    ),
    (
        "window date does not exist",
        broken('end: "2025-03-16 18:00"', 'end: "2025-02-30 18:00"'),
        [f"{FILE}:23: {K0}.window.end: '2025-02-30 18:00' is not a time that exists in Europe/Berlin"],
    ),
    (
        "window in the DST gap",
        broken('start: "2025-03-21 18:00"', 'start: "2025-03-30 02:30"'),
        [
            f"{FILE}:37: {K1}.window.start: '2025-03-30 02:30' is not a time that exists in Europe/Berlin",
        ],
    ),
    (
        "host in two Kommunen",
        broken("fs: {bergheim-fs: null}", "fs: {altdorf-fs: null}"),
        [
            f"{FILE}:30: {K1}.hosts.fs.altdorf-fs: host 'altdorf-fs' is already used at "
            f"{K0}.hosts.fs.altdorf-fs (line 15)"
        ],
    ),
    (
        "host in RZ and a Kommune",
        broken("fs: {bergheim-fs: null}", "fs: {rz-fs: null}"),
        [f"{FILE}:30: {K1}.hosts.fs.rz-fs: host 'rz-fs' is already used at rz.hosts.fs.rz-fs (line 7)"],
    ),
    (
        "reserved variable",
        broken(
            "altdorf-fs: {ansible_host: 10.0.1.12}", "altdorf-fs: {ansible_host: 10.0.1.12, umzug_kommune: x}"
        ),
        [
            f"{FILE}:15: {K0}.hosts.fs.altdorf-fs.umzug_kommune: 'umzug_kommune' is set by the plan for "
            "Kommune 'altdorf' and cannot be overridden per host"
        ],
    ),
    (
        "domain dc not a dc host",
        broken("dc: rz-dc}", "dc: rz-dc2}"),
        [f"{FILE}:4: rz.domain.dc: 'rz-dc2' is not one of the dc hosts listed under hosts.dc"],
    ),
]

# The endpoint mapping of Kommune 0, inserted after its contacts: its first line is line 26.
ENDPOINTS = r"""        endpoints:
          hosts:
            - old: [altdorf-fs, 10.0.1.12]
              new: rz-app.rz.test
              ports: {7001: 7101}
          shares:
            - old: \\altdorf-fs\standesamt
            - {old: \\altdorf-fs\bauamt, new: \\rz-fs\bau-altdorf}
"""
CONTACT_A = "          - {name: Erika Muster, email: it@altdorf.example}\n"


def with_endpoints(old: str = "", new: str = "") -> str:
    section = ENDPOINTS.replace(old, new) if old else ENDPOINTS
    assert not old or section != ENDPOINTS, f"test setup: {old!r} not in the endpoints section"
    return VALID.replace(CONTACT_A, CONTACT_A + section)


E0 = f"{K0}.endpoints"
ENDPOINT_CASES = [
    (
        "endpoint host without new",
        with_endpoints("              new: rz-app.rz.test\n", ""),
        [f"{FILE}:28: {E0}.hosts[0]: missing required key 'new'"],
    ),
    (
        "endpoint old not a list",
        with_endpoints("old: [altdorf-fs, 10.0.1.12]", "old: altdorf-fs"),
        [f"{FILE}:28: {E0}.hosts[0].old: expected a list, got a string 'altdorf-fs'"],
    ),
    (
        "endpoint name with a blank",
        with_endpoints("new: rz-app.rz.test", "new: rz app"),
        [f"{FILE}:29: {E0}.hosts[0].new: 'rz app' is not a host name or IPv4 address"],
    ),
    (
        "endpoint port out of range",
        with_endpoints("{7001: 7101}", "{7001: 71010}"),
        [f"{FILE}:30: {E0}.hosts[0].ports[7001]: 71010 is not a port number (1-65535)"],
    ),
    (
        "share not a UNC path",
        with_endpoints(r"old: \\altdorf-fs\standesamt", "old: /srv/standesamt"),
        [f"{FILE}:32: {E0}.shares[0].old: '/srv/standesamt' is not a UNC path "
         r"'\\server\share[\folder]'"],
    ),
    (
        "endpoint section unknown key",
        with_endpoints("          shares:\n", "          share:\n"),
        [f"{FILE}:31: {E0}.share: unknown key 'share' (allowed: hosts, share_server, shares)"],
    ),
    (
        "old name mapped twice",
        with_endpoints("          shares:\n", "            - {old: [ALTDORF-FS], new: rz-fs}\n          shares:\n"),
        [f"{FILE}:26: {E0}: 'ALTDORF-FS' is mapped twice"],
    ),
    (
        "new port is an old one too",
        with_endpoints("{7001: 7101}", "{7001: 7101, 7101: 7001}"),
        [f"{FILE}:26: {E0}: port 7101 of rz-app.rz.test is both a new and an old port"],
    ),
    (
        "share moved onto a server that moves",
        with_endpoints(r"new: \\rz-fs\bau-altdorf", r"new: \\altdorf-fs\bau"),
        [f"{FILE}:26: {E0}: share " r"'\\\\altdorf-fs\\bau' is on a server that is itself mapped away"],
    ),
    (
        "share moved whole to another server than the share server",
        with_endpoints(r"new: \\rz-fs\bau-altdorf", r"new: \\other-fs\bau-altdorf"),
        [f"{FILE}:33: {E0}.shares[1].new: " r"'\\other-fs\bau-altdorf' is not a share on the Kommune's share "
         "server 'rz-fs'; the shares payload moves whole shares there (set 'share_server' to move them elsewhere)"],
    ),
    (
        "share moved whole into a folder",
        with_endpoints(r"new: \\rz-fs\bau-altdorf", r"new: \\rz-fs\bau-altdorf\plaene"),
        [f"{FILE}:33: {E0}.shares[1].new: " r"'\\rz-fs\bau-altdorf\plaene' is not a share on the Kommune's "
         "share server 'rz-fs'; the shares payload moves whole shares there (set 'share_server' to move them "
         "elsewhere)"],
    ),
    (
        "shares but the RZ has no file server",
        with_endpoints().replace("    fs: {rz-fs: null}\n", ""),
        [f"{FILE}:25: {E0}: shares without 'new' go to the RZ file server, but the RZ lists no fs host; "
         "set 'share_server' or each share's 'new'"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_broken_plan_is_refused_with_exact_message(text, expected):
    assert errors_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in ENDPOINT_CASES],
                         ids=[case[0] for case in ENDPOINT_CASES])
def test_broken_endpoint_mapping_is_refused_with_exact_message(text, expected):
    assert errors_of(text) == expected


def test_endpoint_mapping_reaches_the_kommune_context():
    context = inventory_model(parse_plan(with_endpoints(), FILE)).hostvars["altdorf-fs"]["umzug_kommune"]
    assert context["endpoints"] == {
        "hosts": [{"old": ["altdorf-fs", "10.0.1.12"], "new": "rz-app.rz.test", "ports": {7001: 7101}}],
        # The default name is the shares payload's: <share_namespace>-<share> on the RZ file server.
        "shares": {"\\\\altdorf-fs\\standesamt": "\\\\rz-fs\\altdorf-standesamt",
                   "\\\\altdorf-fs\\bauamt": "\\\\rz-fs\\bau-altdorf"},
    }


def test_share_placement_is_decided_once_and_the_endpoints_read_it():
    context = inventory_model(parse_plan(with_endpoints(), FILE)).hostvars["altdorf-fs"]["umzug_kommune"]
    assert context["share_placement"] == {
        "server": "rz-fs", "host": "rz-fs", "namespace": "altdorf",
        "shares": {"\\\\altdorf-fs\\standesamt": {"server": "rz-fs", "share": "altdorf-standesamt",
                                                   "unc": "\\\\rz-fs\\altdorf-standesamt"},
                   "\\\\altdorf-fs\\bauamt": {"server": "rz-fs", "share": "bau-altdorf",
                                               "unc": "\\\\rz-fs\\bau-altdorf"}},
    }
    assert context["endpoints"]["shares"] == {old: target["unc"]
                                              for old, target in context["share_placement"]["shares"].items()}


def test_share_server_is_found_by_name_or_address():
    text = with_endpoints("          shares:\n", "          share_server: 10.0.0.32\n          shares:\n").replace(
        "fs: {rz-fs: null}", "fs: {rz-fs: null, rz-fs2: {ansible_host: 10.0.0.32}}").replace(
        r"new: \\rz-fs\bau-altdorf", r"new: \\10.0.0.32\bau-altdorf")
    placement = inventory_model(parse_plan(text, FILE)).hostvars["altdorf-fs"]["umzug_kommune"]["share_placement"]
    assert (placement["server"], placement["host"]) == ("10.0.0.32", "rz-fs2")


def test_kommune_without_endpoints_gets_an_empty_mapping():
    context = inventory_model(parse_plan(VALID, FILE)).hostvars["bergheim-fs"]["umzug_kommune"]
    assert context["endpoints"] == {"hosts": [], "shares": {}}


def test_several_problems_are_all_reported_in_line_order():
    text = broken('ags: "09162000"', 'ags: "1"').replace("uid_range: 210000-219999", "uid_range: x")
    assert [message.split(":")[1] for message in errors_of(text)] == ["13", "35"]


def test_valid_plan_becomes_groups_and_mapping_context():
    plan = parse_plan(VALID, FILE)
    model = inventory_model(plan)
    assert model.groups["wave_1"] == {"hosts": [], "children": ["kommune_altdorf", "kommune_bergheim"]}
    assert model.groups["kommune_altdorf"]["hosts"] == ["altdorf-fs", "altdorf-pc1"]
    assert model.groups["fs"]["hosts"] == ["rz-fs", "altdorf-fs", "bergheim-fs"]
    assert model.groups["rz"]["hosts"] == ["rz-dc", "rz-fs"]
    fs = model.hostvars["altdorf-fs"]
    assert fs["ansible_host"] == "10.0.1.12"
    assert (fs["umzug_role"], fs["umzug_wave"], fs["umzug_plan_hash"]) == ("fs", 1, plan.sha256)
    assert fs["umzug_kommune"]["uid_range"] == {"start": 200000, "end": 209999}
    assert fs["umzug_kommune"]["window"] == {
        "start": "2025-03-14T18:00:00+01:00",
        "end": "2025-03-16T18:00:00+01:00",
        "timezone": "Europe/Berlin",
    }
    assert model.hostvars["bergheim-fs"]["umzug_kommune"]["account_template"] == "bgh.{name}"
    assert "umzug_kommune" not in model.hostvars["rz-dc"]
    assert model.hostvars["rz-dc"]["umzug_domain"]["realm"] == "RZ.TEST"


def test_summer_time_window_gets_the_summer_offset():
    text = broken(
        'start: "2025-03-21 18:00", end: "2025-03-23 18:00"',
        'start: "2025-07-04 18:00", end: "2025-07-06 18:00"',
    )
    context = inventory_model(parse_plan(text, FILE)).hostvars["bergheim-fs"]["umzug_kommune"]
    assert context["window"]["start"] == "2025-07-04T18:00:00+02:00"


def test_plan_hash_changes_with_the_file():
    assert parse_plan(VALID, FILE).sha256 != parse_plan(VALID + "# reviewed\n", FILE).sha256


@pytest.mark.parametrize(
    ("prefix", "ident", "group"),
    [
        ("kommune", "altdorf", "kommune_altdorf"),
        ("kommune", "bad-neustadt", "kommune_bad_neustadt"),
        ("kommune", "kommune-a", "kommune_a"),
        ("wave", 3, "wave_3"),
    ],
)
def test_group_names(prefix, ident, group):
    assert group_name(prefix, ident) == group


def test_without_jsonschema_a_plan_is_refused_with_one_sentence(monkeypatch):
    monkeypatch.setattr(plan_module, "jsonschema", None)
    plan_module._validator.cache_clear()
    try:
        assert errors_of(VALID) == ["validating a plan needs the Python package jsonschema on the controller"]
    finally:
        plan_module._validator.cache_clear()
