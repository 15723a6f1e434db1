"""``workflows.prune`` (oc adm prune images) against the fake cluster: each keep rule, dry run vs
confirm, stale plans, an interrupted run and its re-run; sync and async."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from imageapi.testing import FakeCluster
from imageapi.workflows import prune
from imageapi.workflows.prune import PrunePlan, PruneResult

from .conftest import Api, stream

#: Two hours from now: everything the tests create is older than the default one-hour cutoff.
LATER = datetime.now(timezone.utc) + timedelta(hours=2)


def push(cluster: FakeCluster, name: str, tag: str = "latest", count: int = 1, namespace: str = "demo") -> list[str]:
    """Import ``count`` new images into ``namespace/name:tag`` (newest last); their digests."""
    digests = []
    for _ in range(count):
        build = len(cluster.list("images"))
        source = f"quay.io/org/{name}:{tag}"
        image = cluster.registry.add_image(source, labels={"build": str(build)})
        cluster.create("imagestreamimports", {"metadata": {"name": name}, "spec": {"import": True, "images": [
            {"from": {"kind": "DockerImage", "name": source}, "to": {"name": tag}}]}}, namespace)
        digests.append(image["metadata"]["name"])
    return digests


def history(cluster: FakeCluster, name: str, tag: str = "latest", namespace: str = "demo") -> list[str]:
    for entry in stream(cluster, name, namespace).get("status", {}).get("tags") or []:
        if entry["tag"] == tag:
            return [item["image"] for item in entry["items"]]
    return []


def plan(api: Api, **kwargs: Any) -> PrunePlan:
    kwargs.setdefault("read_workloads", False)
    kwargs.setdefault("now", LATER)
    result = api.call(prune.plan, **kwargs)
    assert isinstance(result, PrunePlan)
    return result


def rules(planned: PrunePlan, name: str = "app") -> list[tuple[int, str | None, str]]:
    [entry] = [s for s in planned.streams if s.name == name]
    return [(r.position, r.rule, r.reason) for r in entry.revisions]


def test_keep_tag_revisions(api: Api) -> None:
    digests = push(api.cluster, "app", count=5)
    planned = plan(api, keep_tag_revisions=3)
    assert [(i, rule) for i, rule, _ in rules(planned)] == [
        (0, "tag-revisions"), (1, "tag-revisions"), (2, "tag-revisions"), (3, None), (4, None)]
    assert [r.image for r in planned.streams[0].removed] == digests[1::-1]
    assert str(planned).splitlines()[0] == "Deleting 2 items from image stream demo/app"


def test_keep_younger_than(api: Api) -> None:
    push(api.cluster, "app", count=3)
    planned = plan(api, keep_tag_revisions=0, now=datetime.now(timezone.utc))
    assert {rule for _, rule, _ in rules(planned)} == {"stream-younger"}
    planned = plan(api, keep_tag_revisions=0, keep_younger_than=timedelta(hours=3))
    assert {rule for _, rule, _ in rules(planned)} == {"stream-younger"}
    assert planned.empty


def test_revision_zero_of_a_tag_in_use_is_kept(api: Api) -> None:
    push(api.cluster, "app", count=3)
    planned = plan(api, keep_tag_revisions=0, references=["demo/app:latest"])
    assert rules(planned) == [(0, "tag-in-use", "tag used by reference demo/app:latest"),
                              (1, None, "pruned"), (2, None, "pruned")]


def test_an_image_in_use_is_kept_at_any_revision(api: Api) -> None:
    digests = push(api.cluster, "app", count=4)
    pull_spec = f"image-registry.openshift-image-registry.svc:5000/demo/app@{digests[0]}"
    planned = plan(api, keep_tag_revisions=1, references=[pull_spec])
    assert rules(planned)[3] == (3, "image-in-use", f"image used by reference {pull_spec}")
    assert [i for i, rule, _ in rules(planned) if rule is None] == [1, 2]


def test_a_revision_whose_image_is_gone_is_removed(api: Api) -> None:
    digests = push(api.cluster, "app", count=2)
    api.cluster.delete("images", digests[0])
    planned = plan(api, keep_tag_revisions=3)
    assert rules(planned)[1] == (1, None, "image-missing")


def test_dry_run_by_default_then_confirm(api: Api) -> None:
    digests = push(api.cluster, "app", count=4)
    version = stream(api.cluster, "app")["metadata"]["resourceVersion"]
    dry = api.call(prune.prune, keep_tag_revisions=2, read_workloads=False, now=LATER)
    assert isinstance(dry, PruneResult) and not dry.applied
    assert "Dry run enabled - no modifications will be made" in str(dry)
    assert stream(api.cluster, "app")["metadata"]["resourceVersion"] == version
    assert len(api.cluster.list("images")) == 4
    done = api.call(prune.prune, keep_tag_revisions=2, read_workloads=False, now=LATER, confirm=True)
    assert done.applied
    assert history(api.cluster, "app") == digests[:1:-1]
    assert sorted(done.deleted_images) == sorted(digests[:2])
    assert {image["metadata"]["name"] for image in api.cluster.list("images")} == set(digests[2:])
    assert str(done) == "Summary: deleted 2 image object(s), deleted 2 image stream tag item(s), updated 1 image stream(s)"
    # a re-run finds nothing to do
    assert plan(api, keep_tag_revisions=2).empty


def test_tags_left_empty_are_removed(api: Api) -> None:
    push(api.cluster, "app", tag="old", count=1)
    push(api.cluster, "app", tag="latest", count=1)
    # without its spec tag, so that the import controller does not import "old" again afterwards
    api.client.image_streams.patch("app", [{"op": "remove", "path": "/spec/tags/1"}])
    assert [t["name"] for t in stream(api.cluster, "app")["spec"]["tags"]] == ["latest"]
    planned = plan(api, keep_tag_revisions=0, references=["demo/app:latest"])
    assert planned.streams[0].emptied_tags == ("old",)
    api.call(prune.apply, planned)
    assert [t["tag"] for t in stream(api.cluster, "app")["status"]["tags"]] == ["latest"]


def test_all_false_keeps_images_not_managed_by_openshift(api: Api) -> None:
    push(api.cluster, "app", count=2)
    planned = plan(api, keep_tag_revisions=1, all=False)
    assert [(d.delete, d.rule) for d in planned.images if d.rule != "referenced"] == [(False, "not-managed")]
    managed = {"metadata": {"name": "sha256:" + "c" * 64, "annotations": {"openshift.io/image.managed": "true"}},
               "dockerImageReference": "image-registry.openshift-image-registry.svc:5000/demo/x@sha256:" + "c" * 64}
    api.cluster.create("images", managed)
    planned = plan(api, keep_tag_revisions=1, all=False)
    assert [d.name for d in planned.image_deletes] == ["sha256:" + "c" * 64]


def test_a_namespace_prunes_its_streams_and_no_images(api: Api) -> None:
    push(api.cluster, "app", count=3)
    push(api.cluster, "app", count=3, namespace="other")
    planned = plan(api, keep_tag_revisions=1, namespace="other")
    assert [(s.namespace, len(s.removed)) for s in planned.streams] == [("other", 2)]
    assert planned.images == ()


def test_a_stream_changed_after_the_plan_keeps_what_is_new(api: Api) -> None:
    digests = push(api.cluster, "app", count=3)
    planned = plan(api, keep_tag_revisions=2)
    assert [r.image for r in planned.streams[0].removed] == [digests[0]]
    newest = push(api.cluster, "app", count=1)  # pushes digests[1] out of the newest two as well
    result = api.call(prune.apply, planned)
    # only what the plan showed goes: digests[1] stays although a fresh plan would now remove it
    assert history(api.cluster, "app") == [newest[0], digests[2], digests[1]]
    assert result.updated_streams == ("demo/app",)


def test_an_image_tagged_after_the_plan_is_not_deleted(api: Api) -> None:
    digests = push(api.cluster, "app", count=3)
    planned = plan(api, keep_tag_revisions=1)
    assert sorted(d.name for d in planned.image_deletes) == sorted(digests[:2])
    api.client.image_streams.tag(f"app@{digests[0]}", "keep:it")
    result = api.call(prune.apply, planned)
    assert result.deleted_images == (digests[1],) and result.kept_images == (digests[0],)


def test_an_interrupted_run_leaves_streams_consistent_and_a_rerun_finishes(api: Api) -> None:
    for name in ("a", "b", "c"):
        push(api.cluster, name, count=3)
    before = {name: history(api.cluster, name) for name in "abc"}
    planned = plan(api, keep_tag_revisions=1)
    seen: list[tuple[int, int, str]] = []

    class Stopped(Exception):
        """The user stopped the run (Ctrl-C, a killed job)."""

    def stop_after_first(done: int, total: int, what: str) -> None:
        seen.append((done, total, what))
        if done == 1:
            raise Stopped

    with pytest.raises(Stopped):
        api.call(prune.apply, planned, progress=stop_after_first)
    assert seen == [(1, 9, "imagestream demo/a")]  # 3 stream writes and 6 image deletes planned
    assert history(api.cluster, "a") == before["a"][:1]
    assert history(api.cluster, "b") == before["b"] and history(api.cluster, "c") == before["c"]
    assert len(api.cluster.list("images")) == 9  # images go only after every stream is written
    rerun = plan(api, keep_tag_revisions=1)
    assert [s.name for s in rerun.stream_writes] == ["b", "c"]
    assert len(rerun.image_deletes) == 6
    progress: list[tuple[int, int, str]] = []
    api.call(prune.apply, rerun, progress=lambda *step: progress.append(step))
    assert progress[-1][:2] == (8, 8)
    assert plan(api, keep_tag_revisions=1).empty
    assert len(api.cluster.list("images")) == 3


def test_validation(api: Api) -> None:
    with pytest.raises(ValueError, match="keep_tag_revisions must be greater than or equal to 0"):
        plan(api, keep_tag_revisions=-1)
    with pytest.raises(ValueError, match="keep_younger_than must be greater than or equal to 0"):
        plan(api, keep_younger_than=timedelta(minutes=-1))
    with pytest.raises(ValueError, match="must name its namespace"):
        plan(api, references=["app:latest"])
