"""Paths and bodies shared by the fake cluster core tests (test_core_*.py)."""

from __future__ import annotations

GROUP_PATH = "/apis/image.openshift.io/v1"


def streams_path(namespace: str = "ns1", name: str | None = None) -> str:
    """The imagestreams collection (or item) path in a namespace."""
    path = f"{GROUP_PATH}/namespaces/{namespace}/imagestreams"
    return f"{path}/{name}" if name else path


def images_path(name: str | None = None) -> str:
    """The images collection (or item) path."""
    return f"{GROUP_PATH}/images/{name}" if name else f"{GROUP_PATH}/images"


def stream_body(name: str, labels: dict[str, str] | None = None, **spec: object) -> dict[str, object]:
    """A minimal ImageStream body."""
    body: dict[str, object] = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": name}}
    if labels:
        body["metadata"] = {"name": name, "labels": labels}
    if spec:
        body["spec"] = spec
    return body


def image_body(name: str, labels: dict[str, str] | None = None) -> dict[str, object]:
    """A minimal valid Image body."""
    metadata: dict[str, object] = {"name": name}
    if labels:
        metadata["labels"] = labels
    return {"metadata": metadata, "dockerImageReference": f"quay.io/example/app@{name}"}


def digest(index: int) -> str:
    """A well-formed, distinct image name."""
    return "sha256:" + f"{index:064x}"
