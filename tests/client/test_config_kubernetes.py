"""Cross-check: the official Kubernetes Python client reads the same server, token and namespace from
the same kubeconfigs (single files, and $KUBECONFIG lists merged first-wins)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import config as kubernetes_config
from kubernetes.client import Configuration

from imageapi.config import ClientConfig, load_config, load_kubeconfig


def theirs(config_file: str, context: str | None) -> tuple[str, str | None, str]:
    configuration = Configuration()
    kubernetes_config.load_kube_config(config_file=config_file, context=context,
                                       client_configuration=configuration, persist_config=False)
    _, active = kubernetes_config.list_kube_config_contexts(config_file=config_file)
    if context is not None:
        contexts, _ = kubernetes_config.list_kube_config_contexts(config_file=config_file)
        active = next(c for c in contexts if c["name"] == context)
    namespace = active["context"].get("namespace") or "default"
    api_key = configuration.api_key
    return configuration.host, api_key.get("BearerToken") or api_key.get("authorization"), namespace


def ours(config: ClientConfig) -> tuple[str, str | None, str]:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler), auth=config.auth) as client:
        client.get(config.server)
    return config.server, seen[0], config.namespace


def document(current: str | None, clusters: dict[str, str], users: dict[str, dict[str, Any]],
             contexts: dict[str, dict[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}} for name, server in clusters.items()],
        "users": [{"name": name, "user": user} for name, user in users.items()],
        "contexts": [{"name": name, "context": context} for name, context in contexts.items()],
    }
    if current is not None:
        data["current-context"] = current
    return data


FIRST = document(
    "admin",
    {"prod": "https://prod.example.com:6443", "shared": "https://first.example.com"},
    {"admin": {"token": "admin-token"}, "shared-user": {"token": "first-shared"}},
    {"admin": {"cluster": "prod", "user": "admin", "namespace": "images"},
     "shared": {"cluster": "shared", "user": "shared-user"}},
)
SECOND = document(
    "dev",
    {"shared": "https://second.example.com", "dev": "https://dev.example.com"},
    {"shared-user": {"token": "second-shared"}, "dev": {"token": "dev-token"}},
    {"dev": {"cluster": "dev", "user": "dev", "namespace": "dev-ns"},
     "shared": {"cluster": "dev", "user": "dev"},
     "mixed": {"cluster": "shared", "user": "shared-user"}},
)


@pytest.mark.parametrize("context", [None, "admin", "shared"])
def test_single_file(tmp_path: Path, context: str | None) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(FIRST))
    assert ours(load_kubeconfig(path, context)) == theirs(str(path), context)


def merged(tmp_path: Path) -> str:
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_text(yaml.safe_dump(FIRST))
    second.write_text(yaml.safe_dump(SECOND))
    return os.pathsep.join([str(first), str(second)])


@pytest.mark.parametrize("context", ["admin", "dev", "shared", "mixed"])
def test_merged_kubeconfig_list(tmp_path: Path, context: str) -> None:
    joined = merged(tmp_path)
    mine = ours(load_config(context=context, environ={"KUBECONFIG": joined}, service_account_dir=tmp_path / "no-sa"))
    # The kubernetes client merges the same list (first definition of a name wins) given it as config_file.
    assert mine == theirs(joined, context)


def test_current_context_of_a_merged_list_comes_from_the_first_file(tmp_path: Path) -> None:
    # kubectl takes current-context from the first file that sets one; the Python client takes the last
    # one, so this is checked against kubectl's documented rule rather than against the Python client.
    joined = merged(tmp_path)
    config = load_config(environ={"KUBECONFIG": joined}, service_account_dir=tmp_path / "no-sa")
    assert config.context == "admin"
    assert ours(config) == theirs(joined, "admin")
