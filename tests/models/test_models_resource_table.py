"""The generated resource table says what the real server serves (server-semantics §1)."""

from __future__ import annotations

import pytest

from imageapi._resource_info import ResourceInfo
from imageapi._resource_table import RESOURCES

ALL_VERBS = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}


def test_every_resource_of_the_group_is_there() -> None:
    assert set(RESOURCES) == {
        "images",
        "imagesignatures",
        "imagestreams",
        "imagestreamtags",
        "imagetags",
        "imagestreamimages",
        "imagestreamimports",
        "imagestreammappings",
    }
    for plural, info in RESOURCES.items():
        assert isinstance(info, ResourceInfo)
        assert info.plural == plural
        assert info.api_version == "image.openshift.io/v1"


@pytest.mark.parametrize(
    ("plural", "verbs"),
    [
        ("images", ALL_VERBS),
        ("imagestreams", ALL_VERBS),
        ("imagesignatures", {"create", "delete"}),
        ("imagestreamtags", {"create", "delete", "get", "list", "patch", "update"}),
        ("imagetags", {"create", "delete", "get", "list", "patch", "update"}),
        ("imagestreamimages", {"get"}),
        ("imagestreamimports", {"create"}),
        ("imagestreammappings", {"create"}),
    ],
)
def test_verbs_follow_the_server(plural: str, verbs: set[str]) -> None:
    assert RESOURCES[plural].verbs == verbs


def test_no_watch_on_virtual_tag_resources_and_no_chunking() -> None:
    for plural in ("imagestreamtags", "imagetags"):
        info = RESOURCES[plural]
        assert not info.supports("watch")
        assert not info.supports("deletecollection")
        assert info.list_chunking is False
    assert RESOURCES["imagestreams"].list_chunking is True


@pytest.mark.parametrize(
    ("plural", "kind", "namespaced", "short_names"),
    [
        ("images", "Image", False, ()),
        ("imagesignatures", "ImageSignature", False, ()),
        ("imagestreams", "ImageStream", True, ("is",)),
        ("imagestreamtags", "ImageStreamTag", True, ("istag",)),
        ("imagetags", "ImageTag", True, ("itag",)),
        ("imagestreamimages", "ImageStreamImage", True, ("isimage",)),
        ("imagestreamimports", "ImageStreamImport", True, ()),
        ("imagestreammappings", "ImageStreamMapping", True, ()),
    ],
)
def test_kind_scope_and_short_names(plural: str, kind: str, namespaced: bool, short_names: tuple[str, ...]) -> None:
    info = RESOURCES[plural]
    assert (info.kind, info.namespaced, info.short_names) == (kind, namespaced, short_names)


def test_imagestreams_are_in_category_all() -> None:
    assert RESOURCES["imagestreams"].categories == ("all",)


def test_imagestreammapping_create_answers_a_status() -> None:
    assert RESOURCES["imagestreammappings"].create_response_type == "Status"
    assert RESOURCES["imagestreams"].create_response_type == "ImageStream"


def test_imagestream_subresources() -> None:
    subs = RESOURCES["imagestreams"].subresources
    assert set(subs) == {"status", "layers", "secrets"}
    assert subs["status"].verbs == {"get", "patch", "update"}
    assert (subs["layers"].verbs, subs["layers"].response_type) == ({"get"}, "ImageStreamLayers")
    assert (subs["secrets"].verbs, subs["secrets"].response_type) == ({"get"}, "SecretList")
    assert subs["layers"].request_type is None


def test_list_kinds() -> None:
    assert RESOURCES["images"].list_kind == "ImageList"
    assert RESOURCES["imagestreamtags"].list_kind == "ImageStreamTagList"
    assert RESOURCES["imagestreammappings"].list_kind is None


def test_every_named_type_is_a_model() -> None:
    import imageapi.models as models

    for info in RESOURCES.values():
        names = {info.kind, info.list_kind, info.create_response_type}
        for sub in info.subresources.values():
            names |= {sub.kind, sub.request_type, sub.response_type}
        for name in names - {None}:
            assert issubclass(getattr(models, str(name)), models.ApiModel), name
