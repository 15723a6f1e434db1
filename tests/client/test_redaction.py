"""A sentinel credential sent through every error path: it must never come out in text."""

from __future__ import annotations

import logging
import stat
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from imageapi._redact import redact_text, redact_url
from imageapi._retry import RetryPolicy, retrying
from imageapi.auth import BasicAuth, BearerTokenAuth, ExecAuth, ExecConfig, TokenFileAuth
from imageapi.config import ClientConfig, load_kubeconfig
from imageapi.errors import (
    ConfigError,
    CredentialError,
    UnauthorizedError,
    error_from_response,
    error_from_transport,
)

SENTINEL = "sha256~S3NT1N3L-d0-n0t-l3ak-7f3a9c"
SHORT_SECRET = "hunter2"
URL = "https://api.example.com:6443/apis/image.openshift.io/v1/images"


def kubeconfig(tmp_path: Path, user: dict[str, object], cluster: str = "c") -> Path:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "current-context": "ctx",
        "contexts": [{"name": "ctx", "context": {"cluster": cluster, "user": "u"}}],
        "clusters": [{"name": "c", "cluster": {"server": "https://api.example.com:6443"}}],
        "users": [{"name": "u", "user": user}],
    }))
    return path


def test_config_errors_with_a_token_in_the_file(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, {"token": SENTINEL, "password": SHORT_SECRET, "username": "me"})
    with pytest.raises(ConfigError) as info:
        load_kubeconfig(path)  # token and basic auth together
    assert SENTINEL not in str(info.value) and SHORT_SECRET not in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_kubeconfig(kubeconfig(tmp_path, {"token": SENTINEL}, cluster="missing"))
    assert SENTINEL not in str(info.value)


def test_client_reprs_hide_credentials_in_the_base_url() -> None:
    from imageapi import AsyncClient, Client

    base_url = f"https://me:{SHORT_SECRET}@api.example.com:6443/?access_token={SENTINEL}"
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with Client(base_url, transport=transport, namespace="demo") as client:
        for shown in (repr(client), repr(client.with_options(namespace="other")),
                      repr(AsyncClient(base_url, transport=transport))):
            assert SHORT_SECRET not in shown and SENTINEL not in shown
            assert "api.example.com:6443" in shown
        # The credentials were taken out of the URL before httpx saw it (they became the auth).
        assert repr(client) == "<Client https://api.example.com:6443/ namespace='demo'>"


def test_yaml_errors_do_not_quote_the_token(tmp_path: Path) -> None:
    for broken in (f'token: "{SENTINEL}\n', f"token: {SENTINEL}: x\n", f"token: [{SENTINEL}\n",
                   f"token: '{SENTINEL}\n", f'token: "{SENTINEL}\\q"\n'):
        path = tmp_path / "config"
        path.write_text("users:\n- name: u\n  user:\n    " + broken)
        with pytest.raises(ConfigError) as info:
            load_kubeconfig(path)
        assert SENTINEL not in str(info.value), broken


def test_reprs_hide_secrets(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SENTINEL)
    exec_config = ExecConfig(command="plugin", env=(("API_KEY", SENTINEL),))
    auths: list[httpx.Auth] = [BearerTokenAuth(SENTINEL), BasicAuth("me", SENTINEL), TokenFileAuth(token_file),
                               ExecAuth(exec_config)]
    for auth in auths:
        assert SENTINEL not in repr(auth)
        config = ClientConfig(server="https://h", auth=auth, proxy=f"http://me:{SENTINEL}@proxy:3128")
        assert SENTINEL not in repr(config)
        assert SENTINEL not in str(config)
    assert SENTINEL not in repr(exec_config)
    loaded = load_kubeconfig(kubeconfig(tmp_path, {"token": SENTINEL}))
    assert SENTINEL not in repr(loaded)


def plugin(tmp_path: Path, body: str) -> str:
    script = tmp_path / "plugin"
    script.write_text(f"#!{sys.executable}\nimport sys, json, os\n{body}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


@pytest.mark.parametrize(
    "leak",
    [
        f"token: {SENTINEL}",
        f"Authorization: Bearer {SHORT_SECRET}",
        '{"status": {"token": "' + SHORT_SECRET + '"}}',
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl",
        "opaque 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 end",
        SENTINEL,
    ],
)
def test_exec_plugin_stderr_is_scrubbed(tmp_path: Path, leak: str) -> None:
    command = plugin(tmp_path, f"sys.stderr.write({leak!r} + '\\n'); sys.exit(1)\n")
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)),
                          auth=ExecAuth(ExecConfig(command)))
    with client, pytest.raises(CredentialError) as info:
        client.get(URL)
    text = str(info.value) + repr(info.value) + (info.value.stderr or "")
    for secret in (SENTINEL, SHORT_SECRET, "c2lnbmF0dXJl", "9f86d081884c7d659a2feaa0c55ad015"):
        assert secret not in text
    assert "exit code 1" in str(info.value)


def test_a_token_the_plugin_issued_earlier_is_scrubbed_from_later_failures(tmp_path: Path) -> None:
    # First run succeeds with a short token, the second fails and prints it on stderr.
    body = f"""
marker = {str(tmp_path / 'ran')!r}
if os.path.exists(marker):
    sys.stderr.write('refresh failed for {SHORT_SECRET}\\n'); sys.exit(2)
open(marker, 'w').close()
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
                  "status": {{"token": "{SHORT_SECRET}"}}}}))
"""
    auth = ExecAuth(ExecConfig(plugin(tmp_path, body)))
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(401)), auth=auth)
    with client, pytest.raises(CredentialError) as info:
        client.get(URL)  # 401 → the plugin runs again and fails
    assert "refresh failed for" in str(info.value)
    assert SHORT_SECRET not in str(info.value)


def test_401_error_never_shows_the_request_credentials() -> None:
    request_headers = {"Authorization": f"Bearer {SENTINEL}"}
    body = f"Unauthorized: token {SENTINEL} is expired (Bearer {SENTINEL})".encode()
    error = error_from_response("GET", URL + f"?access_token={SENTINEL}", 401, {}, body)
    assert isinstance(error, UnauthorizedError)
    for text in (str(error), repr(error), error.url, error.message, str(error.args)):
        assert SENTINEL not in text
    assert request_headers["Authorization"] not in str(error)


def test_transport_errors_scrub_urls_and_messages() -> None:
    exc = httpx.ConnectError(f"failed to connect: https://h/?token={SENTINEL}")
    error = error_from_transport("GET", f"https://me:{SHORT_SECRET}@h/x?token={SENTINEL}", exc)
    assert SENTINEL not in str(error) and SHORT_SECRET not in str(error)


def test_retry_logs_hide_secrets(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503 if calls == 1 else 200, text=f"token={SENTINEL}")

    url = URL + f"?access_token={SENTINEL}"
    with caplog.at_level(logging.DEBUG, logger="imageapi"), httpx.Client(
        transport=httpx.MockTransport(handler), auth=BearerTokenAuth(SENTINEL)
    ) as client:
        for attempt in retrying(RetryPolicy(attempts=3, jitter=False), "GET", url, sleep=lambda s: None):
            with attempt:
                response = client.get(url)
                if response.status_code >= 400:
                    raise error_from_response("GET", url, response.status_code, response.headers, response.content)
    assert calls == 2
    assert caplog.records, "the retry was logged"
    assert all(SENTINEL not in record.getMessage() for record in caplog.records)


def test_auth_flow_401_log_hides_the_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SENTINEL)
    with caplog.at_level(logging.DEBUG, logger="imageapi"), httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(401)), auth=TokenFileAuth(token_file)
    ) as client:
        client.get(URL + f"?access_token={SENTINEL}")
    assert any("401" in r.getMessage() for r in caplog.records)
    assert all(SENTINEL not in r.getMessage() for r in caplog.records)


def test_redaction_helpers_keep_what_is_not_secret() -> None:
    digest = "sha256:4a5b0c9e8f7d6c5b4a3928172635445362718293a4b5c6d7e8f90a1b2c3d4e5f"
    assert redact_text(f'images.image.openshift.io "{digest}" not found') == (
        f'images.image.openshift.io "{digest}" not found')
    assert redact_url("https://h/apis?labelSelector=a%3Db&limit=5") == "https://h/apis?labelSelector=a%3Db&limit=5"


@pytest.mark.parametrize(("url", "clean", "basic", "token"), [
    ("https://h:6443", "https://h:6443", None, None),
    ("https://me:p%40ss@h:6443/", "https://h:6443/", ("me", "p@ss"), None),
    ("https://h/?access_token=abc&x=1", "https://h/?x=1", None, "abc"),
    ("https://me@h/", "https://h/", ("me", ""), None),
])
def test_credentials_are_taken_out_of_a_server_url(
    url: str, clean: str, basic: tuple[str, str] | None, token: str | None
) -> None:
    from imageapi._redact import split_credentials

    assert split_credentials(url) == (clean, basic, token)


def test_an_explicit_token_wins_over_credentials_in_the_url() -> None:
    from imageapi import Client

    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json={}))
    with Client(f"https://me:{SHORT_SECRET}@h.example/?access_token={SENTINEL}", token="explicit",
                transport=transport) as client:
        client.image_streams.get("app", namespace="demo")
    assert seen[0].headers["authorization"] == "Bearer explicit"
    assert SHORT_SECRET not in str(seen[0].url) and SENTINEL not in str(seen[0].url)


def test_a_secret_repr_shows_keys_never_values() -> None:
    from imageapi.models import Secret, SecretList

    secret = Secret.from_dict({"metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson",
                               "data": {".dockerconfigjson": "c2VjcmV0"}, "stringData": {"pw": SHORT_SECRET}})
    assert repr(secret) == ("Secret(metadata=ObjectMeta(name='pull'), data={'.dockerconfigjson': <hidden>}, "
                            "string_data={'pw': <hidden>}, type='kubernetes.io/dockerconfigjson')")
    assert SHORT_SECRET not in repr(SecretList(items=[secret])) and "c2VjcmV0" not in str(secret)
    assert secret.data == {".dockerconfigjson": b"secret"}  # the values are all there to use
    assert secret.to_dict()["stringData"] == {"pw": SHORT_SECRET}


def test_a_client_config_built_by_hand_with_credentials_in_its_server_url() -> None:
    from imageapi import Client

    config = ClientConfig(server=f"https://me:{SHORT_SECRET}@h.example:6443/?access_token={SENTINEL}")
    assert SHORT_SECRET not in repr(config) and SENTINEL not in repr(config)
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json={}))
    with Client(config=config, transport=transport) as client:
        client.image_streams.get("app", namespace="demo")
    assert str(seen[0].url).startswith("https://h.example:6443/apis/")
    assert seen[0].headers["authorization"] == f"Bearer {SENTINEL}"  # the URL's token became the auth
