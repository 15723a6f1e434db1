"""Deferred validation: models whose fields are validated when they are first read.

A list of 500 image streams is mostly read for a few fields (names, a tag's image); validating every
field of every item up front cost two thirds of a list's client CPU. A *lazy* model is made from
the ``json.loads`` dict of its wire form and keeps that dict; each field is validated, with the
field's own validator, the first time it is read, and a nested object or a list of nested objects
becomes lazy models in turn. What the user reads is the same typed value an eager decode gives
(``tests/models/test_lazy.py`` holds the two equal over generated documents).

What a lazy model must never do is *show* a partial state: its ``model_fields_set`` and unknown
fields are known from the dict's keys at once, and everything that writes or compares the whole
object (``to_dict``/``to_json``/``model_dump*``, ``==``, copies, pickling, iteration) validates the
rest first (:func:`materialize_tree`). pydantic's serializer reads ``__dict__`` directly and would
silently leave out what was not read yet, which is why the dump methods walk the tree before they
serialize, also for a lazy model placed inside an eager one.

A field that does not fit its type raises :class:`~imageapi.errors.ProtocolError` when it is read,
naming its wire path from the decoded document (``items[3].status.tags[0].items[0].created: …``);
``validate_all()`` validates everything at once (and raises the first such error).
"""

from __future__ import annotations

import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:
    from ._base import ApiModel

__all__ = ["FieldPlan", "LazyPlan", "Origin", "attach_origin", "materialize", "materialize_tree", "plan_of", "shell"]

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a lazy document came from, for the error of a field read later: the request's method
    and URL, and what the whole document was expected to be (``ImageStreamList``)."""

    expected: str
    method: str = "GET"
    url: str = ""


Path = tuple[Any, ...]
"""Where a lazy model sits in its document: its :class:`Origin` (or None), then wire names and indexes."""


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How one field of a model class is made from its raw wire value."""

    name: str
    """The Python attribute name (``from_``)."""
    alias: str
    """The wire name (``from``)."""
    model: type[ApiModel] | None
    """The nested model class, when the field holds one (``metadata: ObjectMeta | None``)."""
    item_model: type[ApiModel] | None
    """The model class of the items, when the field holds a list of models (``tags: list[TagReference]``)."""
    holds_models: bool
    """Whether a value of this field can contain models at all (what a tree walk must visit)."""
    validator: Callable[[], Callable[[Any], Any]]
    """The field's own validator (Python input), built on first use: a whole model's
    ``validate_assignment`` would copy its ``__dict__`` for every field read."""


@dataclass(frozen=True, slots=True)
class LazyPlan:
    """The fields of one model class, by wire name and by Python name."""

    by_alias: dict[str, FieldPlan]
    by_name: dict[str, FieldPlan]
    aliases: frozenset[str]
    fields: tuple[FieldPlan, ...]
    """Every field, in the class's order."""
    walked_fields: tuple[FieldPlan, ...]
    """The fields that can hold models (what :func:`materialize_tree` visits in a whole model)."""
    defaults: Callable[[], dict[str, Any]]
    """A new dict of every field's default, by Python name."""


def _model_class(annotation: Any) -> type[ApiModel] | None:
    from ._base import ApiModel

    return annotation if isinstance(annotation, type) and issubclass(annotation, ApiModel) else None


def _without_none(annotation: Any) -> Any:
    """``X | None`` → ``X`` (what a field holds when it holds something); other types unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _mentions_model(annotation: Any) -> bool:
    if _model_class(annotation) is not None:
        return True
    return any(_mentions_model(arg) for arg in typing.get_args(annotation))


def _validator_maker(info: Any) -> Callable[[], Callable[[Any], Any]]:
    """A maker of the (cached) validator of one field: its type with its metadata (``Time``'s
    lenient parser, base64 bytes), as the model's own schema validates it."""
    made: list[Callable[[Any], Any]] = []

    def validator() -> Callable[[Any], Any]:
        if not made:
            from pydantic import TypeAdapter

            annotation: Any = info.annotation
            if info.metadata:
                parts = (info.annotation, *info.metadata)
                annotation = typing.Annotated[parts]  # (subscripting with a tuple: Annotated[type, *metadata])
            made.append(TypeAdapter(annotation).validate_python)
        return made[0]

    return validator


def _is_leaf(cls: type[ApiModel]) -> bool:
    """Whether no field of ``cls`` can hold a model."""
    return not any(_mentions_model(info.annotation) for info in cls.model_fields.values())


def _defaults_maker(cls: type[ApiModel]) -> Callable[[], dict[str, Any]]:
    """A maker of fresh default dicts for ``cls``: a copy of one dict when every default is
    immutable (the generated models' are None or a string), else each default made anew."""
    infos = cls.model_fields
    fixed = {name: info.default for name, info in infos.items() if info.default_factory is None}
    if len(fixed) == len(infos) and all(isinstance(value, _IMMUTABLE) for value in fixed.values()):
        return fixed.copy

    def defaults() -> dict[str, Any]:
        return {name: info.get_default(call_default_factory=True, validated_data={}) for name, info in infos.items()}

    return defaults


_IMMUTABLE = (type(None), str, int, float, bool, bytes, tuple, frozenset)


def plan_of(cls: type[ApiModel]) -> LazyPlan:
    """The lazy-decoding plan of ``cls``, built on first use and kept on the class."""
    plan = cls.__dict__.get("__lazy_plan__")
    if plan is not None:
        return plan  # type: ignore[no-any-return]
    fields: list[FieldPlan] = []
    for name, info in cls.model_fields.items():
        held = _without_none(info.annotation)
        item = _without_none(typing.get_args(held)[0]) if typing.get_origin(held) is list else None
        model, item_model = _model_class(held), (_model_class(item) if item is not None else None)
        fields.append(FieldPlan(
            name=name,
            alias=info.alias or name,
            # Only models that hold models themselves become lazy: a leaf (a layer, a tag event, an
            # object reference) is validated whole, lists of them in one call, which costs less
            # than making a lazy shell and reading its fields one by one.
            model=model if model is not None and not _is_leaf(model) else None,
            item_model=item_model if item_model is not None and not _is_leaf(item_model) else None,
            holds_models=_mentions_model(info.annotation),
            validator=_validator_maker(info),
        ))
    plan = LazyPlan(
        defaults=_defaults_maker(cls),
        by_alias={field.alias: field for field in fields},
        by_name={field.name: field for field in fields},
        aliases=frozenset(field.alias for field in fields),
        fields=tuple(fields),
        walked_fields=tuple(field for field in fields if field.holds_models),
    )
    type.__setattr__(cls, "__lazy_plan__", plan)
    return plan


def shell(cls: type[ApiModel], raw: dict[str, Any], path: Path = (None,)) -> Any:
    """A lazy ``cls`` over the wire dict ``raw`` (taken over: the model consumes it as fields are read).

    ``path`` is where ``raw`` sits in the decoded document, for error messages. Fields the document
    leaves out get their defaults at once, as in an eager decode: ``__dict__`` lacks exactly the
    fields still pending, which is what sends their first read to ``ApiModel.__getattr__``.
    """
    plan = cls.__dict__.get("__lazy_plan__") or plan_of(cls)
    model = cls.__new__(cls)
    values = plan.defaults()
    fields_set = set()
    extra: dict[str, Any] = {}
    by_alias = plan.by_alias
    for key in raw:
        field = by_alias.get(key)
        if field is None:
            # A field this version does not know: kept as it came (extra="allow"), and counted as
            # set, as pydantic counts it.
            extra[key] = raw[key]
            fields_set.add(key)
        else:
            del values[field.name]
            fields_set.add(field.name)
    for key in extra:
        del raw[key]
    setattr_ = object.__setattr__
    setattr_(model, "__dict__", values)
    setattr_(model, "__pydantic_fields_set__", fields_set)
    setattr_(model, "__pydantic_extra__", extra)
    setattr_(model, "__pydantic_private__", None)
    setattr_(model, "_pending", raw or None)
    setattr_(model, "_pending_path", path)
    return model


def pending_of(model: Any) -> dict[str, Any] | None:
    """The wire values of ``model`` not read yet, or None for a model with nothing pending."""
    try:
        return object.__getattribute__(model, "_pending")  # type: ignore[no-any-return]
    except AttributeError:  # made eagerly: the slot was never set
        return None


class _Unfit(Exception):
    """A field's raw value did not validate (the caller turns it into a ProtocolError)."""

    def __init__(self, model: Any, field: FieldPlan, raw: Any, error: ValidationError) -> None:
        super().__init__(str(error))
        self.model, self.field, self.raw, self.error = model, field, raw, error


# One lock for all lazy models: two threads reading one model's pending fields must not both
# validate and store them. Reads of fields already validated never take it.
_materializing = threading.Lock()


def materialize(model: Any, field: FieldPlan, pending: dict[str, Any]) -> Any:
    """Validate ``field`` of the lazy ``model`` from its raw value, store it, and return it; raises
    :class:`~imageapi.errors.ProtocolError` when the value does not fit the field's type."""
    try:
        with _materializing:
            if field.alias not in pending:  # another thread validated it meanwhile
                return model.__dict__[field.name]
            return _materialize_locked(model, field, pending)
    except _Unfit as unfit:
        raise _protocol_error([unfit]) from None


def _materialize_locked(model: Any, field: FieldPlan, pending: dict[str, Any]) -> Any:
    raw = pending[field.alias]
    if field.model is not None and type(raw) is dict:
        value = shell(field.model, raw, (*_path(model), field.alias))
    elif field.item_model is not None and type(raw) is list and all(type(item) is dict for item in raw):
        base = (*_path(model), field.alias)
        item_model = field.item_model
        value = [shell(item_model, item, (*base, index)) for index, item in enumerate(raw)]
    else:
        try:
            value = field.validator()(raw)
        except ValidationError as error:
            raise _Unfit(model, field, raw, error) from None
    model.__dict__[field.name] = value
    del pending[field.alias]
    if not pending:
        _complete(model)
    return value


def _complete(model: Any) -> None:
    """Every field is in ``__dict__`` now: make ``model`` an ordinary one. pydantic writes fields in
    ``__dict__`` order, so the order becomes the class's (as an eager decode leaves it)."""
    values = model.__dict__
    object.__setattr__(model, "__dict__", {name: values[name] for name in type(model).__pydantic_fields__})
    object.__setattr__(model, "_pending", None)


def _path(model: Any) -> Path:
    return object.__getattribute__(model, "_pending_path")  # type: ignore[no-any-return]


def attach_origin(model: Any, origin: Origin) -> None:
    """Record where the lazy document ``model`` (a decoded response) came from, before any of its
    parts is read: every nested lazy model takes its path, origin included, from its parent."""
    if pending_of(model) is not None:
        object.__setattr__(model, "_pending_path", (origin, *_path(model)[1:]))


def materialize_all(model: Any) -> None:
    """Validate every field of ``model`` not read yet (not the nested models': see :func:`materialize_tree`)."""
    pending = pending_of(model)
    if pending:
        failures: list[_Unfit] = []
        for field in (type(model).__dict__.get("__lazy_plan__") or plan_of(type(model))).fields:
            _validate_pending(model, field, pending, failures)
        if failures:
            raise _protocol_error(failures)


def _validate_pending(model: Any, field: FieldPlan, pending: dict[str, Any], failures: list[_Unfit]) -> None:
    """Validate ``field`` of ``model`` if it is pending, collecting it in ``failures`` if it does not fit."""
    if field.alias not in pending:
        return
    if field.name in model.__dict__:  # assigned by the user since: the assignment wins
        with _materializing:
            if pending.pop(field.alias, _MISSING) is not _MISSING and not pending:
                _complete(model)
        return
    try:
        with _materializing:
            if field.alias in pending:  # (not validated by another thread meanwhile)
                _materialize_locked(model, field, pending)
    except _Unfit as unfit:
        failures.append(unfit)


def materialize_tree(model: Any) -> None:
    """Validate everything still pending in ``model`` and every model nested in it, at any depth.

    Fields are visited as pydantic visits them (in the class's order, a nested model before the next
    field), and every field that does not fit is reported, in that order, in one
    :class:`~imageapi.errors.ProtocolError`, as an eager decode reports all its problems at once."""
    failures: list[_Unfit] = []
    _walk(model, failures)
    if failures:
        raise _protocol_error(failures)


def _walk(model: Any, failures: list[_Unfit]) -> None:
    from ._base import ApiModel

    cls = type(model)
    plan = cls.__dict__.get("__lazy_plan__") or plan_of(cls)
    pending = pending_of(model)
    for field in plan.fields if pending else plan.walked_fields:
        if pending:
            _validate_pending(model, field, pending, failures)
        if not field.holds_models:
            continue
        value = model.__dict__.get(field.name)
        if value is None:
            continue
        if isinstance(value, ApiModel):
            _walk(value, failures)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ApiModel):
                    _walk(item, failures)
        elif isinstance(value, dict):
            for item in value.values():
                if isinstance(item, ApiModel):
                    _walk(item, failures)


def _protocol_error(failures: list[_Unfit]) -> Exception:
    """The ProtocolError for fields that did not fit, named by their wire paths in the document."""
    import json

    from ..errors import body_error
    from ._base import wire_path

    problems: list[str] = []
    for unfit in failures:
        _, *where = _path(unfit.model)
        problems.extend(
            f"{wire_path((*where, unfit.field.alias, *problem['loc']))}: {problem['msg']}"
            for problem in unfit.error.errors(include_url=False)
        )
    first = failures[0]
    origin = _path(first.model)[0] or Origin(expected=type(first.model).__name__)
    try:
        received = json.dumps(first.raw).encode()  # the value that did not fit, as the excerpt
    except (TypeError, ValueError):
        received = repr(first.raw).encode()
    return body_error(origin.expected, origin.method, origin.url, received, tuple(problems)).with_original(first.error)


_lazy_models_made = False
"""Whether this process made a lazy model yet: until it does, dumps skip the walk for pending fields."""


def note_lazy_models() -> None:
    """Record that lazy models exist from now on (dumps must then look for pending fields)."""
    global _lazy_models_made
    _lazy_models_made = True


def before_dump(model: Any) -> None:
    """Make ``model`` whole before pydantic's serializer reads its ``__dict__`` (see the module docs)."""
    if _lazy_models_made:
        materialize_tree(model)
