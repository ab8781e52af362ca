"""client_probe: every probe kind against real local servers; failures are findings, not crashes."""

import datetime
import http.client
import http.server
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.kommunal.umzug.plugins.modules import client_probe

WSDL = (b'<?xml version="1.0"?><definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="Meldung">'
        b"</definitions>")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A CA and a certificate for 'localhost' signed by it."""
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (folder / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "host.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "host.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    sha1 = cert.fingerprint(hashes.SHA1()).hex().upper()
    return folder, sha1


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body, code = (WSDL, 200) if self.path.startswith("/ws") else (b"ok", 200)
        if self.path.startswith("/missing"):
            body, code = b"", 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def https_port(tls_files):
    folder, _sha1 = tls_files
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "host.crt", folder / "host.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def banner_port():
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"EWO-Server 4.2 bereit\n")

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def run_probe(run_module, tmp_path, content: str, probes: list, selectors: list, **args):
    config = tmp_path / "client.yml"
    config.write_text(content)
    profile = {"id": "xmeld", "fachverfahren": "XMeld", "category": "Schnittstelle", "platform": "linux",
               "files": [{"path": str(config), "format": "yaml", "selectors": selectors}], "probes": probes}
    return run_module(client_probe.main, {"profile": profile, "timeout": 5, **args})


URL_SELECTORS = [{"id": "url", "path": "$.url"}, {"id": "pin", "path": "$.pin", "read_only": True}]


def test_tls_http_and_wsdl_pass_against_the_trusted_service(run_module, tmp_path, tls_files, https_port):
    folder, sha1 = tls_files
    result = run_probe(run_module, tmp_path, f"url: https://localhost:{https_port}/ws?wsdl\npin: {sha1}\n",
                       [{"kind": "tls", "endpoint": "url", "pin": "pin"}, {"kind": "http", "endpoint": "url",
                                                                           "wsdl": True}],
                       URL_SELECTORS, ca_file=str(folder / "ca.crt"))
    assert result["failed_probes"] == 0 and result["umzug_findings"] == [], result
    assert result["probes"][0]["sha1"].replace(":", "") == sha1
    assert result["probes"][1]["detail"].endswith("WSDL definitions")


def test_changed_pin_reports_the_new_thumbprint(run_module, tmp_path, tls_files, https_port):
    folder, sha1 = tls_files
    old = "5D 7A 1C 0E 93 44 B2 8F 61 0A 7C 2D E4 19 B3 55 C8 70 2F 91"
    result = run_probe(run_module, tmp_path, f"url: https://localhost:{https_port}/ws\npin: {old}\n",
                       [{"kind": "tls", "endpoint": "url", "pin": "pin"}], URL_SELECTORS,
                       ca_file=str(folder / "ca.crt"))
    [finding] = result["umzug_findings"]
    assert finding["key"] == "clients.pinned_certificate_changed" and sha1 in finding["remediation"]["text"]
    assert result["failed_probes"] == 0  # by default a finding, not a failed probe


@pytest.mark.parametrize(
    ("url", "probe", "detail"),
    [
        ("https://localhost:{port}/ws", {"kind": "tls", "endpoint": "url"}, "CERTIFICATE_VERIFY_FAILED"),
        ("https://127.0.0.1:{port}/ws", {"kind": "tls", "endpoint": "url", "_ca": True}, "IP address mismatch"),
        ("https://localhost:{port}/missing", {"kind": "http", "endpoint": "url", "_ca": True},
         "answered HTTP 404, expected 200"),
        ("https://localhost:{port}/status", {"kind": "http", "endpoint": "url", "wsdl": True, "_ca": True},
         "is not XML"),
    ],
)
def test_failed_tls_and_http_probes_are_findings(run_module, tmp_path, tls_files, https_port, url, probe, detail):
    folder, _sha1 = tls_files
    # Without "_ca" the probe trusts only the server's own leaf, not the CA that signed it.
    ca_file = folder / ("ca.crt" if probe.pop("_ca", False) else "host.crt")
    result = run_probe(run_module, tmp_path, f"url: {url.format(port=https_port)}\n", [probe],
                       [{"id": "url", "path": "$.url"}], ca_file=str(ca_file))
    assert result["failed_probes"] == 1
    assert detail in result["probes"][0]["detail"]
    assert result["umzug_findings"][0]["key"] == "clients.probe_failed"


def test_tcp_probe_checks_the_banner(run_module, tmp_path, banner_port):
    ok = run_probe(run_module, tmp_path, f"server: 127.0.0.1\nport: '{banner_port}'\n",
                   [{"kind": "tcp", "endpoint": "server", "port": "port", "banner": "EWO"}],
                   [{"id": "server", "path": "$.server"}, {"id": "port", "path": "$.port", "port_of": "server"}])
    assert ok["failed_probes"] == 0, ok
    wrong = run_probe(run_module, tmp_path, f"server: 127.0.0.1:{banner_port}\n",
                      [{"kind": "tcp", "endpoint": "server", "banner": "^SSH-"}],
                      [{"id": "server", "path": "$.server"}])
    assert "expected /^SSH-/" in wrong["probes"][0]["detail"]


def test_tcp_probe_to_a_closed_port_fails(run_module, tmp_path):
    result = run_probe(run_module, tmp_path, f"server: 127.0.0.1:{closed_port()}\n",
                       [{"kind": "tcp", "endpoint": "server"}], [{"id": "server", "path": "$.server"}])
    assert result["failed_probes"] == 1 and "refused" in result["probes"][0]["detail"].lower()


def test_probe_fails_the_task_when_asked(run_module, tmp_path):
    config = tmp_path / "client.yml"
    config.write_text(f"server: 127.0.0.1:{closed_port()}\n")
    profile = {"id": "x", "fachverfahren": "X", "category": "DMS", "platform": "linux",
               "files": [{"path": str(config), "format": "yaml", "selectors": [{"id": "s", "path": "$.server"}]}],
               "probes": [{"kind": "tcp", "endpoint": "s"}]}
    result = run_module(client_probe.main, {"profile": profile, "fail_on_error": True}, fails=True)
    assert result["msg"] == "1 probe(s) of x failed"


@pytest.mark.parametrize(
    ("tool", "probe", "rc", "out", "detail"),
    [
        ("isql", {"kind": "odbc", "dsn": "FINANZ", "expect": "umzug-probe-ok"}, 0, "| umzug-probe-ok |", ""),
        ("isql", {"kind": "odbc", "dsn": "FINANZ"}, 1, "[ISQL]ERROR: Could not SQLConnect", "Could not SQLConnect"),
        ("isql", {"kind": "odbc", "dsn": "FINANZ", "expect": "ok-marker"}, 0, "| something else |",
         "does not match /ok-marker/"),
        ("smbclient", {"kind": "unc", "endpoint": "server"}, 0, "  .  D 0", ""),
        ("smbclient", {"kind": "unc", "endpoint": "server"}, 1, "tree connect failed: NT_STATUS_BAD_NETWORK_NAME",
         "NT_STATUS_BAD_NETWORK_NAME"),
    ],
)
def test_odbc_and_unc_probes_read_the_tools_answer(run_module, tmp_path, monkeypatch, tool, probe, rc, out, detail):
    calls = []

    def run_command(self, argv, data=None, environ_update=None, **_kw):
        calls.append((argv, data))
        return rc, out, ""

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.get_bin_path", lambda self, name: f"/usr/bin/{name}")
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)
    result = run_probe(run_module, tmp_path, "server: \\\\rz-fs\\altdorf-standesamt\\Personenstand\n", [probe],
                       [{"id": "server", "path": "$.server"}])
    assert result["failed_probes"] == (1 if detail else 0), result
    assert detail in result["probes"][0]["detail"]
    argv, _data = calls[0]
    if tool == "smbclient":
        assert argv[1:3] == ["//rz-fs/altdorf-standesamt", "-N"] and argv[-1] == 'cd "Personenstand"; ls'
    else:
        assert argv == ["/usr/bin/isql", "-b", "-v", "FINANZ"]


def test_a_probe_that_breaks_is_a_failed_probe_not_a_crash(run_module, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise http.client.BadStatusLine("garbage")

    monkeypatch.setattr(client_probe, "probe_http", broken)
    result = run_probe(run_module, tmp_path, "url: https://localhost:1/\n", [{"kind": "http", "endpoint": "url"}],
                       [{"id": "url", "path": "$.url"}])
    assert result["failed_probes"] == 1
    assert result["probes"][0] == {"kind": "http", "target": "https://localhost:1/", "ok": False,
                                   "detail": "BadStatusLine: garbage"}


# --- the dry run: the RZ endpoints probed before anything is re-pointed ------------------------

OLD_PIN = "5D 7A 1C 0E 93 44 B2 8F 61 0A 7C 2D E4 19 B3 55 C8 70 2F 91"
OLD_CONFIG = f"url: https://kommune-a-fs.kommune-a.test:8443/ws?wsdl\npin: {OLD_PIN}\n"
PIN_PROBES = [{"kind": "http", "endpoint": "url", "wsdl": True}, {"kind": "tls", "endpoint": "url", "pin": "pin"}]


def endpoints_to(port):
    """The lab plan's mapping, with the RZ service at this test's server."""
    return {"hosts": [{"old": ["kommune-a-fs", "kommune-a-fs.kommune-a.test", "10.89.42.12"], "new": "localhost",
                       "ports": {8443: port}}]}


def test_the_dry_run_finds_the_changed_pin_at_the_rz_endpoint(run_module, tmp_path, tls_files, https_port):
    """The file still names the old server; in check mode, with the mapping, the TLS probe goes to the
    endpoint the rewrite would write, raises the cut-over's finding, and the file stays as it was."""
    folder, sha1 = tls_files
    config = tmp_path / "client.yml"
    config.write_text(OLD_CONFIG)
    profile = {"id": "xmeld", "fachverfahren": "XMeld", "category": "Schnittstelle", "platform": "linux",
               "files": [{"path": str(config), "format": "yaml", "selectors": URL_SELECTORS}], "probes": PIN_PROBES}
    result = run_module(client_probe.main, {"profile": profile, "timeout": 5, "ca_file": str(folder / "ca.crt"),
                                            "endpoints": endpoints_to(https_port), "kinds": ["tls"]}, check=True)
    assert [p["kind"] for p in result["probes"]] == ["tls"]
    assert result["probes"][0]["target"] == f"localhost:{https_port}"
    [finding] = result["umzug_findings"]
    assert finding["key"] == "clients.pinned_certificate_changed"
    assert sha1 in finding["remediation"]["text"] and f"localhost:{https_port}" in finding["resources"]
    assert config.read_text() == OLD_CONFIG and result["changed"] is False


def test_the_dry_run_of_a_matching_pin_is_silent(run_module, tmp_path, tls_files, https_port):
    folder, sha1 = tls_files
    result = run_probe(run_module, tmp_path, OLD_CONFIG.replace(OLD_PIN, sha1), PIN_PROBES, URL_SELECTORS,
                       ca_file=str(folder / "ca.crt"), endpoints=endpoints_to(https_port), kinds=["tls"])
    assert result["umzug_findings"] == [] and result["probes"][0]["ok"], result


def test_a_failed_probe_of_the_rz_endpoint_says_it_was_before_re_pointing(run_module, tmp_path):
    result = run_probe(run_module, tmp_path, OLD_CONFIG, PIN_PROBES, URL_SELECTORS,
                       endpoints=endpoints_to(closed_port()), kinds=["tls"])
    [finding] = result["umzug_findings"]
    assert finding["key"] == "clients.probe_failed" and "before re-pointing" in finding["title"]


def test_odbc_probes_cannot_run_before_the_rewrite(run_module, tmp_path):
    config = tmp_path / "client.yml"
    config.write_text(OLD_CONFIG)
    profile = {"id": "xmeld", "fachverfahren": "XMeld", "category": "Schnittstelle", "platform": "linux",
               "files": [{"path": str(config), "format": "yaml", "selectors": URL_SELECTORS}], "probes": PIN_PROBES}
    result = run_module(client_probe.main, {"profile": profile, "endpoints": endpoints_to(443)}, fails=True)
    assert "leave odbc out of kinds" in result["msg"]
