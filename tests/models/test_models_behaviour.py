"""What users rely on in the models: names, defaults, output form, times, bytes, repr, errors."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

import imageapi.models as models
from imageapi._resource_table import RESOURCES
from imageapi.models import (
    ImageSignature,
    ImageStream,
    ImageStreamImportSpec,
    ImageStreamSpec,
    ListMeta,
    ObjectMeta,
    ObjectReference,
    Secret,
    TagReference,
)

# -- every kind ---------------------------------------------------------------------------------


def _top_level_kinds() -> list[str]:
    kinds = {info.kind for info in RESOURCES.values()}
    kinds |= {info.list_kind for info in RESOURCES.values() if info.list_kind}
    kinds |= {sub.response_type for info in RESOURCES.values() for sub in info.subresources.values()}
    kinds |= {"Status", "Secret", "DeleteOptions"}
    return sorted(kinds)


@pytest.mark.parametrize("kind", _top_level_kinds())
def test_every_kind_imports_and_defaults_api_version_and_kind(kind: str) -> None:
    cls = getattr(models, kind)
    written = cls().to_dict()
    assert written["kind"] == kind
    expected_version = "v1" if kind in {"Status", "Secret", "DeleteOptions"} else "image.openshift.io/v1"
    assert written["apiVersion"] == expected_version
    assert json.loads(cls().to_json())["kind"] == kind


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert models.__all__ == sorted(models.__all__)
    for name in models.__all__:
        assert getattr(models, name) is not None
    with pytest.raises(AttributeError):
        _ = models.NoSuchModel  # type: ignore[attr-defined]


def test_package_import_is_lazy() -> None:
    code = (
        "import sys, imageapi, imageapi.models as m\n"
        "assert 'imageapi.models.image_v1' not in sys.modules, 'image_v1 imported eagerly'\n"
        "assert 'imageapi.models.meta' not in sys.modules, 'meta imported eagerly'\n"
        "m.ImageStream\n"
        "assert 'imageapi.models.image_v1' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_lenient_time_parser_loads_only_for_a_time_that_needs_it() -> None:
    code = (
        "import sys\n"
        "from imageapi.models import ImageStream\n"
        "s = ImageStream.from_json('{\"metadata\": {\"creationTimestamp\": \"2024-01-02T03:04:05Z\"}}')\n"
        "assert 'dateutil' not in sys.modules, 'python-dateutil imported for an RFC 3339 time'\n"
        "s = ImageStream.from_json('{\"metadata\": {\"creationTimestamp\": \"2024-01-02 03:04:05\"}}')\n"
        "assert s.metadata.creation_timestamp.isoformat() == '2024-01-02T03:04:05+00:00'\n"
        "assert 'dateutil' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_classes_and_fields_carry_their_descriptions() -> None:
    assert ImageStream.__doc__ and "ImageStream" in ImageStream.__doc__
    field = TagReference.model_fields["from_"]
    assert field.alias == "from"
    assert field.description and "reference" in field.description.lower()


# -- names --------------------------------------------------------------------------------------


def test_snake_case_attributes_and_both_spellings_on_input() -> None:
    wire = TagReference.from_dict({"name": "a", "referencePolicy": {"type": "Local"}, "from": {"name": "x"}})
    python = TagReference.from_dict({"name": "a", "reference_policy": {"type": "Local"}, "from_": {"name": "x"}})
    assert wire == python
    assert wire.reference_policy is not None and wire.reference_policy.type == "Local"
    assert wire.to_dict() == python.to_dict() == {"name": "a", "referencePolicy": {"type": "Local"}, "from": {"name": "x"}}


def test_python_keywords_get_a_trailing_underscore() -> None:
    assert ImageStreamImportSpec(import_=True).to_dict() == {"import": True}
    assert ListMeta.from_dict({"continue": "tok"}).continue_ == "tok"
    assert TagReference(from_=ObjectReference(kind="DockerImage", name="busybox")).to_dict() == {
        "from": {"kind": "DockerImage", "name": "busybox"}
    }


def test_keyword_construction_and_model_validate() -> None:
    built = ImageStream(metadata=ObjectMeta(name="x", namespace="ns"))
    validated = ImageStream.model_validate({"metadata": {"name": "x", "namespace": "ns"}})
    assert built.to_dict() == validated.to_dict() == {
        "apiVersion": "image.openshift.io/v1",
        "kind": "ImageStream",
        "metadata": {"name": "x", "namespace": "ns"},
    }


def test_model_validate_json_works_on_bytes() -> None:
    stream = ImageStream.model_validate_json(b'{"metadata":{"name":"x"}}')
    assert stream.metadata is not None and stream.metadata.name == "x"


# -- output form --------------------------------------------------------------------------------


def test_unset_fields_are_omitted_and_explicit_nulls_kept() -> None:
    tag = TagReference.from_dict({"name": "latest", "annotations": None, "generation": None})
    assert tag.to_dict() == {"name": "latest", "annotations": None, "generation": None}
    assert json.loads(tag.to_json()) == {"name": "latest", "annotations": None, "generation": None}
    assert TagReference(name="a").to_dict() == {"name": "a"}


def test_pydantic_dump_defaults_use_wire_form() -> None:
    spec = ImageStreamSpec(tags=[TagReference(name="a", from_=ObjectReference(name="b"))])
    assert spec.model_dump() == {"tags": [{"name": "a", "from": {"name": "b"}}]}
    assert json.loads(spec.model_dump_json()) == {"tags": [{"name": "a", "from": {"name": "b"}}]}
    # pydantic's own switches still work when asked for
    assert "docker_image_repository" in spec.model_dump(by_alias=False, exclude_unset=False)


# -- times --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2024-01-02 03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2024-01-02T03:04:05+0100", datetime(2024, 1, 2, 2, 4, 5, tzinfo=timezone.utc)),
        ("2024-01-02T05:04:05+02:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2024-01-02T03:04:05.987654Z", datetime(2024, 1, 2, 3, 4, 5, 987654, tzinfo=timezone.utc)),
    ],
)
def test_times_parse_leniently_and_are_written_rfc3339_utc(wire: str, expected: datetime) -> None:
    for meta in (
        ObjectMeta.from_json(json.dumps({"creationTimestamp": wire})),
        ObjectMeta.from_dict({"creationTimestamp": wire}),
    ):
        assert meta.creation_timestamp == expected
        assert meta.creation_timestamp is not None and meta.creation_timestamp.tzinfo is not None
        assert meta.to_dict() == {"creationTimestamp": expected.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_python_datetimes_are_written_in_utc_with_z() -> None:
    local = datetime(2024, 1, 2, 5, 4, 5, 123, tzinfo=timezone(timedelta(hours=2)))
    assert ObjectMeta(creation_timestamp=local).to_dict() == {"creationTimestamp": "2024-01-02T03:04:05Z"}


def test_a_bad_time_is_a_validation_error_at_its_field() -> None:
    with pytest.raises(ValidationError) as info:
        ObjectMeta.from_json('{"creationTimestamp": "not a time"}')
    assert models.validation_error_paths(info.value) == [
        "creationTimestamp: Input should be a time such as 2024-01-02T03:04:05Z"
    ]


# -- bytes --------------------------------------------------------------------------------------


def test_byte_fields_are_bytes_in_python_and_base64_on_the_wire() -> None:
    from_json = ImageSignature.from_json('{"type": "AtomicImageV1", "content": "aGVsbG8="}')
    from_dict = ImageSignature.from_dict({"type": "AtomicImageV1", "content": "aGVsbG8="})
    built = ImageSignature(type="AtomicImageV1", content=b"hello")
    assert from_json.content == from_dict.content == built.content == b"hello"
    assert built.to_dict()["content"] == "aGVsbG8="
    assert json.loads(built.to_json())["content"] == "aGVsbG8="


def test_byte_maps_decode_each_value() -> None:
    secret = Secret.from_json('{"data": {".dockerconfigjson": "e30="}}')
    assert secret.data == {".dockerconfigjson": b"{}"}
    assert secret.to_dict()["data"] == {".dockerconfigjson": "e30="}


def test_bad_base64_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ImageSignature.from_dict({"content": "%%%"})


# -- repr and errors ----------------------------------------------------------------------------


def test_repr_shows_only_what_is_set() -> None:
    text = repr(ImageStream(metadata=ObjectMeta(name="x")))
    assert text == "ImageStream(metadata=ObjectMeta(name='x'))"
    assert "None" not in repr(TagReference(name="a"))
    assert repr(TagReference.from_dict({"name": "a", "futureField": 1})) == "TagReference(name='a', futureField=1)"


def test_validation_error_location_uses_wire_path() -> None:
    with pytest.raises(ValidationError) as info:
        ImageStream.from_dict({"spec": {"tags": [{"name": "ok"}, {"from": {"name": 5}}]}})
    assert models.validation_error_paths(info.value) == ["spec.tags[1].from.name: Input should be a valid string"]
    assert info.value.errors()[0]["loc"] == ("spec", "tags", 1, "from", "name")


def test_wire_path_rendering() -> None:
    assert models.wire_path(("spec", "tags", 0, "from", "name")) == "spec.tags[0].from.name"
    assert models.wire_path(()) == ""


# -- the decode-time hold on full collections -----------------------------------------------


def _big_list(count: int = 20_000) -> str:
    return json.dumps({"items": [{"metadata": {"name": f"n{i}", "labels": {"a": "b"}}} for i in range(count)]})


def test_large_decodes_run_no_full_collection_and_restore_the_thresholds() -> None:
    generations: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    before = gc.get_threshold()
    big = _big_list()
    parsed = json.loads(big)
    gc.callbacks.append(record)
    try:
        decoded = models.ImageList.from_json(big)
        from_dicts = models.ImageList.from_dict(parsed)
    finally:
        gc.callbacks.remove(record)
    assert len(decoded.items or []) == len(from_dicts.items or []) == 20_000
    assert generations, "the decode should have run young-generation collections"
    assert 2 not in generations, "a full collection ran during the decode"
    assert gc.get_threshold() == before
    assert gc.isenabled()


def test_a_failed_decode_also_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    bad = json.dumps({"items": [{"metadata": {"name": 1}} for _ in range(5000)]})
    with pytest.raises(ValidationError):
        models.ImageList.from_json(bad)
    assert gc.get_threshold() == before
