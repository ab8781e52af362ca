"""Every plugin the collection ships documents itself: `ansible-doc` reads its
DOCUMENTATION (and module EXAMPLES/RETURN) as Ansible does, so a doc block YAML cannot
parse fails here, not in the hands of an engineer."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
ANSIBLE_DOC = Path(sys.executable).with_name("ansible-doc")
# plugin type in ansible-doc -> folder under plugins/
TYPES = {"module": "modules", "inventory": "inventory", "callback": "callback", "filter": "filter"}


def shipped():
    for doc_type, folder in TYPES.items():
        for path in sorted((TOP / "plugins" / folder).glob("*.py")):
            if doc_type == "filter":
                # Filters are documented in a YAML file next to the plugin file, one per filter.
                for doc in sorted(path.parent.glob("*.yml")):
                    yield doc_type, doc.stem
            elif not path.name.startswith("_"):
                yield doc_type, path.stem


PLUGINS = sorted(set(shipped()))


def test_the_collection_ships_plugins():
    assert {"module", "inventory", "callback"} <= {t for t, _ in PLUGINS}


@pytest.mark.parametrize(("doc_type", "name"), PLUGINS, ids=[f"{t}:{n}" for t, n in PLUGINS])
def test_ansible_doc_reads_the_plugin(doc_type, name):
    result = subprocess.run([str(ANSIBLE_DOC), "-t", doc_type, "--json", f"kommunal.umzug.{name}"],
                            cwd=TOP, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)[f"kommunal.umzug.{name}"]["doc"]
    assert doc.get("short_description"), f"{name} has no short_description"
    assert doc.get("description"), f"{name} has no description"
