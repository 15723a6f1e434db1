"""httpx.Auth flows: bearer tokens, token files that rotate, basic auth, exec credential plugins."""

from __future__ import annotations

import json
import os
import ssl
import stat
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from imageapi.auth import BasicAuth, BearerTokenAuth, ExecAuth, ExecConfig, TokenFileAuth
from imageapi.errors import CredentialError

DATA = Path(__file__).parent / "data"
URL = "https://api.example.com:6443/apis/image.openshift.io/v1/images"


class Server:
    """A MockTransport handler that accepts only the tokens in ``valid`` and records what it saw."""

    def __init__(self, *valid: str) -> None:
        self.valid = set(valid)
        self.seen: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization")
        self.seen.append(header)
        if header is not None and header.removeprefix("Bearer ") in self.valid:
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(401, json={"kind": "Status", "code": 401, "reason": "Unauthorized"})


def get(auth: httpx.Auth, server: Server) -> httpx.Response:
    with httpx.Client(transport=httpx.MockTransport(server), auth=auth) as client:
        return client.get(URL)


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_bearer_token() -> None:
    server = Server("abc")
    assert get(BearerTokenAuth("abc"), server).status_code == 200
    assert server.seen == ["Bearer abc"]


def test_basic_auth() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), auth=BasicAuth("admin", "pw")) as client:
        client.get(URL)
    assert seen == ["Basic YWRtaW46cHc="]


def test_token_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first\n")
    auth = TokenFileAuth(token_file, refresh_interval=60, clock=Clock())
    server = Server("first", "second-token")
    get(auth, server)
    get(auth, server)
    token_file.write_text("second-token")  # the kubelet rotated it
    get(auth, server)
    assert server.seen == ["Bearer first", "Bearer first", "Bearer second-token"]


def rewrite_unnoticed(path: Path, text: str) -> None:
    """Change the file's content keeping its inode, size and mtime (a change stat cannot see)."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    with open(path, "r+") as handle:
        handle.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_token_file_is_reread_after_the_interval_even_if_stat_looks_the_same(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("aaaa")
    clock = Clock()
    auth = TokenFileAuth(token_file, refresh_interval=60, clock=clock)
    server = Server("aaaa", "bbbb")
    get(auth, server)
    rewrite_unnoticed(token_file, "bbbb")
    clock.now += 30
    get(auth, server)
    clock.now += 31
    get(auth, server)
    assert server.seen == ["Bearer aaaa", "Bearer aaaa", "Bearer bbbb"]


def test_token_file_is_reread_after_a_401_and_the_request_resent(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("old")
    auth = TokenFileAuth(token_file, clock=Clock())
    get(auth, Server("old"))
    rewrite_unnoticed(token_file, "new")
    server = Server("new")
    response = get(auth, server)
    assert response.status_code == 200
    assert server.seen == ["Bearer old", "Bearer new"]


def test_token_file_unchanged_after_401_is_not_resent(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("rejected")
    server = Server()
    assert get(TokenFileAuth(token_file, clock=Clock()), server).status_code == 401
    assert server.seen == ["Bearer rejected"]


def test_missing_token_file_is_a_credential_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="cannot read token file"):
        get(TokenFileAuth(tmp_path / "absent"), Server())


@pytest.mark.anyio
async def test_token_file_async(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("tok")
    server = Server("tok")
    async with httpx.AsyncClient(transport=httpx.MockTransport(server), auth=TokenFileAuth(token_file)) as client:
        assert (await client.get(URL)).status_code == 200
    assert server.seen == ["Bearer tok"]


class StreamConsumingServer(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Reads request bodies off their stream as a network transport does (MockTransport would buffer
    them first), rejecting the first request with a 401 after rotating the token file."""

    def __init__(self, token_file: Path) -> None:
        self.token_file = token_file
        self.seen: list[tuple[str | None, bytes]] = []

    def _answer(self, request: httpx.Request, body: bytes) -> httpx.Response:
        self.seen.append((request.headers.get("Authorization"), body))
        if len(self.seen) == 1:
            rewrite_unnoticed(self.token_file, "new")
            return httpx.Response(401)
        return httpx.Response(200)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        return self._answer(request, b"".join(request.stream))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        return self._answer(request, b"".join([chunk async for chunk in request.stream]))


def test_a_streamed_body_is_sent_again_after_a_401(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("old")
    server = StreamConsumingServer(token_file)

    def body() -> Iterator[bytes]:
        yield b"first,"
        yield b"second"

    with httpx.Client(transport=server, auth=TokenFileAuth(token_file, clock=Clock())) as client:
        assert client.post(URL, content=body()).status_code == 200
    assert server.seen == [("Bearer old", b"first,second"), ("Bearer new", b"first,second")]


@pytest.mark.anyio
async def test_a_streamed_body_is_sent_again_after_a_401_async(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("old")
    server = StreamConsumingServer(token_file)

    async def body() -> AsyncIterator[bytes]:
        yield b"first,"
        yield b"second"

    async with httpx.AsyncClient(transport=server, auth=TokenFileAuth(token_file, clock=Clock())) as client:
        assert (await client.post(URL, content=body())).status_code == 200
    assert server.seen == [("Bearer old", b"first,second"), ("Bearer new", b"first,second")]


# --- exec plugins ---------------------------------------------------------------------------------

def make_plugin(tmp_path: Path, body: str, name: str = "plugin") -> str:
    """An executable Python script acting as a credential plugin; it logs each run to runs.jsonl."""
    script = tmp_path / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"LOG = {str(tmp_path / 'runs.jsonl')!r}\n"
        "with open(LOG, 'a') as log:\n"
        "    log.write(json.dumps({'argv': sys.argv[1:], 'info': os.environ.get('KUBERNETES_EXEC_INFO'),\n"
        "                          'foo': os.environ.get('FOO'), 'stdin_tty': sys.stdin.isatty()}) + '\\n')\n"
        + textwrap.dedent(body)
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def runs(tmp_path: Path) -> list[dict[str, object]]:
    log = tmp_path / "runs.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def credential(status: dict[str, object], api_version: str = "client.authentication.k8s.io/v1") -> str:
    return f"print({json.dumps(json.dumps({'apiVersion': api_version, 'kind': 'ExecCredential', 'status': status}))})\n"


def test_exec_plugin_token_with_exec_info_args_and_env(tmp_path: Path) -> None:
    command = make_plugin(tmp_path, credential({"token": "exec-token"}))
    config = ExecConfig(command=command, args=("get-token", "--x"), env=(("FOO", "bar"),),
                        provide_cluster_info=True, cluster={"server": "https://api.example.com:6443"})
    server = Server("exec-token")
    assert get(ExecAuth(config), server).status_code == 200
    (run,) = runs(tmp_path)
    assert run["argv"] == ["get-token", "--x"]
    assert run["foo"] == "bar"
    assert run["stdin_tty"] is False
    info = json.loads(str(run["info"]))
    assert info == {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                    "spec": {"interactive": False, "cluster": {"server": "https://api.example.com:6443"}}}


def test_exec_info_has_no_cluster_without_provide_cluster_info(tmp_path: Path) -> None:
    command = make_plugin(tmp_path, credential({"token": "t"}, "client.authentication.k8s.io/v1beta1"))
    config = ExecConfig(command=command, api_version="client.authentication.k8s.io/v1beta1",
                        cluster={"server": "https://x"})
    get(ExecAuth(config), Server("t"))
    info = json.loads(str(runs(tmp_path)[0]["info"]))
    assert info["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert "cluster" not in info["spec"]


def test_exec_credential_is_cached_until_expiry(tmp_path: Path) -> None:
    command = make_plugin(tmp_path, credential({"token": "t", "expirationTimestamp": "2023-11-14T22:30:00Z"}))
    clock = Clock(1_700_000_000.0)  # 2023-11-14T22:13:20Z
    auth = ExecAuth(ExecConfig(command=command), clock=clock)
    server = Server("t")
    get(auth, server)
    get(auth, server)
    assert len(runs(tmp_path)) == 1
    assert auth.expires_at is not None and auth.expires_at.isoformat() == "2023-11-14T22:30:00+00:00"
    clock.now += 20 * 60  # past the expiry
    get(auth, server)
    assert len(runs(tmp_path)) == 2


def test_exec_plugin_reruns_after_401(tmp_path: Path) -> None:
    # Each run prints a token numbered by how many runs there have been.
    body = """
    count = sum(1 for _ in open(LOG))
    print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                      "status": {"token": f"token-{count}"}}))
    """
    auth = ExecAuth(ExecConfig(command=make_plugin(tmp_path, body)))
    server = Server("token-2")
    response = get(auth, server)
    assert response.status_code == 200
    assert server.seen == ["Bearer token-1", "Bearer token-2"]


@pytest.mark.anyio
async def test_exec_plugin_async(tmp_path: Path) -> None:
    command = make_plugin(tmp_path, credential({"token": "async-token"}))
    server = Server("async-token")
    async with httpx.AsyncClient(transport=httpx.MockTransport(server), auth=ExecAuth(ExecConfig(command))) as client:
        assert (await client.get(URL)).status_code == 200
        assert (await client.get(URL)).status_code == 200
    assert len(runs(tmp_path)) == 1


def test_exec_plugin_client_certificate_goes_into_the_ssl_context(tmp_path: Path) -> None:
    status = {"clientCertificateData": (DATA / "client.crt").read_text(),
              "clientKeyData": (DATA / "client.key").read_text()}
    command = make_plugin(tmp_path, credential(status))
    context = ssl.create_default_context()
    loaded: list[tuple[str, str]] = []
    original = context.load_cert_chain

    def spy(certfile: str, keyfile: str | None = None, password: None = None) -> None:
        loaded.append((Path(certfile).read_text(), Path(keyfile or "").read_text()))
        mode = os.stat(keyfile or "").st_mode & 0o777
        assert mode == 0o600
        original(certfile, keyfile)

    context.load_cert_chain = spy  # type: ignore[method-assign]
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), auth=ExecAuth(ExecConfig(command), ssl_context=context)) as c:
        c.get(URL)
    assert loaded == [(status["clientCertificateData"], status["clientKeyData"])]
    assert seen == [None]  # no bearer token: the certificate authenticates


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("print('not json')\n", "not JSON"),
        (credential({"token": "t"}, "client.authentication.k8s.io/v1beta1"), "does not match"),
        (credential({}), "neither status.token"),
        (credential({"token": "t", "expirationTimestamp": "tomorrow"}), "not a timestamp"),
        (credential({"clientCertificateData": "x"}), "together"),
        ("print(json.dumps({'kind': 'Other'}))\n", "kind is not ExecCredential"),
    ],
)
def test_unusable_exec_credentials(tmp_path: Path, body: str, fragment: str) -> None:
    auth = ExecAuth(ExecConfig(command=make_plugin(tmp_path, body)))
    with pytest.raises(CredentialError, match=fragment):
        get(auth, Server())


def test_exec_plugin_failure_reports_command_exit_code_and_stderr(tmp_path: Path) -> None:
    body = "sys.stderr.write('error: could not refresh: login required\\n'); sys.exit(3)\n"
    command = make_plugin(tmp_path, body, name="kubelogin")
    with pytest.raises(CredentialError) as info:
        get(ExecAuth(ExecConfig(command=command)), Server())
    error = info.value
    assert error.exit_code == 3
    assert error.command == command
    assert "exit code 3" in str(error)
    assert "login required" in str(error)


def test_missing_exec_plugin_shows_the_install_hint(tmp_path: Path) -> None:
    config = ExecConfig(command=str(tmp_path / "nope"), install_hint="Install it with: brew install nope")
    with pytest.raises(CredentialError, match="not found; Install it with: brew install nope"):
        get(ExecAuth(config), Server())


def test_interactive_only_plugins_are_refused(tmp_path: Path) -> None:
    command = make_plugin(tmp_path, credential({"token": "t"}))
    with pytest.raises(CredentialError, match="interactive"):
        get(ExecAuth(ExecConfig(command=command, interactive_mode="Always")), Server())
    assert runs(tmp_path) == []


def test_unsupported_exec_api_version() -> None:
    with pytest.raises(CredentialError, match="unsupported apiVersion"):
        ExecAuth(ExecConfig(command="x", api_version="client.authentication.k8s.io/v1alpha1"))




@pytest.mark.anyio
async def test_concurrent_401s_run_the_plugin_once_more_not_once_each(tmp_path: Path) -> None:
    body = """
    count = sum(1 for _ in open(LOG))
    print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                      "status": {"token": f"token-{count}"}}))
    """
    auth = ExecAuth(ExecConfig(command=make_plugin(tmp_path, body)))
    auth.refresh()  # token-1, before the concurrent requests start
    both_sent = anyio.Event()
    arrived = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal arrived
        if request.headers["Authorization"] == "Bearer token-1":
            arrived += 1
            if arrived == 2:
                both_sent.set()
            with anyio.fail_after(10):
                await both_sent.wait()  # both requests carry the old token before either refreshes
            return httpx.Response(401)
        return httpx.Response(200, text=request.headers["Authorization"])

    results: list[str] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:

        async def fetch() -> None:
            results.append((await client.get(URL)).text)

        async with anyio.create_task_group() as group:
            group.start_soon(fetch)
            group.start_soon(fetch)
    assert results == ["Bearer token-2", "Bearer token-2"]
    assert len(runs(tmp_path)) == 2  # the first credential and one refresh
