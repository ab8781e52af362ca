"""roles/shares: each listed share's item is built once (vars/main.yml __shares_items), and the
lists the sync, verify and progress tasks hand their modules are cut from it: each names per
share the same files (the state the passes write is the one verify flags), and each takes only
options its module has (the modules' own argument specs)."""

import ast
from pathlib import Path

import jinja2
import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.modules import (
    share_sync,
    share_sync_smb,
    share_verify,
    share_verify_smb,
)

ROLE = Path(__file__).resolve().parents[3] / "roles" / "shares"
PRIVATE = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
LISTED = [{"name": "bauamt", "path": "/srv/shares/bauamt", "target_name": "altdorf-bauamt"},
          {"name": "a/b", "path": "/srv/shares/a b", "target_name": "altdorf-a-b"}]
VALUES = {"shares_state_dir": "/var/lib/umzug/shares", "shares_namespace": "altdorf", "shares_pass": "final",
          "shares_target_root": "/srv/shares", "__shares_listed": {"shares": LISTED}}
STATE = "/var/lib/umzug/shares/altdorf"


def render(name, protocol):
    """A variable of vars/main.yml, the ones it reads rendered as Ansible renders them, lazily;
    Ansible's filters the lists use (dict2items, items2dict) as Ansible defines them."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(dict2items=lambda d: [{"key": k, "value": v} for k, v in d.items()],
                       items2dict=lambda items: {item["key"]: item["value"] for item in items})
    values = {**VALUES, "shares_source_protocol": protocol}
    values["__shares_state_dir"] = env.from_string(PRIVATE["__shares_state_dir"]).render(**values)
    values["__shares_items"] = ast.literal_eval(env.from_string(PRIVATE["__shares_items"]).render(**values).strip())
    return ast.literal_eval(env.from_string(PRIVATE[name]).render(**values).strip())


@pytest.mark.parametrize(("protocol", "expected"), [
    ("ssh", [{"share": "bauamt", "source_root": "/srv/shares/bauamt", "target_root": "/srv/shares/altdorf-bauamt",
              "target_service": "altdorf-bauamt", "state_path": f"{STATE}/bauamt.state.json",
              "progress_path": f"{STATE}/bauamt.progress.json"},
             {"share": "a/b", "source_root": "/srv/shares/a b", "target_root": "/srv/shares/altdorf-a-b",
              "target_service": "altdorf-a-b", "state_path": f"{STATE}/a/b.state.json",
              "progress_path": f"{STATE}/a/b.progress.json"}]),
    # A Windows source's SMB passes keep a state of their own format, beside the same progress file.
    ("smb", [{"share": "bauamt", "source_root": "/srv/shares/bauamt", "target_root": "/srv/shares/altdorf-bauamt",
              "target_service": "altdorf-bauamt", "state_path": f"{STATE}/bauamt.smb-state.json",
              "progress_path": f"{STATE}/bauamt.progress.json"},
             {"share": "a/b", "source_root": "/srv/shares/a b", "target_root": "/srv/shares/altdorf-a-b",
              "target_service": "altdorf-a-b", "state_path": f"{STATE}/a/b.smb-state.json",
              "progress_path": f"{STATE}/a/b.progress.json"}]),
])
def test_each_share_has_one_item_naming_its_folders_and_the_files_of_its_passes(protocol, expected):
    assert render("__shares_items", protocol) == expected


# Per list: the protocol whose tasks hand it on, its module's options for one share, and which of
# the item's fields each option takes (the rest by the same name).
LISTS = [
    ("__shares_sync_list", "ssh", share_sync.share_spec(), {}),
    ("__shares_verify_list", "ssh", {"share", "source_root", "target_root", "state_path"}, {}),
    ("__shares_sync_smb_list", "smb", share_sync_smb.share_spec(), {}),
    ("__shares_verify_smb_list", "smb", {"share", "target_share", "state_path"}, {"target_share": "target_service"}),
]


@pytest.mark.parametrize(("name", "protocol", "options", "renamed"), LISTS, ids=[name for name, *_ in LISTS])
def test_a_modules_list_is_cut_from_the_items_with_exactly_the_modules_options(name, protocol, options, renamed):
    items = render("__shares_items", protocol)
    listed = render(name, protocol)
    assert [set(share) for share in listed] == [set(options)] * len(items)
    assert listed == [{option: item[renamed.get(option, option)] for option in options} for item in items]


@pytest.mark.parametrize(("module", "name"), [(share_verify, "__shares_verify_list"),
                                              (share_verify_smb, "__shares_verify_smb_list")])
def test_the_verify_lists_options_are_the_ones_the_module_documents(module, name):
    documented = yaml.safe_load(module.DOCUMENTATION)["options"]["shares"]["suboptions"]
    expected = {n: set(o) for n, _p, o, _r in LISTS}[name]
    assert expected <= set(documented)
    assert {option for option, spec in documented.items() if spec.get("required")} <= expected


@pytest.mark.parametrize("protocol", ["ssh", "smb"])
def test_the_progress_lines_name_each_shares_progress_file_and_pass(protocol):
    assert render("__shares_progress_paths", protocol) == [
        {"path": f"{STATE}/bauamt.progress.json", "label": "bauamt (final)"},
        {"path": f"{STATE}/a/b.progress.json", "label": "a/b (final)"}]
