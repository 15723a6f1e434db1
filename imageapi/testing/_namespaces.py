"""The strategy of core ``namespaces``: a namespace's name must be a DNS-1123 label
(``ValidateNamespaceName``), checked on create, so no namespace the server could not hold exists."""

from __future__ import annotations

from ._appcore import DefaultStrategy
from ._contracts import JSON, RequestContext
from ._decode import namespace_name_errors
from ._status import FieldError


class NamespaceStrategy(DefaultStrategy):
    """:class:`DefaultStrategy` plus the name check of ``ValidateNamespace``."""

    def validate_create(self, obj: JSON, ctx: RequestContext) -> list[FieldError]:
        """One ``FieldValueInvalid`` on ``metadata.name`` per rule the name breaks."""
        name = str(obj.get("metadata", {}).get("name") or "")
        return [FieldError("FieldValueInvalid", "metadata.name", message, name, True)
                for message in namespace_name_errors(name)]


STRATEGIES = {"namespaces": NamespaceStrategy()}

__all__ = ["STRATEGIES", "NamespaceStrategy"]
