"""``imageapi demo``: a short walkthrough of the client against an embedded fake cluster.

Everything happens in process (no sockets, no network): a :class:`~imageapi.testing.FakeCluster` with
a fake registry stands in for OpenShift and quay.io. Each step prints the call it makes and what came
back, so the output doubles as a first tutorial.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .._client import Client

NAMESPACE = "demo"
UPSTREAM = "quay.io/example/app:1.0"


def _short(digest: str | None) -> str:
    """``sha256:0123456789ab…`` — enough of a digest to recognise it."""
    if not digest:
        return "-"
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}…" if hexdigits else digest[:19]


def _size(size: int | None) -> str:
    """A blob size for people: ``512 B``, ``1.5 KiB``, … up to GiB."""
    if size is None:
        return "size unknown"
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


class _Narrator:
    """Prints numbered steps, the code each runs, and its results."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._step = 0

    def step(self, title: str, code: str) -> None:
        self._step += 1
        print(f"\n{self._step}. {title}", file=self._out)
        for line in code.splitlines():
            print(f"   >>> {line}", file=self._out)

    def result(self, text: str) -> None:
        print(f"   {text}", file=self._out)


def walkthrough(client: Client, add_image: Callable[[str], Any], out: TextIO) -> None:
    """The demo's steps, against any client whose cluster has a fake registry behind ``add_image``."""
    from ..errors import NotFoundError
    from ..models import ImageStream, ObjectMeta

    say = _Narrator(out)
    add_image(UPSTREAM)
    print(f"The fake registry now serves {UPSTREAM}.", file=out)

    say.step("Create an image stream",
             f'client.image_streams.create(ImageStream(metadata={{"name": "app"}}), namespace="{NAMESPACE}")')
    stream = client.image_streams.create(ImageStream(metadata={"name": "app"}), namespace=NAMESPACE)
    meta = stream.metadata or ObjectMeta()
    say.result(f"created {meta.namespace}/{meta.name} (resourceVersion {meta.resource_version})")
    say.result(f"pull spec: {stream.status.docker_image_repository if stream.status else '-'}")

    say.step("Import an image from the registry into app:1.0",
             f'client.image_stream_imports.import_image("{NAMESPACE}/app:1.0", from_="{UPSTREAM}")')
    result = client.image_stream_imports.import_image(f"{NAMESPACE}/app:1.0", from_=UPSTREAM)
    imported = result.status.images[0].image if result.status and result.status.images else None
    say.result(f"imported {_short(imported.metadata.name if imported and imported.metadata else None)} "
               f"from {UPSTREAM}")

    say.step("Tag it as app:latest (like `oc tag`)",
             f'client.image_streams.tag("app:1.0", "app:latest", namespace="{NAMESPACE}")')
    say.result(str(client.image_streams.tag("app:1.0", "app:latest", namespace=NAMESPACE)))
    stream = client.image_streams.get("app", namespace=NAMESPACE)
    for tag in (stream.spec.tags or []) if stream.spec else []:
        source = tag.from_
        say.result(f"spec tag {tag.name:<7} <- {source.kind if source else '-'} {source.name if source else ''}")

    say.step("Read the image stream tag",
             f'istag = client.image_stream_tags.get("app:latest", namespace="{NAMESPACE}")')
    istag = client.image_stream_tags.get("app:latest", namespace=NAMESPACE)
    image = istag.image
    say.result(f"app:latest -> {_short(image.metadata.name if image and image.metadata else None)}")
    say.result(f"pull with:    {image.docker_image_reference if image else '-'}")

    say.step("Show its layers", f'client.image_streams.layers("app", namespace="{NAMESPACE}")')
    layers = client.image_streams.layers("app", namespace=NAMESPACE)
    image_name = image.metadata.name if image and image.metadata else None
    references = (layers.images or {}).get(image_name or "")
    blobs = layers.blobs or {}
    if references is None or not references.layers:
        say.result("(the server reported no layers for this image)")
    for digest in references.layers if references and references.layers else []:
        blob = blobs.get(digest)
        say.result(f"{_short(digest)}  {_size(blob.size if blob else None)}")

    say.step("Errors are typed", f'client.image_streams.get("nope", namespace="{NAMESPACE}")')
    try:
        client.image_streams.get("nope", namespace=NAMESPACE)
    except NotFoundError as error:
        say.result(f"NotFoundError: {error.message}")

    say.step("Clean up", f'client.image_streams.delete("app", namespace="{NAMESPACE}")')
    status = client.image_streams.delete("app", namespace=NAMESPACE)
    say.result(f"deleted: {getattr(status, 'status', None) or 'object is being finalized'}")


def run_demo(out: TextIO | None = None) -> int:
    """Run the walkthrough against a fresh in-process fake cluster; returns the exit status."""
    from .._testing_clients import fake_client
    from ..testing import FakeCluster

    stream = out or sys.stdout
    print("imageapi demo: the Client against an in-process fake cluster (nothing leaves this machine).",
          file=stream)
    cluster = FakeCluster(namespaces=[NAMESPACE])
    try:
        with fake_client(cluster, namespace=NAMESPACE) as client:
            walkthrough(client, cluster.registry.add_image, stream)
    finally:
        cluster.close()
    print("\nDone. Against a real cluster: `with imageapi.Client() as client:` reads your kubeconfig.",
          file=stream)
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_demo()


def register_demo(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser("demo", help="walk through the client against an embedded fake cluster")
    parser.set_defaults(func=_run)
