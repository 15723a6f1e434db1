"""The resource accessors of :class:`imageapi.Client` and :class:`imageapi.AsyncClient`.

Each class lists the verb mixins of what the server serves on its resource (checked against the
generated table when the class is created) and binds the mixins' type parameters: the scope
(``str`` namespaced, ``None`` cluster-scoped), the accepted body, and the result: the model for the
sync client, ``AsyncResult[model]`` (a coroutine) for the async one.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from ..models import (
    Image,
    ImageList,
    ImageSignature,
    ImageStream,
    ImageStreamImage,
    ImageStreamImport,
    ImageStreamLayers,
    ImageStreamList,
    ImageStreamMapping,
    ImageStreamTag,
    ImageStreamTagList,
    ImageTag,
    ImageTagList,
    SecretList,
    Status,
)
from ..pagination import AsyncPager, Pager
from ..watch import AsyncWatcher, Watcher
from ..workflows._import import ImportResult
from ..workflows._lookup import LookupPlan, LookupResult
from ..workflows._tag import TagPlan, TagResult
from ._listing import Inform, List, Watch
from ._verbs import Create, Delete, DeleteCollection, Get, Patch, Replace
from .image_stream_imports import ImageStreamImportVerbs
from .image_streams import ImageStreamVerbs, ImageStreamWorkflowVerbs

if TYPE_CHECKING:
    # Named as strings in the bases below: the controllers (and asyncio with them) load when an
    # informer is made, not with every client (with asyncio: 12 ms and 1.3 MiB of a blocking program).
    from ..controllers.informer import AsyncInformer, Informer  # noqa: F401  (used as strings)

__all__ = [
    "AsyncImageSignatures",
    "AsyncImageStreamImages",
    "AsyncImageStreamImports",
    "AsyncImageStreamMappings",
    "AsyncImageStreamTags",
    "AsyncImageStreams",
    "AsyncImageTags",
    "AsyncImages",
    "AsyncResult",
    "ImageSignatures",
    "ImageStreamImages",
    "ImageStreamImports",
    "ImageStreamMappings",
    "ImageStreamTags",
    "ImageStreams",
    "ImageTags",
    "Images",
]

T = TypeVar("T")

AsyncResult: TypeAlias = Coroutine[Any, Any, T]
"""What an async verb returns: a coroutine to ``await`` (or hand to ``asyncio.create_task``)."""

Namespaced: TypeAlias = str
"""Scope parameter of namespaced resources: ``namespace=`` takes a string."""

ClusterScoped: TypeAlias = None
"""Scope parameter of cluster-scoped resources: ``namespace=`` takes nothing."""

ImageIn: TypeAlias = Image | Mapping[str, Any]
ImageSignatureIn: TypeAlias = ImageSignature | Mapping[str, Any]
ImageStreamIn: TypeAlias = ImageStream | Mapping[str, Any]
ImageStreamTagIn: TypeAlias = ImageStreamTag | Mapping[str, Any]
ImageTagIn: TypeAlias = ImageTag | Mapping[str, Any]
ImageStreamImportIn: TypeAlias = ImageStreamImport | Mapping[str, Any]
ImageStreamMappingIn: TypeAlias = ImageStreamMapping | Mapping[str, Any]

# --- sync ------------------------------------------------------------------------------------------


class Images(
    Get[ClusterScoped, Image],
    Create[ClusterScoped, ImageIn, Image],
    Replace[ClusterScoped, ImageIn, Image],
    Patch[ClusterScoped, ImageIn, Image],
    Delete[ClusterScoped, Status],
    DeleteCollection[ClusterScoped, ImageList],
    List[ClusterScoped, Pager[Image, ImageList]],
    Watch[ClusterScoped, Watcher[Image]],
    Inform[ClusterScoped, "Informer[Image]"],
    plural="images",
):
    """``client.images``: Image objects (cluster-scoped; named by their manifest digest)."""


class ImageSignatures(
    Create[ClusterScoped, ImageSignatureIn, ImageSignature],
    Delete[ClusterScoped, Status],
    plural="imagesignatures",
):
    """``client.image_signatures``: signatures of an image, named ``<image>@<signature>``."""


class ImageStreams(
    Get[Namespaced, ImageStream],
    Create[Namespaced, ImageStreamIn, ImageStream],
    Replace[Namespaced, ImageStreamIn, ImageStream],
    Patch[Namespaced, ImageStreamIn, ImageStream],
    Delete[Namespaced, Status | ImageStream],
    DeleteCollection[Namespaced, ImageStreamList],
    List[Namespaced, Pager[ImageStream, ImageStreamList]],
    Watch[Namespaced, Watcher[ImageStream]],
    Inform[Namespaced, "Informer[ImageStream]"],
    ImageStreamVerbs[ImageStream, ImageStreamLayers, SecretList],
    ImageStreamWorkflowVerbs[TagPlan, TagResult, ImportResult, LookupPlan, LookupResult],
    plural="imagestreams",
):
    """``client.image_streams``: image streams, with ``/status``, ``layers``, ``secrets``, and oc's
    ``tag``/``untag``, ``import_image`` and ``set_image_lookup`` (each with a plan form)."""


class ImageStreamTags(
    Get[Namespaced, ImageStreamTag],
    Create[Namespaced, ImageStreamTagIn, ImageStreamTag],
    Replace[Namespaced, ImageStreamTagIn, ImageStreamTag],
    Patch[Namespaced, ImageStreamTagIn, ImageStreamTag],
    Delete[Namespaced, Status],
    List[Namespaced, Pager[ImageStreamTag, ImageStreamTagList]],
    plural="imagestreamtags",
):
    """``client.image_stream_tags``: one tag of a stream with its image, named ``<stream>:<tag>``."""


class ImageTags(
    Get[Namespaced, ImageTag],
    Create[Namespaced, ImageTagIn, ImageTag],
    Replace[Namespaced, ImageTagIn, ImageTag],
    Patch[Namespaced, ImageTagIn, ImageTag],
    Delete[Namespaced, Status],
    List[Namespaced, Pager[ImageTag, ImageTagList]],
    plural="imagetags",
):
    """``client.image_tags``: a stream tag's spec, status and image, named ``<stream>:<tag>``."""


class ImageStreamImages(Get[Namespaced, ImageStreamImage], plural="imagestreamimages"):
    """``client.image_stream_images``: an image of a stream by digest, named ``<stream>@<digest>``."""


class ImageStreamImports(
    Create[Namespaced, ImageStreamImportIn, ImageStreamImport],
    ImageStreamImportVerbs[ImageStreamImport],
    plural="imagestreamimports",
):
    """``client.image_stream_imports``: import images from registries (``import_image`` for one)."""


class ImageStreamMappings(
    Create[Namespaced, ImageStreamMappingIn, Status],
    plural="imagestreammappings",
):
    """``client.image_stream_mappings``: record an image in a stream tag; ``create`` answers a Status."""


# --- async -----------------------------------------------------------------------------------------


class AsyncImages(
    Get[ClusterScoped, AsyncResult[Image]],
    Create[ClusterScoped, ImageIn, AsyncResult[Image]],
    Replace[ClusterScoped, ImageIn, AsyncResult[Image]],
    Patch[ClusterScoped, ImageIn, AsyncResult[Image]],
    Delete[ClusterScoped, AsyncResult[Status]],
    DeleteCollection[ClusterScoped, AsyncResult[ImageList]],
    List[ClusterScoped, AsyncPager[Image, ImageList]],
    Watch[ClusterScoped, AsyncWatcher[Image]],
    Inform[ClusterScoped, "AsyncInformer[Image]"],
    plural="images",
):
    """``client.images`` on the async client (see :class:`Images`)."""


class AsyncImageSignatures(
    Create[ClusterScoped, ImageSignatureIn, AsyncResult[ImageSignature]],
    Delete[ClusterScoped, AsyncResult[Status]],
    plural="imagesignatures",
):
    """``client.image_signatures`` on the async client (see :class:`ImageSignatures`)."""


class AsyncImageStreams(
    Get[Namespaced, AsyncResult[ImageStream]],
    Create[Namespaced, ImageStreamIn, AsyncResult[ImageStream]],
    Replace[Namespaced, ImageStreamIn, AsyncResult[ImageStream]],
    Patch[Namespaced, ImageStreamIn, AsyncResult[ImageStream]],
    Delete[Namespaced, AsyncResult[Status | ImageStream]],
    DeleteCollection[Namespaced, AsyncResult[ImageStreamList]],
    List[Namespaced, AsyncPager[ImageStream, ImageStreamList]],
    Watch[Namespaced, AsyncWatcher[ImageStream]],
    Inform[Namespaced, "AsyncInformer[ImageStream]"],
    ImageStreamVerbs[AsyncResult[ImageStream], AsyncResult[ImageStreamLayers], AsyncResult[SecretList]],
    ImageStreamWorkflowVerbs[AsyncResult[TagPlan], AsyncResult[TagResult], AsyncResult[ImportResult],
                             AsyncResult[LookupPlan], AsyncResult[LookupResult]],
    plural="imagestreams",
):
    """``client.image_streams`` on the async client (see :class:`ImageStreams`)."""


class AsyncImageStreamTags(
    Get[Namespaced, AsyncResult[ImageStreamTag]],
    Create[Namespaced, ImageStreamTagIn, AsyncResult[ImageStreamTag]],
    Replace[Namespaced, ImageStreamTagIn, AsyncResult[ImageStreamTag]],
    Patch[Namespaced, ImageStreamTagIn, AsyncResult[ImageStreamTag]],
    Delete[Namespaced, AsyncResult[Status]],
    List[Namespaced, AsyncPager[ImageStreamTag, ImageStreamTagList]],
    plural="imagestreamtags",
):
    """``client.image_stream_tags`` on the async client (see :class:`ImageStreamTags`)."""


class AsyncImageTags(
    Get[Namespaced, AsyncResult[ImageTag]],
    Create[Namespaced, ImageTagIn, AsyncResult[ImageTag]],
    Replace[Namespaced, ImageTagIn, AsyncResult[ImageTag]],
    Patch[Namespaced, ImageTagIn, AsyncResult[ImageTag]],
    Delete[Namespaced, AsyncResult[Status]],
    List[Namespaced, AsyncPager[ImageTag, ImageTagList]],
    plural="imagetags",
):
    """``client.image_tags`` on the async client (see :class:`ImageTags`)."""


class AsyncImageStreamImages(Get[Namespaced, AsyncResult[ImageStreamImage]], plural="imagestreamimages"):
    """``client.image_stream_images`` on the async client (see :class:`ImageStreamImages`)."""


class AsyncImageStreamImports(
    Create[Namespaced, ImageStreamImportIn, AsyncResult[ImageStreamImport]],
    ImageStreamImportVerbs[AsyncResult[ImageStreamImport]],
    plural="imagestreamimports",
):
    """``client.image_stream_imports`` on the async client (see :class:`ImageStreamImports`)."""


class AsyncImageStreamMappings(
    Create[Namespaced, ImageStreamMappingIn, AsyncResult[Status]],
    plural="imagestreammappings",
):
    """``client.image_stream_mappings`` on the async client (see :class:`ImageStreamMappings`)."""
