"""Deferred validation: models whose fields are validated when they are first read.

A list of 500 image streams is mostly read for a few fields (names, a tag's image); validating every
field of every item up front was three quarters of a list's client CPU. A *lazy* model is made from
the parsed JSON (pydantic's parser, ``pydantic_core.from_json``) of its wire form and keeps it; each
field is validated, with the field's own validator, the first time it is read, and a nested object
that holds objects itself (``metadata``, ``spec``, a stream's tags) becomes a lazy model in turn. A
nested *leaf* object (a layer, a tag event, an object reference) and lists of them are validated
whole in one call, which costs less than a lazy model would. What the user reads is the same typed
value an eager decode gives (``tests/models/test_lazy.py`` holds the two equal, on samples of every
kind and on generated documents).

A lazy model never *shows* a partial state: its ``model_fields_set`` and unknown fields are known
from the document's keys at once, and everything that writes or compares the whole object
(``to_dict``/``to_json``/``model_dump*``, ``==``, copies, pickling, iteration) validates the rest
first. pydantic's serializer reads ``__dict__`` directly and would silently leave out what was not
read yet, which is why the dump methods walk the tree (:func:`materialize_tree`) before they
serialize, also for a lazy part placed inside an eager model. The walk runs only once a lazy model
exists in the process (:func:`note_lazy_models`).

While a model is lazy, its ``__dict__`` holds the fields read so far; a read of any other field
reaches ``ApiModel.__getattr__`` and then :func:`read_field`: a field the document has is validated
from its raw value, a field it leaves out gets its default (as in an eager decode). Once every field
of the document was read, the model becomes an ordinary one (:func:`_complete`).

A field that does not fit its type raises :class:`~imageapi.errors.ProtocolError` when it is read,
naming its wire path in the document and the request it came from (``items[3].spec.tags[0].from.name:
Input should be a valid string``); ``validate_all()`` validates everything at once and names every
such field, in the order an eager decode names them.
"""

from __future__ import annotations

import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from ._base import ApiModel

__all__ = [
    "FieldPlan",
    "LazyPlan",
    "Origin",
    "attach_origin",
    "before_dump",
    "materialize_all",
    "materialize_tree",
    "note_lazy_models",
    "pending_of",
    "plan_of",
    "read_field",
    "set_base_class",
    "shell",
]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a lazy document came from, for the error of a field read later: the request's method
    and URL, and what the whole document was expected to be (``ImageStreamList``)."""

    expected: str
    method: str = "GET"
    url: str = ""


Path = tuple[Any, ...]
"""Where a lazy model sits in its document: its :class:`Origin`, then wire names and list indexes."""


# -- per class: how each field is made from its raw value ----------------------------------------

# Raw values of these types are already what a field of exactly that type holds: pydantic would
# return them unchanged, so reading one costs no validator call (a name, a resourceVersion, a size).
_AS_IS = (str, int, bool)


class FieldPlan:
    """How one field of a model class is made from its raw wire value."""

    __slots__ = ("_validate", "alias", "annotation", "as_is", "default", "holds_models", "item_model", "model", "name")

    def __init__(self, name: str, info: Any) -> None:
        self.name = name
        """The Python attribute name (``from_``)."""
        self.alias: str = info.alias or name
        """The wire name (``from``)."""
        held = _without_none(info.annotation)
        item = _without_none(typing.get_args(held)[0]) if typing.get_origin(held) is list else None
        model, item_model = _model_class(held), (_model_class(item) if item is not None else None)
        # Only models that hold models themselves become lazy: a leaf is validated whole (lists of
        # leaves in one call), which costs less than a lazy model read field by field.
        self.model = model if model is not None and not _is_leaf(model) else None
        """The nested model class, when the field holds a non-leaf one (``metadata: ObjectMeta | None``)."""
        self.item_model = item_model if item_model is not None and not _is_leaf(item_model) else None
        """The item class, when the field holds a list of non-leaf models (``tags: list[NamedTagEventList]``)."""
        self.holds_models = _mentions_model(info.annotation)
        """Whether a value of this field can contain models at all (what a tree walk must visit)."""
        self.as_is: type | None = held if held in _AS_IS and not info.metadata else None
        """The type whose raw values need no validation (``str`` for ``name: str | None``)."""
        parts = (info.annotation, *info.metadata)
        self.annotation: Any = typing.Annotated[parts] if info.metadata else info.annotation  # Annotated[type, *metadata]
        self.default: Callable[[], Any] = _default_maker(info)
        self._validate: Callable[[Any], Any] | None = None

    def validate(self, raw: Any) -> Any:
        """The field's value from ``raw``, by the field's own validator (built on first use; a whole
        model's ``validate_assignment`` would copy its ``__dict__`` for every field read). A raw
        value of the ``as_is`` type needs none: :func:`_read_locked` takes it without calling this."""
        validate = self._validate
        if validate is None:
            from pydantic import TypeAdapter

            validate = self._validate = TypeAdapter(self.annotation).validator.validate_python
        return validate(raw)


@dataclass(frozen=True, slots=True)
class LazyPlan:
    """The fields of one model class, by wire name and by Python name."""

    by_alias: dict[str, FieldPlan]
    by_name: dict[str, FieldPlan]
    fields: tuple[FieldPlan, ...]
    """Every field, in the class's order."""
    walked_fields: tuple[FieldPlan, ...]
    """The fields that can hold models (what :func:`materialize_tree` visits in a whole model)."""
    name_of: dict[str, str]
    """Python name by wire name."""
    by_keys: dict[tuple[str, ...], _KeysPlan]
    """What :func:`shell` derives from a document's keys, by the keys in their order (see ``_KeysPlan``)."""


_base_class: Any = None
"""``ApiModel`` itself, set by ``_base`` once it is defined (it imports this module first)."""


def set_base_class(cls: type[ApiModel]) -> None:
    """Called by ``imageapi.models._base`` with ``ApiModel``: which values are models."""
    global _base_class
    _base_class = cls


def _model_class(annotation: Any) -> type[ApiModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, _base_class) else None


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


def _is_leaf(cls: type[ApiModel]) -> bool:
    """Whether no field of ``cls`` can hold a model."""
    return not any(_mentions_model(info.annotation) for info in cls.model_fields.values())


def _default_maker(info: Any) -> Callable[[], Any]:
    if info.default_factory is None and isinstance(info.default, (type(None), str, int, float, bool)):
        default = info.default
        return lambda: default
    return lambda: info.get_default(call_default_factory=True, validated_data={})


def plan_of(cls: type[ApiModel]) -> LazyPlan:
    """The lazy-decoding plan of ``cls``, built on first use and kept on the class."""
    plan = cls.__dict__.get("__lazy_plan__")
    if plan is not None:
        return plan  # type: ignore[no-any-return]
    fields = tuple(FieldPlan(name, info) for name, info in cls.model_fields.items())
    plan = LazyPlan(
        by_alias={field.alias: field for field in fields},
        by_name={field.name: field for field in fields},
        fields=fields,
        walked_fields=tuple(field for field in fields if field.holds_models),
        name_of={field.alias: field.name for field in fields},
        by_keys={},
    )
    type.__setattr__(cls, "__lazy_plan__", plan)
    for field in fields:
        if field.name not in cls.__dict__:
            type.__setattr__(cls, field.name, _FieldReader(cls, field))
    return plan


class _FieldReader:
    """The class attribute of a field of a model class that has made lazy models: reads a field a
    lazy model has not read yet (:func:`read_field`).

    A *non-data* descriptor: an attribute the instance's ``__dict__`` holds (every field of an
    eager or complete model, a lazy one's fields once read) is found there first and never reaches
    it, so ordinary reads cost what they did. For a field not read yet, it saves the failed lookup
    that would otherwise end in ``__getattr__`` (building and catching an ``AttributeError``, about
    half of the cost of reading a lazy field). Read on the class itself, it raises
    ``AttributeError`` as a pydantic model class does for its fields, so pydantic (a subclass's
    field collection, ``__setattr__``) sees the class as it was."""

    __slots__ = ("field", "name", "owner")

    def __init__(self, owner: type, field: FieldPlan) -> None:
        self.owner, self.field, self.name = owner, field, field.name

    def __get__(self, model: Any, owner: type | None = None) -> Any:
        name = self.name
        if model is None:
            raise AttributeError(name)
        try:
            # (a subclass of the class the reader was made for has a plan of its own)
            return read_field(model, name, self.field if type(model) is self.owner else None)
        except KeyError:
            # pydantic's own AttributeError (BaseModel declares __getattr__ only at run time)
            return getattr(BaseModel, "__getattr__")(model, name)  # noqa: B009


# -- making and reading lazy models ---------------------------------------------------------------


def shell(cls: type[ApiModel], raw: dict[str, Any], path: Path) -> Any:
    """A lazy ``cls`` over the wire dict ``raw``, which it takes over (fields are consumed as read).

    ``path`` is where ``raw`` sits in its document (its :class:`Origin` first), for error messages.
    """
    plan = cls.__dict__.get("__lazy_plan__") or plan_of(cls)
    keys = tuple(raw)
    derived = plan.by_keys.get(keys)
    if derived is None:
        derived = _KeysPlan.of(plan, keys)
    model = object.__new__(cls)
    if derived.unknown:
        # Fields this version does not know: kept as they came (extra="allow"), in the document's
        # order, and counted as set, as pydantic does.
        unknown = derived.unknown
        extra: dict[str, Any] = {key: raw.pop(key) for key in keys if key in unknown}
    else:
        extra = {}
    setattr_ = object.__setattr__
    setattr_(model, "__dict__", {})
    setattr_(model, "__pydantic_fields_set__", _LazyFieldsSet(derived.fields_set))
    setattr_(model, "__pydantic_extra__", extra)
    setattr_(model, "__pydantic_private__", None)
    setattr_(model, "_pending", raw)
    setattr_(model, "_pending_path", path)
    if not raw:
        _complete(model)
    return model


class _KeysPlan:
    """What a document's keys tell :func:`shell`: its ``model_fields_set`` and the keys that are no
    field of the class. Documents of one kind mostly come with a few key sets (every item of a list
    page with the same ones), so this is worked out once per key set and class: it was half of the
    cost of a lazy model."""

    __slots__ = ("fields_set", "unknown")

    # Kept per class up to this many key sets: documents written to defeat the cache (a new key
    # in every object) cost the work each time, not memory.
    LIMIT = 512

    def __init__(self, fields_set: frozenset[str], unknown: frozenset[str]) -> None:
        self.fields_set = fields_set
        self.unknown = unknown

    @classmethod
    def of(cls, plan: LazyPlan, keys: tuple[str, ...]) -> _KeysPlan:
        name_of = plan.name_of
        unknown = frozenset(key for key in keys if key not in name_of)
        derived = cls(frozenset(name_of.get(key, key) for key in keys), unknown)
        if len(plan.by_keys) < cls.LIMIT:
            plan.by_keys[keys] = derived
        return derived


class _LazyFieldsSet(set[str]):
    """The ``model_fields_set`` of a lazy model: an ordinary set whose type tells, without an
    attribute lookup that fails on every eager model, that the model may have pending fields."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(set(self))  # what model_fields_set shows is a set, as on any model


def pending_of(model: Any) -> dict[str, Any] | None:
    """The wire values of ``model`` not read yet, or None for an ordinary (eager or complete) model."""
    if type(model.__pydantic_fields_set__) is not _LazyFieldsSet:
        return None  # made eagerly (or a copy of a complete one)
    try:
        return object.__getattribute__(model, "_pending")  # type: ignore[no-any-return]
    except AttributeError:  # a copy made by pydantic keeps the set's type, not the slot
        return None


class _Unfit(Exception):
    """Raw values of ``model`` that did not validate (the caller turns them into a ProtocolError):
    pydantic's ``problems`` with locations from the model (wire names), the first bad ``raw``
    value (for the excerpt) and the ``error`` itself."""

    def __init__(self, model: Any, problems: list[Any], raw: Any, error: ValidationError) -> None:
        super().__init__(str(error))
        self.model, self.problems, self.raw, self.error = model, problems, raw, error

    @classmethod
    def of_field(cls, model: Any, field: FieldPlan, raw: Any, error: ValidationError) -> _Unfit:
        """The failure of one field's validator (its locations are from the field)."""
        problems = [{**problem, "loc": (field.alias, *problem["loc"])} for problem in error.errors(include_url=False)]
        return cls(model, problems, raw, error)


# One lock for all lazy models: two threads reading one model's pending fields must not both
# validate and store them. Reads of fields already read never take it.
_reading = threading.RLock()


def read_field(model: Any, name: str, field: FieldPlan | None = None) -> Any:
    """The value of field ``name`` of a lazy ``model``, validated now (``ApiModel.__getattr__``);
    raises :class:`~imageapi.errors.ProtocolError` when its raw value does not fit its type, and
    ``KeyError`` when ``name`` is not a pending or defaulted field of a lazy model. ``field``, when
    the caller knows it, is the field's plan in ``type(model)``."""
    with _reading:
        values = model.__dict__
        if name in values:  # read by another thread meanwhile
            return values[name]
        pending = pending_of(model)
        if pending is None:
            raise KeyError(name)
        if field is None:
            field = type(model).__dict__["__lazy_plan__"].by_name.get(name)
            if field is None:
                raise KeyError(name)
        try:
            return _read_locked(model, field, pending)
        except _Unfit as unfit:
            raise _protocol_error([unfit]) from None


def _read_locked(model: Any, field: FieldPlan, pending: dict[str, Any]) -> Any:
    raw = pending.get(field.alias, _ABSENT)
    if raw is _ABSENT:  # not in the document: the default, as an eager decode gives it
        value = model.__dict__[field.name] = field.default()
        return value
    if type(raw) is field.as_is:  # the common read (a name, a resourceVersion): taken as it came
        value = raw
    elif field.model is not None and type(raw) is dict:
        value = shell(field.model, raw, (*object.__getattribute__(model, "_pending_path"), field.alias))
    elif field.item_model is not None and type(raw) is list and all(type(item) is dict for item in raw):
        base = (*object.__getattribute__(model, "_pending_path"), field.alias)
        item_model = field.item_model
        value = [shell(item_model, item, (*base, index)) for index, item in enumerate(raw)]
    else:
        try:
            value = field.validate(raw)
        except ValidationError as error:
            raise _Unfit.of_field(model, field, raw, error) from None
    model.__dict__[field.name] = value
    del pending[field.alias]
    if not pending:
        _complete(model)
    return value


_ABSENT: Any = object()  # a marker no raw value is


def _complete(model: Any) -> None:
    """Every field of the document was read: give the rest their defaults and make ``model`` an
    ordinary one. pydantic writes fields in ``__dict__`` order: the order becomes the class's."""
    values = model.__dict__
    plan = type(model).__dict__["__lazy_plan__"]
    object.__setattr__(model, "__dict__", {
        field.name: values[field.name] if field.name in values else field.default() for field in plan.fields
    })
    object.__setattr__(model, "_pending", None)


def _path(model: Any) -> Path:
    return object.__getattribute__(model, "_pending_path")  # type: ignore[no-any-return]


def attach_origin(model: Any, origin: Origin) -> None:
    """Record where the lazy document ``model`` (a decoded response) came from, before any of its
    parts is read: every nested lazy model takes its path, origin included, from its parent."""
    if pending_of(model) is not None:
        object.__setattr__(model, "_pending_path", (origin, *_path(model)[1:]))


# -- whole-object operations ----------------------------------------------------------------------


def materialize_all(model: Any) -> None:
    """Validate every field of ``model`` not read yet (not the nested models': see :func:`materialize_tree`)."""
    if pending_of(model) is not None:
        failures: list[_Unfit] = []
        with _reading:
            _validate_rest(model, failures)
        if failures:
            raise _protocol_error(failures)


def _validate_rest(model: Any, failures: list[_Unfit]) -> None:
    """Under the lock: validate every pending field of ``model`` in one call of the model's own
    validator (a field at a time would cost several times more), and complete it. What does not
    fit is collected in ``failures`` (the fields then stay pending)."""
    pending = pending_of(model)
    if pending is None:
        return
    plan = type(model).__dict__["__lazy_plan__"]
    values = model.__dict__
    # A field the user assigned since its raw value arrived keeps the assignment.
    rest = {alias: raw for alias, raw in pending.items() if plan.by_alias[alias].name not in values}
    if rest:
        try:
            whole = type(model).__pydantic_validator__.validate_python(rest)
        except ValidationError as error:
            problems = error.errors(include_url=False)
            first = problems[0]["loc"][0] if problems and problems[0]["loc"] else None
            failures.append(_Unfit(model, problems, rest.get(first, rest) if isinstance(first, str) else rest, error))
            return
        made = whole.__dict__
        for alias in rest:
            name = plan.by_alias[alias].name
            values[name] = made[name]
    pending.clear()
    _complete(model)


def materialize_tree(model: Any) -> None:
    """Validate everything still pending in ``model`` and every model nested in it, at any depth.

    Every field that does not fit is reported in one :class:`~imageapi.errors.ProtocolError`, as an
    eager decode reports all its problems at once, in the order an eager decode gives them."""
    failures: list[_Unfit] = []
    with _reading:
        _walk(model, failures)
    if failures:
        raise _protocol_error(failures)


def _walk(model: Any, failures: list[_Unfit]) -> None:
    api_model = _base_class
    cls = type(model)
    plan = cls.__dict__.get("__lazy_plan__") or plan_of(cls)
    if pending_of(model) is not None:
        # The fields read before (lazy parts among them) are visited below; the rest is validated
        # now, whole, and holds no lazy part.
        before = len(failures)
        _validate_rest(model, failures)
        if len(failures) > before:
            # Report in the class's field order, as pydantic would: this model's problems by field,
            # the problems inside parts read earlier at their field's place.
            _walk_fields(model, plan, failures, api_model, failures.pop())
            return
    _walk_fields(model, plan, failures, api_model, None)


def _walk_fields(model: Any, plan: LazyPlan, failures: list[_Unfit], api_model: Any, mine: _Unfit | None) -> None:
    """Visit the fields of ``model`` that can hold models; with ``mine`` (this model's own failed
    fields), put each of its problems before the failures found at later fields."""
    mine_by_field: dict[str, list[Any]] = {}
    if mine is not None:
        for problem in mine.problems:
            mine_by_field.setdefault(str(problem["loc"][0]) if problem["loc"] else "", []).append(problem)
    fields = plan.fields if mine is not None else plan.walked_fields
    for field in fields:
        own = mine_by_field.pop(field.alias, None)
        if own and mine is not None:
            failures.append(_Unfit(model, own, mine.raw, mine.error))
        if not field.holds_models:
            continue
        value = model.__dict__.get(field.name)
        if value is None:
            continue
        if isinstance(value, api_model):
            _walk(value, failures)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, api_model):
                    _walk(item, failures)
        elif isinstance(value, dict):
            for item in value.values():
                if isinstance(item, api_model):
                    _walk(item, failures)
    if mine is not None and mine_by_field:  # problems of the model as a whole
        failures.append(_Unfit(model, [p for group in mine_by_field.values() for p in group], mine.raw, mine.error))


def _protocol_error(failures: list[_Unfit]) -> Exception:
    """The ProtocolError for fields that did not fit, named by their wire paths in the document."""
    import json

    from ..errors import body_error
    from ._base import wire_path

    problems: list[str] = []
    for unfit in failures:
        _, *where = _path(unfit.model)
        problems.extend(f"{wire_path((*where, *problem['loc']))}: {problem['msg']}" for problem in unfit.problems)
    first = failures[0]
    origin = _path(first.model)[0]
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
