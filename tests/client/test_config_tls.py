"""TLS settings from a kubeconfig, end to end against a loopback HTTPS server that checks client
certificates: the CA, the client certificate (inline, and from an exec plugin), tls-server-name."""

from __future__ import annotations

import base64
import json
import ssl
import stat
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from imageapi.config import ClientConfig, load_kubeconfig

DATA = Path(__file__).parent / "data"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        subject = dict(item[0] for item in peer["subject"]) if peer else {}
        body = json.dumps({"client": subject.get("commonName"),
                           "sni": getattr(self.server, "last_sni", None)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _TLSServer(ThreadingHTTPServer):
    last_sni: str | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # failed handshakes are what some tests expect


@pytest.fixture
def tls_server() -> Iterator[str]:
    """``https://127.0.0.1:<port>`` serving a certificate for ``api.internal``; client certificates
    signed by the test CA are required."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(DATA / "ca.crt"))
    context.load_cert_chain(str(DATA / "server.crt"), str(DATA / "server.key"))
    context.verify_mode = ssl.CERT_REQUIRED
    server = _TLSServer(("127.0.0.1", 0), _Handler)

    def remember_sni(sock: ssl.SSLSocket, name: str | None, ctx: ssl.SSLContext) -> None:
        server.last_sni = name

    context.sni_callback = remember_sni
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig(tmp_path: Path, server: str, cluster: dict[str, Any], user: dict[str, Any]) -> Path:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": server, **cluster}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "users": [{"name": "u", "user": user}],
    }))
    return path


def call(config: ClientConfig) -> dict[str, Any]:
    with httpx.Client(**config.client_kwargs()) as client:
        response = client.get("/version", extensions=config.request_extensions)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


CLUSTER = {"certificate-authority-data": b64(DATA / "ca.crt"), "tls-server-name": "api.internal"}
CLIENT_CERT = {"client-certificate-data": b64(DATA / "client.crt"), "client-key-data": b64(DATA / "client.key")}


def test_ca_client_certificate_and_tls_server_name(tmp_path: Path, tls_server: str) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, tls_server, CLUSTER, CLIENT_CERT))
    assert call(config) == {"client": "test-user", "sni": "api.internal"}


def test_server_certificate_is_checked(tmp_path: Path, tls_server: str) -> None:
    # Without tls-server-name the certificate (for api.internal) does not match 127.0.0.1.
    cluster = {"certificate-authority-data": b64(DATA / "ca.crt")}
    config = load_kubeconfig(kubeconfig(tmp_path, tls_server, cluster, CLIENT_CERT))
    with pytest.raises(httpx.ConnectError, match=r"(?i)certificate"):
        call(config)


def test_untrusted_server_is_refused_without_the_ca(tmp_path: Path, tls_server: str) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, tls_server, {"tls-server-name": "api.internal"}, CLIENT_CERT))
    with pytest.raises(httpx.ConnectError):
        call(config)


def exec_plugin(tmp_path: Path) -> dict[str, Any]:
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {"clientCertificateData": (DATA / "client.crt").read_text(),
                             "clientKeyData": (DATA / "client.key").read_text()}}
    script = tmp_path / "cert-plugin"
    script.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(credential))})\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(script)}}


def test_exec_plugin_client_certificate(tmp_path: Path, tls_server: str) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, tls_server, CLUSTER, exec_plugin(tmp_path)))
    assert call(config) == {"client": "test-user", "sni": "api.internal"}


@pytest.mark.anyio
async def test_exec_plugin_client_certificate_async(tmp_path: Path, tls_server: str) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, tls_server, CLUSTER, exec_plugin(tmp_path)))
    async with httpx.AsyncClient(**config.client_kwargs()) as client:
        response = await client.get("/version", extensions=config.request_extensions)
    assert response.json() == {"client": "test-user", "sni": "api.internal"}


@pytest.mark.anyio
async def test_the_async_clients_own_transport_speaks_tls_with_the_clients_context(tls_server: str) -> None:
    from imageapi import AsyncClient
    from imageapi._async_pool import AsyncPoolTransport

    # The test certificate names api.internal, not 127.0.0.1: trust its CA, skip the name check
    # (tls-server-name would hand the client to httpx's transport, which is tested above).
    context = ssl.create_default_context(cafile=str(DATA / "ca.crt"))
    context.check_hostname = False
    context.load_cert_chain(str(DATA / "client.crt"), str(DATA / "client.key"))
    async with AsyncClient(base_url=tls_server, verify=context) as client:
        assert isinstance(client._http._transport, AsyncPoolTransport)
        answer = await client._http.get("/version")
        assert answer.json()["client"] == "test-user"  # the client certificate went out
    async with AsyncClient(base_url=tls_server) as untrusting:  # the system's CAs: refused
        with pytest.raises(httpx.ConnectError):
            await untrusting._http.get("/version")
