"""Lab only: a Kommune's old Fachverfahren server in miniature.

A TCP port that greets with a banner line, and an HTTPS port (the lab CA's host
certificate) serving 200 on the given status paths and the WSDL at /ws/meldung.
Standard library only: the Kommune's host has no web server or database packages.
"""

import argparse
import http.server
import socketserver
import ssl
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tcp-port", type=int, required=True)
    parser.add_argument("--banner", required=True)
    parser.add_argument("--https-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--wsdl", required=True)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    with open(args.wsdl, "rb") as handle:
        wsdl = handle.read()

    class Banner(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.sendall(args.banner.encode() + b"\n")

    class Web(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/ws/meldung":
                self.answer(200, "text/xml", wsdl)
            elif path in args.paths:
                self.answer(200, "application/json", b'{"status": "ok", "standort": "Kommune"}\n')
            else:
                self.answer(404, "text/plain", b"not found\n")

        def answer(self, code, kind, body):
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    tcp = socketserver.ThreadingTCPServer(("", args.tcp_port), Banner)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    web = http.server.ThreadingHTTPServer(("", args.https_port), Web)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    web.socket = context.wrap_socket(web.socket, server_side=True)
    web.serve_forever()


if __name__ == "__main__":
    main()
