# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client profiles of Fachverfahren, and what the client modules do with their files.

A profile (docs/clients.md) is data: the Fachverfahren, its category, the platform, the
configuration files with their format and endpoint selectors, and the probes that prove
the client works after the move. This module checks a profile once, reads and rewrites
its files through the endpoint handlers, and keeps the originals so that a rollback
restores every file byte for byte.

Two keys in a selector belong to the profile, not to the format handler:

* ``id`` names the value, so probes can use it (``endpoint: server``);
* ``read_only: true`` marks a value probes read but nothing rewrites (a pinned
  certificate thumbprint);
* ``port_of: <id>`` marks a value that is a port held in its own setting (odbc.ini
  ``Port = 5432``). It changes with the host selector it names, by that host's ``ports``
  in the mapping; the handlers alone cannot map a bare number.

Standard library only: this runs on managed nodes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    FORMATS,
    Change,
    ConfigError,
    EndpointMap,
    Problem,
    ProfileError,
    Refused,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints.base import KEY_UNRECOGNISED, Document
from ansible_collections.kommunal.umzug.plugins.module_utils.files import write_atomic
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, Reason

CATEGORIES = ("Meldewesen", "Personenstand", "Finanzwesen", "Gewerbe", "Kfz", "DMS", "Schnittstelle",
              "Sozialwesen", "Ordnungswesen", "Bauwesen", "Personalwesen", "Terminalserver", "Anmeldeskript")
PLATFORMS = ("linux", "windows")
PROBE_KINDS = {
    # kind: (required fields, optional fields)
    "tcp": (("endpoint",), ("port", "banner")),
    "tls": (("endpoint",), ("port", "pin", "pin_mismatch")),
    "http": (("endpoint",), ("status", "wsdl")),
    "odbc": (("dsn",), ("query", "odbcini", "expect")),
    "unc": (("endpoint",), ()),
}
PROFILE_KEYS = {"id", "fachverfahren", "category", "platform", "description", "vendor", "files", "registry",
                "probes"}
FILE_KEYS = {"path", "windows_path", "format", "encoding", "selectors", "optional"}
REGISTRY_KEYS = {"key", "value", "id"}
_ID = re.compile(r"^[a-z][a-z0-9_-]*$")

KEY_PROFILE = "clients.profile_invalid"
KEY_MISSING_FILE = "clients.config_missing"


def profile_errors(profile) -> list[str]:
    """Every problem of one profile, each as one sentence naming the profile; empty when it is sound."""
    if not isinstance(profile, dict):
        return [f"a client profile must be a mapping, got {profile!r}"]
    name = profile.get("id", "?")
    errors = [f"profile {name}: unknown key {key!r}" for key in sorted(set(profile) - PROFILE_KEYS)]
    for key in ("id", "fachverfahren", "category", "platform", "files"):
        if key not in profile:
            errors.append(f"profile {name}: missing {key!r}")
    if errors:
        return errors
    if not _ID.match(str(profile["id"])):
        errors.append(f"profile {name}: id must be lower-case letters, digits, '-' or '_'")
    if profile["category"] not in CATEGORIES:
        errors.append(f"profile {name}: category {profile['category']!r} is not one of {', '.join(CATEGORIES)}")
    if profile["platform"] not in PLATFORMS:
        errors.append(f"profile {name}: platform must be linux or windows")
    ids = set()
    if not isinstance(profile["files"], list) or not profile["files"]:
        return [*errors, f"profile {name}: files must be a non-empty list"]
    path_key = "windows_path" if profile["platform"] == "windows" else "path"
    for index, spec in enumerate(profile["files"]):
        errors += _file_errors(name, index, spec, ids)
        if isinstance(spec, dict) and path_key not in spec:
            errors.append(f"profile {name}: files[{index}]: a {profile['platform']} profile needs {path_key}")
    for index, entry in enumerate(profile.get("registry") or ()):
        if not isinstance(entry, dict) or set(entry) - REGISTRY_KEYS or not {"key", "value"} <= set(entry):
            errors.append(f"profile {name}: registry[{index}] needs key and value (and may have id)")
        elif profile["platform"] != "windows":
            errors.append(f"profile {name}: registry[{index}]: registry values need platform windows")
        elif "id" in entry:
            ids.add(entry["id"])
    for index, probe in enumerate(profile.get("probes") or ()):
        errors += _probe_errors(name, index, probe, ids)
    return errors


def _file_errors(name: str, index: int, spec, ids: set) -> list[str]:
    where = f"profile {name}: files[{index}]"
    if not isinstance(spec, dict):
        return [f"{where}: expected a mapping"]
    errors = [f"{where}: unknown key {key!r}" for key in sorted(set(spec) - FILE_KEYS)]
    if spec.get("format") not in FORMATS:
        return [*errors, f"{where}: format {spec.get('format')!r} is not one of {', '.join(sorted(FORMATS))}"]
    try:
        selectors, links = split_selectors(spec)
        FORMATS[spec["format"]].selectors(selectors)
    except ProfileError as err:
        return [*errors, f"{where}: {err}"]
    for selector in spec["selectors"]:
        if "id" in selector:
            if selector["id"] in ids:
                errors.append(f"{where}: id {selector['id']!r} is used twice")
            ids.add(selector["id"])
    errors += [f"{where}: port_of {host!r} names no selector of this file" for host in links.values()
               if host not in {s.get("id") for s in spec["selectors"]}]
    return errors


def _probe_errors(name: str, index: int, probe, ids: set) -> list[str]:
    where = f"profile {name}: probes[{index}]"
    if not isinstance(probe, dict) or probe.get("kind") not in PROBE_KINDS:
        return [f"{where}: kind must be one of {', '.join(PROBE_KINDS)}"]
    required, optional = PROBE_KINDS[probe["kind"]]
    errors = [f"{where}: unknown key {key!r}" for key in sorted(set(probe) - {"kind", *required, *optional})]
    errors += [f"{where}: missing {key!r}" for key in required if key not in probe]
    for key in ("endpoint", "pin"):
        if key in probe and probe[key] not in ids:
            errors.append(f"{where}: {key} {probe[key]!r} names no selector id of this profile")
    if isinstance(probe.get("port"), str) and probe["port"] not in ids:
        errors.append(f"{where}: port {probe['port']!r} is neither a number nor a selector id")
    if probe.get("pin_mismatch", "finding") not in ("finding", "fail"):
        errors.append(f"{where}: pin_mismatch must be finding or fail")
    return errors


def check_profiles(profiles) -> None:
    """Raise ProfileError with every problem of every profile, and for ids used twice."""
    errors, seen = [], set()
    for profile in profiles:
        errors += profile_errors(profile)
        if isinstance(profile, dict) and profile.get("id") in seen:
            errors.append(f"profile {profile['id']}: id used by two profiles")
        seen.add(profile.get("id") if isinstance(profile, dict) else None)
    if errors:
        raise ProfileError("; ".join(errors))


PROFILE_SELECTOR_KEYS = ("id", "port_of", "read_only")


def split_selectors(spec: dict) -> tuple[list[dict], dict[int, str]]:
    """The selectors as the format handler takes them, and {selector index: host id} for ports."""
    raw = spec.get("selectors")
    if not isinstance(raw, list) or not raw:
        raise ProfileError("selectors must be a non-empty list")
    selectors, links = [], {}
    for index, selector in enumerate(raw):
        if not isinstance(selector, dict):
            raise ProfileError(f"selector {index}: expected a mapping, got {selector!r}")
        if "port_of" in selector:
            links[index] = selector["port_of"]
        selectors.append({k: v for k, v in selector.items() if k not in PROFILE_SELECTOR_KEYS})
    return selectors, links


def file_path(spec: dict, platform: str = "linux") -> str:
    return spec.get("windows_path") if platform == "windows" else spec.get("path")


def read_values(data: bytes, spec: dict) -> dict[str, str]:
    """{selector id: value} of one file, for probes; the first occurrence counts."""
    selectors, _links = split_selectors(spec)
    handler = FORMATS[spec["format"]]
    values = {}
    for raw, selector in zip(spec["selectors"], selectors, strict=True):
        if "id" not in raw:
            continue
        found = handler.find(data, [{**selector, "optional": True}], spec.get("encoding"))
        if found and found[0].value is not None:
            values.setdefault(raw["id"], found[0].value)
    return values


def rewrite_file(data: bytes, spec: dict, mapping: EndpointMap) -> tuple[bytes, list[Change]]:
    """The file re-pointed by ``mapping``: host selectors through the handler, then the ports
    held in their own settings by their host's port mapping. Raises ConfigError."""
    selectors, links = split_selectors(spec)
    handler, encoding = FORMATS[spec["format"]], spec.get("encoding")
    by_id = {raw["id"]: selectors[i] for i, raw in enumerate(spec["selectors"]) if "id" in raw}
    port_edits, port_changes, problems = [], [], []
    for index, host_id in links.items():
        hosts = handler.find(data, [{**by_id[host_id], "optional": True}], encoding)
        ports = handler.find(data, [{**selectors[index], "optional": True}], encoding)
        if not ports and not selectors[index].get("optional"):
            problems.append(Problem("clients.selector_no_match", 1, Reason("selector_no_match"),
                                    str(selectors[index])))
        for port in ports:
            new = _mapped_port(hosts[0].value if hosts else None, port.value, mapping)
            if new is None:
                problems.append(Problem(KEY_UNRECOGNISED, port.line, Reason("not_a_port", value=repr(port.value)),
                                        port.selector))
            elif new != port.value:
                port_edits.append((port.span, new))
                port_changes.append(Change(port.selector, port.line, port.value, new, port.span))
    if problems:
        raise Refused(problems)
    host_selectors = [s for i, s in enumerate(selectors)
                      if i not in links and not spec["selectors"][i].get("read_only")]
    data = _splice(data, port_edits, encoding)
    if not host_selectors:
        return data, port_changes
    new_data, changes = handler.rewrite(data, host_selectors, mapping, encoding)
    return new_data, sorted(port_changes + changes, key=lambda c: c.line)


def _mapped_port(host: str | None, port: str | None, mapping: EndpointMap) -> str | None:
    if port is None or not port.strip().isdigit():
        return None
    entry = mapping.lookup(host) if host else None
    if entry is None:
        return port
    new = entry.ports.get(int(port))
    return port if new is None else str(new)


def _splice(data: bytes, edits: list, encoding: str | None) -> bytes:
    if not edits:
        return data
    codec = Document.decode(data, encoding).codec
    for (start, end), text in sorted(edits, reverse=True):
        data = data[:start] + text.encode(codec) + data[end:]
    return data


def config_findings(err: ConfigError, path: str, **where) -> list[dict]:
    return [finding.to_dict() for finding in err.findings(path, **where)]


def missing_file_finding(profile: dict, path: str, **where) -> dict:
    return Finding.of(KEY_MISSING_FILE, fachverfahren=profile["fachverfahren"], profile=profile["id"], path=path,
                      resources=(path,), **where).to_dict()


class OriginalStore:
    """The untouched original of every rewritten file, kept until a rollback restores it.

    Layout: ``<state_dir>/<profile id>/manifest.json`` maps each path to its saved copy
    and the checksums before and after the rewrite. An original is saved once, before the
    first rewrite, and never overwritten: a second run must not replace the original with
    an already rewritten file.
    """

    def __init__(self, state_dir: str, profile_id: str):
        self.folder = os.path.join(state_dir, profile_id)
        self.manifest_path = os.path.join(self.folder, "manifest.json")
        self.manifest = {}
        if os.path.exists(self.manifest_path):
            with open(self.manifest_path, encoding="utf-8") as handle:
                self.manifest = json.load(handle)

    def copy_of(self, path: str) -> str:
        return os.path.join(self.folder, hashlib.sha256(path.encode()).hexdigest()[:24] + ".orig")

    def has(self, path: str) -> bool:
        return path in self.manifest

    def original(self, path: str) -> bytes:
        with open(self.copy_of(path), "rb") as handle:
            return handle.read()

    def save(self, path: str, before: bytes, after: bytes, atomic_move) -> str:
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        copy = self.copy_of(path)
        if path not in self.manifest:
            write_atomic(copy, before, atomic_move)
        self.manifest[path] = {"copy": os.path.basename(copy), "sha256_before": sha256(before),
                               "sha256_after": sha256(after)}
        self._write_manifest(atomic_move)
        return copy

    def forget(self, path: str, atomic_move) -> None:
        self.manifest.pop(path, None)
        if os.path.exists(self.copy_of(path)):
            os.unlink(self.copy_of(path))
        if self.manifest:
            self._write_manifest(atomic_move)
        elif os.path.isdir(self.folder):
            if os.path.exists(self.manifest_path):
                os.unlink(self.manifest_path)
            os.rmdir(self.folder)

    def _write_manifest(self, atomic_move) -> None:
        write_atomic(self.manifest_path, json.dumps(self.manifest, indent=1, sort_keys=True).encode(), atomic_move)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
