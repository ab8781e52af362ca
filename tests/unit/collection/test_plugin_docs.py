"""Every plugin the collection ships documents itself: `ansible-doc` reads its
DOCUMENTATION (and module EXAMPLES/RETURN, with the doc fragments it extends) as Ansible
does, so a doc block YAML cannot parse fails here, not in the hands of an engineer. Any
error or warning ansible-doc prints fails the test too.

ansible-doc runs with the checkout's ansible.cfg, whose collections_path makes
kommunal.umzug resolve to this checkout. An action plugin has no documentation of its own:
ansible-doc shows the module of the same name for it. Doc fragments are not plugins
ansible-doc lists; they are read through the plugins that extend them."""

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[3]
ANSIBLE_DOC = Path(sys.executable).with_name("ansible-doc")
COLLECTION = "kommunal.umzug"
# plugin type in ansible-doc -> folder under plugins/
TYPES = {"module": "modules", "inventory": "inventory", "callback": "callback", "filter": "filter"}
FRAGMENTS = TOP / "plugins" / "doc_fragments"


def plugin_files(folder):
    return [p for p in sorted((TOP / "plugins" / folder).glob("*.py")) if not p.name.startswith("_")]


def filter_names(path):
    module = importlib.import_module(f"ansible_collections.kommunal.umzug.plugins.filter.{path.stem}")
    return sorted(module.FilterModule().filters())


def shipped():
    for doc_type, folder in TYPES.items():
        for path in plugin_files(folder):
            if doc_type == "filter":
                # A filter file holds several filters, each documented in a YAML file of its name.
                for name in filter_names(path):
                    yield doc_type, name
            else:
                yield doc_type, path.stem
    for path in plugin_files("action"):
        yield "module", path.stem


PLUGINS = sorted(set(shipped()))


def ansible_doc(*args):
    env = {**os.environ, "ANSIBLE_CONFIG": str(TOP / "ansible.cfg")}
    result = subprocess.run([str(ANSIBLE_DOC), *args], cwd=TOP, env=env,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    # ansible-doc writes warnings (a fragment it cannot find, an option it ignores) to stderr
    assert result.stderr.strip() == "", result.stderr
    return json.loads(result.stdout)


def documentation(path):
    """A plugin file's DOCUMENTATION, read without importing the plugin."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        names = [t.id for t in getattr(node, "targets", ()) if isinstance(t, ast.Name)]
        if names == ["DOCUMENTATION"]:
            return yaml.safe_load(node.value.value)
    return None


def fragment_names():
    """kommunal.umzug.<file> for a fragment's DOCUMENTATION, kommunal.umzug.<file>.<name> for
    its other blocks (as extends_documentation_fragment names them)."""
    for path in sorted(FRAGMENTS.glob("*.py")):
        for cls in (n for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.ClassDef)):
            for node in cls.body:
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    name = node.targets[0].id
                    if name.isupper():
                        suffix = "" if name == "DOCUMENTATION" else f".{name.lower()}"
                        yield f"{COLLECTION}.{path.stem}{suffix}"


def test_the_collection_ships_plugins():
    assert {"module", "inventory", "callback", "filter"} <= {t for t, _ in PLUGINS}


@pytest.fixture(scope="module")
def docs_read_together():
    """Each type's plugins read by one ansible-doc (it starts in about a second; one run per plugin
    cost most of this file's time). None for a type whose run failed or warned: then each plugin
    of it is read on its own, so the failure names the plugin that caused it."""
    docs = {}
    for doc_type in TYPES:
        names = [f"{COLLECTION}.{n}" for t, n in PLUGINS if t == doc_type]
        try:
            docs[doc_type] = ansible_doc("-t", doc_type, "--json", *names)
        except AssertionError:
            docs[doc_type] = None
    return docs


@pytest.mark.parametrize(("doc_type", "name"), PLUGINS, ids=[f"{t}:{n}" for t, n in PLUGINS])
def test_ansible_doc_reads_the_plugin(doc_type, name, docs_read_together):
    read = docs_read_together[doc_type] or ansible_doc("-t", doc_type, "--json", f"{COLLECTION}.{name}")
    doc = read[f"{COLLECTION}.{name}"]["doc"]
    assert doc.get("short_description"), f"{name} has no short_description"
    assert doc.get("description"), f"{name} has no description"
    assert doc.get("author"), f"{name} has no author"


@pytest.mark.parametrize("doc_type", sorted(TYPES))
def test_ansible_doc_lists_every_plugin_of_a_type(doc_type):
    """What ansible-doc lists is exactly what plugins/ holds: a plugin it cannot load or whose
    documentation it cannot find would be missing (or warned about) here."""
    listed = ansible_doc("-t", doc_type, "--list", "--json", COLLECTION)
    assert sorted(listed) == sorted(f"{COLLECTION}.{n}" for t, n in PLUGINS if t == doc_type)


@pytest.mark.parametrize("path", plugin_files("action"), ids=lambda p: p.stem)
def test_an_action_plugin_is_documented_by_its_module(path):
    module = TOP / "plugins" / "modules" / path.name
    assert module.is_file(), f"action plugin {path.stem} has no module file with its documentation"
    attributes = documentation(module).get("attributes", {})
    assert attributes.get("action", {}).get("support") == "full", f"{path.stem} does not declare it runs as an action"


def test_every_doc_fragment_is_read_through_a_plugin():
    extended = set()
    for folder in (*TYPES.values(), "action"):
        for path in plugin_files(folder):
            doc = documentation(path) or {}
            extended.update(doc.get("extends_documentation_fragment") or ())
    fragments = set(fragment_names())
    assert fragments, "no doc fragments found"
    assert fragments <= extended, f"fragments no plugin extends: {sorted(fragments - extended)}"
    unknown = {f for f in extended if f.startswith(f"{COLLECTION}.")} - fragments
    assert not unknown, f"plugins extend fragments that do not exist: {sorted(unknown)}"
