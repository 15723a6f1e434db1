"""Where the cluster is and how to talk to it: kubeconfig files and in-cluster service accounts.

:func:`load_config` finds a configuration the way ``kubectl`` and client-go do:

1. an explicit ``kubeconfig`` path, when given;
2. in a pod (``KUBERNETES_SERVICE_HOST`` and ``KUBERNETES_SERVICE_PORT`` set and a service account
   token mounted), the in-cluster configuration, unless a ``context`` was asked for;
3. ``$KUBECONFIG``: several files separated by ``os.pathsep``, merged as kubectl merges them (the
   first file to define a cluster, user or context name wins; ``current-context`` comes from the
   first file that sets one; files that do not exist are skipped);
4. ``~/.kube/config``.

The result is a :class:`ClientConfig`: the server URL, the default namespace, an ``httpx.Auth``
(see :mod:`imageapi.auth`), an ``ssl.SSLContext`` carrying the CA and the client certificate, the
TLS server name and the proxy. Any problem raises :class:`~imageapi.errors.ConfigError` naming the
file, the context and what is wrong. Secrets never appear in a repr or a message.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ._redact import redact_url, split_credentials
from .auth import (
    BasicAuth,
    BearerTokenAuth,
    ExecAuth,
    TokenFileAuth,
    exec_config_from_kubeconfig,
    load_client_certificate,
)
from .errors import ConfigError

__all__ = [
    "DEFAULT_SERVICE_ACCOUNT_DIR",
    "ClientConfig",
    "InsecureTLSWarning",
    "in_cluster_config",
    "load_config",
    "load_kubeconfig",
]

DEFAULT_SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
"""Where the kubelet mounts a pod's service account token, CA bundle and namespace."""

DEFAULT_NAMESPACE = "default"


class InsecureTLSWarning(UserWarning):
    """The kubeconfig turned off server certificate verification (``insecure-skip-tls-verify``)."""


@dataclass(repr=False)
class ClientConfig:
    """Everything the client needs to reach one cluster as one user.

    ``verify`` is what ``httpx`` takes as ``verify=``: an ``ssl.SSLContext`` holding the cluster's CA
    (or the system CAs) and the client certificate when there is one, or ``True``. ``tls_server_name``
    overrides the name used for SNI and certificate checks: pass :attr:`request_extensions` with each
    request. ``source`` and ``context`` say where the configuration came from (for messages).
    """

    server: str
    namespace: str = DEFAULT_NAMESPACE
    auth: httpx.Auth | None = None
    verify: ssl.SSLContext | bool = True
    tls_server_name: str | None = None
    insecure_skip_tls_verify: bool = False
    proxy: str | None = None
    source: str | None = None
    context: str | None = None
    #: Kept for callers that pass ``cert=`` to httpx: always None, the client certificate lives in
    #: ``verify`` (an SSLContext), which also lets exec plugins rotate it.
    cert: None = field(default=None)

    @property
    def request_extensions(self) -> dict[str, Any]:
        """httpx request extensions this configuration needs (``sni_hostname`` for tls-server-name)."""
        return {"sni_hostname": self.tls_server_name} if self.tls_server_name else {}

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client``/``httpx.AsyncClient`` (base_url, auth, verify, proxy)."""
        kwargs: dict[str, Any] = {"base_url": self.server, "auth": self.auth, "verify": self.verify}
        if self.proxy:
            kwargs["proxy"] = self.proxy
        return kwargs

    def __repr__(self) -> str:
        fields = [
            f"server={redact_url(self.server)!r}",
            f"namespace={self.namespace!r}",
            f"auth={self.auth!r}",
            f"verify={'SSLContext' if isinstance(self.verify, ssl.SSLContext) else self.verify!r}",
        ]
        if self.tls_server_name:
            fields.append(f"tls_server_name={self.tls_server_name!r}")
        if self.insecure_skip_tls_verify:
            fields.append("insecure_skip_tls_verify=True")
        if self.proxy:
            fields.append(f"proxy={redact_url(self.proxy)!r}")
        fields.append(f"source={self.source!r}")
        if self.context:
            fields.append(f"context={self.context!r}")
        return f"ClientConfig({', '.join(fields)})"


# --- entry points --------------------------------------------------------------------------------

def load_config(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    *,
    service_account_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Find and load the configuration like kubectl (see the module docstring for the order).

    ``service_account_dir`` and ``environ`` replace the service account mount and ``os.environ``
    (for tests, or to read a different mount).
    """
    env, sa_dir = _surroundings(service_account_dir, environ)
    if kubeconfig is not None:
        return load_kubeconfig(kubeconfig, context, service_account_dir=sa_dir, environ=env)
    if context is None and _in_cluster(env, sa_dir):
        return in_cluster_config(service_account_dir=sa_dir, environ=env)
    paths = [p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if paths:
        existing = [p for p in paths if Path(p).expanduser().exists()]
        if not existing:
            raise ConfigError(f"none of the files in $KUBECONFIG exist: {', '.join(paths)}")
        return _from_documents([_read(Path(p).expanduser()) for p in existing], context, sa_dir, env)
    home = Path(env.get("HOME") or Path.home()) / ".kube" / "config"
    if home.exists():
        return load_kubeconfig(home, context, service_account_dir=sa_dir, environ=env)
    raise ConfigError(
        "no configuration found: not running in a cluster, $KUBECONFIG is not set and "
        f"{home} does not exist"
    )


def load_kubeconfig(
    path: str | os.PathLike[str],
    context: str | None = None,
    *,
    service_account_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Load ``context`` (default: ``current-context``) of the kubeconfig file at ``path``.

    The namespace is the context's, else (in a pod) the service account's, else ``default``.
    """
    env, sa_dir = _surroundings(service_account_dir, environ)
    return _from_documents([_read(Path(path).expanduser())], context, sa_dir, env)


def in_cluster_config(
    *,
    service_account_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """The configuration of a pod: the API service from ``KUBERNETES_SERVICE_HOST``/``_PORT``, the
    service account token (re-read as the kubelet rotates it), CA bundle and namespace."""
    env, sa_dir = _surroundings(service_account_dir, environ)
    source = "in-cluster"
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set", path=source)
    token_path = sa_dir / "token"
    if not token_path.is_file():
        raise ConfigError(f"service account token {token_path} does not exist", path=source)
    try:
        is_ipv6 = ipaddress.ip_address(host).version == 6
    except ValueError:
        is_ipv6 = False
    server = f"https://[{host}]:{port}" if is_ipv6 else f"https://{host}:{port}"
    ca_path = sa_dir / "ca.crt"
    verify: ssl.SSLContext | bool = True
    if ca_path.is_file():
        try:
            verify = ssl.create_default_context(cafile=str(ca_path))
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"cannot load CA bundle {ca_path}: {exc}", path=source) from None
    return ClientConfig(
        server=server,
        namespace=_service_account_namespace(sa_dir) or DEFAULT_NAMESPACE,
        auth=TokenFileAuth(token_path),
        verify=verify,
        source=source,
    )


def _surroundings(
    service_account_dir: str | os.PathLike[str] | None, environ: Mapping[str, str] | None
) -> tuple[Mapping[str, str], Path]:
    """The environment and service account mount to read: the process's unless the caller gave others."""
    env = os.environ if environ is None else environ
    sa_dir = Path(service_account_dir) if service_account_dir is not None else DEFAULT_SERVICE_ACCOUNT_DIR
    return env, sa_dir


def _in_cluster(env: Mapping[str, str], sa_dir: Path) -> bool:
    return bool(env.get("KUBERNETES_SERVICE_HOST") and env.get("KUBERNETES_SERVICE_PORT")) and (
        sa_dir / "token"
    ).is_file()


def _service_account_namespace(sa_dir: Path) -> str | None:
    try:
        namespace = (sa_dir / "namespace").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return namespace or None


# --- reading and merging kubeconfig files --------------------------------------------------------

@dataclass
class _Document:
    """One parsed kubeconfig file."""

    path: Path
    data: dict[str, Any]


@dataclass
class _Entry:
    """A named cluster, user or context, with the file it came from (relative paths resolve there)."""

    body: dict[str, Any]
    path: Path


def _read(path: Path) -> _Document:
    where = str(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=where) from None
    from .manifests import YAMLSyntaxError, parse_yaml  # PyYAML loads on the first kubeconfig read

    try:
        documents = parse_yaml(text)
    except YAMLSyntaxError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=where) from None
    if len(documents) > 1:
        raise ConfigError("holds several YAML documents; a kubeconfig is one", path=where)
    data = documents[0] if documents else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level is not a mapping", path=where)
    return _Document(path, data)


def _named_entries(document: _Document, section: str, inner: str) -> dict[str, _Entry]:
    where = str(document.path)
    entries: dict[str, _Entry] = {}
    items = document.data.get(section)
    if items is None:
        return entries
    if not isinstance(items, list):
        raise ConfigError(f"'{section}' is not a list", path=where)
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ConfigError(f"{section}[{position}] has no name", path=where)
        body = item.get(inner)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise ConfigError(f"{section}[{position}] ({item['name']!r}): '{inner}' is not a mapping", path=where)
        entries.setdefault(item["name"], _Entry(body, document.path))  # first wins, within a file too
    return entries


def _from_documents(
    documents: list[_Document], context: str | None, sa_dir: Path, env: Mapping[str, str]
) -> ClientConfig:
    clusters: dict[str, _Entry] = {}
    users: dict[str, _Entry] = {}
    contexts: dict[str, _Entry] = {}
    current: str | None = None
    for document in documents:
        for merged, section, inner in ((clusters, "clusters", "cluster"), (users, "users", "user"),
                                       (contexts, "contexts", "context")):
            for name, entry in _named_entries(document, section, inner).items():
                merged.setdefault(name, entry)
        value = document.data.get("current-context")
        if current is None and isinstance(value, str) and value:
            current = value
    source = os.pathsep.join(str(d.path) for d in documents)
    chosen = context or current
    if not chosen:
        raise ConfigError("no context given and no current-context set", path=source)
    if chosen not in contexts:
        known = ", ".join(sorted(contexts)) or "none"
        raise ConfigError(f"context {chosen!r} not found (contexts: {known})", path=source, context=chosen)
    ctx = contexts[chosen].body

    def problem(what: str, path: Path | str = source) -> ConfigError:
        return ConfigError(what, path=str(path), context=chosen)

    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    if not isinstance(cluster_name, str) or not cluster_name:
        raise problem("the context names no cluster", contexts[chosen].path)
    if cluster_name not in clusters:
        raise problem(f"cluster {cluster_name!r} not found", contexts[chosen].path)
    if user_name is not None and not isinstance(user_name, str):
        raise problem("the context's user is not a string", contexts[chosen].path)
    if user_name and user_name not in users:
        raise problem(f"user {user_name!r} not found", contexts[chosen].path)
    cluster_entry = clusters[cluster_name]
    user_entry = users[user_name] if user_name else _Entry({}, contexts[chosen].path)

    namespace = ctx.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise problem("the context's namespace is not a string", contexts[chosen].path)
    if not namespace and env.get("KUBERNETES_SERVICE_HOST"):
        namespace = _service_account_namespace(sa_dir)
    return _build(cluster_entry, user_entry, namespace or DEFAULT_NAMESPACE, source, chosen)


# --- turning one cluster + user into a ClientConfig -----------------------------------------------

class _Fields:
    """Typed access to one kubeconfig entry, with errors that name the file, context and field."""

    def __init__(self, entry: _Entry, label: str, context: str) -> None:
        self.body = entry.body
        self.base_dir = entry.path.parent
        self.path = entry.path
        self.label = label
        self.context = context

    def error(self, what: str) -> ConfigError:
        return ConfigError(f"{self.label}: {what}", path=str(self.path), context=self.context)

    def string(self, key: str) -> str | None:
        value = self.body.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.error(f"{key} must be a string")
        return value

    def flag(self, key: str) -> bool:
        value = self.body.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.error(f"{key} must be true or false")
        return value

    def file(self, key: str) -> str | None:
        """A path field, resolved against the kubeconfig's directory."""
        value = self.string(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else self.base_dir / path)

    def data(self, key: str) -> bytes | None:
        """A ``*-data`` field: base64 in the file."""
        value = self.string(key)
        if value is None:
            return None
        try:
            return base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise self.error(f"{key} is not valid base64") from None

    def read(self, file_key: str, data_key: str) -> bytes | None:
        """The bytes of a ``<x>`` file or ``<x>-data`` pair (both set is an error, as in client-go)."""
        path, data = self.file(file_key), self.data(data_key)
        if path and data is not None:
            raise self.error(f"{file_key} and {data_key} are both set; use one")
        if data is not None:
            return data
        if path:
            try:
                return Path(path).read_bytes()
            except OSError as exc:
                raise self.error(f"cannot read {file_key} {path}: {exc.strerror or exc}") from None
        return None


def _build(cluster_entry: _Entry, user_entry: _Entry, namespace: str, source: str, context: str) -> ClientConfig:
    cluster = _Fields(cluster_entry, "cluster", context)
    user = _Fields(user_entry, "user", context)

    server = cluster.string("server")
    if not server:
        raise cluster.error("server is missing")
    # Credentials written into the URL become auth (below) and leave the URL, which httpx logs.
    server, url_basic, url_token = split_credentials(server)
    parsed = httpx.URL(server) if "://" in server else None
    if parsed is None or parsed.scheme not in ("https", "http") or not parsed.host:
        raise cluster.error(f"server {redact_url(server)!r} is not an http(s) URL")
    tls_server_name = cluster.string("tls-server-name")
    insecure = cluster.flag("insecure-skip-tls-verify")
    ca = cluster.read("certificate-authority", "certificate-authority-data")
    if insecure and ca is not None:
        raise cluster.error("insecure-skip-tls-verify cannot be combined with a certificate authority")
    proxy = cluster.string("proxy-url")
    if proxy is not None:
        proxy_scheme = proxy.split("://", 1)[0].lower() if "://" in proxy else ""
        if proxy_scheme not in ("http", "https", "socks5", "socks5h"):
            raise cluster.error(f"proxy-url {redact_url(proxy)!r} must be an http, https or socks5 URL")

    cert = user.read("client-certificate", "client-certificate-data")
    key = user.read("client-key", "client-key-data")
    if (cert is None) != (key is None):
        raise user.error("client-certificate and client-key must be given together")

    verify: ssl.SSLContext | bool = True
    needs_context = parsed.scheme == "https" and (ca is not None or cert is not None or insecure
                                                  or "exec" in user.body)
    if needs_context:
        verify = _ssl_context(cluster, ca, insecure)
        if cert is not None and key is not None:
            try:
                load_client_certificate(verify, cert, key)
            except (ssl.SSLError, OSError) as exc:
                raise user.error(f"client certificate or key could not be loaded ({exc.__class__.__name__}: "
                                 f"{getattr(exc, 'reason', None) or 'bad PEM data'})") from None
    if insecure:
        warnings.warn(
            f"kubeconfig {source}, context {context!r}: insecure-skip-tls-verify is set; the server's "
            "certificate is not checked",
            InsecureTLSWarning,
            stacklevel=4,
        )

    auth = _auth(user, cluster, server, tls_server_name, insecure, ca, proxy,
                 verify if isinstance(verify, ssl.SSLContext) else None)
    if auth is None:
        auth = url_auth(url_basic, url_token)
    return ClientConfig(
        server=server.rstrip("/"),
        namespace=namespace,
        auth=auth,
        verify=verify,
        tls_server_name=tls_server_name,
        insecure_skip_tls_verify=insecure,
        proxy=proxy,
        source=source,
        context=context,
    )


def url_auth(basic: tuple[str, str] | None, token: str | None) -> httpx.Auth | None:
    """The auth for credentials taken out of a server URL (see ``_redact.split_credentials``)."""
    if token:
        return BearerTokenAuth(token)
    if basic is not None and (basic[0] or basic[1]):
        return BasicAuth(*basic)
    return None


def _ssl_context(cluster: _Fields, ca: bytes | None, insecure: bool) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca is None:
        return httpx.create_ssl_context()  # the default trust store httpx would use
    try:
        return ssl.create_default_context(cadata=ca.decode("ascii"))
    except (ssl.SSLError, UnicodeDecodeError, ValueError) as exc:
        raise cluster.error(f"certificate authority could not be loaded ({exc.__class__.__name__})") from None


def _auth(
    user: _Fields,
    cluster: _Fields,
    server: str,
    tls_server_name: str | None,
    insecure: bool,
    ca: bytes | None,
    proxy: str | None,
    ssl_context: ssl.SSLContext | None,
) -> httpx.Auth | None:
    token, token_file = user.string("token"), user.file("tokenFile")
    username, password = user.string("username"), user.string("password")
    exec_section = user.body.get("exec")
    if (token or token_file) and (username or password):
        raise user.error("more than one authentication method (token and basic auth); use one")
    if user.body.get("auth-provider") is not None and not (token or token_file or exec_section):
        provider = user.body["auth-provider"]
        name = provider.get("name") if isinstance(provider, dict) else None
        raise user.error(f"auth-provider {name!r} is not supported; use an exec credential plugin")
    if token_file:
        # client-go: the file, re-read periodically, takes precedence over a static token.
        return TokenFileAuth(token_file)
    if token:
        return BearerTokenAuth(token)
    if exec_section is not None:
        if not isinstance(exec_section, dict):
            raise user.error("exec is not a mapping")
        cluster_info: dict[str, Any] = {"server": server, "insecure-skip-tls-verify": insecure}
        if tls_server_name:
            cluster_info["tls-server-name"] = tls_server_name
        if ca is not None:
            cluster_info["certificate-authority-data"] = base64.b64encode(ca).decode("ascii")
        if proxy:
            cluster_info["proxy-url"] = proxy
        extensions = cluster.body.get("extensions")
        if isinstance(extensions, list):
            for extension in extensions:
                if isinstance(extension, dict) and extension.get("name") == "client.authentication.k8s.io/exec":
                    cluster_info["config"] = extension.get("extension")
        try:
            exec_config = exec_config_from_kubeconfig(exec_section, base_dir=str(user.base_dir), cluster=cluster_info)
        except ValueError as exc:
            raise user.error(str(exc)) from None
        return ExecAuth(exec_config, ssl_context=ssl_context)
    if username or password:
        if not (username and password):
            raise user.error("username and password must be given together")
        return BasicAuth(username, password)
    return None
