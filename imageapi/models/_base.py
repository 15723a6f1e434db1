"""The behaviour every generated model shares.

The generated modules (``image_v1.py``, ``meta.py``) only declare fields; everything a user relies on
lives here, once:

- Python attributes are snake_case, the wire names are the API's camelCase (field aliases). Input may
  use either spelling, so a dict loaded from YAML validates directly; output always uses wire names.
- Output omits fields that were never set (an explicitly set ``None`` stays, as ``null``), and keeps
  fields this version does not know (``extra="allow"`` at every depth), so parse → emit → parse is
  lossless even against a newer server.
- ``apiVersion`` and ``kind`` default on top-level kinds and are always written out for the object
  being serialized. Objects nested in another (list items, say) are written with what they were
  given, so a list decoded from the wire is written back exactly as it came.
- ``Time`` fields parse leniently and are written as RFC 3339 UTC with second precision; byte fields
  are ``bytes`` in Python and base64 on the wire.

Decoding speed matters (lists of thousands of images), so nothing here adds a Python call per
decoded object: the lenient time parser only runs when pydantic's own parser refuses a value, and
the "kind is set" bookkeeping happens at serialization, not in a validator.
"""

from __future__ import annotations

import base64
import binascii
import gc
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationError
from pydantic_core import PydanticCustomError, core_schema
from pydantic_core import from_json as parse_json

from . import _lazy

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "ApiModel",
    "Base64Bytes",
    "Time",
    "format_micro_time",
    "format_time",
    "parse_time",
    "validation_error_paths",
    "wire_path",
]

# Cache decoded JSON strings, values as well as keys: lists of thousands of objects repeat the same
# few hundred keys and many short values ("DockerImage", "True", media types), and a cache hit
# saves building a new str. Measured: a few percent faster than caching keys only.
_CACHE_STRINGS: Literal["all"] = "all"


def parse_time(value: Any) -> datetime:
    """Parse a time pydantic's strict RFC 3339 parser refused (``2024-01-02 03:04:05``, ``+0100``).

    Times without a zone are taken as UTC, which is what the API server means by them.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (str, bytes)):
        # Imported here: only a time pydantic's RFC 3339 parser refuses gets this far, and importing
        # python-dateutil's parser costs more than a few milliseconds of every program's start.
        from dateutil import parser as dateutil_parser

        text = value.decode() if isinstance(value, bytes) else value
        try:
            parsed = dateutil_parser.parse(text)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"not a time: {text!r}") from exc
    else:
        raise ValueError(f"not a time: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def format_time(value: datetime) -> str:
    """Write a time the way the API server does: RFC 3339, UTC, ``Z``, whole seconds."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(value: datetime) -> str:
    """Write a ``MicroTime`` (Lease times) as the API server does: RFC 3339, UTC, six fraction digits."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _utc(value: datetime) -> datetime:
    # A naive time is taken as UTC, as parse_time does.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class _TimeSchema:
    """Core schema of ``Time``: pydantic's fast native parser, the lenient one only as a fallback.

    ``format`` writes the JSON form (``format_time``; ``format_micro_time`` for ``MicroTime``).
    """

    def __init__(self, format: Any = format_time) -> None:
        self._format = format

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [
                # Zone-less times fail here on purpose and reach parse_time, which makes them UTC.
                core_schema.datetime_schema(tz_constraint="aware"),
                core_schema.no_info_plain_validator_function(parse_time),
            ],
            # left_to_right: the native branch wins whenever it accepts, so the Python function
            # is called only for the odd value the native parser refuses.
            mode="left_to_right",
            custom_error_type="rfc3339_time",
            custom_error_message="Input should be a time such as 2024-01-02T03:04:05Z",
            serialization=core_schema.plain_serializer_function_ser_schema(self._format, when_used="json"),
        )


def _bytes_from_python(value: Any) -> bytes:
    """Python input for a byte field: ``bytes`` as is, a ``str`` as base64 (what YAML/JSON dicts hold)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PydanticCustomError("base64_decode", "Input should be valid base64") from exc
    raise PydanticCustomError("bytes_type", "Input should be bytes or a base64 string")


# pydantic >= 2.9 decodes base64 in JSON natively (the val_json_bytes setting); with older releases
# the Python decoder handles JSON input too.
_NATIVE_BASE64_JSON = "val_json_bytes" in ConfigDict.__annotations__


class _Base64BytesSchema:
    """Core schema of byte fields: base64 text on the wire, ``bytes`` in Python."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.json_or_python_schema(
            # JSON input: the native bytes validator decodes base64 (val_json_bytes in the config).
            json_schema=(
                core_schema.bytes_schema()
                if _NATIVE_BASE64_JSON
                else core_schema.no_info_plain_validator_function(_bytes_from_python)
            ),
            python_schema=core_schema.no_info_plain_validator_function(_bytes_from_python),
            # Serialization: ser_json_bytes="base64" in the config covers JSON and mode="json".
            serialization=core_schema.plain_serializer_function_ser_schema(
                _bytes_to_wire, when_used="json"
            ),
        )


def _bytes_to_wire(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Time = Annotated[datetime, _TimeSchema()]
"""A meta/v1 Time: ``datetime`` in Python, RFC 3339 (``2024-01-02T03:04:05Z``) on the wire."""

Base64Bytes = Annotated[bytes, _Base64BytesSchema()]
"""A byte field: ``bytes`` in Python, standard base64 on the wire."""

_GVK_FIELDS = frozenset({"api_version", "kind"})

# JSON documents at least this large are decoded with full collections held back (see _GcPause).
_GC_PAUSE_MIN_BYTES = 64 * 1024

# A third-generation threshold no decode reaches: full collections wait until the decode is over.
_NO_FULL_COLLECTIONS = 1_000_000_000


class _GcPause:
    """Hold back full (oldest-generation) garbage collections while a large document is decoded.

    Decoding a list of thousands of images allocates hundreds of thousands of container objects
    that all survive (they are the result). CPython's collector, seeing the allocations, runs
    repeated *full* collections over the growing result while it is built: with 5,000 images that
    more than doubled the decode time (4.3x json.loads instead of 1.5x, scripts/bench.py). Those objects are not garbage, so the passes find nothing. Raising the
    oldest generation's threshold for the duration of the decode skips them; the young-generation
    collections keep running (cheap, cache-friendly), and the threshold is restored afterwards.
    Disabling the collector outright was tried and measured worse for mid-sized lists: the one
    young-generation pass over everything allocated while disabled costs more than it saves.
    Nesting- and thread-safe: the first decode in saves the thresholds, the last one out restores them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._saved = gc.get_threshold()
                young, middle, _ = self._saved
                gc.set_threshold(young, middle, _NO_FULL_COLLECTIONS)
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    gc.set_threshold(*self._saved)


_gc_paused = _GcPause()


def hold_full_collections() -> AbstractContextManager[None]:
    """Hold back full garbage collections for the block (see ``_GcPause``); for bulk work outside a
    single decode whose objects all survive it, such as an informer storing a (re)list page by page:
    each page's models outlive the young generations, and the full passes they trigger, scanning the
    whole heap for nothing, took a third of the informer's CPU while syncing 5,000 streams."""
    return _gc_paused()


class ApiModel(BaseModel):
    """Base of every API model: wire-name aliases, lossless round trips, compact output and repr.

    Use ``from_dict`` / ``from_json`` to decode (or ``model_validate`` / ``model_validate_json``) and
    ``to_dict`` / ``to_json`` to encode; ``model_dump`` and ``model_dump_json`` default to the same
    wire form (aliases, unset fields left out).
    """

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        serialize_by_alias=True,
        val_json_bytes="base64",
        ser_json_bytes="base64",
        cache_strings=_CACHE_STRINGS,
        protected_namespaces=(),
        # Building ~50 validators at import costs more than importing httpx; build each on first use.
        defer_build=True,
    )

    # A lazy model's wire values not read yet, and where it sits in its document (see ``_lazy``);
    # never set on a model made eagerly.
    __slots__ = ("_pending", "_pending_path")

    __api_version__: ClassVar[str | None] = None
    """``apiVersion`` of a top-level kind (``image.openshift.io/v1``); ``None`` for nested types."""

    __kind__: ClassVar[str | None] = None
    """``kind`` of a top-level kind (``ImageStream``); ``None`` for nested types."""

    def _mark_gvk_set(self) -> None:
        # A defaulted field counts as unset and would be left out of the output; apiVersion and
        # kind must be written, so they are recorded as set when the object itself is serialized.
        # Not in __init__ or a validator: pydantic would then call Python for every decoded
        # object (a custom __init__ is run for each instance during validation).
        if self.__kind__ is not None:
            self.__pydantic_fields_set__.update(_GVK_FIELDS)

    # -- decoding -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Any, *, lazy: bool = False) -> Self:
        """Validate a dict (wire or snake_case keys, e.g. loaded from YAML) into a model.

        ``lazy=True`` takes a dict in wire form (camelCase keys, as ``json.loads`` gives it) and
        validates each field when it is first read (see ``imageapi.models._lazy``); the dict then
        belongs to the model."""
        if lazy:
            if type(data) is not dict:
                return cls.model_validate(data)  # pydantic's error says what is wrong with it
            return cls._lazy_from_wire(data)
        return cls.model_validate(data)

    @classmethod
    def from_json(cls, data: str | bytes | bytearray, *, lazy: bool = False) -> Self:
        """Validate JSON text or bytes into a model (the fast path: no intermediate dicts).

        ``lazy=True`` parses the JSON now and validates each field when it is first read: the
        cheaper choice for a large document of which only a part is read (a list page)."""
        if lazy:
            try:
                # pydantic's own JSON parser: faster than json.loads, and it refuses what the
                # validating decoder refuses (NaN, documents nested too deep).
                decoded = parse_json(data, allow_inf_nan=False)
            except ValueError:
                decoded = None
            if type(decoded) is not dict:
                return cls.model_validate_json(data)  # pydantic's error says what is wrong with it
            return cls._lazy_from_wire(decoded)
        return cls.model_validate_json(data)

    @classmethod
    def _lazy_from_wire(cls, data: dict[str, Any]) -> Self:
        _lazy.note_lazy_models()
        return _lazy.shell(cls, data, (_lazy.Origin(cls.__name__),))  # type: ignore[no-any-return]

    def validate_all(self) -> Self:
        """Validate every field not read yet, at every depth, now; returns the model itself.

        Only lazy models (``lazy=True``, list pages, watch events) have such fields; on one, a field
        that does not fit its type raises :class:`~imageapi.errors.ProtocolError` here rather than
        when it is read."""
        _lazy.materialize_tree(self)
        return self

    if not TYPE_CHECKING:
        # Under TYPE_CHECKING pydantic declares no __getattr__ either: type checkers keep refusing
        # unknown attributes.

        def __getattr__(self, name: str) -> Any:
            # Only reached for what __dict__ lacks: on a lazy model, a field not read yet.
            try:
                return _lazy.read_field(self, name)
            except KeyError:
                return super().__getattr__(name)

    # -- whole-object operations on a lazy model read every field first --------------------------

    def __eq__(self, other: object) -> bool:
        _lazy.materialize_all(self)
        if isinstance(other, ApiModel):
            _lazy.materialize_all(other)
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # as pydantic's: models are mutable

    def __iter__(self) -> Any:
        _lazy.materialize_all(self)
        return super().__iter__()

    def __copy__(self) -> Self:
        _lazy.materialize_all(self)
        return super().__copy__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        _lazy.materialize_all(self)
        return super().__deepcopy__(memo)

    def __getstate__(self) -> dict[Any, Any]:
        _lazy.materialize_all(self)
        return super().__getstate__()

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """Like pydantic's; large documents are decoded with full GC passes held back (see ``_GcPause``)."""
        if len(json_data) < _GC_PAUSE_MIN_BYTES:
            return super().model_validate_json(json_data, **kwargs)
        with _gc_paused():
            return super().model_validate_json(json_data, **kwargs)

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Like pydantic's, with full GC passes held back while the models are built (see ``_GcPause``)."""
        with _gc_paused():
            return super().model_validate(obj, **kwargs)

    # -- encoding -------------------------------------------------------------------------

    def model_dump(
        self,
        *,
        by_alias: bool | None = True,
        exclude_unset: bool = True,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Like pydantic's, but wire names and unset fields omitted by default."""
        _lazy.before_dump(self)
        self._mark_gvk_set()
        return super().model_dump(by_alias=by_alias, exclude_unset=exclude_unset, **kwargs)

    def model_dump_json(
        self,
        *,
        by_alias: bool | None = True,
        exclude_unset: bool = True,
        **kwargs: Any,
    ) -> str:
        """Like pydantic's, but wire names and unset fields omitted by default."""
        _lazy.before_dump(self)
        self._mark_gvk_set()
        return super().model_dump_json(by_alias=by_alias, exclude_unset=exclude_unset, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The object as the server would see it: JSON-ready values, wire names, unset fields left out."""
        return self.model_dump(mode="json")

    def to_json(self, *, indent: int | None = None) -> str:
        """The object as JSON text in wire form (see ``to_dict``)."""
        return self.model_dump_json(indent=indent)

    # -- display --------------------------------------------------------------------------

    __secret_fields__: ClassVar[frozenset[str]] = frozenset()
    """Fields whose values are credentials: every repr shows their keys, never their values."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        secret = _SECRET_FIELDS.get((cls.__api_version__, cls.__kind__))
        if secret is not None:
            cls.__secret_fields__ = secret

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        # Only what is set: a repr of an Image should not be a wall of "=None". pydantic's str(),
        # rich's and devtools' pretty printers all read this, so secret values are hidden once here.
        fields_set = self.__pydantic_fields_set__
        secret = self.__secret_fields__
        for name in type(self).model_fields:
            if name in fields_set:
                value = getattr(self, name)
                if secret:
                    value = _hide_secret_values(name, value, secret)
                yield name, value
        extra = self.__pydantic_extra__
        if extra:
            yield from extra.items()

    def __repr__(self) -> str:
        # Set fields only, without managedFields, bounded: a stream's full repr ran to 3,000+ characters.
        from .._display import compact_repr

        return compact_repr(self)

    def __str__(self) -> str:
        return self.__repr__()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain-text display: the compact repr."""
        printer.text(self.__repr__())

    def _repr_html_(self) -> str:
        """Jupyter's display: a card for an object (kind, name, namespace, age, labels, key fields;
        tags with digests for streams), a table for a list kind."""
        from .._display import html_card, html_table, table_rows

        items = getattr(self, "items", None)
        if isinstance(items, list) and (type(self).__kind__ or "").endswith("List"):
            headers, rows = table_rows(items, kind=(type(self).__kind__ or "")[: -len("List")])
            return html_table(headers, rows, footer=f"{len(items)} item{'s' if len(items) != 1 else ''}")
        return html_card(self)


_lazy.set_base_class(ApiModel)


def shown_value(model: ApiModel, name: str, value: Any) -> Any:
    """What a repr or display of ``model`` may show for its field ``name`` holding ``value``: the
    value itself, or for a secret field (see ``__secret_fields__``) its keys with hidden values."""
    secret = type(model).__secret_fields__
    return _hide_secret_values(name, value, secret) if secret else value


def _hide_secret_values(name: str, value: Any, secret: frozenset[str]) -> Any:
    """``value`` of field ``name`` as a repr of a model with ``secret`` fields may show it."""
    if name in secret and isinstance(value, dict):
        return dict.fromkeys(value, _HIDDEN)
    annotations = getattr(value, "annotations", None) if name == "metadata" else None
    if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
        # kubectl apply leaves the whole object, data included, in this annotation.
        return value.model_copy(update={"annotations": {**annotations, _LAST_APPLIED: _HIDDEN}})
    return value


_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class _Hidden:
    """Stands in for a secret value in reprs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<hidden>"


_HIDDEN = _Hidden()

# Which fields hold credentials, by the (apiVersion, kind) of their model. Kept here rather than in
# the generated modules: what must never be printed is a decision about display, not part of the schema.
_SECRET_FIELDS: dict[tuple[str | None, str | None], frozenset[str]] = {
    ("v1", "Secret"): frozenset({"data", "string_data"}),
}


def wire_path(loc: Sequence[str | int]) -> str:
    """Render a pydantic error location as a wire path: ``("spec", "tags", 0, "from", "name")`` → ``spec.tags[0].from.name``."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts:
            parts.append(f".{item}")
        else:
            parts.append(item)
    return "".join(parts)


def _iter_error_lines(exc: ValidationError) -> Iterator[str]:
    for error in exc.errors(include_url=False):
        path = wire_path(error["loc"])
        yield f"{path}: {error['msg']}" if path else error["msg"]


def validation_error_paths(exc: ValidationError) -> list[str]:
    """One ``"<wire path>: <message>"`` line per error, e.g. ``spec.tags[0].from.name: Input should be a valid string``."""
    return list(_iter_error_lines(exc))
