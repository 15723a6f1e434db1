"""The public surface: exports, which verbs each resource has, and what stays lazy at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import imageapi
from imageapi import AsyncClient, Client
from imageapi._resource_table import RESOURCES

# Method names per table verb.
METHOD_OF_VERB = {
    "list": "list",
    "watch": "watch",
    "get": "get",
    "create": "create",
    "update": "replace",
    "patch": "patch",
    "delete": "delete",
    "deletecollection": "delete_collection",
}
ACCESSOR_OF_PLURAL = {
    "images": "images",
    "imagesignatures": "image_signatures",
    "imagestreams": "image_streams",
    "imagestreamtags": "image_stream_tags",
    "imagetags": "image_tags",
    "imagestreamimages": "image_stream_images",
    "imagestreamimports": "image_stream_imports",
    "imagestreammappings": "image_stream_mappings",
}


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert imageapi.__all__ == sorted(imageapi.__all__)
    for name in imageapi.__all__:
        assert getattr(imageapi, name) is not None


def test_unknown_attributes_raise_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = imageapi.NoSuchThing  # type: ignore[attr-defined]


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize("plural", sorted(ACCESSOR_OF_PLURAL))
def test_each_resource_offers_exactly_the_verbs_the_server_serves(client_class: Any, plural: str) -> None:
    accessor_type = getattr(client_class, ACCESSOR_OF_PLURAL[plural]).fget.__annotations__["return"]
    resource_class = getattr(imageapi.resources, accessor_type)
    served = RESOURCES[plural].verbs
    for verb, method in METHOD_OF_VERB.items():
        assert hasattr(resource_class, method) == (verb in served), (plural, verb)


def test_only_image_streams_have_subresource_verbs() -> None:
    extras = ("get_status", "replace_status", "patch_status", "layers", "secrets", "tag")
    for accessor in ACCESSOR_OF_PLURAL.values():
        resource_class = type(getattr(Client(base_url="http://x"), accessor))
        assert all(hasattr(resource_class, name) == (accessor == "image_streams") for name in extras), accessor
    assert hasattr(imageapi.resources.ImageStreamImports, "import_image")
    assert not hasattr(imageapi.resources.ImageStreamMappings, "get")


def test_a_resource_class_that_disagrees_with_the_table_is_refused() -> None:
    from imageapi.resources._verbs import Get

    with pytest.raises(TypeError, match="serves"):
        class Mappings(Get[str, Any], plural="imagestreammappings"):  # no get on imagestreammappings
            pass


def test_a_watch_the_server_does_not_serve_is_refused() -> None:
    # The same table check covers list and watch: no watch on imagestreamtags (server-semantics §1).
    from imageapi.resources._listing import Watch

    with pytest.raises(TypeError, match="serves"):
        class Tags(Watch[str, Any], plural="imagestreamtags"):
            pass


def test_import_imageapi_stays_light() -> None:
    # The models, the resources and the client load on first use, not on `import imageapi`.
    # (imageapi._httpx_cli is the stand-in that keeps httpx's CLI from loading with httpx: stdlib only.)
    code = ("import sys, imageapi; print(sorted(m for m in sys.modules if m.startswith('imageapi')));"
            "print(sorted(m for m in ('httpx', 'pydantic', 'tenacity', 'anyio') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert loaded.split("\n")[:2] == ["['imageapi', 'imageapi._httpx_cli']", "[]"]


def test_async_verbs_return_coroutines_for_tasks() -> None:
    client = AsyncClient(base_url="http://127.0.0.1:9")
    call = client.image_streams.get("app", namespace="demo")
    assert hasattr(call, "send") and hasattr(call, "throw")  # a coroutine, usable by create_task
    call.close()


TYPING_PROBE = """
from imageapi import AsyncClient, Client
from imageapi.models import Image, ImageStream, Status

def probe(client: Client, aclient: AsyncClient) -> None:
    stream: ImageStream = client.image_streams.get("app", namespace="demo")
    image: Image = client.images.get("sha256:abc")
    client.images.get("sha256:abc", namespace="demo")
    client.image_stream_mappings.get("x")
    status: Status = client.image_stream_mappings.create({"metadata": {"name": "app"}})
    other: Client = client.with_options(namespace="other")

async def aprobe(aclient: AsyncClient) -> None:
    stream: ImageStream = await aclient.image_streams.get("app")
    other: AsyncClient = aclient.with_options(retries=0)
"""


def test_the_type_checker_sees_scopes_verbs_and_results(tmp_path: Path) -> None:
    from mypy import api

    probe = tmp_path / "probe.py"
    probe.write_text(textwrap.dedent(TYPING_PROBE))
    out, _, _ = api.run(["--strict", "--no-incremental", "--follow-imports=silent", str(probe)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    # Exactly two: a namespace on a cluster-scoped resource, and a verb the resource lacks.
    assert len(errors) == 2, out
    assert "probe.py:8:" in errors[0] and "namespace" in errors[0]
    assert "probe.py:9:" in errors[1] and 'has no attribute "get"' in errors[1]
