"""Lazy models (``from_json(..., lazy=True)``, list pages, watch events) read exactly as eager ones.

A lazy model validates each field when it is first read. Everything a user can observe must be the
same as after an eager decode: values at every depth, ``model_fields_set``, unknown fields, the
JSON written back (byte for byte, field order included), equality, copies, pickles and reprs; and a
field that does not fit its type is an error naming its wire path, when it is read.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from imageapi import models
from imageapi.errors import ProtocolError
from imageapi.models import _lazy
from imageapi.models._base import ApiModel, validation_error_paths

from ._samples import SAMPLES


def _model(name: str) -> type[ApiModel]:
    return getattr(models, name)  # type: ignore[no-any-return]


def _pending_count(model: Any) -> int:
    pending = _lazy.pending_of(model)
    return len(pending) if pending else 0


def _read_everything(value: Any) -> Any:
    """Every field of a model tree read through attributes (as a user reads), as plain data."""
    if isinstance(value, ApiModel):
        fields = {name: _read_everything(getattr(value, name)) for name in type(value).model_fields}
        return (type(value).__name__, fields, sorted(value.model_fields_set), value.model_extra)
    if isinstance(value, list):
        return [_read_everything(item) for item in value]
    if isinstance(value, dict):
        return {key: _read_everything(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_lazy_model_reads_as_the_eager_one_at_every_depth(name: str) -> None:
    body = json.dumps(SAMPLES[name])
    eager = _model(name).from_json(body)
    lazy = _model(name).from_json(body, lazy=True)
    assert _pending_count(lazy) > 0  # it really is lazy
    assert _read_everything(lazy) == _read_everything(eager)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_lazy_model_writes_the_same_json_without_being_read_first(name: str) -> None:
    body = json.dumps(SAMPLES[name])
    eager = _model(name).from_json(body)
    assert _model(name).from_json(body, lazy=True).to_json() == eager.to_json()  # same bytes, same order
    assert _model(name).from_json(body, lazy=True).to_dict() == eager.to_dict()
    assert _model(name).from_json(body, lazy=True).model_dump() == eager.model_dump()
    assert _model(name).from_json(body, lazy=True).model_dump(mode="python", by_alias=False) == eager.model_dump(
        mode="python", by_alias=False)
    assert json.loads(_model(name).from_json(body, lazy=True).to_json()) == SAMPLES[name]  # lossless


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_equality_copies_pickles_and_reprs_see_the_whole_object(name: str) -> None:
    body = json.dumps(SAMPLES[name])
    cls = _model(name)
    eager = cls.from_json(body)
    assert cls.from_json(body, lazy=True) == eager
    assert eager == cls.from_json(body, lazy=True)
    assert copy.deepcopy(cls.from_json(body, lazy=True)).to_json() == eager.to_json()
    assert copy.copy(cls.from_json(body, lazy=True)).to_json() == eager.to_json()
    assert cls.from_json(body, lazy=True).model_copy(deep=True) == eager
    assert pickle.loads(pickle.dumps(cls.from_json(body, lazy=True))).to_json() == eager.to_json()
    assert repr(cls.from_json(body, lazy=True)) == repr(eager)
    assert dict(cls.from_json(body, lazy=True)) == dict(eager)
    assert cls.from_json(body, lazy=True).model_fields_set == eager.model_fields_set


def test_a_lazy_part_inside_an_eager_model_is_written_whole() -> None:
    lazy = models.ImageStream.from_json(json.dumps(SAMPLES["ImageStream"]), lazy=True)
    tag = lazy.spec.tags[0]  # type: ignore[union-attr]
    assert _pending_count(tag) > 0
    # The user builds a new object around it (a promote copies a tag from one stream to another).
    target = models.ImageStream(metadata=models.ObjectMeta(name="copy"), spec=models.ImageStreamSpec(tags=[tag]))
    written = target.to_dict()
    assert written["spec"]["tags"] == [SAMPLES["ImageStream"]["spec"]["tags"][0]]
    # And inside a list kind, the way ImageStreamList(items=list(pager)) does.
    items = [models.ImageStream.from_json(json.dumps(SAMPLES["ImageStream"]), lazy=True) for _ in range(2)]
    listed = models.ImageStreamList(items=items).to_dict()
    assert listed["items"] == [SAMPLES["ImageStream"]] * 2


def test_an_assignment_wins_over_the_value_not_read_yet() -> None:
    lazy = models.ImageStream.from_json(json.dumps(SAMPLES["ImageStream"]), lazy=True)
    lazy.spec = models.ImageStreamSpec(lookup_policy=models.ImageLookupPolicy(local=True))
    assert lazy.spec.tags is None
    assert lazy.to_dict()["spec"] == {"lookupPolicy": {"local": True}}
    eager = models.ImageStream.from_json(json.dumps(SAMPLES["ImageStream"]))
    assert list(lazy.to_dict()) == list(eager.to_dict())  # fields still in the class's order


def test_unknown_fields_and_explicit_nulls_are_kept_as_eager_keeps_them() -> None:
    document = copy.deepcopy(SAMPLES["ImageStream"])
    document["fromTheFuture"] = {"x": [1, 2]}
    document["spec"]["lookupPolicy"] = None
    document["spec"]["tags"][0]["newField"] = "kept"
    body = json.dumps(document)
    lazy, eager = models.ImageStream.from_json(body, lazy=True), models.ImageStream.from_json(body)
    assert lazy.model_extra == {"fromTheFuture": {"x": [1, 2]}} == eager.model_extra
    assert lazy.spec.lookup_policy is None and "lookup_policy" in lazy.spec.model_fields_set  # type: ignore[union-attr]
    assert lazy.spec.tags[0].model_extra == {"newField": "kept"}  # type: ignore[union-attr,index]
    assert json.loads(lazy.to_json()) == document


def test_a_wrong_typed_field_raises_when_read_naming_its_wire_path() -> None:
    document = copy.deepcopy(SAMPLES["ImageStreamList"])
    document["items"][0]["spec"]["tags"][0]["from"]["name"] = 42
    document["items"][0]["spec"]["tags"][0]["generation"] = "two"
    page = models.ImageStreamList.from_json(json.dumps(document), lazy=True)
    stream = page.items[0]  # type: ignore[index]
    assert stream.metadata.name == SAMPLES["ImageStreamList"]["items"][0]["metadata"]["name"]  # type: ignore[union-attr]
    with pytest.raises(ProtocolError) as caught:
        _ = stream.spec.tags[0].from_.name  # type: ignore[union-attr,index]
    assert caught.value.problems == ("items[0].spec.tags[0].from.name: Input should be a valid string",)
    assert "42" in caught.value.excerpt
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    # validate_all names every problem at once, in the document's order, as an eager decode does.
    with pytest.raises(ValidationError) as eager:
        models.ImageStreamList.from_json(json.dumps(document))
    fresh = models.ImageStreamList.from_json(json.dumps(document), lazy=True)
    with pytest.raises(ProtocolError) as whole:
        fresh.validate_all()
    assert list(whole.value.problems) == validation_error_paths(eager.value)
    assert str(whole.value).startswith("the response is not a valid ImageStreamList: items[0].spec.tags[0].from.name")


def test_validate_all_returns_the_model_with_nothing_pending() -> None:
    lazy = models.ImageList.from_json(json.dumps(SAMPLES["ImageList"]), lazy=True)
    assert lazy.validate_all() is lazy

    def pending_anywhere(value: Any) -> bool:
        if isinstance(value, ApiModel):
            return _pending_count(value) > 0 or any(pending_anywhere(v) for v in value.__dict__.values())
        if isinstance(value, list):
            return any(pending_anywhere(item) for item in value)
        return False

    assert not pending_anywhere(lazy)


def test_not_json_or_not_an_object_is_refused_as_by_the_eager_decoder() -> None:
    for body in (b"<html>", b"[1, 2]", b'"text"', b'{"items": NaN}', b"[" * 5000 + b"]" * 5000):
        with pytest.raises(ValidationError):
            models.ImageStreamList.from_json(body, lazy=True)
    with pytest.raises(ValidationError):
        models.ImageStreamList.from_dict([1, 2], lazy=True)


def test_threads_reading_one_lazy_model_all_see_every_field() -> None:
    body = json.dumps(SAMPLES["ImageStreamList"] | {"items": SAMPLES["ImageStreamList"]["items"] * 50})
    expected = _read_everything(models.ImageStreamList.from_json(body))
    for _ in range(5):
        lazy = models.ImageStreamList.from_json(body, lazy=True)
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def read(target: Any, barrier: threading.Barrier, results: list[Any]) -> None:
            barrier.wait()
            results.append(_read_everything(target))

        threads = [threading.Thread(target=read, args=(lazy, barrier, results)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [expected] * 4


# -- generated documents: lazy and eager agree on every variation of the samples --------------------


def _variations(document: Any, rng: random.Random) -> Any:
    """``document`` with random keys dropped, values nulled, unknown keys added and types broken."""
    if isinstance(document, dict):
        out: dict[str, Any] = {}
        for key, value in document.items():
            roll = rng.random()
            if roll < 0.1:
                continue
            out[key] = None if roll < 0.15 else (42 if roll < 0.17 else _variations(value, rng))
        if rng.random() < 0.1:
            out["unknownKey"] = {"nested": [rng.random()]}
        return out
    if isinstance(document, list):
        return [_variations(item, rng) for item in document if rng.random() > 0.1]
    return document


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(SAMPLES)), seed=st.integers(0, 2**32 - 1))
def test_lazy_and_eager_agree_on_generated_documents(name: str, seed: int) -> None:
    document = _variations(SAMPLES[name], random.Random(seed))
    body = json.dumps(document)
    cls = _model(name)
    try:
        eager = cls.from_json(body)
    except ValidationError as error:
        lazy = cls.from_json(body, lazy=True) if isinstance(document, dict) else None
        if lazy is None:
            return
        with pytest.raises(ProtocolError) as caught:
            lazy.validate_all()
        # The same fields, in the same order (the wording may differ: pydantic says "array" of JSON
        # input where it says "list" of Python's).
        assert [problem.split(": ")[0] for problem in caught.value.problems] == [
            problem.split(": ")[0] for problem in validation_error_paths(error)]
        return
    lazy = cls.from_json(body, lazy=True)
    assert lazy.to_json() == eager.to_json()
    # (a dump records apiVersion and kind as set: compare reads of fresh objects)
    assert _read_everything(cls.from_json(body, lazy=True)) == _read_everything(cls.from_json(body))
    assert cls.from_json(body, lazy=True) == eager


def test_documents_of_one_shape_and_of_another_each_keep_their_own_fields_and_extras() -> None:
    # shell() works out fields_set and unknown keys once per key set: a second document with the
    # same keys must not share the first one's set, and one with other keys must get its own.
    plain = {"name": "a", "namespace": "ns"}
    odd = {"name": "b", "fromTheFuture": 1, "namespace": "ns"}
    first, second = (models.ObjectMeta.from_dict(dict(plain), lazy=True) for _ in range(2))
    third = models.ObjectMeta.from_dict(dict(odd), lazy=True)
    first.labels = {"x": "y"}
    assert first.model_fields_set == {"name", "namespace", "labels"}
    assert second.model_fields_set == {"name", "namespace"}
    assert third.model_fields_set == {"name", "namespace", "fromTheFuture"}
    assert third.model_extra == {"fromTheFuture": 1} and second.model_extra == {}
    assert third.to_dict() == odd and second.to_dict() == plain


def test_many_key_sets_are_decoded_right_without_growing_the_cache_without_bound() -> None:
    documents = [{"name": f"n{index}", f"unknown{index}": index} for index in range(_lazy._KeysPlan.LIMIT + 50)]
    decoded = [models.ObjectMeta.from_dict(dict(document), lazy=True) for document in documents]
    assert [model.to_dict() for model in decoded] == documents
    assert len(_lazy.plan_of(models.ObjectMeta).by_keys) <= _lazy._KeysPlan.LIMIT


def test_after_lazy_reads_the_classes_still_look_like_pydantic_models() -> None:
    lazy = models.ImageStream.from_json(json.dumps(SAMPLES["ImageStream"]), lazy=True)
    assert lazy.metadata.name == SAMPLES["ImageStream"]["metadata"]["name"]  # type: ignore[union-attr]
    # Fields are no class attributes (pydantic's rule), also once lazy reads installed their readers.
    assert not hasattr(models.ImageStream, "metadata")
    with pytest.raises(AttributeError):
        models.ObjectMeta.name  # noqa: B018

    class Annotated(models.ImageStream):  # a user's subclass made after lazy reads
        note: str = "none"

    plain = Annotated.from_dict(SAMPLES["ImageStream"])
    assert plain.note == "none" and plain.metadata == lazy.metadata
    assert Annotated.model_fields["metadata"].default is None  # not the reader
    lazy_sub = Annotated.from_json(json.dumps({**SAMPLES["ImageStream"], "note": "set"}), lazy=True)
    assert lazy_sub.note == "set" and lazy_sub.spec == plain.spec
    # A field removed from an eager model raises pydantic's AttributeError, not a KeyError.
    eager = models.ImageStream.from_dict(SAMPLES["ImageStream"])
    del eager.__dict__["spec"]
    with pytest.raises(AttributeError, match="spec"):
        eager.spec  # noqa: B018
