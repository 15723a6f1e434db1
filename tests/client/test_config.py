"""Loading kubeconfigs and in-cluster configuration like kubectl."""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from imageapi.auth import BasicAuth, BearerTokenAuth, ExecAuth, TokenFileAuth
from imageapi.config import ClientConfig, InsecureTLSWarning, in_cluster_config, load_config, load_kubeconfig
from imageapi.errors import ConfigError

DATA = Path(__file__).parent / "data"
CA_PEM = (DATA / "ca.crt").read_bytes()
CERT_PEM = (DATA / "client.crt").read_bytes()
KEY_PEM = (DATA / "client.key").read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def kubeconfig(tmp_path: Path, name: str = "config", *, cluster: dict[str, Any] | None = None,
               user: dict[str, Any] | None = None, context_extra: dict[str, Any] | None = None,
               current: str = "dev") -> Path:
    """A kubeconfig as kubectl writes it, with extra cluster/user/context fields."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "clusters": [{"name": "dev-cluster",
                      "cluster": {"server": "https://api.dev.example.com:6443", **(cluster or {})}}],
        "contexts": [
            {"name": "dev", "context": {"cluster": "dev-cluster", "user": "dev-user", **(context_extra or {})}},
            {"name": "other", "context": {"cluster": "dev-cluster", "user": "dev-user", "namespace": "other-ns"}},
        ],
        "users": [{"name": "dev-user", "user": user or {}}],
    }
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, default_flow_style=False))
    return path


def authorization(config: ClientConfig) -> str | None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), auth=config.auth) as client:
        client.get(config.server + "/version")
    return seen[0]


NO_ENV: dict[str, str] = {}


def test_token_user_and_current_context(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path, user={"token": "sekret"})
    config = load_kubeconfig(path)
    assert config.server == "https://api.dev.example.com:6443"
    assert config.namespace == "default"
    assert config.context == "dev"
    assert config.source == str(path)
    assert isinstance(config.auth, BearerTokenAuth)
    assert authorization(config) == "Bearer sekret"
    assert config.verify is True


def test_explicit_context_and_its_namespace(tmp_path: Path) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, user={"token": "t"}), context="other")
    assert (config.context, config.namespace) == ("other", "other-ns")


def test_context_namespace(tmp_path: Path) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, context_extra={"namespace": "images"}))
    assert config.namespace == "images"


def test_service_account_namespace_when_in_a_pod(tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    write(sa / "namespace", "pod-ns\n")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    config = load_kubeconfig(kubeconfig(tmp_path), service_account_dir=sa, environ=env)
    assert config.namespace == "pod-ns"


def test_basic_auth_and_token_file(tmp_path: Path) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, user={"username": "admin", "password": "pw"}))
    assert isinstance(config.auth, BasicAuth)
    assert authorization(config) == "Basic YWRtaW46cHc="
    write(tmp_path / "tokens" / "t", "from-file\n")
    config = load_kubeconfig(kubeconfig(tmp_path, "c2", user={"tokenFile": "tokens/t"}))
    assert isinstance(config.auth, TokenFileAuth)
    assert config.auth.path == tmp_path / "tokens" / "t"  # relative to the kubeconfig
    assert authorization(config) == "Bearer from-file"


def test_no_user_credentials(tmp_path: Path) -> None:
    assert load_kubeconfig(kubeconfig(tmp_path)).auth is None


def test_ca_data_builds_an_ssl_context(tmp_path: Path) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, cluster={"certificate-authority-data": b64(CA_PEM)}))
    assert isinstance(config.verify, ssl.SSLContext)
    subjects = [dict(x[0] for x in cert["subject"]) for cert in config.verify.get_ca_certs()]
    assert {"commonName": "imageapi-test-ca"} in subjects
    assert config.verify.verify_mode == ssl.CERT_REQUIRED and config.verify.check_hostname


def test_ca_file_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.crt").write_bytes(CA_PEM)
    config = load_kubeconfig(kubeconfig(tmp_path, cluster={"certificate-authority": "pki/ca.crt"}))
    assert isinstance(config.verify, ssl.SSLContext)
    assert len(config.verify.get_ca_certs()) == 1


def test_inline_client_certificate_is_loaded_via_private_files_that_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def tracking_mkdtemp(*args: Any, **kwargs: Any) -> str:
        directory = real_mkdtemp(*args, **kwargs)
        made.append(directory)
        return directory

    monkeypatch.setattr(tempfile, "mkdtemp", tracking_mkdtemp)
    user = {"client-certificate-data": b64(CERT_PEM), "client-key-data": b64(KEY_PEM)}
    config = load_kubeconfig(kubeconfig(tmp_path, user=user))
    assert isinstance(config.verify, ssl.SSLContext)
    assert made and not any(os.path.exists(d) for d in made)


def test_client_certificate_files(tmp_path: Path) -> None:
    (tmp_path / "c.crt").write_bytes(CERT_PEM)
    (tmp_path / "c.key").write_bytes(KEY_PEM)
    config = load_kubeconfig(kubeconfig(tmp_path, user={"client-certificate": "c.crt", "client-key": "c.key"}))
    assert isinstance(config.verify, ssl.SSLContext)


def test_mismatched_key_is_a_config_error(tmp_path: Path) -> None:
    user = {"client-certificate-data": b64(CA_PEM), "client-key-data": b64(KEY_PEM)}
    with pytest.raises(ConfigError, match="client certificate or key could not be loaded"):
        load_kubeconfig(kubeconfig(tmp_path, user=user))


def test_insecure_skip_tls_verify_warns(tmp_path: Path) -> None:
    with pytest.warns(InsecureTLSWarning, match="insecure-skip-tls-verify"):
        config = load_kubeconfig(kubeconfig(tmp_path, cluster={"insecure-skip-tls-verify": True}))
    assert isinstance(config.verify, ssl.SSLContext)
    assert config.verify.verify_mode == ssl.CERT_NONE
    assert config.insecure_skip_tls_verify


def test_secure_by_default_no_warning(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    load_kubeconfig(kubeconfig(tmp_path, cluster={"certificate-authority-data": b64(CA_PEM)}))
    assert not [w for w in recwarn if issubclass(w.category, InsecureTLSWarning)]


def test_tls_server_name_and_proxy(tmp_path: Path) -> None:
    config = load_kubeconfig(kubeconfig(tmp_path, cluster={"tls-server-name": "api.internal", "proxy-url": "http://proxy:3128"}))
    assert config.tls_server_name == "api.internal"
    assert config.request_extensions == {"sni_hostname": "api.internal"}
    assert config.proxy == "http://proxy:3128"
    assert config.client_kwargs()["proxy"] == "http://proxy:3128"


def test_exec_user_gets_cluster_info(tmp_path: Path) -> None:
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "./bin/plugin",
                     "args": ["token"], "env": [{"name": "A", "value": "b"}], "provideClusterInfo": True}}
    config = load_kubeconfig(kubeconfig(tmp_path, user=user, cluster={"certificate-authority-data": b64(CA_PEM)}))
    assert isinstance(config.auth, ExecAuth)
    exec_config = config.auth.config
    assert exec_config.command == str(tmp_path / "bin" / "plugin")
    assert exec_config.args == ("token",)
    assert exec_config.env == (("A", "b"),)
    assert exec_config.cluster is not None
    assert exec_config.cluster["server"] == "https://api.dev.example.com:6443"
    assert base64.b64decode(exec_config.cluster["certificate-authority-data"]) == CA_PEM
    assert config.auth.ssl_context is config.verify  # plugin certificates land in the client's TLS context


# --- broken kubeconfigs ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"current": "missing"}, "context 'missing' not found"),
        ({"user": {"token": "t", "username": "u", "password": "p"}}, "more than one authentication method"),
        ({"cluster": {"certificate-authority-data": "!!not base64!!"}}, "certificate-authority-data is not valid base64"),
        ({"cluster": {"certificate-authority": "/nonexistent/ca.crt"}}, "cannot read certificate-authority"),
        ({"cluster": {"certificate-authority-data": b64(CA_PEM), "insecure-skip-tls-verify": True}},
         "cannot be combined"),
        ({"user": {"client-certificate-data": b64(CERT_PEM)}}, "must be given together"),
        ({"user": {"exec": {"command": "x", "apiVersion": "client.authentication.k8s.io/v1alpha1"}}},
         "unsupported apiVersion"),
        ({"user": {"auth-provider": {"name": "gcp"}}}, "auth-provider 'gcp' is not supported"),
        ({"cluster": {"proxy-url": "ftp://p"}}, "proxy-url"),
        ({"cluster": {"insecure-skip-tls-verify": "yes please"}}, "must be true or false"),
    ],
)
def test_broken_kubeconfig(tmp_path: Path, kwargs: dict[str, Any], fragment: str) -> None:
    path = kubeconfig(tmp_path, **kwargs)
    with pytest.raises(ConfigError) as info:
        load_kubeconfig(path)
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert info.value.path == str(path)


def test_missing_cluster_user_server(tmp_path: Path) -> None:
    base = """\
    current-context: c
    contexts: [{name: c, context: {cluster: k, user: u}}]
    """
    for extra, fragment in [
        ("clusters: []\nusers: [{name: u, user: {}}]\n", "cluster 'k' not found"),
        ("clusters: [{name: k, cluster: {server: 'https://h'}}]\n", "user 'u' not found"),
        ("clusters: [{name: k, cluster: {}}]\nusers: [{name: u, user: {}}]\n", "server is missing"),
        ("clusters: [{name: k, cluster: {server: 'h:6443'}}]\nusers: [{name: u, user: {}}]\n", "not an http(s) URL"),
    ]:
        path = write(tmp_path / "kc", textwrap.dedent(base) + extra)
        with pytest.raises(ConfigError) as info:
            load_kubeconfig(path)
        assert fragment in str(info.value)
        assert info.value.context == "c"
        assert "context 'c'" in str(info.value)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "kc", "apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: https://x\n")
    with pytest.raises(ConfigError, match=r"not valid YAML: line 4"):
        load_kubeconfig(path)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file") as info:
        load_kubeconfig(tmp_path / "absent")
    assert info.value.path == str(tmp_path / "absent")


def test_no_current_context(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no current-context"):
        load_kubeconfig(write(tmp_path / "kc", "apiVersion: v1\nkind: Config\n"))


# --- $KUBECONFIG, ~/.kube/config, in-cluster ------------------------------------------------------

def test_kubeconfig_env_merges_first_wins(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "config", """\
        current-context: from-a
        contexts:
        - {name: from-a, context: {cluster: shared, user: shared}}
        clusters:
        - {name: shared, cluster: {server: 'https://a.example.com'}}
        users:
        - {name: shared, user: {tokenFile: token}}
        """)
    write(tmp_path / "a" / "token", "token-a")
    second = write(tmp_path / "b" / "config", """\
        current-context: from-b
        contexts:
        - {name: from-a, context: {cluster: other, user: other}}
        - {name: from-b, context: {cluster: shared, user: only-b, namespace: b-ns}}
        clusters:
        - {name: shared, cluster: {server: 'https://b.example.com'}}
        users:
        - {name: shared, user: {token: token-b}}
        - {name: only-b, user: {tokenFile: token}}
        """)
    write(tmp_path / "b" / "token", "token-only-b")
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(first), "", str(second)])}
    config = load_config(environ=env, service_account_dir=tmp_path / "no-sa")
    assert (config.context, config.server) == ("from-a", "https://a.example.com")
    assert authorization(config) == "Bearer token-a"
    config = load_config(context="from-b", environ=env, service_account_dir=tmp_path / "no-sa")
    assert (config.server, config.namespace) == ("https://a.example.com", "b-ns")  # cluster 'shared' from a
    assert authorization(config) == "Bearer token-only-b"  # its tokenFile resolved next to b/config


def test_kubeconfig_env_with_no_existing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="none of the files"):
        load_config(environ={"KUBECONFIG": str(tmp_path / "nope")}, service_account_dir=tmp_path)


def test_home_kube_config_fallback(tmp_path: Path) -> None:
    kubeconfig(tmp_path / ".kube", user={"token": "home"})
    config = load_config(environ={"HOME": str(tmp_path)}, service_account_dir=tmp_path / "no-sa")
    assert authorization(config) == "Bearer home"


def test_nothing_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no configuration found"):
        load_config(environ={"HOME": str(tmp_path)}, service_account_dir=tmp_path / "no-sa")


def service_account(tmp_path: Path, token: str = "sa-token", namespace: str | None = "team") -> Path:
    sa = tmp_path / "sa"
    write(sa / "token", token)
    (sa / "ca.crt").write_bytes(CA_PEM)
    if namespace is not None:
        write(sa / "namespace", namespace)
    return sa


IN_CLUSTER = {"KUBERNETES_SERVICE_HOST": "172.30.0.1", "KUBERNETES_SERVICE_PORT": "443"}


def test_in_cluster_wins_over_kubeconfig_env(tmp_path: Path) -> None:
    sa = service_account(tmp_path)
    env = {**IN_CLUSTER, "KUBECONFIG": str(kubeconfig(tmp_path, user={"token": "t"}))}
    config = load_config(environ=env, service_account_dir=sa)
    assert config.server == "https://172.30.0.1:443"
    assert config.namespace == "team"
    assert config.source == "in-cluster"
    assert isinstance(config.auth, TokenFileAuth)
    assert authorization(config) == "Bearer sa-token"
    assert isinstance(config.verify, ssl.SSLContext) and len(config.verify.get_ca_certs()) == 1
    # Asking for a context means the kubeconfig.
    assert load_config(context="other", environ=env, service_account_dir=sa).context == "other"


def test_in_cluster_ipv6_and_default_namespace(tmp_path: Path) -> None:
    sa = service_account(tmp_path, namespace=None)
    config = in_cluster_config(environ={"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"},
                               service_account_dir=sa)
    assert config.server == "https://[fd00::1]:6443"
    assert config.namespace == "default"


def test_in_cluster_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KUBERNETES_SERVICE_HOST"):
        in_cluster_config(environ={}, service_account_dir=service_account(tmp_path))
    with pytest.raises(ConfigError, match="token"):
        in_cluster_config(environ=IN_CLUSTER, service_account_dir=tmp_path / "empty")


def test_in_cluster_token_rotation_is_picked_up(tmp_path: Path) -> None:
    sa = service_account(tmp_path, token="first")
    config = in_cluster_config(environ=IN_CLUSTER, service_account_dir=sa)
    assert isinstance(config.auth, TokenFileAuth)
    assert authorization(config) == "Bearer first"
    (sa / "token").write_text("rotated")
    assert authorization(config) == "Bearer rotated"
