"""awx/umzug-welle.yml, the Welle's AWX definitions, against what `awx import` (awxkit) reads and
what docs/awx.md says: awxkit's resource lists and natural keys, AWX's POST fields, playbooks of
this repository, the workflow's graph with its approvals, and no secret.

The tables below are AWX's (ansible/awx: awxkit/awxkit/api/pages/*.py NATURAL_KEY and api.py
EXPORTABLE_RESOURCES; awx/api/serializers.py the fields each endpoint accepts). awxkit ignores a
field its endpoint does not accept, so a misspelt field would be lost without a word: here it fails.
"""

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps

ROOT = Path(__file__).resolve().parents[3]
DEFINITIONS = ROOT / "awx" / "umzug-welle.yml"

# awxkit/awxkit/api/pages/api.py EXPORTABLE_RESOURCES (the import's top-level keys) with the type
# of their objects (their natural key's "type") and the NATURAL_KEY of that page class.
RESOURCES = {
    "execution_environments": ("execution_environment", ("name",)),
    "credentials": ("credential", ("organization", "name", "credential_type")),
    "projects": ("project", ("organization", "name")),
    "inventory": ("inventory", ("organization", "name")),
    # An inventory source has no organization of its own (serializers.py InventorySourceSerializer).
    "inventory_sources": ("inventory_source", ("name", "inventory")),
    "job_templates": ("job_template", ("organization", "name")),
    "workflow_job_templates": ("workflow_job_template", ("organization", "name")),
}
NODE_KEY = ("workflow_job_template", "identifier")

UNIFIED = {"name", "description"}
JOB_OPTIONS = {"job_type", "inventory", "project", "playbook", "scm_branch", "forks", "limit", "verbosity",
               "extra_vars", "job_tags", "force_handlers", "skip_tags", "start_at_task", "timeout", "use_fact_cache",
               "execution_environment"}
ASK = {f"ask_{what}_on_launch" for what in ("scm_branch", "diff_mode", "variables", "limit", "tags", "skip_tags",
                                            "job_type", "verbosity", "inventory", "credential", "execution_environment",
                                            "labels", "forks", "job_slice_count", "timeout", "instance_groups")}
# awx/api/serializers.py: the fields of each serializer's Meta (what a POST or PUT takes).
FIELDS = {
    "execution_environments": UNIFIED | {"organization", "image", "credential", "pull"},
    "credentials": UNIFIED | {"organization", "credential_type", "inputs", "kind", "cloud", "kubernetes"},
    "projects": UNIFIED | {"local_path", "scm_type", "scm_url", "scm_branch", "scm_refspec", "scm_clean",
                           "scm_track_submodules", "scm_delete_on_update", "credential", "timeout", "organization",
                           "scm_update_on_launch", "scm_update_cache_timeout", "allow_override", "default_environment",
                           "signature_validation_credential"},
    "inventory": UNIFIED | {"organization", "kind", "host_filter", "variables", "prevent_instance_group_fallback"},
    "inventory_sources": UNIFIED | {"source", "source_path", "source_vars", "scm_branch", "credential", "enabled_var",
                                    "enabled_value", "host_filter", "overwrite", "overwrite_vars", "timeout",
                                    "verbosity", "limit", "inventory", "update_on_launch", "update_cache_timeout",
                                    "source_project", "execution_environment"},
    "job_templates": UNIFIED | JOB_OPTIONS | ASK | {"host_config_key", "survey_enabled", "become_enabled", "diff_mode",
                                                    "allow_simultaneous", "job_slice_count", "webhook_service",
                                                    "webhook_credential", "prevent_instance_group_fallback"},
    "workflow_job_templates": UNIFIED | {"extra_vars", "organization", "survey_enabled", "allow_simultaneous",
                                         "ask_variables_on_launch", "inventory", "limit", "scm_branch",
                                         "ask_inventory_on_launch", "ask_scm_branch_on_launch", "ask_limit_on_launch",
                                         "webhook_service", "webhook_credential", "ask_labels_on_launch",
                                         "ask_skip_tags_on_launch", "ask_tags_on_launch", "skip_tags", "job_tags"},
}
NODE_FIELDS = {"workflow_job_template", "unified_job_template", "identifier", "all_parents_must_converge", "extra_data",
               "inventory", "scm_branch", "job_type", "job_tags", "skip_tags", "limit", "diff_mode", "verbosity",
               "execution_environment", "forks", "job_slice_count", "timeout"}
APPROVAL_FIELDS = {"name", "description", "timeout"}  # WorkflowApprovalTemplateSerializer
# What the import finds in AWX rather than in the file: the organization every AWX has and the
# credential types AWX manages.
BUILT_IN = [{"name": "Default", "type": "organization"},
            {"name": "Machine", "kind": "ssh", "type": "credential_type"},
            {"name": "Vault", "kind": "vault", "type": "credential_type"}]
SECRET_KEY = re.compile(r"pass|secret|token|ssh_key|key_data|private|unlock|become_password", re.IGNORECASE)


@pytest.fixture(scope="module")
def assets():
    return yaml.safe_load(DEFINITIONS.read_text(encoding="utf-8"))


def natural_keys(assets) -> list[dict]:
    return [item["natural_key"] for resource in RESOURCES for item in assets.get(resource, [])]


def nodes(assets) -> dict[str, dict]:
    (workflow,) = assets["workflow_job_templates"]
    return {node["identifier"]: node for node in workflow["related"]["workflow_nodes"]}


KEY_TYPES = {kind for kind, _key in RESOURCES.values()} | {"organization", "credential_type",
                                                            "workflow_job_template_node"}


def references(value):
    """Every natural key the value names (a dict whose "type" is an object's), at any depth."""
    if isinstance(value, dict):
        if value.get("type") in KEY_TYPES:
            yield value
        for inner in value.values():
            yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def test_the_file_has_only_what_awx_import_reads(assets):
    assert set(assets) <= set(RESOURCES), set(assets) - set(RESOURCES)


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_each_object_has_its_natural_key_and_only_fields_its_endpoint_takes(assets, resource):
    kind, key = RESOURCES[resource]
    for item in assets.get(resource, []):
        natural = item["natural_key"]
        assert natural["type"] == kind
        assert set(natural) == set(key) | {"type"}, (item["name"], natural)
        for field in key:
            if resource == "job_templates" and field == "organization":
                # Read-only: a job template's organization is its project's (serializers.py JobOptionsSerializer).
                project = next(p for p in assets["projects"] if p["natural_key"] == item["project"])
                assert natural[field] == project["organization"], item["name"]
                continue
            assert natural[field] == item[field], (item["name"], field)
        unknown = set(item) - FIELDS[resource] - {"related", "natural_key"}
        assert not unknown, f"{resource} {item['name']}: AWX does not take {sorted(unknown)}"


def test_every_reference_is_defined_here_or_built_into_awx(assets):
    known = natural_keys(assets) + BUILT_IN
    for resource in RESOURCES:
        for item in assets.get(resource, []):
            for reference in references({key: value for key, value in item.items() if key != "natural_key"}):
                if reference["type"] == "workflow_job_template_node":
                    continue  # the workflow's graph, below
                assert reference in known, f"{item['name']} names {reference}, which is neither in the file nor AWX's"


def test_every_job_template_runs_a_phase_playbook_of_this_repository(assets):
    phases = {}
    for template in assets["job_templates"]:
        playbook = ROOT / template["playbook"]
        assert playbook.is_file(), template["playbook"]
        match = re.fullmatch(r"playbooks/wave_(\w+)\.yml", template["playbook"])
        assert match and template["name"] == f"umzug Welle - {match[1]}", template["name"]
        assert template["project"]["name"] == "umzug"
        phases[match[1]] = template
    # One job template per phase of the wave's table (roles/wave/vars/main.yml).
    assert set(phases) == set(wave_steps.journal_rules().phases)


def test_the_abnahme_asks_for_the_person_who_signs(assets):
    finalize = next(t for t in assets["job_templates"] if t["playbook"] == "playbooks/wave_finalize.yml")
    (workflow,) = assets["workflow_job_templates"]
    for survey in (finalize["related"]["survey_spec"], workflow["related"]["survey_spec"]):
        (question,) = [q for q in survey["spec"] if q["variable"] == "wave_accepted_by"]
        assert question["required"] is True and question["type"] == "text" and not question["default"]
    assert finalize["survey_enabled"] and workflow["survey_enabled"]


def test_the_workflow_links_the_phases_with_approvals_where_docs_awx_md_says(assets):
    graph = nodes(assets)
    (workflow,) = assets["workflow_job_templates"]
    runs = {ident: node["unified_job_template"]["name"].removeprefix("umzug Welle - ")
            for ident, node in graph.items() if "unified_job_template" in node}
    approvals = {ident for ident, node in graph.items() if "create_approval_template" in node["related"]}
    assert set(runs) | approvals == set(graph) and not set(runs) & approvals

    def edges(kind):
        result = {}
        for ident, node in graph.items():
            for target in node["related"][kind]:
                assert target["workflow_job_template"] == workflow["natural_key"]
                assert target["identifier"] in graph, target
                result.setdefault(ident, []).append(target["identifier"])
        return result

    def name(ident):
        return runs.get(ident, "approval")

    success, failure, always = edges("success_nodes"), edges("failure_nodes"), edges("always_nodes")
    assert not always
    parents = {target for targets in [*success.values(), *failure.values()] for target in targets}
    (root,) = set(graph) - parents
    path, ident = [], root
    while ident:
        path.append(name(ident))
        (ident,) = success.get(ident, [None])
    assert path == ["dryrun", "approval", "seed", "cutover", "approval", "finalize"]
    # A failed cut-over asks a person before the rollback runs; nothing else fails over.
    (cutover,) = [ident for ident, phase in runs.items() if phase == "cutover"]
    assert [name(ident) for ident in failure] == ["cutover"]
    (ask,) = failure[cutover]
    assert name(ask) == "approval" and [name(target) for target in success[ask]] == ["rollback"]
    for ident in approvals:
        template = graph[ident]["related"]["create_approval_template"]
        assert set(template) == APPROVAL_FIELDS and template["name"] and template["description"]
    for node in graph.values():
        assert set(node) - {"related", "natural_key"} <= NODE_FIELDS
        assert node["natural_key"] == {"workflow_job_template": workflow["natural_key"],
                                       "identifier": node["identifier"], "type": "workflow_job_template_node"}
    docs = " ".join((ROOT / "docs" / "awx.md").read_text(encoding="utf-8").split())
    assert "dry run -> approval -> seed -> cut-over -> approval -> Abnahme" in docs


def walk(value, where=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield f"{where}.{key}", key, inner
            yield from walk(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for number, inner in enumerate(value):
            yield from walk(inner, f"{where}[{number}]")


def test_no_secret_is_in_the_definitions(assets):
    for where, key, value in walk(assets):
        assert not SECRET_KEY.search(str(key)), f"{where}: a secret's field; AWX asks for it, the file never holds it"
        if isinstance(value, str):
            assert "$ANSIBLE_VAULT" not in value and "-----BEGIN" not in value and "$encrypted$" not in value, where
    for credential in assets["credentials"]:
        assert set(credential["inputs"]) <= {"username", "vault_id"}, credential["name"]
