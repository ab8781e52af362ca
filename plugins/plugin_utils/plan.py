# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one plan model of umzug: load, validate and explain a plan file.

Controller side only (PyYAML, jsonschema), which is why it lives in plugin_utils and not
in module_utils: modules never read the plan, they get its values as host variables.

Every error an engineer sees has the form ``file:line: key.path: what is wrong``. The YAML
is composed into nodes first so that each key path keeps the line it was written on; the
JSON Schema (schemas/plan.schema.json) checks the shape, then the semantic checks below
catch what a schema cannot: overlaps and duplicates across Kommunen, impossible windows,
a Kommune's ``source`` that does not fit its hosts.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
import yaml.constructor

from ansible_collections.kommunal.umzug.plugins.module_utils import share_placement, unc
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.values import EndpointMap, MappingError
from ansible_collections.kommunal.umzug.plugins.module_utils.shares import rate

try:
    import jsonschema
except ImportError:  # pyproject.toml installs it; without it no plan can be validated (_validator says so)
    jsonschema = None

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"
TIMEZONE = rate.TIMEZONE  # the window's and the transfer schedule's
ROLES = ("dc", "fs", "clients", "app")
# Host variables the plan itself sets; a per-host override would split a host from its Kommune.
RESERVED_VARS = ("umzug_kommune", "umzug_domain", "umzug_role", "umzug_wave", "umzug_plan_hash", "umzug_source",
                 "umzug_agentless_host")
# A Kommune's source (docs/plan.md): samba servers are reached by SSH; windows servers only
# over SMB 3, LDAPS and DRSUAPI, so they go into AGENTLESS_GROUP, which SSH plays exclude.
DEFAULT_SOURCE_KIND = "samba"
AGENTLESS_GROUP = "agentless"
# The roles of a windows Kommune's hosts that its source kind describes: its DC and file
# servers. Its clients and app hosts are reached as any Kommune's are.
AGENTLESS_ROLES = ("dc", "fs")
# Which protocol block needs which hosts of the Kommune.
SOURCE_PROTOCOL_ROLES = {"smb": "fs", "drsuapi": "dc"}
SMB_DEFAULTS = {"auth": "kerberos", "protection": "encrypt"}
# The one host variable of an agentless host that umzug reads: its address.
AGENTLESS_HOST_VARS = ("ansible_host",)
# The RZ side of an agentless host: a host of the inventory, <host>@rz, that runs on the
# controller (connection local) what the Welle does for it, with its variables and
# umzug_agentless_host naming it. Its payloads reach the agentless host only over SMB 3, LDAPS
# and DRSUAPI from the RZ (docs/plan.md). It is in the group via_rz_<kommune group>, a child of
# the Kommune's group, so it belongs to the Kommune and its wave but to no role group: plays of
# a role ("fs:!agentless") do not run it.
RZ_SIDE_SUFFIX = "@rz"
RZ_SIDE_GROUP_PREFIX = "via_rz"
RZ_SIDE_VARS = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
LAND_KEYS = range(1, 17)
TOP_LEVEL = "(top level)"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_VAULT_TAG = "!vault"
_JSON_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


class PlanError(Exception):
    """A plan that cannot be used; ``messages`` holds one sentence per problem, sorted by line."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Plan:
    filename: str
    data: dict
    sha256: str
    lines: dict

    @property
    def kommunen(self) -> list[tuple[int, dict]]:
        return [(wave["wave"], kommune) for wave in self.data["waves"] for kommune in wave["kommunen"]]


def load_plan(path: str | Path) -> Plan:
    raw = Path(path).read_bytes()
    return parse_plan(raw, str(path))


def parse_plan(raw: bytes | str, filename: str) -> Plan:
    raw_bytes = raw.encode() if isinstance(raw, str) else raw
    try:
        node = yaml.compose(raw_bytes.decode("utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        raise PlanError([f"{filename}:{line}: {TOP_LEVEL}: not valid YAML: {err.problem}"]) from None
    except UnicodeDecodeError:
        raise PlanError([f"{filename}:1: {TOP_LEVEL}: not UTF-8 text"]) from None
    if node is None:
        raise PlanError([f"{filename}:1: {TOP_LEVEL}: the plan is empty"])
    builder = _LineTracker(filename)
    data = builder.build(node, ())
    if builder.errors:
        raise PlanError(builder.errors)
    plan = Plan(
        filename=filename, data=data, sha256=hashlib.sha256(raw_bytes).hexdigest(), lines=builder.lines
    )
    errors = _schema_errors(plan) or _semantic_errors(plan)
    if errors:
        raise PlanError(errors)
    return plan


def format_path(path: tuple) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f'["{part}"]'
    return text or TOP_LEVEL


class _LineTracker:
    """Turns composed YAML nodes into plain data, remembering the line of every key path."""

    def __init__(self, filename: str):
        self.filename = filename
        self.lines: dict[tuple, int] = {}
        self.errors: list[str] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, node, path: tuple):
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        # Window times must stay the strings the engineer wrote; YAML would turn some into datetimes.
        if node.tag == _TIMESTAMP_TAG:
            return node.value
        if node.tag not in self._constructor.yaml_constructors:
            line = node.start_mark.line + 1
            self.errors.append(f"{self.filename}:{line}: {format_path(path)}: {_tag_problem(node.tag)}")
            return None
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node, path: tuple) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:
            key = (
                self._constructor.construct_object(key_node, deep=True)
                if isinstance(key_node, yaml.ScalarNode)
                else str(key_node.start_mark)
            )
            key_path = (*path, key)
            line = key_node.start_mark.line + 1
            if key in result:
                self.errors.append(
                    f"{self.filename}:{line}: {format_path(key_path)}: duplicate key, "
                    f"first given on line {self.lines[key_path]}"
                )
                continue
            self.lines[key_path] = line
            result[key] = self.build(value_node, key_path)
        return result


def _tag_problem(tag: str) -> str:
    # The value itself is never quoted: an inline !vault value is a secret.
    if tag == _VAULT_TAG:
        return ("an inline '!vault' value is not read from a plan: keep the secret in an ansible-vault file "
                'and give its variable, e.g. "{{ vault_kommune_c_smb_password }}"')
    return f"the YAML tag '{tag}' is not allowed in a plan"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    if jsonschema is None:
        raise PlanError(["validating a plan needs the Python package jsonschema on the controller"])
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _line(plan: Plan, path: tuple) -> int:
    while path not in plan.lines:
        path = path[:-1]
    return plan.lines[path]


def _message(plan: Plan, path: tuple, text: str) -> tuple[int, str, str]:
    line = _line(plan, path)
    return line, format_path(path), f"{plan.filename}:{line}: {format_path(path)}: {text}"


def _show(value) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return "empty"
    return json.dumps(value, default=str)


def _describe(value) -> str:
    for json_type, word in _JSON_TYPE_WORDS.items():
        if jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(value, json_type):
            if json_type in ("string", "integer", "number"):
                return f"{word} {_show(value)}"
            return word
    return type(value).__name__


def _schema_errors(plan: Plan) -> list[str]:
    found: dict[str, tuple[int, str, str]] = {}
    for error in _validator().iter_errors(plan.data):
        for entry in _explain(plan, error):
            found.setdefault(entry[2], entry)
    return [entry[2] for entry in sorted(found.values())]


def _explain(plan: Plan, error: jsonschema.ValidationError):
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-messages", {}).get(error.validator) or schema.get("x-message")
    if "propertyNames" in error.absolute_schema_path:
        key_path = (*path, error.instance)
        yield _message(
            plan,
            key_path,
            f"key {_fill(custom, error.instance)}"
            if custom
            else f"key {_show(error.instance)} is not allowed",
        )
        return
    if custom:
        yield _message(plan, path, _fill(custom, error.instance))
        return
    yield from _generic(plan, error, path)


def _fill(template: str, value) -> str:
    # Not str.format: messages may quote braces, e.g. an account template's '{name}'.
    return template.replace("{value}", _show(value))


def _generic(plan: Plan, error: jsonschema.ValidationError, path: tuple):
    validator, expected, instance = error.validator, error.validator_value, error.instance
    if validator == "required":
        for key in expected:
            if key not in instance:
                yield _message(plan, path, f"missing required key '{key}'")
    elif validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield _message(plan, (*path, key), f"unknown key '{key}' (allowed: {', '.join(allowed)})")
    elif validator == "type":
        types = [expected] if isinstance(expected, str) else expected
        wanted = " or ".join(_JSON_TYPE_WORDS[name] for name in types)
        yield _message(plan, path, f"expected {wanted}, got {_describe(instance)}")
    elif validator == "const":
        yield _message(plan, path, f"must be {_show(expected)}, got {_show(instance)}")
    elif validator == "enum":
        yield _message(plan, path, f"must be one of {', '.join(map(_show, expected))}, got {_show(instance)}")
    elif validator in ("minItems", "minProperties", "minLength"):
        yield _message(plan, path, "must not be empty")
    elif validator == "minimum":
        yield _message(plan, path, f"must be at least {expected}, got {_show(instance)}")
    else:
        yield _message(plan, path, error.message)


def parse_range(text: str) -> tuple[int, int]:
    first, last = text.split("-")
    return int(first), int(last)


def parse_window_time(text: str, timezone: str = TIMEZONE) -> datetime | None:
    """A local time as the plan writes it (``YYYY-MM-DD HH:MM``, Europe/Berlin unless ``timezone``
    says otherwise), or None if the date does not exist or the clock skips it. In the hour the
    change to winter time repeats, the first of the two (summer time).

    Aware in the zone itself: two such times subtract as the wall clock reads (Python ignores a
    shared tzinfo), so durations and distances are taken between instants (``.timestamp()``).
    """
    try:
        naive = datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    zone = ZoneInfo(timezone)
    local = naive.replace(tzinfo=zone)
    # Round-tripping through UTC moves times that fall into the spring-forward gap.
    if local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return local


def _semantic_errors(plan: Plan) -> list[str]:
    checks = _SemanticChecks(plan)
    checks.run()
    return [entry[2] for entry in sorted(checks.errors)]


class _SemanticChecks:
    """What the schema cannot see: values that must be unique or ordered across the plan."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.errors: list[tuple[int, str, str]] = []
        self.seen: dict[tuple[str, str], tuple] = {}

    def fail(self, path: tuple, text: str) -> None:
        self.errors.append(_message(self.plan, path, text))

    def unique(self, kind: str, value: str, path: tuple, what: str) -> None:
        first = self.seen.setdefault((kind, value), path)
        if first != path:
            self.fail(
                path,
                f"{what} {_show(value)} is already used at {format_path(first)} "
                f"(line {_line(self.plan, first)})",
            )

    def run(self) -> None:
        self.hosts(("rz", "hosts"), self.plan.data["rz"]["hosts"], "the RZ")
        self.domain_dc(("rz",), self.plan.data["rz"])
        ranges: dict[str, list[tuple[int, int, tuple]]] = {"uid_range": [], "gid_range": []}
        for wave_index, wave in enumerate(self.plan.data["waves"]):
            self.unique("wave", str(wave["wave"]), ("waves", wave_index, "wave"), "wave")
            for index, kommune in enumerate(wave["kommunen"]):
                self.kommune(("waves", wave_index, "kommunen", index), kommune, ranges)

    def kommune(self, path: tuple, kommune: dict, ranges: dict) -> None:
        self.unique("kommune", kommune["id"], (*path, "id"), "Kommune id")
        self.unique("ags", kommune["ags"], (*path, "ags"), "AGS")
        if int(kommune["ags"][:2]) not in LAND_KEYS:
            self.fail(
                (*path, "ags"),
                f"AGS '{kommune['ags']}' starts with Land key {kommune['ags'][:2]}, "
                "which is not a German Land (01-16)",
            )
        self.hosts((*path, "hosts"), kommune["hosts"], f"Kommune '{kommune['id']}'")
        if "domain" in kommune:
            self.domain_dc(path, kommune)
        target = kommune["target"]
        self.unique(
            "namespace", target["share_namespace"], (*path, "target", "share_namespace"), "share namespace"
        )
        if "account_prefix" in target:
            self.unique(
                "prefix", target["account_prefix"], (*path, "target", "account_prefix"), "account prefix"
            )
        for kind in ("uid_range", "gid_range"):
            self.id_range(kind, (*path, "target", kind), target[kind], ranges[kind])
        self.window((*path, "window"), kommune["window"])
        if "endpoints" in kommune:
            self.endpoints((*path, "endpoints"), kommune)
        if "source" in kommune:
            self.source(path, kommune)
        if "transfer" in kommune:
            self.transfer((*path, "transfer"), kommune["transfer"], kommune.get("link"))

    def source(self, path: tuple, kommune: dict) -> None:
        """The protocol blocks must fit the kind and the hosts they reach."""
        source, source_path = kommune["source"], (*path, "source")
        protocols = [key for key in SOURCE_PROTOCOL_ROLES if key in source]
        if source["kind"] != "windows":
            for key in protocols:
                self.fail((*source_path, key), f"'{key}' is only for a Kommune of kind 'windows'; a 'samba' "
                          f"Kommune is reached by SSH (set kind: windows, or remove '{key}')")
            return
        hosts = kommune["hosts"]
        for key in protocols:
            role = SOURCE_PROTOCOL_ROLES[key]
            if not hosts.get(role):
                self.fail((*source_path, key), f"'{key}' is the account for the Kommune's hosts.{role}, "
                          f"but hosts.{role} lists none")
        if hosts.get("fs") and "smb" not in source:
            self.fail(source_path, "a 'windows' Kommune with file servers (hosts.fs) needs 'smb': "
                      "the account umzug reads their shares with over SMB 3")
        elif hosts.get("fs") and "admin" not in source["smb"]:
            # Every cut-over freezes the shares (and a rollback unfreezes them): refused here,
            # not in the middle of a cut-over.
            self.fail((*source_path, "smb"), "the file servers of a 'windows' Kommune need 'admin': an account of "
                      "their Administrators group, with which the cut-over's freeze makes their shares read-only "
                      "over srvsvc (and a rollback writable again); the backup account in 'smb' cannot")
        for role in AGENTLESS_ROLES:
            for name, variables in (hosts.get(role) or {}).items():
                for variable in variables or {}:
                    if variable.startswith("ansible_") and variable not in AGENTLESS_HOST_VARS:
                        self.fail((*path, "hosts", role, name, variable),
                                  f"'{variable}' is a connection setting, but the {role} hosts of a 'windows' "
                                  "Kommune are reached only over SMB 3, LDAPS and DRSUAPI, never by SSH "
                                  "(only 'ansible_host', the address, is read)")

    def endpoints(self, path: tuple, kommune: dict) -> None:
        """The mapping must be one EndpointMap accepts: no name twice, nothing moved twice."""
        server = share_server(self.plan.data, kommune)
        if server is None and any("new" not in share for share in kommune["endpoints"].get("shares", ())):
            self.fail(path, "shares without 'new' go to the RZ file server, but the RZ lists no fs host; "
                            "set 'share_server' or each share's 'new'")
            return
        try:
            EndpointMap.from_dict(endpoint_context(kommune, server))
        except MappingError as err:
            self.fail(path, str(err))
            return
        if server is not None:
            self.shares_on_share_server((*path, "shares"), kommune, server)

    def shares_on_share_server(self, path: tuple, kommune: dict, server: str) -> None:
        """The shares payload moves a Kommune's whole shares onto one server, its share server:
        a whole share whose ``new`` is elsewhere, or a folder, would be provisioned where the
        clients are not sent."""
        for index, share in enumerate(kommune["endpoints"].get("shares", ())):
            if "new" not in share or unc.parse(share["old"]).path:
                continue
            target = share_placement.place(share["old"], server, "", share["new"])
            if not share_placement.same_server(target["server"], server) or unc.parse(share["new"]).path:
                self.fail((*path, index, "new"),
                          f"'{share['new']}' is not a share on the Kommune's share server '{server}'; the "
                          "shares payload moves whole shares there (set 'share_server' to move them elsewhere)")

    def hosts(self, path: tuple, hosts: dict, owner: str) -> None:
        for role, members in hosts.items():
            for name, variables in members.items():
                host_path = (*path, role, name)
                self.unique("host", name, host_path, "host")
                for reserved in RESERVED_VARS:
                    if reserved in (variables or {}):
                        self.fail(
                            (*host_path, reserved),
                            f"'{reserved}' is set by the plan for {owner} and cannot be overridden per host",
                        )

    def domain_dc(self, path: tuple, owner: dict) -> None:
        dc = owner["domain"].get("dc")
        if dc is not None and dc not in owner["hosts"].get("dc", {}):
            self.fail((*path, "domain", "dc"), f"'{dc}' is not one of the dc hosts listed under hosts.dc")

    def id_range(self, kind: str, path: tuple, text: str, taken: list) -> None:
        first, last = parse_range(text)
        if first > last:
            self.fail(path, f"range '{text}' ends before it starts")
            return
        for other_first, other_last, other_path in taken:
            if first <= other_last and other_first <= last:
                self.fail(
                    path,
                    f"range '{text}' overlaps {other_first}-{other_last} at "
                    f"{format_path(other_path)} (line {_line(self.plan, other_path)})",
                )
        taken.append((first, last, path))

    def window(self, path: tuple, window: dict) -> None:
        times = {}
        for edge in ("start", "end"):
            times[edge] = parse_window_time(window[edge])
            if times[edge] is None:
                self.fail((*path, edge), f"'{window[edge]}' is not a time that exists in {TIMEZONE}")
        if times["start"] and times["end"] and times["end"] <= times["start"]:
            self.fail((*path, "end"), f"window ends ({window['end']}) before it starts ({window['start']})")

    def transfer(self, path: tuple, transfer: dict, link: dict | None) -> None:
        """Each period well formed, none above the link, no two covering the same moment."""
        bandwidth = (link or {}).get("bandwidth")
        if "limit" in transfer:
            self.within_link((*path, "limit"), transfer["limit"], bandwidth)
        seen: list[tuple[rate.Period, tuple]] = []
        for index, entry in enumerate(transfer.get("schedule") or ()):
            entry_path = (*path, "schedule", index)
            period = self.period(entry_path, entry)
            self.within_link((*entry_path, "limit"), entry["limit"], bandwidth)
            if period is None:
                continue
            for other, other_path in seen:
                shared = [rate.WEEKDAYS[day] for day in period.days if day in other.days]
                if shared and period.start < other.end and other.start < period.end:
                    self.fail(entry_path, f"{entry['start']}-{entry['end']} overlaps "
                              f"{format_path(other_path)} (line {_line(self.plan, other_path)}) on "
                              f"{', '.join(shared)}: one limit at a time")
            seen.append((period, entry_path))
        schedule = {"default": transfer.get("limit"), "entries": list(transfer.get("schedule") or ())}
        if schedule["default"] is not None or schedule["entries"]:
            try:
                allowed = rate.ever_allowed(schedule)
            except (ValueError, TypeError, KeyError):
                allowed = True  # a malformed entry is refused above, with its own sentence
            if not allowed:
                self.fail(path, "no transfer is allowed at any time (every limit is 0): the seed would never "
                          "run; give the periods when it may a limit above 0")

    def period(self, path: tuple, entry: dict) -> rate.Period | None:
        parsed = {}
        for key, parse in (("days", rate.parse_days), ("start", rate.parse_clock), ("end", rate.parse_clock)):
            try:
                parsed[key] = parse(entry[key])
            except ValueError as err:
                self.fail((*path, key), str(err))
        if len(parsed) < 3:
            return None
        if parsed["end"] <= parsed["start"]:
            self.fail((*path, "end"), f"the period ends ({entry['end']}) before it starts ({entry['start']}); "
                      "one over midnight is two entries, e.g. 22:00-24:00 and 00:00-06:00")
            return None
        return rate.Period(tuple(parsed["days"]), parsed["start"], parsed["end"], entry["limit"])

    def within_link(self, path: tuple, limit: float, bandwidth: float | None) -> None:
        if bandwidth is not None and limit > bandwidth:
            self.fail(path, f"a limit of {limit:g} Mbit/s is above the link's bandwidth "
                      f"({bandwidth:g} Mbit/s, link.bandwidth)")


def transfer_context(kommune: dict) -> dict:
    """``umzug_kommune.transfer``: compress, and the schedule as the sync modules take it
    (module_utils/shares/rate.py), None when nothing limits the sync."""
    transfer = kommune.get("transfer") or {}
    entries = [{"days": [rate.WEEKDAYS[day] for day in rate.parse_days(entry["days"])],
                "start": entry["start"], "end": entry["end"], "limit": entry["limit"]}
               for entry in transfer.get("schedule") or ()]
    limit = transfer.get("limit")
    schedule = {"default": limit, "entries": entries} if entries or limit is not None else None
    return {"compress": bool(transfer.get("compress", False)), "schedule": schedule}


def link_context(kommune: dict) -> dict | None:
    """``umzug_kommune.link``: bandwidth (Mbit/s) and latency (ms, None when not given)."""
    link = kommune.get("link")
    return {"bandwidth": link["bandwidth"], "latency": link.get("latency")} if link else None


def group_name(prefix: str, ident) -> str:
    """``wave_1``, ``kommune_altdorf``: group names cannot hold hyphens without a warning, ids can.

    An id that already starts with the prefix is not prefixed twice, so that the id
    ``kommune-a`` gives the group ``kommune_a`` the lab inventory has always used.
    """
    name = str(ident).replace("-", "_")
    return name if name.startswith(f"{prefix}_") else f"{prefix}_{name}"


def source_context(kommune: dict) -> dict:
    """``umzug_source``: the Kommune's source kind and, for windows, one block per protocol.

    Passwords stay the Jinja references the plan holds (the schema allows nothing else), so
    Ansible resolves them from the vault only when a task reads them.
    """
    source = kommune.get("source") or {"kind": DEFAULT_SOURCE_KIND}
    smb = source.get("smb")
    drsuapi = source.get("drsuapi")
    return {
        "kind": source["kind"],
        "smb": {**SMB_DEFAULTS, **smb} if smb else None,
        "drsuapi": dict(drsuapi) if drsuapi else None,
    }


def rz_side(host: str) -> str:
    """The inventory name of the RZ side of agentless ``host``: ``colberg-fs@rz``."""
    return f"{host}{RZ_SIDE_SUFFIX}"


def rz_side_vars(host: str, variables: dict) -> dict:
    """The RZ side's host variables: the agentless host's, its address (its name without one),
    the controller's connection, and the host it works for."""
    return {**variables, "ansible_host": variables.get("ansible_host", host), **RZ_SIDE_VARS,
            "umzug_agentless_host": host}


def is_agentless(kommune: dict, role: str) -> bool:
    """True for the hosts umzug must never SSH to: a windows Kommune's DC and file servers."""
    return role in AGENTLESS_ROLES and (kommune.get("source") or {}).get("kind") == "windows"


@dataclass
class InventoryModel:
    """The plan as groups and host variables, independent of Ansible's inventory objects."""

    groups: dict[str, dict[str, list[str]]]
    hostvars: dict[str, dict]
    allvars: dict


def share_server(data: dict, kommune: dict) -> str | None:
    """The RZ file server a Kommune's shares move to: the plan's choice, else the RZ's first fs host."""
    chosen = kommune.get("endpoints", {}).get("share_server")
    return chosen or next(iter(data["rz"]["hosts"].get("fs") or {}), None)


def share_server_host(data: dict, server: str | None) -> str | None:
    """The RZ fs host (inventory name) that ``server`` names, by its name or its address."""
    for name, variables in (data["rz"]["hosts"].get("fs") or {}).items():
        if any(share_placement.same_server(server, known) for known in (name, (variables or {}).get("ansible_host"))):
            return name
    return None


def placement_context(kommune: dict, server: str | None, host: str | None = None) -> dict:
    """``umzug_kommune.share_placement``: where each share goes, decided once (module_utils/share_placement.py)."""
    shares = (kommune.get("endpoints") or {}).get("shares", ())
    return share_placement.placement(list(shares), server, kommune["target"]["share_namespace"], host)


def endpoint_context(kommune: dict, server: str | None, placed: dict | None = None) -> dict:
    """``umzug_kommune.endpoints``, in the form ``EndpointMap.from_dict`` reads.

    Its shares are the share placement's targets (``placed``, else computed here): a share
    without ``new`` goes to ``\\\\<share_server>\\<share_namespace>-<share>``, the name the
    shares payload gives it; folders below the share stay as they are.
    """
    section = kommune.get("endpoints") or {}
    hosts = [
        {"old": list(entry["old"]), "new": entry["new"],
         "ports": {int(old): int(new) for old, new in (entry.get("ports") or {}).items()}}
        for entry in section.get("hosts", ())
    ]
    placed = placed or placement_context(kommune, server)
    shares = {old: target["unc"] for old, target in placed["shares"].items()}
    return {"hosts": hosts, "shares": shares}


def kommune_context(wave: int, kommune: dict, rz_share_server: str | None = None,
                    rz_share_host: str | None = None) -> dict:
    """The mapping context every payload of a Kommune reads (``umzug_kommune``)."""
    target = kommune["target"]
    context = {
        "id": kommune["id"],
        "name": kommune["name"],
        "ags": kommune["ags"],
        "wave": wave,
        "ou": target["ou"],
        "share_namespace": target["share_namespace"],
    }
    for key in ("account_prefix", "account_template"):
        if key in target:
            context[key] = target[key]
    for key in ("uid_range", "gid_range"):
        first, last = parse_range(target[key])
        context[key] = {"start": first, "end": last}
    context["window"] = {
        edge: parse_window_time(kommune["window"][edge]).isoformat() for edge in ("start", "end")
    }
    context["window"]["timezone"] = TIMEZONE
    context["contacts"] = [dict(contact) for contact in kommune["contacts"]]
    context["link"] = link_context(kommune)
    context["transfer"] = transfer_context(kommune)
    context["share_placement"] = placement_context(kommune, rz_share_server, rz_share_host)
    context["endpoints"] = endpoint_context(kommune, rz_share_server, context["share_placement"])
    return context


def inventory_model(plan: Plan) -> InventoryModel:
    groups: dict[str, dict[str, list[str]]] = {}
    hostvars: dict[str, dict] = {}

    def member(group: str, host: str | None = None, child: str | None = None) -> None:
        entry = groups.setdefault(group, {"hosts": [], "children": []})
        if host and host not in entry["hosts"]:
            entry["hosts"].append(host)
        if child and child not in entry["children"]:
            entry["children"].append(child)

    def add_hosts(group: str, hosts: dict, common: dict, kommune: dict | None = None) -> None:
        for role in ROLES:
            for name, variables in hosts.get(role, {}).items():
                member(group, host=name)
                member(role, host=name)
                hostvars[name] = {
                    **(variables or {}),
                    **common,
                    "umzug_role": role,
                    "umzug_plan_hash": plan.sha256,
                }
                if kommune is not None and is_agentless(kommune, role):
                    member(AGENTLESS_GROUP, host=name)
                    side_group = f"{RZ_SIDE_GROUP_PREFIX}_{group}"
                    member(group, child=side_group)
                    member(side_group, host=rz_side(name))
                    hostvars[rz_side(name)] = rz_side_vars(name, hostvars[name])

    # Always there, empty or not, so that a play's "fs:!agentless" matches in every plan.
    member(AGENTLESS_GROUP)
    rz = plan.data["rz"]
    add_hosts("rz", rz["hosts"], {"umzug_domain": dict(rz["domain"])})
    for wave, kommune in plan.kommunen:
        wave_group, kommune_group = group_name("wave", wave), group_name("kommune", kommune["id"])
        member(wave_group, child=kommune_group)
        server = share_server(plan.data, kommune)
        common = {"umzug_wave": wave,
                  "umzug_kommune": kommune_context(wave, kommune, server, share_server_host(plan.data, server)),
                  "umzug_source": source_context(kommune)}
        if "domain" in kommune:
            common["umzug_domain"] = dict(kommune["domain"])
        add_hosts(kommune_group, kommune["hosts"], common, kommune)
    return InventoryModel(groups=groups, hostvars=hostvars, allvars=dict(plan.data.get("vars") or {}))
