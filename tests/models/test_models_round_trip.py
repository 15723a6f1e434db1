"""Parse → emit → parse is lossless for every kind, unknown fields included."""

from __future__ import annotations

import json
from typing import Any

import pytest

import imageapi.models as models

from ._samples import SAMPLES


def _model(name: str) -> type[models.ApiModel]:
    cls = getattr(models, name)
    assert issubclass(cls, models.ApiModel)
    return cls


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_json_round_trip_is_lossless(name: str) -> None:
    raw = json.dumps(SAMPLES[name])
    decoded = _model(name).from_json(raw)
    assert json.loads(decoded.to_json()) == SAMPLES[name]
    assert json.loads(decoded.model_dump_json()) == SAMPLES[name]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_dict_round_trip_is_lossless(name: str) -> None:
    decoded = _model(name).from_dict(SAMPLES[name])
    assert decoded.to_dict() == SAMPLES[name]
    # and once more: what we write, we read back to the same model
    assert _model(name).from_dict(decoded.to_dict()) == decoded


def test_unknown_fields_are_kept_at_every_depth() -> None:
    stream = models.ImageStream.from_dict(
        {
            "futureTop": {"a": 1},
            "metadata": {"name": "x", "futureMeta": True},
            "spec": {"tags": [{"name": "t", "importPolicy": {"importMode": "Legacy", "futureMode": "z"}}]},
        }
    )
    out = stream.to_dict()
    assert out["futureTop"] == {"a": 1}
    assert out["metadata"]["futureMeta"] is True
    assert out["spec"]["tags"][0]["importPolicy"] == {"importMode": "Legacy", "futureMode": "z"}
    # extras are reachable from Python too
    assert stream.model_extra == {"futureTop": {"a": 1}}


def test_list_items_are_written_back_as_they_came() -> None:
    # The server sends list items without kind/apiVersion; writing them back must not add any.
    image_list = models.ImageList.from_json(json.dumps(SAMPLES["ImageList"]))
    item: dict[str, Any] = image_list.to_dict()["items"][0]
    assert "kind" not in item
    assert "apiVersion" not in item
    assert image_list.items is not None
    assert image_list.items[0].kind == "Image"  # still defaulted when read
