"""Resource accessors: ``client.images``, ``client.image_streams``, … (see ``_resources``).

Importing this package imports the models; :mod:`imageapi` itself imports it only when a client's
first accessor is used, which keeps ``import imageapi`` cheap.
"""

from ._resources import (
    AsyncImages,
    AsyncImageSignatures,
    AsyncImageStreamImages,
    AsyncImageStreamImports,
    AsyncImageStreamMappings,
    AsyncImageStreams,
    AsyncImageStreamTags,
    AsyncImageTags,
    AsyncResult,
    Images,
    ImageSignatures,
    ImageStreamImages,
    ImageStreamImports,
    ImageStreamMappings,
    ImageStreams,
    ImageStreamTags,
    ImageTags,
)
from .image_streams import split_stream_tag, tag_source

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
    "split_stream_tag",
    "tag_source",
]
