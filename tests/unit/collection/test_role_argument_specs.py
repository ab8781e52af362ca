"""The product roles declare their arguments in meta/argument_specs.yml: every public
variable of defaults/main.yml has a spec, a literal default is the spec's default, every
entry point the playbooks, roles and scenarios use has a spec, and ansible-core's own
validator (the one a role runs first) refuses what the old asserts refused."""

import re
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps

TOP = Path(__file__).resolve().parents[3]
ROLES = ["accounts", "clients", "name_switch", "shares", "wave"]

# Arguments without a value in defaults/main.yml on purpose (a secret, a site's own file,
# or one the playbooks' host pattern reads before any role variable exists).
WITHOUT_DEFAULT = {
    "accounts": {"accounts_source_bind_password", "accounts_central_bind_password", "accounts_ca_file",
                 "accounts_letters_vault_password_file"},
    "wave": {"wave_number"},
}


# Values for the arguments a site must give (an inventory names them).
REQUIRED = {"accounts": {"accounts_ca_file": "/etc/umzug/ca.crt"}}


def spec(role: str) -> dict:
    return yaml.safe_load((TOP / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def defaults(role: str) -> dict:
    return yaml.safe_load((TOP / "roles" / role / "defaults" / "main.yml").read_text()) or {}


def options(role: str, entry: str = "main") -> dict:
    return spec(role)[entry]["options"]


def literal(value) -> bool:
    return "{{" not in yaml.safe_dump(value)


@pytest.mark.parametrize("role", ROLES)
def test_every_public_variable_has_a_spec_and_no_spec_is_without_a_variable(role):
    assert set(options(role)) == set(defaults(role)) | WITHOUT_DEFAULT.get(role, set())


@pytest.mark.parametrize("role", ROLES)
def test_every_argument_has_a_type_and_a_description(role):
    for name, option in options(role).items():
        assert option.get("type") and option.get("description"), name


@pytest.mark.parametrize(("role", "name"), [(r, n) for r in ROLES for n in sorted(defaults(r))])
def test_a_literal_default_is_the_specs_default_and_a_computed_one_is_described(role, name):
    value, option = defaults(role)[name], options(role)[name]
    if literal(value):
        assert option.get("default", None) == value
    else:
        # A template is no value a validator could check; the description says what it means.
        assert "default" not in option
        description = option["description"]
        assert "default" in " ".join(description if isinstance(description, list) else [description]).lower()


@pytest.mark.parametrize("role", ROLES)
def test_the_literal_defaults_pass_the_validator(role):
    given = {n: v for n, v in defaults(role).items() if literal(v)} | REQUIRED.get(role, {})
    result = ArgumentSpecValidator(options(role)).validate(given, validate_role_argument_spec=True)
    assert result.error_messages == []


def entry_points_used() -> set[tuple[str, str]]:
    """(role, entry point) of every use of a product role by the playbooks, roles and scenarios."""
    used = set()
    files = [*TOP.glob("playbooks/*.yml"), *TOP.glob("roles/**/*.yml"), *TOP.glob("molecule/**/*.yml"),
             *TOP.glob("lab/**/*.yml")]
    role_names = "|".join(ROLES)
    for path in files:
        text = path.read_text()
        for match in re.finditer(rf"(?:name|role):\s*(?:kommunal\.umzug\.)?({role_names})\s*$((?:\n\s+\w+:.*)*)",
                                 text, re.MULTILINE):
            tasks_from = re.search(r"tasks_from:\s*(\S+)", match.group(2))
            used.add((match.group(1), Path(tasks_from.group(1)).stem if tasks_from else "main"))
    # The Welle's steps run payload roles from the wave table (roles/wave/vars/main.yml).
    for step in wave_steps.load().steps.values():
        for call in step.payload:
            role = call.role.removeprefix("kommunal.umzug.")
            if role in ROLES:
                used.add((role, Path(call.tasks_from).stem))
    return used


def test_the_roles_are_used_through_their_main_entry_point():
    assert {role for role, _entry in entry_points_used()} == set(ROLES)


@pytest.mark.parametrize(("role", "entry"), sorted(entry_points_used()))
def test_every_entry_point_in_use_has_a_spec(role, entry):
    assert entry in spec(role)


@pytest.mark.parametrize("role", ROLES)
def test_only_what_a_site_must_give_is_required(role):
    assert {n for n, o in options(role).items() if o.get("required")} == set(REQUIRED.get(role, {}))
    result = ArgumentSpecValidator(options(role)).validate({}, validate_role_argument_spec=True)
    assert [m for m in result.error_messages if "missing required" in m] == (
        [f"missing required arguments: {', '.join(sorted(REQUIRED[role]))}"] if role in REQUIRED else [])


def test_the_accounts_actions_are_the_task_files_the_role_has():
    files = yaml.safe_load((TOP / "roles" / "accounts" / "vars" / "main.yml").read_text())["__accounts_action_files"]
    assert options("accounts")["accounts_action"]["choices"] == list(files)
    assert all((TOP / "roles" / "accounts" / "tasks" / f).is_file() for f in files.values())


REFUSED = [
    ("accounts", {"accounts_action": "migrate"}, "accounts_action"),
    ("accounts", {"accounts_source_flavour": "novell"}, "accounts_source_flavour"),
    ("accounts", {"accounts_on_removed": "purge"}, "accounts_on_removed"),
    ("accounts", {"accounts_password_policy": "random"}, "accounts_password_policy"),
    ("accounts", {"accounts_page_size": "many"}, "accounts_page_size"),
    ("accounts", {"accounts_safe_mode": "perhaps"}, "accounts_safe_mode"),
    ("shares", {"shares_action": "copy"}, "shares_action"),
    ("shares", {"shares_pass": "last"}, "shares_pass"),
    ("shares", {"shares_compare_content": "some"}, "shares_compare_content"),
    ("shares", {"shares_only": {"bauamt": 1}}, "shares_only"),
    ("shares", {"shares_max_path": "long"}, "shares_max_path"),
    ("clients", {"clients_action": "rewritten"}, "clients_action"),
    ("clients", {"clients_platform": "macos"}, "clients_platform"),
    ("clients", {"clients_probe_timeout": "soon"}, "clients_probe_timeout"),
    ("name_switch", {"name_switch_action": "present"}, "name_switch_action"),
    ("name_switch", {"name_switch_dns": "maybe"}, "name_switch_dns"),
    ("name_switch", {"name_switch_shares": ["\\\\a-fs\\bauamt"]}, "name_switch_shares"),
    ("wave", {"wave_number": "first"}, "wave_number"),
    ("wave", {"wave_rollback_purge": "yes please"}, "wave_rollback_purge"),
]


@pytest.mark.parametrize(("role", "given", "name"), REFUSED, ids=[f"{r}-{n}" for r, _g, n in REFUSED])
def test_the_validator_refuses_a_wrong_value_and_names_the_argument(role, given, name):
    given = REQUIRED.get(role, {}) | given
    result = ArgumentSpecValidator(options(role)).validate(given, validate_role_argument_spec=True)
    assert len(result.error_messages) == 1 and name in result.error_messages[0]


ACCEPTED = [
    ("accounts", {"accounts_action": "rollback", "accounts_safe_mode": "false", "accounts_page_size": "200"}),
    ("shares", {"shares_action": "sync", "shares_pass": "final", "shares_delete": "no"}),
    ("clients", {"clients_action": "restore", "clients_platform": "windows"}),
    ("name_switch", {"name_switch_action": "switch_back", "name_switch_smb": False}),
    ("wave", {"wave_phase": "cutover", "wave_number": "7", "wave_dryrun_max_age": "0"}),
]


@pytest.mark.parametrize(("role", "given"), ACCEPTED, ids=[r for r, _g in ACCEPTED])
def test_the_validator_takes_values_as_extra_vars_give_them(role, given):
    given = REQUIRED.get(role, {}) | given
    result = ArgumentSpecValidator(options(role)).validate(given, validate_role_argument_spec=True)
    assert result.error_messages == []
