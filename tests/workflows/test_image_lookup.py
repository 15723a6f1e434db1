"""``image_streams.set_image_lookup`` (oc set image-lookup) against the fake cluster, sync and async."""

from __future__ import annotations

import pytest

from imageapi import ConflictError

from .conftest import Api, stream


def local(api: Api, name: str) -> bool:
    return bool(stream(api.cluster, name)["spec"]["lookupPolicy"]["local"])


def test_enable_named_streams_then_rerun_changes_nothing(api: Api) -> None:
    for name in ("mysql", "redis"):
        api.cluster.create("imagestreams", {"metadata": {"name": name}}, "demo")
    result = api.client.image_streams.set_image_lookup("mysql")
    assert str(result) == "imagestream.image.openshift.io/mysql image lookup updated"
    assert local(api, "mysql") and not local(api, "redis")
    version = stream(api.cluster, "mysql")["metadata"]["resourceVersion"]
    again = api.client.image_streams.set_image_lookup("mysql")
    assert not again.applied and str(again) == "image lookup unchanged"
    assert stream(api.cluster, "mysql")["metadata"]["resourceVersion"] == version
    api.client.image_streams.set_image_lookup("mysql", enabled=False)
    assert not local(api, "mysql")


def test_all_and_selector_and_the_table(api: Api) -> None:
    api.cluster.create("imagestreams", {"metadata": {"name": "a", "labels": {"team": "x"}}}, "demo")
    api.cluster.create("imagestreams", {"metadata": {"name": "bb"}}, "demo")
    plan = api.client.image_streams.plan_image_lookup(label_selector="team=x")
    assert [change.stream for change in plan.changes] == ["a"]
    plan = api.client.image_streams.plan_image_lookup(all=True)
    assert str(plan) == "NAME  LOCAL  CHANGE\na     false  -> true\nbb    false  -> true"
    api.client.image_streams.apply_image_lookup(plan)
    assert local(api, "a") and local(api, "bb")


def test_a_stale_plan_is_refused(api: Api) -> None:
    api.cluster.create("imagestreams", {"metadata": {"name": "a"}}, "demo")
    plan = api.client.image_streams.plan_image_lookup("a")
    api.client.image_streams.patch("a", {"metadata": {"labels": {"x": "y"}}})
    with pytest.raises(ConflictError):
        api.client.image_streams.apply_image_lookup(plan)
    assert not local(api, "a")


def test_streams_must_be_chosen(api: Api) -> None:
    with pytest.raises(ValueError, match="name at least one image stream"):
        api.client.image_streams.set_image_lookup()
