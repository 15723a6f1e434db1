"""The default namespace: ``None`` means "use the configured default"; an empty string is refused
the same way by the constructors, ``with_options`` and every namespaced call."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from client.conftest import BASE_URL, Recorder
from imageapi import AsyncClient, Client
from imageapi.config import ClientConfig


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_constructor_refuses_an_empty_namespace(client_class: Any) -> None:
    with pytest.raises(ValueError, match="namespace must not be empty"):
        client_class(base_url=BASE_URL, namespace="")


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_constructor_refuses_an_empty_namespace_over_a_configuration(client_class: Any) -> None:
    config = ClientConfig(server=BASE_URL, namespace="team")
    with pytest.raises(ValueError, match="namespace must not be empty"):
        client_class(config=config, namespace="")


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_constructor_refuses_a_namespace_that_is_not_a_string(client_class: Any) -> None:
    with pytest.raises(TypeError, match="namespace must be a str"):
        client_class(base_url=BASE_URL, namespace=b"demo")


def test_none_uses_the_configured_namespace_or_default() -> None:
    with Client(base_url=BASE_URL) as plain:
        assert plain.namespace == "default"
    with Client(config=ClientConfig(server=BASE_URL, namespace="team"), namespace=None) as configured:
        assert configured.namespace == "team"


def test_with_options_and_calls_refuse_it_the_same_way(make_client: Any) -> None:
    recorder = Recorder(httpx.Response(200, json={"kind": "ImageStream", "metadata": {"name": "app"}}))
    client = make_client(transport=recorder.transport(), namespace="demo")
    with pytest.raises(ValueError, match="namespace must not be empty"):
        client.with_options(namespace="")
    with pytest.raises(ValueError, match="namespace must not be empty"):
        client.image_streams.get("app", namespace="")
    assert recorder.requests == []
    assert client.with_options(namespace="other").namespace == "other"
