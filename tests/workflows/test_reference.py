"""How image references and tag chains are read (library-go's ``reference.Parse``, oc's ``FollowTagReference``)."""

from __future__ import annotations

import pytest

from imageapi._reference import ImageReference, InvalidReferenceError, parse_reference
from imageapi.workflows._streams import (
    CircularReferenceError,
    CrossStreamReferenceError,
    TagNotFoundError,
    follow_tag_reference,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(("text", "expected"), [
    ("ruby", ImageReference(name="ruby")),
    ("ruby:2.0", ImageReference(name="ruby", tag="2.0")),
    ("openshift/ruby:2.0", ImageReference(namespace="openshift", name="ruby", tag="2.0")),
    ("quay.io/org/app:1", ImageReference(registry="quay.io", namespace="org", name="app", tag="1")),
    ("quay.io/app", ImageReference(registry="quay.io", name="app")),
    ("localhost/app", ImageReference(registry="localhost", name="app")),
    ("localhost:5000/a/b/c@" + DIGEST, ImageReference(registry="localhost:5000", namespace="a", name="b/c", id=DIGEST)),
    (f"app@{DIGEST}", ImageReference(name="app", id=DIGEST)),
])
def test_references_split_as_library_go_splits_them(text: str, expected: ImageReference) -> None:
    assert parse_reference(text) == expected


def test_reference_forms() -> None:
    ref = parse_reference(f"quay.io/org/app:1@{DIGEST}")
    assert ref.exact() == f"quay.io/org/app@{DIGEST}"  # the digest wins, as NameString has it
    assert ref.repository == "quay.io/org/app"
    assert parse_reference("nginx").docker_client_defaults().exact() == "docker.io/library/nginx:latest"


@pytest.mark.parametrize("bad", ["", "Upper", "org/Upper", "app:", "app@sha256:abc", "a b", "app:tag:again"])
def test_invalid_references(bad: str) -> None:
    with pytest.raises(InvalidReferenceError):
        parse_reference(bad)


def stream(*tags: dict[str, object]) -> dict[str, object]:
    return {"metadata": {"name": "app", "namespace": "demo"}, "spec": {"tags": list(tags)}}


def test_tag_chains_are_followed_within_the_stream() -> None:
    chain = stream({"name": "latest", "from": {"kind": "ImageStreamTag", "name": "stable"}},
                   {"name": "stable", "from": {"kind": "ImageStreamTag", "name": "app:1.0"}},
                   {"name": "1.0", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}})
    final, entry, followed = follow_tag_reference(chain, "latest")
    assert (final, entry["from"]["name"], followed) == ("1.0", "quay.io/org/app:1.0", True)
    assert follow_tag_reference(chain, "1.0")[2] is False
    with pytest.raises(TagNotFoundError):
        follow_tag_reference(chain, "nope")
    with pytest.raises(CircularReferenceError):
        follow_tag_reference(stream({"name": "a", "from": {"kind": "ImageStreamTag", "name": "b"}},
                                    {"name": "b", "from": {"kind": "ImageStreamTag", "name": "a"}}), "a")
    with pytest.raises(CrossStreamReferenceError):
        follow_tag_reference(stream({"name": "a", "from": {"kind": "ImageStreamTag", "name": "other:b"}}), "a")
    with pytest.raises(CrossStreamReferenceError):
        follow_tag_reference(stream({"name": "a", "from": {"kind": "ImageStreamTag", "name": "b",
                                                           "namespace": "elsewhere"}}), "a")
