"""Where outbound webhooks go: public addresses only by default, and the very address that was
checked (a name resolved once, then connected to by address, with the URL's host in the Host
header and, for HTTPS, in the handshake and the certificate check)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import trustme

from tests import test_outbound_webhooks as hooks
from tests.helpers import create_tenant
from voicecast.outbound import sender

API = "/api/v1"
pytest_plugins = ["tests.webhook_receiver"]  # receiver
admin = hooks.admin  # the account's admin, its webhooks allowed on loopback (a fixture)
register, emit_for = hooks.register, hooks.emit_for


def test_webhooks_go_to_public_addresses_only_by_default(app, runner, client, receiver):
    app.config["WEBHOOK_PRIVATE_URLS"] = False  # the default
    tenant = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/hook"):  # fmt: skip
        refused = client.post(f"{API}/webhooks", headers=tenant.headers,
                              json={"url": url, "events": ["opt_out"]})  # fmt: skip
        assert refused.status_code == 422, (url, refused.json)
        assert "private or local address" in refused.json["error"]["message"]

    app.config["WEBHOOK_PRIVATE_URLS"] = True  # registered while allowed...
    hook = register(client, tenant, receiver.url, ["opt_out"])
    app.config["WEBHOOK_PRIVATE_URLS"] = False  # ...then refused when sending
    emit_for(app, tenant.account_id, None, "x")
    with app.app_context():
        sender.run_round()
    assert receiver.requests == []
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json
    assert "private or local address" in log["items"][0]["last_error"]


def test_a_request_goes_to_the_address_checked_with_the_url_s_host(app, client, admin, receiver):
    port = receiver.server.server_port
    register(client, admin, f"http://localhost:{port}/hooks?shop=lyon", ["opt_out"])
    emit_for(app, admin.account_id, None, "by name")
    with app.app_context():
        assert sender.run_round() == "delivered 1"
    [request] = receiver.requests
    assert request.host == f"localhost:{port}"  # connected to 127.0.0.1, for localhost


def test_a_name_s_next_address_is_tried_when_one_refuses_the_connection(
    app, client, admin, receiver, monkeypatch
):
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):  # nothing listens on 127.0.0.2
        if host != "two.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0))
                for ip in ("127.0.0.2", "127.0.0.1")]  # fmt: skip

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = receiver.server.server_port
    register(client, admin, f"http://two.test:{port}/hooks", ["opt_out"])
    emit_for(app, admin.account_id, None, "second address")
    with app.app_context():
        assert sender.run_round() == "delivered 1"
    assert [request.host for request in receiver.requests] == [f"two.test:{port}"]


def test_a_name_that_resolves_inside_after_its_check_does_not_lead_the_request_there(
    app, runner, client, receiver, monkeypatch
):
    """DNS rebinding: the attacker's name answers a public address while it is checked, then
    the address of something inside our network (here, the receiver on loopback)."""
    app.config["WEBHOOK_PRIVATE_URLS"] = False
    app.config["WEBHOOK_TIMEOUT"] = 1.0
    tenant = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    real_getaddrinfo = socket.getaddrinfo
    asked = []

    def attacker_dns(host, port, *args, **kwargs):  # the resolver, as a hostile DNS answers
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        asked.append(host)
        address = "93.184.216.34" if len(asked) <= 2 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", attacker_dns)
    url = f"http://rebind.example:{receiver.server.server_port}/hooks"
    hook = register(client, tenant, url, ["opt_out"])  # checked once: a public address
    emit_for(app, tenant.account_id, None, "x")
    with app.app_context():
        sender.run_round()  # checked again, then connected to that same public address
    assert len(asked) == 2  # never resolved a third time, which would have led inside
    assert receiver.requests == []
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json
    assert log["items"][0]["attempts"] == 1 and log["items"][0]["status"] == "pending"


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch) -> Iterator[HTTPServer]:
    """An HTTPS receiver on loopback whose certificate names hooks.test, issued by a CA the
    sender trusts (SSL_CERT_FILE); hooks.test and other.test resolve to loopback. Its `hosts`
    are the Host headers it got."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host in ("hooks.test", "other.test"):
            host = "127.0.0.1"
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hosts.append(self.headers.get("Host"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    hosts: list[str] = []
    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("hooks.test").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.hosts = hosts
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_https_goes_to_the_checked_address_with_the_name_s_certificate(
    app, client, admin, tls_receiver
):
    port = tls_receiver.server_port
    good = register(client, admin, f"https://hooks.test:{port}/hooks", ["opt_out"])
    wrong = register(client, admin, f"https://other.test:{port}/hooks", ["opt_out"])
    emit_for(app, admin.account_id, None, "over TLS")
    with app.app_context():
        sender.run_round()
    assert tls_receiver.hosts == [f"hooks.test:{port}"]  # connected to loopback, as hooks.test
    delivered = client.get(f"{API}/webhooks/{good['id']}/deliveries", headers=admin.headers)
    assert delivered.json["items"][0]["status"] == "delivered"
    refused = client.get(f"{API}/webhooks/{wrong['id']}/deliveries", headers=admin.headers)
    assert "doesn't match 'hooks.test'" in refused.json["items"][0]["last_error"]
