"""The image semantics layer as the fake cluster's core sees it (see ``_contracts.py``).

The core's routes look resources up in these tables: strategies for the store-backed resources,
handlers for the virtual resources and subresources, and hooks that run after a successful,
non-dry-run write of a store-backed resource through the generic handlers.

``AFTER_WRITE_HOOKS["imagestreams"]`` simulates the image import controller: spec tags
``from: DockerImage`` (not ``reference: true``) whose generation is newer than their status are
imported from the fake registry exactly as an ``ImageStreamImport`` with ``import: true`` would import
them. Switch it off with ``ServerConfig(simulate_import_controller=False)``.
"""

from __future__ import annotations

from collections.abc import Callable

from ._contracts import JSON, RequestContext, StoreStrategy, SubresourceHandler, VirtualResource
from ._images import ImageStrategy
from ._imagestreams import ImageStreamStrategy
from ._import import ImageStreamImportResource, import_controller_hook
from ._isimage import ImageStreamImageResource
from ._istag import ImageStreamTagResource
from ._itag import ImageTagResource
from ._layers import LayersHandler
from ._mapping import ImageStreamMappingResource
from ._secrets import SecretsHandler
from ._signatures import ImageSignatureResource

STRATEGIES: dict[str, StoreStrategy] = {
    "images": ImageStrategy(),
    "imagestreams": ImageStreamStrategy(),
}

VIRTUAL_RESOURCES: dict[str, VirtualResource] = {
    "imagestreamtags": ImageStreamTagResource(),
    "imagetags": ImageTagResource(),
    "imagestreamimages": ImageStreamImageResource(),
    "imagestreammappings": ImageStreamMappingResource(),
    "imagestreamimports": ImageStreamImportResource(),
    "imagesignatures": ImageSignatureResource(),
}

SUBRESOURCE_HANDLERS: dict[tuple[str, str], SubresourceHandler] = {
    ("imagestreams", "layers"): LayersHandler(),
    ("imagestreams", "secrets"): SecretsHandler(),
}

AFTER_WRITE_HOOKS: dict[str, Callable[[RequestContext, JSON], None]] = {
    "imagestreams": import_controller_hook,
}
