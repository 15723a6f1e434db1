"""``image_stream_imports.import_image``: import one image into a stream tag, like ``oc import-image``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from .._base_client import NOT_GIVEN, Flow, NotGiven, RetriesTypes, TimeoutTypes
from .._deadline import DeadlineTypes
from .._request import ApiRequest, WriteOptions, build_create_request, to_json_object
from ..workflows._import import import_failure
from ._base import with_kind
from ._verbs import VerbBase

if TYPE_CHECKING:
    pass

ResultT = TypeVar("ResultT")


def split_import_target(target: str) -> tuple[str | None, str, str]:
    """``"ns/app:tag"`` → ``("ns", "app", "tag")``; the namespace is optional, the tag defaults to latest."""
    namespace, slash, rest = target.rpartition("/")
    stream, sep, tag = rest.partition(":")
    if not stream or (sep and not tag) or ":" in tag or "@" in rest or (slash and not namespace) or "/" in namespace:
        raise ValueError(f"expected [namespace/]stream[:tag], got {target!r}")
    return (namespace or None), stream, (tag or "latest")


class ImageStreamImportVerbs(VerbBase, Generic[ResultT]):
    """The ``import_image`` convenience verb."""

    def import_image(
        self,
        target: str,
        *,
        from_: str,
        namespace: str | None = None,
        reference_policy: Literal["Source", "Local"] | None = None,
        import_mode: Literal["Legacy", "PreserveOriginal"] | None = None,
        insecure: bool | None = None,
        scheduled: bool | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        retries: RetriesTypes | NotGiven = NOT_GIVEN,
        deadline: DeadlineTypes | NotGiven = NOT_GIVEN,
    ) -> ResultT:
        """Import the image ``from_`` (a registry reference) into ``target`` (``[namespace/]stream[:tag]``).

        Posts an ``ImageStreamImport`` with ``import: true``: the server creates the stream if needed,
        sets the spec tag and records the image. Returns the ``ImageStreamImport`` answer (its
        ``status.import`` is the updated stream). When the server could not import the image, raises
        the error class of the reason it gave (``NotFoundError``, ``UnauthorizedError``, …).
        """
        target_namespace, stream, tag = split_import_target(target)
        if target_namespace is not None and namespace is not None and target_namespace != namespace:
            raise ValueError(f"target {target!r} and namespace={namespace!r} disagree")
        image: dict[str, Any] = {"from": {"kind": "DockerImage", "name": from_}, "to": {"name": tag}}
        import_policy = {
            key: value
            for key, value in (("importMode", import_mode), ("insecure", insecure), ("scheduled", scheduled))
            if value is not None
        }
        if import_policy:
            image["importPolicy"] = import_policy
        if reference_policy is not None:
            image["referencePolicy"] = {"type": reference_policy}
        body = with_kind(self._info.api_version, self._info.kind,
                         {"metadata": {"name": stream}, "spec": {"import": True, "images": [image]}})
        request = build_create_request(
            self._info, self._namespace(target_namespace or namespace), body, self._decoder(self._info.kind), WriteOptions()
        )
        return cast(ResultT, self._call(self._import_flow(request), timeout, retries, deadline))

    def _import_flow(self, request: ApiRequest) -> Flow[Any]:
        result = yield request
        images = (to_json_object(result).get("status") or {}).get("images") or []
        for image in images:
            status = image.get("status") or {}
            if status.get("status") == "Failure":
                raise import_failure(request, status, result)
        return result
