"""Authentication for the client: ``httpx.Auth`` flows that serve both ``httpx.Client`` and
``httpx.AsyncClient``.

* :class:`BearerTokenAuth`: a fixed token (``user.token`` in a kubeconfig).
* :class:`TokenFileAuth`: a token file re-read periodically and after a 401 (``user.tokenFile``, the
  in-cluster service account token, which the kubelet rotates).
* :class:`BasicAuth`: ``user.username`` / ``user.password``.
* :class:`ExecAuth`: a client-go credential plugin (``user.exec``, ``client.authentication.k8s.io``
  ``v1`` and ``v1beta1``): run the command, cache its ExecCredential until ``expirationTimestamp``,
  run it again after a 401.

Credentials that take blocking work to obtain (reading a file, running a plugin) share one flow,
:class:`RefreshingAuth`: the logic is a generator that yields either a request to send or a
``_Refresh`` instruction; the sync driver does the work inline and the async driver runs the very
same blocking method in a worker thread (``anyio.to_thread``), so there is one implementation.

Client certificates are TLS, not headers: a plugin that returns ``clientCertificateData`` loads it
into the ``ssl.SSLContext`` it was given (see :mod:`imageapi.config`), so new connections present it.

No repr, log line or exception message here contains a credential.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
from dateutil import parser as date_parser

from ._redact import REDACTED, redact_text
from .errors import CredentialError

__all__ = [
    "BasicAuth",
    "BearerTokenAuth",
    "ExecAuth",
    "ExecConfig",
    "RefreshingAuth",
    "TokenFileAuth",
    "exec_config_from_kubeconfig",
    "load_client_certificate",
]

logger = logging.getLogger("imageapi")

EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


class BearerTokenAuth(httpx.Auth):
    """Send ``Authorization: Bearer <token>`` with every request."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return f"BearerTokenAuth(token={REDACTED!r})"


class BasicAuth(httpx.Auth):
    """HTTP basic authentication (``user.username`` and ``user.password`` in a kubeconfig)."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send."""
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password={REDACTED!r})"


@dataclass(frozen=True)
class _Refresh:
    """An instruction from a flow to its driver: obtain credentials (blocking) before going on.

    ``stale`` is the credential generation the flow saw; a refresh that finds a newer generation
    already in place does nothing, so concurrent 401s cause one plugin run, not one each.
    """

    stale: int | None


class RefreshingAuth(httpx.Auth):
    """Base for bearer credentials that take blocking work to obtain and may expire.

    Subclasses implement :meth:`_obtain` (blocking; returns the token or None and an expiry) and
    may override :meth:`_is_fresh`. On a 401 the credential is obtained again and the request is
    sent once more.
    """

    requires_request_body = True  # the request may be sent twice (after a 401)

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: float | None = None
        self._generation = 0

    # -- to implement --------------------------------------------------------------------------
    def _obtain(self) -> tuple[str | None, float | None]:
        """Blocking: fetch the credential; return (token or None, expiry as a UNIX time or None)."""
        raise NotImplementedError

    def _is_fresh(self, now: float) -> bool:
        """Whether the cached credential can still be used."""
        return self._expires_at is None or now < self._expires_at

    # -- shared logic ---------------------------------------------------------------------------
    def refresh(self, stale: int | None = None) -> None:
        """Obtain the credential now (blocking), unless another caller already replaced ``stale``."""
        with self._lock:
            if stale is not None and stale != self._generation:
                return
            if stale is None and self._generation and self._is_fresh(self._clock()):
                return
            token, expires_at = self._obtain()
            self._token, self._expires_at = token, expires_at
            self._generation += 1

    def _needs_refresh(self) -> bool:
        return self._generation == 0 or not self._is_fresh(self._clock())

    def _apply(self, request: httpx.Request) -> None:
        if self._token is not None:
            request.headers["Authorization"] = f"Bearer {self._token}"

    def _flow(self, request: httpx.Request) -> Generator[_Refresh | httpx.Request, httpx.Response | None, None]:
        if self._needs_refresh():
            yield _Refresh(stale=None)
        seen, sent = self._generation, self._token
        self._apply(request)
        response = yield request
        if response is not None and response.status_code == 401:
            logger.debug("401 from %s %s: obtaining fresh credentials", request.method, request.url.path)
            yield _Refresh(stale=seen)
            # Resend only with a different token (or a certificate that may have changed).
            if self._token != sent or self._token is None:
                self._apply(request)
                yield request

    # The two drivers replace httpx's own, so they honour ``requires_request_body`` themselves:
    # without reading it first, a streamed body cannot be sent again after a 401.

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Drive the flow, doing blocking work inline."""
        request.read()
        flow = self._flow(request)
        step = next(flow)
        while True:
            reply: httpx.Response | None = None
            if isinstance(step, _Refresh):
                self.refresh(step.stale)
            else:
                reply = yield step
            try:
                step = flow.send(reply)
            except StopIteration:
                return

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Drive the flow, doing blocking work in a worker thread."""
        await request.aread()
        flow = self._flow(request)
        step = next(flow)
        while True:
            reply: httpx.Response | None = None
            if isinstance(step, _Refresh):
                await anyio.to_thread.run_sync(self.refresh, step.stale)
            else:
                reply = yield step
            try:
                step = flow.send(reply)
            except StopIteration:
                return


class TokenFileAuth(RefreshingAuth):
    """A bearer token read from a file, re-read when the file changes, every ``refresh_interval``
    seconds in any case, and after a 401.

    The kubelet rotates projected service account tokens by swapping a symlink; a ``stat`` per
    request notices that at once, and the periodic re-read (client-go re-reads once a minute) covers
    file systems where a rewrite leaves the stat unchanged.
    """

    def __init__(self, path: str | os.PathLike[str], *, refresh_interval: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock=clock)
        self.path = Path(path)
        self.refresh_interval = refresh_interval
        self._signature: tuple[int, int, int] | None = None

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_ino, info.st_size, info.st_mtime_ns

    def _obtain(self) -> tuple[str | None, float | None]:
        signature = self._stat()
        try:
            token = self.path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CredentialError(f"cannot read token file {self.path}: {exc.strerror or exc}") from None
        if not token:
            raise CredentialError(f"token file {self.path} is empty")
        self._signature = signature
        return token, self._clock() + self.refresh_interval

    def _is_fresh(self, now: float) -> bool:
        return super()._is_fresh(now) and self._stat() == self._signature

    def __repr__(self) -> str:
        return f"TokenFileAuth(path={str(self.path)!r})"


@dataclass(frozen=True)
class ExecConfig:
    """``user.exec`` from a kubeconfig: how to run a credential plugin."""

    command: str
    api_version: str = "client.authentication.k8s.io/v1"
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    install_hint: str | None = None
    provide_cluster_info: bool = False
    interactive_mode: str = "IfAvailable"
    #: ``spec.cluster`` for the plugin when ``provide_cluster_info`` (server, CA data, …).
    cluster: Mapping[str, Any] | None = field(default=None, compare=False)
    #: Seconds to wait for the plugin; None waits as long as it takes (as kubectl does).
    timeout: float | None = None

    def __repr__(self) -> str:
        # env values often hold secrets (API keys for cloud CLIs): show only their names.
        names = [name for name, _ in self.env]
        return f"ExecConfig(command={self.command!r}, api_version={self.api_version!r}, env_names={names!r})"


_MIN_ENV_SECRET = 4
"""Shortest ``exec.env`` value scrubbed from a plugin's stderr."""


class ExecAuth(RefreshingAuth):
    """Bearer tokens (and client certificates) from a client-go exec credential plugin.

    The plugin runs without a terminal (``spec.interactive`` is false), with ``KUBERNETES_EXEC_INFO``
    describing the request. Its ExecCredential is cached until ``status.expirationTimestamp`` (for
    ever without one) and obtained again after a 401. A certificate and key in the status are loaded
    into ``ssl_context`` (when given) for the connections opened afterwards.
    """

    def __init__(self, config: ExecConfig, *, ssl_context: ssl.SSLContext | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock=clock)
        if config.api_version not in EXEC_API_VERSIONS:
            raise CredentialError(
                f"exec plugin {config.command!r}: unsupported apiVersion {config.api_version!r} "
                f"(supported: {', '.join(EXEC_API_VERSIONS)})"
            )
        self.config = config
        self.ssl_context = ssl_context
        self._secrets: list[str] = []  # what the plugin printed, kept out of later messages

    def __repr__(self) -> str:
        return f"ExecAuth(command={self.config.command!r}, api_version={self.config.api_version!r})"

    def _exec_info(self) -> str:
        spec: dict[str, Any] = {"interactive": False}
        if self.config.provide_cluster_info and self.config.cluster is not None:
            spec["cluster"] = dict(self.config.cluster)
        return json.dumps({"apiVersion": self.config.api_version, "kind": "ExecCredential", "spec": spec})

    def _obtain(self) -> tuple[str | None, float | None]:
        name = self.config.command
        if self.config.interactive_mode == "Always":
            raise CredentialError(
                f"exec plugin {name!r} requires an interactive terminal (interactiveMode: Always)",
                command=name,
            )
        env = dict(os.environ)
        env.update(dict(self.config.env))
        env["KUBERNETES_EXEC_INFO"] = self._exec_info()
        try:
            completed = subprocess.run(
                [self.config.command, *self.config.args], env=env, stdin=subprocess.DEVNULL,
                capture_output=True, timeout=self.config.timeout, check=False,
            )
        except FileNotFoundError:
            hint = f"; {self.config.install_hint.strip()}" if self.config.install_hint else ""
            raise CredentialError(f"exec plugin {name!r} not found{hint}", command=name) from None
        except PermissionError:
            raise CredentialError(f"exec plugin {name!r} is not executable", command=name) from None
        except subprocess.TimeoutExpired:
            raise CredentialError(
                f"exec plugin {name!r} did not finish within {self.config.timeout} seconds", command=name
            ) from None
        stderr = self._clean(completed.stderr)
        if completed.returncode != 0:
            raise CredentialError(
                f"exec plugin {name!r} failed with exit code {completed.returncode}",
                command=name, exit_code=completed.returncode, stderr=stderr or None,
            )
        return self._parse(completed.stdout, stderr)

    def _clean(self, stderr: bytes) -> str:
        text = stderr.decode("utf-8", errors="replace").strip()
        # The kubeconfig's exec.env values are often API keys a plugin echoes when it fails; values
        # shorter than _MIN_ENV_SECRET ("1", "us") are left alone, or every digit of a message would go.
        env_values = [value for _, value in self.config.env if len(value) >= _MIN_ENV_SECRET]
        text = redact_text(text, [*self._secrets, *env_values], opaque_runs=True)
        return text[-2000:]

    def _parse(self, stdout: bytes, stderr: str) -> tuple[str | None, float | None]:
        name = self.config.command

        def broken(why: str) -> CredentialError:
            return CredentialError(f"exec plugin {name!r} printed an unusable ExecCredential: {why}",
                                   command=name, exit_code=0, stderr=stderr or None)

        try:
            credential = json.loads(stdout)
        except ValueError:
            raise broken("not JSON") from None
        if not isinstance(credential, dict) or credential.get("kind") != "ExecCredential":
            raise broken("kind is not ExecCredential")
        if credential.get("apiVersion") != self.config.api_version:
            raise broken(f"apiVersion {credential.get('apiVersion')!r} does not match {self.config.api_version!r}")
        status = credential.get("status")
        if not isinstance(status, dict):
            raise broken("no status")
        token = status.get("token")
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if token is not None and not isinstance(token, str):
            raise broken("status.token is not a string")
        if (cert is None) != (key is None):
            raise broken("clientCertificateData and clientKeyData must be given together")
        if not token and cert is None:
            raise broken("neither status.token nor clientCertificateData/clientKeyData")
        expires_at: float | None = None
        stamp = status.get("expirationTimestamp")
        if stamp is not None:
            try:
                when = date_parser.isoparse(str(stamp))
            except ValueError:
                raise broken(f"expirationTimestamp {stamp!r} is not a timestamp") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            expires_at = when.timestamp()
        self._secrets = [s for s in (token, key) if isinstance(s, str) and s]
        if cert is not None and key is not None:
            if not isinstance(cert, str) or not isinstance(key, str):
                raise broken("clientCertificateData and clientKeyData must be strings")
            if self.ssl_context is None:
                raise broken("the plugin returned a client certificate but no TLS context was given to load it into")
            try:
                load_client_certificate(self.ssl_context, cert.encode(), key.encode())
            except (ssl.SSLError, OSError) as exc:
                raise broken(f"its client certificate could not be loaded ({exc.__class__.__name__})") from None
        return token or None, expires_at

    @property
    def expires_at(self) -> datetime | None:
        """When the cached credential expires (None: no expiry given, or nothing cached yet)."""
        if self._expires_at is None:
            return None
        return datetime.fromtimestamp(self._expires_at, tz=timezone.utc)


def load_client_certificate(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """Load an in-memory PEM certificate and key into ``context``.

    ``ssl`` only loads from files: they go into a private directory (mode 0700, files 0600) that is
    removed as soon as the context has read them.
    """
    directory = tempfile.mkdtemp(prefix="imageapi-tls-")
    try:
        os.chmod(directory, 0o700)
        cert_path = os.path.join(directory, "client.crt")
        key_path = os.path.join(directory, "client.key")
        for path, data in ((cert_path, cert_pem), (key_path, key_pem)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
        context.load_cert_chain(cert_path, key_path)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def exec_config_from_kubeconfig(
    exec_section: Mapping[str, Any], *, base_dir: str | None = None, cluster: Mapping[str, Any] | None = None
) -> ExecConfig:
    """Build an :class:`ExecConfig` from a kubeconfig ``user.exec`` mapping.

    Raises ValueError saying what is wrong. A command containing a path separator is resolved
    against the kubeconfig's directory, as client-go does.
    """
    command = exec_section.get("command")
    if not isinstance(command, str) or not command:
        raise ValueError("exec: command is missing")
    if base_dir and os.sep in command and not os.path.isabs(command):
        command = os.path.normpath(os.path.join(base_dir, command))
    api_version = exec_section.get("apiVersion")
    if api_version not in EXEC_API_VERSIONS:
        raise ValueError(f"exec: unsupported apiVersion {api_version!r} (supported: {', '.join(EXEC_API_VERSIONS)})")
    args = exec_section.get("args") or []
    if not isinstance(args, list) or not all(isinstance(arg, (str, int, float)) for arg in args):
        raise ValueError("exec: args must be a list of strings")
    env: list[tuple[str, str]] = []
    for entry in exec_section.get("env") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise ValueError("exec: each env entry needs a name and a value")
        value = entry.get("value")
        env.append((entry["name"], "" if value is None else str(value)))
    mode = exec_section.get("interactiveMode") or "IfAvailable"
    if mode not in ("Never", "IfAvailable", "Always"):
        raise ValueError(f"exec: interactiveMode {mode!r} is not one of Never, IfAvailable, Always")
    hint = exec_section.get("installHint")
    return ExecConfig(
        command=command,
        api_version=str(api_version),
        args=tuple(str(arg) for arg in args),
        env=tuple(env),
        install_hint=hint if isinstance(hint, str) else None,
        provide_cluster_info=exec_section.get("provideClusterInfo") is True,
        interactive_mode=str(mode),
        cluster=cluster,
    )
