"""The process inside every lab pod: `GET /` answers the pod's name on each TCP port, and each
UDP port echoes datagrams back (the UDP connect probe's answer).

Run as `python -m harness.workloads.pod_server --name NAME --ports 80,81` in the pod's
namespace; it serves until killed. Nagle off: with it, keep-alive requests wait 40 ms each.
"""

from __future__ import annotations

import argparse
import http.server
import socket
import threading


def http_handler(name: str) -> type[http.server.BaseHTTPRequestHandler]:
    body = name.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real backend
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Silent: thousands of requests per second would fill the log."""

    return Handler


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that resets its connection (load generator stopping) is no error here."""


def udp_echo(address: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, port))
        while True:
            data, peer = sock.recvfrom(2048)
            sock.sendto(data, peer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--ports", required=True, help="comma-separated TCP+UDP ports")
    # A host with several addresses (a node: its own and the pod gateways) binds the one it is
    # probed at, so an echo leaves from the address the datagram went to.
    parser.add_argument("--bind", default="0.0.0.0", help="address to serve on (default: all)")
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    servers = [QuietServer((args.bind, port), http_handler(args.name)) for port in ports]
    for port in ports:
        threading.Thread(target=udp_echo, args=(args.bind, port), daemon=True).start()
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
