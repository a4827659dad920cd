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
from voicecast.outbound import addresses, sender

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


# IPv6 addresses that lead to a loopback or private IPv4 address (issue 18's examples first).
EMBEDDING_INSIDE = (
    "64:ff9b::7f00:1",  # NAT64, well-known prefix: 127.0.0.1
    "2002:7f00:1::",  # 6to4: 127.0.0.1
    "64:ff9b::a00:1",  # NAT64: 10.0.0.1
    "64:ff9b:1::a00:1",  # NAT64 for local use (RFC 8215)
    "2002:c0a8:101::1",  # 6to4: 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:7f00:1::f5ff:fffe",  # Teredo, server 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible
    "::a9fe:a9fe",  # IPv4-compatible: 169.254.169.254
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.1.2.3",  # IPv4-mapped
)


@pytest.mark.parametrize("address", EMBEDDING_INSIDE)
def test_an_ipv6_address_embedding_an_inside_ipv4_is_inside(address):
    assert addresses.inside(address)


@pytest.mark.parametrize(
    "address", ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700::1111"]
)
def test_one_embedding_a_public_ipv4_is_not(address):
    assert not addresses.inside(address)


def test_embedded_inside_addresses_are_refused_at_registration_and_when_sending(
    app, runner, client, receiver, monkeypatch
):
    app.config["WEBHOOK_PRIVATE_URLS"] = False  # the default
    tenant = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    for address in EMBEDDING_INSIDE:
        body = {"url": f"http://[{address}]/hook", "events": ["opt_out"]}
        refused = client.post(f"{API}/webhooks", headers=tenant.headers, json=body)
        assert refused.status_code == 422, (address, refused.json)
        assert "private or local address" in refused.json["error"]["message"]

    real_getaddrinfo = socket.getaddrinfo
    answer = ["93.184.216.34"]  # public while registered, then NAT64 to loopback

    def resolver(host, port, *args, **kwargs):
        if host != "nat64.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        family = socket.AF_INET6 if ":" in answer[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (answer[0], port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    hook = register(client, tenant, "http://nat64.example/hook", ["opt_out"])
    answer[0] = "64:ff9b::7f00:1"
    emit_for(app, tenant.account_id, None, "x")
    with app.app_context():
        sender.run_round()
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json
    assert "private or local address (64:ff9b::7f00:1)" in log["items"][0]["last_error"]


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
