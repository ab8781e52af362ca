"""roles/shares: the lists verify, verify over SMB and the freeze over SMB hand their modules
(one run for all shares) name per share the same files as the per-share variables the sync
and share_acl_smb.yml read for the loop variable __share (vars/main.yml)."""

import ast
from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "shares"
PRIVATE = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
LISTED = [{"name": "bauamt", "path": "/srv/shares/bauamt", "target_name": "altdorf-bauamt"},
          {"name": "a/b", "path": "/srv/shares/a b", "target_name": "altdorf-a-b"}]
VALUES = {"shares_state_dir": "/var/lib/umzug/shares", "shares_namespace": "altdorf",
          "shares_target_root": "/srv/shares", "shares_freeze_state_dir": "/var/lib/umzug/shares/freeze",
          "shares_source_names": ["kommune-a-fs", "kommune-a-fs2"], "__shares_listed": {"shares": LISTED}}


def render(name, **values):
    """A variable of vars/main.yml; its own variables rendered as Ansible renders them, lazily."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    values = {**VALUES, **values}
    values["__shares_state_dir"] = env.from_string(PRIVATE["__shares_state_dir"]).render(**values)
    for var in ("__shares_state", "__shares_smb_state"):
        values[var] = env.from_string(PRIVATE[var]).render(**values) if "__share" in values else None
    return env.from_string(PRIVATE[name]).render(**values)


def per_share(name):
    return [render(name, __share=share).strip() for share in LISTED]


@pytest.mark.parametrize(("listed", "field", "expected"), [
    ("__shares_verify_list", "state_path", lambda: [state + ".state.json" for state in per_share("__shares_state")]),
    ("__shares_verify_list", "target_root", lambda: ["/srv/shares/altdorf-bauamt", "/srv/shares/altdorf-a-b"]),
    ("__shares_verify_list", "source_root", lambda: [share["path"] for share in LISTED]),
    ("__shares_verify_smb_list", "state_path", lambda: per_share("__shares_smb_state")),
    ("__shares_verify_smb_list", "target_share", lambda: [share["target_name"] for share in LISTED]),
    ("__shares_freeze_smb_list", "record_path", lambda: per_share("__shares_smb_freeze_record")),
])
def test_the_list_names_each_share_as_the_per_share_variable(listed, field, expected):
    shares = ast.literal_eval(render(listed))  # Jinja's rendering of a list of dicts of strings
    assert [share["share"] for share in shares] == ["bauamt", "a/b"]
    assert [share[field] for share in shares] == expected()
