"""The sentinel hunt: secrets put everywhere a user's secrets live must come out nowhere.

Sentinel strings go into a server URL (userinfo and ``access_token``), a kubeconfig token, an exec
plugin's ``env`` (which the plugin echoes on stderr when it fails), and a pull Secret's ``data``,
``stringData`` and last-applied annotation. Then the client is used as a user would (over loopback,
so httpx and httpcore log for real): gets, a secrets list, failures, retries, a failing plugin. Every
text the SDK produces is scanned: each repr, str and IPython/rich pretty form, every log record of
every logger at DEBUG (message and formatted traceback), ``repr`` of each ``httpx.Request``, and each
exception with its whole chain (``__cause__``, ``__context__``, ``original``, the traceback text).
"""

from __future__ import annotations

import logging
import stat
import sys
import traceback
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml

from imageapi import AsyncClient, Client
from imageapi.config import load_kubeconfig
from imageapi.errors import CredentialError, ImageAPIError, NotFoundError
from imageapi.testing import FakeCluster

URL_PASSWORD = "xyzzy-url-password-7781"
URL_TOKEN = "plugh-url-access-4410"
ENV_SECRET = "frobozz-env-value-0932"
DATA_SECRET = "zorkmid-data-value-5521"
STRING_DATA_SECRET = "grue-string-data-3318"
SENTINELS = (URL_PASSWORD, URL_TOKEN, ENV_SECRET, DATA_SECRET, STRING_DATA_SECRET)


class _Printer:
    """The part of IPython's pretty printer a ``_repr_pretty_`` uses."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, text: str) -> None:
        self.parts.append(text)


class Texts:
    """Everything scanned, for the figures and the assertion."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, text: object) -> None:
        self.texts.append((where, str(text)))

    def model(self, where: str, model: Any) -> None:
        self.add(f"repr {where}", repr(model))
        self.add(f"str {where}", str(model))
        printer = _Printer()
        model._repr_pretty_(printer, False)
        self.add(f"pretty {where}", "".join(printer.parts))
        self.add(f"rich {where}", list(model.__rich_repr__()))
        self.add(f"html {where}", model._repr_html_())

    def error(self, where: str, error: BaseException) -> None:
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self.add(f"str {where}", str(current))
            self.add(f"repr {where}", repr(current))
            self.add(f"traceback {where}", "".join(traceback.format_exception(current)))
            for name, value in vars(current).items():
                self.add(f"{where}.{name}", repr(value))
            current = current.__cause__ or current.__context__ or getattr(current, "original", None)

    def hits(self) -> list[tuple[str, str]]:
        return [(where, sentinel) for where, text in self.texts for sentinel in SENTINELS if sentinel in text]


def _plugin(tmp_path: Path) -> str:
    script = tmp_path / "plugin"
    script.write_text(f"#!{sys.executable}\nimport os, sys\n"
                      "sys.stderr.write('login failed for key ' + os.environ['CLOUD_KEY'] + '\\n')\nsys.exit(1)\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _kubeconfig(tmp_path: Path, server: str, user: dict[str, Any]) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": "demo"}}],
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user}],
    }))
    return path


def test_no_sentinel_comes_out_of_any_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: httpx, httpcore, imageapi, the root
    for name in ("httpx", "httpcore", "imageapi"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    texts = Texts()
    requests: list[httpx.Request] = []

    cluster = FakeCluster(token=URL_TOKEN)
    cluster.add_secret("demo", "pull", data={".dockerconfigjson": DATA_SECRET},
                       annotations={"kubectl.kubernetes.io/last-applied-configuration":
                                    '{"stringData":{"password":"' + STRING_DATA_SECRET + '"}}'})
    cluster.client(namespace="demo").image_streams.create({"metadata": {"name": "app"}})
    with cluster.serve() as server:
        base = server.url.replace("http://", f"http://alice:{URL_PASSWORD}@") + f"/?access_token={URL_TOKEN}"
        hooks = {"request": [requests.append]}
        with Client(base, namespace="demo") as client:
            client._http.event_hooks = hooks
            texts.add("repr client", repr(client))
            texts.add("repr http client base_url", repr(client._http.base_url))
            secrets = client.image_streams.secrets("app")
            texts.model("SecretList", secrets)
            for item in secrets.items or []:
                texts.model("Secret", item)
            assert any(DATA_SECRET.encode() == (item.data or {}).get(".dockerconfigjson")
                       for item in secrets.items or [])  # the data is there, only never printed
            with pytest.raises(NotFoundError) as caught:
                client.image_streams.get("missing")
            texts.error("404", caught.value)
            cluster.faults.fail_next(1, status=503)
            texts.model("ImageStream", client.image_streams.get("app"))  # one retry, logged

        async def async_get() -> None:
            # The async client's wire work is httpcore's, which logs (the blocking client's is
            # http.client's, imageapi._http11, which does not).
            async with AsyncClient(base, namespace="demo") as async_client:
                texts.model("ImageStream (async)", await async_client.image_streams.get("app"))

        anyio.run(async_get)

        # The same server URL in a kubeconfig.
        config = load_kubeconfig(_kubeconfig(tmp_path, base, {}))
        texts.add("repr ClientConfig", repr(config))
        texts.add("repr auth", repr(config.auth))
        with Client(config=config) as client:
            client._http.event_hooks = hooks
            texts.model("Secret from kubeconfig client", (client.image_streams.secrets("app").items or [])[0])

    # A model made by hand with stringData.
    from imageapi.models import Secret

    texts.model("Secret by hand", Secret.from_dict({"metadata": {"name": "s"}, "stringData": {"pw": STRING_DATA_SECRET}}))

    # An exec plugin that fails and echoes its env on stderr.
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": _plugin(tmp_path),
                          "env": [{"name": "CLOUD_KEY", "value": ENV_SECRET}], "interactiveMode": "Never"}}
    exec_config = load_kubeconfig(_kubeconfig(tmp_path, "https://api.example.test:6443", exec_user))
    texts.add("repr exec ClientConfig", repr(exec_config))
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with Client(config=exec_config, transport=transport) as client, pytest.raises(ImageAPIError) as caught_exec:
        client.image_streams.get("app")
    texts.error("exec", caught_exec.value)
    assert isinstance(caught_exec.value, CredentialError) or isinstance(caught_exec.value.original, CredentialError) \
        or isinstance(caught_exec.value.__context__, CredentialError)
    assert "login failed for key" in "".join(text for _, text in texts.texts)  # the stderr is quoted, scrubbed

    for request in requests:
        texts.add("repr httpx.Request", repr(request))
        texts.add("httpx.Request.url", str(request.url))
    for record in caplog.records:
        texts.add(f"log {record.name}", logging.Formatter("%(name)s %(levelname)s %(message)s").format(record))
    assert {record.name for record in caplog.records} >= {"httpx", "httpcore.http11", "imageapi"}
    assert len(requests) >= 5

    hits = texts.hits()
    print(f"sentinel hunt: {len(texts.texts)} texts scanned ({len(caplog.records)} log records, "
          f"{len(requests)} requests), hits: {len(hits)}")
    assert hits == []
