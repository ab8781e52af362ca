#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The annotations (X | None) stay unevaluated on the older Pythons a managed host may have.
from __future__ import annotations

DOCUMENTATION = r"""
module: client_probe
short_description: Proves from the workstation that a re-pointed Fachverfahren client reaches its servers
version_added: 0.1.0
description:
  - Runs the probes of one client profile against the endpoints its configuration names now (read from
    the files, after the rewrite).
  - C(tcp) connects (and optionally waits for a banner); C(tls) completes a handshake that verifies the
    certificate chain and the server name, compares a pinned thumbprint and reports the server's thumbprints;
    C(http) expects a status (and with C(wsdl) a WSDL document); C(odbc) runs a query through the DSN
    with C(isql); C(unc) lists the path on the file server with C(smbclient).
  - Every failed probe is a finding C(clients.probe_failed). A changed pinned thumbprint is a finding
    C(clients.pinned_certificate_changed) that names the new thumbprint; it fails the probe only with
    C(pin_mismatch=fail) in the profile.
  - With O(endpoints), a dry run before anything is re-pointed. Each file is re-pointed in memory exactly as
    M(kommunal.umzug.client_rewrite) would write it, and the probes run against the RZ endpoints that file
    would name; a pinned thumbprint that differs from the RZ service's certificate is found before the
    cut-over. Only the probe kinds in O(kinds) run.
  - Changes nothing (it runs in check mode too); the module itself succeeds even when probes fail, so that
    the caller can roll the client back. O(fail_on_error) makes it fail instead.
author:
  - umzug developers (@kommunal)
extends_documentation_fragment:
  - kommunal.umzug.attributes
options:
  profile:
    description: One client profile (docs/clients.md).
    type: dict
    required: true
  timeout:
    description: Seconds each probe may take.
    type: int
    default: 10
  ca_file:
    description: CA bundle TLS probes trust; the system's store when unset.
    type: path
  smb_auth_file:
    description:
      - smbclient authentication file (C(username=), C(password=), C(domain=)) for UNC probes.
      - Without it, UNC probes connect anonymously.
    type: path
  fail_on_error:
    description: Fail the task when a probe fails.
    type: bool
    default: false
  kommune:
    description: Kommune id the findings belong to.
    type: str
  endpoints:
    description:
      - The Kommune's endpoint mapping (C(umzug_kommune.endpoints)). Given, the values are read from the files
        as the rewrite would leave them (in memory; no file is touched), so the RZ endpoints are probed
        before the cut-over. Empty probes what the files name now (after the rewrite).
      - C(odbc) probes cannot run this way (C(isql) reads the DSN from the file, which still names the
        old server); leave them out of O(kinds).
    type: dict
    default: {}
  kinds:
    description: The probe kinds to run; the profile's other probes are left out (not in RV(probes)).
    type: list
    elements: str
    choices: [http, odbc, tcp, tls, unc]
    default: [http, odbc, tcp, tls, unc]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
requirements:
  - isql (unixODBC) for C(odbc) probes, smbclient for C(unc) probes, on the workstation.
"""

EXAMPLES = r"""
- name: Probe the re-pointed client
  kommunal.umzug.client_probe:
    profile: "{{ profile }}"
    ca_file: /etc/ssl/certs/ca-certificates.crt
  register: probe

- name: Before the cut-over, compare the RZ services' certificates with the client's pins
  kommunal.umzug.client_probe:
    profile: "{{ profile }}"
    endpoints: "{{ umzug_kommune.endpoints }}"
    kinds: [tls]
    ca_file: /etc/ssl/certs/ca-certificates.crt
"""

RETURN = r"""
probes:
  description: One entry per probe, in profile order.
  returned: success
  type: list
  elements: dict
  sample:
    - {kind: tls, target: "rz-app.rz.test:443", ok: true, detail: "TLSv1.3, certificate for rz-app.rz.test",
       sha1: "3A:...", sha256: "9F:..."}
failed_probes:
  description: Number of failed probes (not C(failed), which would fail the task).
  returned: success
  type: int
  sample: 0
umzug_findings:
  description: Failed probes and changed pinned thumbprints as findings.
  returned: success
  type: list
  elements: dict
  sample: []
"""

import hashlib
import os
import re
import socket
import ssl
import urllib.error
from xml.etree import ElementTree

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.kommunal.umzug.plugins.module_utils import unc
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.endpoints import (
    ConfigError,
    EndpointMap,
    EndpointUnrecognised,
    ProfileError,
    parse_endpoint,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.clients.profiles import (
    PROBE_KINDS,
    check_profiles,
    read_values,
    rewrite_file,
)
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import RESULT_FINDINGS, Finding, Reason

KEY_PROBE_FAILED = "clients.probe_failed"
KEY_PIN_CHANGED = "clients.pinned_certificate_changed"
DEFAULT_PORTS = {"https": 443, "http": 80, "ldaps": 636}


class ProbeFailed(Exception):
    """A probe that did not get the answer it expects; the message says what it got (a
    Reason where umzug words it, so the finding's detail is in the report's language)."""

    @property
    def detail(self):
        return self.args[0] if self.args and isinstance(self.args[0], Reason) else str(self)


def host_port(value: str, port=None) -> tuple[str, int | None]:
    """Host and port of the first server an endpoint value names."""
    try:
        endpoint = parse_endpoint(value)
    except EndpointUnrecognised as err:
        raise ProbeFailed(err.reason) from None
    ref = endpoint.refs[0]
    host = value[ref.host[0]:ref.host[1]]
    if port is None and ref.port is not None:
        port = int(value[ref.port[0]:ref.port[1]])
    if port is None and endpoint.kind == "url":
        port = DEFAULT_PORTS.get(value.split(":", 1)[0].lower())
    return host, port


def thumbprint(der: bytes, algorithm: str) -> str:
    digest = hashlib.new(algorithm, der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def normalise_pin(pin: str) -> str:
    return re.sub(r"[^0-9A-Fa-f]", "", pin).upper()


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


def probe_tcp(host, port, timeout, banner=None) -> str:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        if banner is None:
            return f"connected to {host}:{port}"
        sock.settimeout(timeout)
        received = sock.recv(4096).decode("utf-8", "replace")
    if not re.search(banner, received):
        raise ProbeFailed(Reason("probe_banner", target=f"{host}:{port}", received=repr(received.strip()[:80]),
                                 banner=banner))
    return f"{host}:{port} answered {received.strip()[:80]!r}"


def probe_tls(host, port, timeout, ca_file) -> tuple[str, dict]:
    """Handshake with chain and name verified; returns the detail and the server's thumbprints."""
    with socket.create_connection((host, port), timeout=timeout) as sock, \
            tls_context(ca_file).wrap_socket(sock, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
        version = tls.version()
    prints = {"sha1": thumbprint(der, "sha1"), "sha256": thumbprint(der, "sha256")}
    return f"{version}, certificate valid for {host}", prints


def pin_matches(pin: str, prints: dict) -> bool:
    wanted = normalise_pin(pin)
    return wanted in (normalise_pin(prints["sha1"]), normalise_pin(prints["sha256"]))


def probe_http(url, timeout, ca_file, status=200, wsdl=False) -> str:
    try:
        # As urllib's urlopen with a default TLS context on ca_file; no .netrc credentials, the body as sent.
        with open_url(url, timeout=timeout, ca_path=ca_file, http_agent="umzug-client-probe",
                      use_netrc=False, decompress=False) as response:
            code, body = response.status, response.read(1 << 20)
    except urllib.error.HTTPError as err:
        code, body = err.code, b""
    except urllib.error.URLError as err:
        raise ProbeFailed(f"{url}: {err.reason}") from None
    if code != status:
        raise ProbeFailed(Reason("probe_http_status", url=url, got=code, status=status))
    if wsdl:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError as err:
            raise ProbeFailed(Reason("probe_not_xml", url=url, error=err)) from None
        if root.tag.rsplit("}", 1)[-1] not in ("definitions", "description"):
            raise ProbeFailed(Reason("probe_not_wsdl", url=url, root=root.tag))
        return f"{url}: HTTP {code}, WSDL {root.tag.rsplit('}', 1)[-1]}"
    return f"{url}: HTTP {code}"


def probe_odbc(module, dsn, query, odbcini, expect, timeout) -> str:
    isql = module.get_bin_path("isql")
    if isql is None:
        raise ProbeFailed(Reason("probe_not_installed", program="isql (unixODBC)"))
    env = {"ODBCINI": odbcini} if odbcini else {}
    rc, out, err = module.run_command([isql, "-b", "-v", dsn], data=query,
                                      environ_update=env)
    if rc != 0:
        raise ProbeFailed(f"isql {dsn}: {(err or out).strip()[:200]}")
    if expect and not re.search(expect, out):
        raise ProbeFailed(Reason("probe_odbc_answer", dsn=dsn, answer=repr(out.strip()[:120]), expect=expect))
    return f"query through DSN {dsn} answered"


def probe_unc(module, value, auth_file, timeout) -> str:
    smbclient = module.get_bin_path("smbclient")
    if smbclient is None:
        raise ProbeFailed(Reason("probe_not_installed", program="smbclient"))
    try:
        target = unc.parse(value)
    except unc.UncError as err:
        raise ProbeFailed(str(err)) from None
    command = f'cd "{target.path}"; ls' if target.path else "ls"
    credentials = ["-A", auth_file] if auth_file else ["-N"]
    rc, out, err = module.run_command([smbclient, target.service, *credentials, "-t", str(timeout),
                                       "-c", command])
    failure = re.search(r"NT_STATUS_[A-Z_]+", out + err)
    if rc != 0 or failure:
        raise ProbeFailed(f"{value}: {failure.group(0) if failure else (err or out).strip()[:120]}")
    return f"{value} is readable"


class Prober:
    def __init__(self, module: AnsibleModule, planned: EndpointMap | None = None):
        """``planned``: the endpoint mapping the files are re-pointed through in memory (a dry run)."""
        self.module = module
        self.params = module.params
        self.profile = self.params["profile"]
        self.planned = planned
        self.where = {"kommune": self.params["kommune"], "host": None}
        self.findings = []

    def values(self) -> dict:
        values = {}
        for spec in self.profile["files"]:
            path = spec.get("path")
            if path and os.path.isfile(path) and any("id" in s for s in spec["selectors"]):
                with open(path, "rb") as handle:
                    try:
                        values.update(read_values(self.as_probed(handle.read(), spec), spec))
                    except ConfigError as err:
                        raise ProbeFailed(f"{path}: {err}") from None
        return values

    def as_probed(self, data: bytes, spec: dict) -> bytes:
        """The file as the probes see it: as it is, or as the rewrite would leave it."""
        return data if self.planned is None else rewrite_file(data, spec, self.planned)[0]

    def run(self) -> list[dict]:
        problem = None
        try:
            values = self.values()
        except ProbeFailed as err:
            values, problem = None, err.detail
        results = []
        for probe in self.profile.get("probes") or ():
            if probe["kind"] not in self.params["kinds"]:
                continue
            entry = {"kind": probe["kind"], "target": "", "ok": False, "detail": ""}
            try:
                if values is None:
                    raise ProbeFailed(problem)
                entry["target"] = probe.get("dsn") or values.get(probe.get("endpoint"), "")
                entry.update({"ok": True, **self.one(probe, values)})
            except ProbeFailed as err:
                entry["detail"] = err.detail
            except (OSError, ssl.SSLError) as err:
                entry["detail"] = str(err)
            # A probe that breaks (a library error nobody foresaw) is a failed probe, not a crashed task.
            except Exception as err:
                entry["detail"] = f"{type(err).__name__}: {err}"
            if not entry["ok"]:
                self.findings.append(self.failed(probe, entry))
            results.append(entry)
        return results

    def one(self, probe: dict, values: dict) -> dict:
        kind, timeout = probe["kind"], self.params["timeout"]
        if kind == "odbc":
            return {"target": probe["dsn"], "detail": probe_odbc(
                self.module, probe["dsn"], probe.get("query", "SELECT 1"), probe.get("odbcini"),
                probe.get("expect"), timeout)}
        value = values.get(probe["endpoint"])
        if value is None:
            raise ProbeFailed(Reason("probe_no_value", endpoint=repr(probe["endpoint"])))
        if kind == "unc":
            return {"target": value, "detail": probe_unc(self.module, value, self.params["smb_auth_file"], timeout)}
        if kind == "http":
            return {"target": value, "detail": probe_http(value, timeout, self.params["ca_file"],
                                                          probe.get("status", 200), probe.get("wsdl", False))}
        port = probe.get("port")
        if isinstance(port, str):
            port = int(values[port]) if values.get(port, "").isdigit() else None
        host, port = host_port(value, port)
        if port is None:
            raise ProbeFailed(f"{value!r} names no port and the probe gives none")
        target = f"{host}:{port}"
        if kind == "tcp":
            return {"target": target, "detail": probe_tcp(host, port, timeout, probe.get("banner"))}
        detail, prints = probe_tls(host, port, timeout, self.params["ca_file"])
        result = {"target": target, "detail": detail, **prints}
        pinned = values.get(probe["pin"]) if "pin" in probe else None
        if pinned is not None and not pin_matches(pinned, prints):
            self.findings.append(self.pin_changed(pinned, prints, target))
            result["pin_changed"] = True
            result["ok"] = probe.get("pin_mismatch", "finding") != "fail"
        return result

    def failed(self, probe: dict, entry: dict) -> dict:
        name = f"{self.profile['fachverfahren']} ({self.profile['id']})"
        return Finding.of(
            KEY_PROBE_FAILED, variant="after" if self.planned is None else "before", name=name, kind=probe["kind"],
            target=entry["target"] or "?", detail=entry["detail"],
            resources=(self.profile["id"], probe["kind"], entry["target"] or "?"), **self.where).to_dict()

    def pin_changed(self, pinned: str, prints: dict, target: str) -> dict:
        name = f"{self.profile['fachverfahren']} ({self.profile['id']})"
        return Finding.of(
            KEY_PIN_CHANGED, name=name, pinned=pinned, target=target, sha1=prints["sha1"], sha256=prints["sha256"],
            thumbprint=prints["sha1"].replace(":", ""), resources=(self.profile["id"], target), **self.where).to_dict()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            profile=dict(type="dict", required=True),
            timeout=dict(type="int", default=10),
            ca_file=dict(type="path"),
            smb_auth_file=dict(type="path"),
            fail_on_error=dict(type="bool", default=False),
            kommune=dict(type="str"),
            endpoints=dict(type="dict", default={}),
            kinds=dict(type="list", elements="str", choices=sorted(PROBE_KINDS), default=sorted(PROBE_KINDS)),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["endpoints"] and "odbc" in params["kinds"]:
        module.fail_json(msg="odbc probes cannot run before the rewrite (isql reads the DSN from the file, which "
                             "still names the old server); leave odbc out of kinds when endpoints is given")
    try:
        check_profiles([params["profile"]])
        planned = EndpointMap.from_dict(params["endpoints"]) if params["endpoints"] else None
    except ProfileError as err:
        module.fail_json(msg=str(err))
    prober = Prober(module, planned)
    probes = prober.run()
    failed = sum(1 for p in probes if not p["ok"])
    result = {"changed": False, "probes": probes, "failed_probes": failed, RESULT_FINDINGS: prober.findings}
    if failed and module.params["fail_on_error"]:
        module.fail_json(msg=f"{failed} probe(s) of {module.params['profile']['id']} failed", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
