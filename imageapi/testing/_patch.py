"""Patch engines of the fake cluster: JSON patch, merge patch, strategic merge patch and apply.

All four are pure functions over plain JSON values: they never mutate their inputs and return new
objects. Failures are raised as :class:`~imageapi.testing._status.StatusError` with the code, reason and
message the Kubernetes API server uses for the same failure. One module per engine:

* :mod:`._patch_json`: JSON patch (``application/json-patch+json``) as json-patch v4 applies it;
* :mod:`._patch_merge`: merge patch (``application/merge-patch+json``, RFC 7386);
* :mod:`._patch_strategic`: strategic merge patch (``application/strategic-merge-patch+json``), driven
  by a :class:`PatchSchema` (:mod:`._patch_schema`) built from the normalized schema;
* :mod:`._patch_apply`: apply (``application/apply-patch+yaml``), whose ownership bookkeeping is
  :mod:`._managed_fields`'.

This module is the dispatch by content type (:class:`PatchOptions`, :func:`patch_document`), which
checks a request's type and options in the server's order. A result that is not a JSON object (a JSON
patch that replaces the root with an array, a merge patch that is an array) cannot be decoded into the
resource; the server answers that with a 422 ``Invalid`` on the field ``patch``, and so do the engines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._contracts import JSON
from ._patch_apply import apply_checked, apply_patch, validate_patch_options
from ._patch_base import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, PATCH_TYPES, STRATEGIC_MERGE_PATCH
from ._patch_json import MAX_JSON_PATCH_OPERATIONS, json_patch
from ._patch_merge import merge_patch
from ._patch_schema import FieldPatchMeta, PatchSchema
from ._patch_strategic import strategic_merge_patch
from ._status import unsupported_media_type

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MAX_JSON_PATCH_OPERATIONS",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "STRATEGIC_MERGE_PATCH",
    "FieldPatchMeta",
    "PatchOptions",
    "PatchSchema",
    "apply_patch",
    "json_patch",
    "merge_patch",
    "patch_document",
    "patch_query_bool",
    "strategic_merge_patch",
    "validate_patch_options",
]


# --------------------------------------------------------------------------- dispatch


# The 415 lists the types the server's patch handler accepts for a built-in resource, in its order
# (``negotiation.NewUnsupportedMediaTypeError``: no details, types joined by ", ").
_UNSUPPORTED_PATCH_MESSAGE = ("the body of the request was in an unknown format - accepted media types include: "
                              + ", ".join(PATCH_TYPES))


def patch_query_bool(value: str | None) -> bool | None:
    """A ``*bool`` query parameter (``force``) as the server decodes it: absent is None; present, only
    ``false`` and ``0`` (any case) are false, and anything else, the empty string included, is true."""
    if value is None:
        return None
    return value.lower() not in ("false", "0")


@dataclass(frozen=True)
class PatchOptions:
    """A PATCH request's type and options, checked in the server's order (``PatchResource``): the
    content type first (415), then ``ValidatePatchOptions`` (422), both before the body is read.

    Build one with :meth:`checked`; :meth:`engine` then gives the function that applies a patch body
    to the live object, so a caller that retries on conflicts re-runs it without re-validating.
    """

    patch_type: str
    field_manager: str | None
    force: bool | None

    @classmethod
    def checked(cls, content_type: str, *, field_manager: str | None, force: bool | None) -> PatchOptions:
        """Options for a ``Content-Type`` (parameters such as ``charset`` ignored); 415 for a type
        that is not one of :data:`PATCH_TYPES`, 422 ``PatchOptions`` for invalid options."""
        patch_type = content_type.split(";", 1)[0].strip().lower()
        if patch_type not in PATCH_TYPES:
            raise unsupported_media_type(_UNSUPPORTED_PATCH_MESSAGE)
        validate_patch_options(patch_type, field_manager=field_manager, force=force)
        return cls(patch_type, field_manager, force)

    @property
    def is_apply(self) -> bool:
        """Whether this is server-side apply (which may create, and owns managedFields itself)."""
        return self.patch_type == APPLY_PATCH

    def engine(self, patch: Any, schema: PatchSchema) -> Callable[[JSON | None], JSON]:
        """The function applying ``patch`` to a live object (None: there is none; only apply creates,
        the other types patch an empty object)."""
        if self.patch_type == APPLY_PATCH:
            return lambda live: apply_checked(live, patch, schema)
        if self.patch_type == JSON_PATCH:
            return lambda live: json_patch(live or {}, patch)
        if self.patch_type == MERGE_PATCH:
            return lambda live: merge_patch(live or {}, patch)
        return lambda live: strategic_merge_patch(live or {}, patch, schema)


def patch_document(patch_type: str, document: JSON | None, patch: Any, schema: PatchSchema, *,
                   field_manager: str | None = None, force: bool | None = None) -> JSON:
    """Apply a PATCH body by its content type (one of :data:`PATCH_TYPES`), options validated first.

    ``document`` is the live object (None only for apply, which then creates). This is the dispatch
    the HTTP handlers use (through :class:`PatchOptions`), so the 415 and the 422s are the same here.
    """
    options = PatchOptions.checked(patch_type, field_manager=field_manager, force=force)
    return options.engine(patch, schema)(document)
