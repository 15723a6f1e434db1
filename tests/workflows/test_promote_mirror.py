"""``workflows.promote`` and ``workflows.mirror`` against the fake cluster, sync and async."""

from __future__ import annotations

import pytest

from imageapi import ConflictError
from imageapi.testing import FakeCluster
from imageapi.workflows import mirror, promote
from imageapi.workflows.mirror import MirrorPlan, MirrorResult
from imageapi.workflows.promote import PreconditionFailed, PromotePlan

from .conftest import Api, latest_image, spec_tag, stream
from .test_prune import push


def test_promote_pins_each_tag_by_digest_in_one_update(api: Api) -> None:
    latest, = push(api.cluster, "app", "latest", namespace="dev")
    stable, = push(api.cluster, "app", "stable", namespace="dev")
    planned = api.call(promote.plan, "dev/app", "prod/app", {"latest": "1.0", "stable": "1"})
    assert isinstance(planned, PromotePlan)
    assert [(t.tag, t.old, t.new, t.action) for t in planned.tags] == [
        ("1.0", None, latest, "create"), ("1", None, stable, "create")]
    api.cluster.add_namespace("prod")
    before = api.cluster.resource_version
    result = api.call(promote.apply, planned)
    assert api.cluster.resource_version == before + 1  # one write for the destination stream
    assert latest_image(api.cluster, "app", "1.0", "prod") == latest
    assert spec_tag(api.cluster, "app", "1.0", "prod")["from"] == {  # type: ignore[index]
        "kind": "ImageStreamImage", "name": f"app@{latest}", "namespace": "dev"}
    assert str(result) == f"prod/app:1.0 promoted to {latest}\nprod/app:1 promoted to {stable}"
    # dev moves on; a new promotion reports old and new digest, a re-run changes nothing
    newer, = push(api.cluster, "app", "latest", namespace="dev")
    again = api.call(promote.promote, "dev/app", "prod/app", {"latest": "1.0"})
    assert [(t.old, t.new, t.action) for t in again.applied] == [(latest, newer, "update")]
    version = stream(api.cluster, "app", "prod")["metadata"]["resourceVersion"]
    rerun = api.call(promote.promote, "dev/app", "prod/app", {"latest": "1.0"})
    assert rerun.applied == () and str(rerun) == "prod/app: nothing to change"
    assert stream(api.cluster, "app", "prod")["metadata"]["resourceVersion"] == version


def test_a_failing_precondition_changes_nothing(api: Api) -> None:
    first, = push(api.cluster, "app", namespace="dev")
    api.call(promote.promote, "dev/app", "prod/app", ["latest"])
    second, = push(api.cluster, "app", namespace="dev")
    version = stream(api.cluster, "app", "prod")["metadata"]["resourceVersion"]
    with pytest.raises(PreconditionFailed) as caught:
        api.call(promote.promote, "dev/app", "prod/app", ["latest"], expect={"latest": first})
    assert (caught.value.expected, caught.value.actual) == (first, second)
    assert str(caught.value) == f"dev/app:latest is at {second}, not the expected {first}; nothing was promoted"
    assert stream(api.cluster, "app", "prod")["metadata"]["resourceVersion"] == version
    assert latest_image(api.cluster, "app", "latest", "prod") == first
    api.call(promote.promote, "dev/app", "prod/app", ["latest"], expect={"latest": second})
    assert latest_image(api.cluster, "app", "latest", "prod") == second


def test_a_stale_promotion_plan_is_refused(api: Api) -> None:
    push(api.cluster, "app", namespace="dev")
    api.call(promote.promote, "dev/app", "prod/app", ["latest"])
    push(api.cluster, "app", namespace="dev")
    planned = api.call(promote.plan, "dev/app", "prod/app", ["latest"])
    api.client.image_streams.patch("app", {"metadata": {"labels": {"x": "y"}}}, namespace="prod")
    with pytest.raises(ConflictError):
        api.call(promote.apply, planned)


def test_promote_every_tag_by_default(api: Api) -> None:
    push(api.cluster, "app", "a", namespace="dev")
    push(api.cluster, "app", "b", namespace="dev")
    planned = api.call(promote.plan, "dev/app", "prod/app")
    assert sorted(t.tag for t in planned.tags) == ["a", "b"]


def test_mirror_within_a_cluster_twice(api: Api) -> None:
    digests = {tag: push(api.cluster, "app", tag, namespace="dev")[0] for tag in ("1.0", "latest")}
    planned = api.call(mirror.plan, "dev/app", "backup/app")
    assert isinstance(planned, MirrorPlan)
    assert [(t.tag, t.action, t.pull_spec) for t in planned.tags] == [
        (tag, "import", f"quay.io/org/app@{digest}") for tag, digest in digests.items()]
    result = api.call(mirror.apply, planned)
    assert isinstance(result, MirrorResult) and result.changed
    assert {tag: latest_image(api.cluster, "app", tag, "backup") for tag in digests} == digests
    version = stream(api.cluster, "app", "backup")["metadata"]["resourceVersion"]
    second = api.call(mirror.mirror, "dev/app", "backup/app")
    assert not second.changed
    assert str(second) == "backup/app: nothing to change, every tag is in place"
    assert str(second.plan).endswith("nothing to change: every tag is in place")
    assert stream(api.cluster, "app", "backup")["metadata"]["resourceVersion"] == version


def test_mirror_to_another_cluster(api: Api) -> None:
    digest, = push(api.cluster, "app", namespace="dev")
    other = FakeCluster()
    # the same registry content, seen from the other cluster (the fake registry is deterministic)
    assert other.registry.add_image("quay.io/org/app:latest", labels={"build": "0"})["metadata"]["name"] == digest
    target = api.other(other)
    try:
        result = api.call(mirror.mirror, "dev/app", "app", to=target)
        assert [tag.digest for tag in result.imported] == [digest]
        assert latest_image(other, "app", "latest") == digest
        assert not api.call(mirror.mirror, "dev/app", "app", to=target).changed
    finally:
        api.close(target)


def test_mirror_only_named_tags(api: Api) -> None:
    push(api.cluster, "app", "a", namespace="dev")
    push(api.cluster, "app", "b", namespace="dev")
    planned = api.call(mirror.plan, "dev/app", "backup/app", tags=["b"])
    assert [t.tag for t in planned.tags] == ["b"]
    with pytest.raises(ValueError, match="has no image for tag"):
        api.call(mirror.plan, "dev/app", "backup/app", tags=["zzz"])
