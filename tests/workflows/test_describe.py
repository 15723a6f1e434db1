"""``workflows.describe`` (oc describe is) against the fake cluster, sync and async."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from imageapi.workflows import describe
from imageapi.workflows._streams import prioritize_tags
from imageapi.workflows.describe import StreamDescription, human_duration

from .conftest import Api, stream
from .test_prune import push


def test_describe_reads_like_oc(api: Api) -> None:
    first, second = push(api.cluster, "app", "latest", count=2)
    api.client.image_streams.tag("app:latest", "app:stable", alias=True)
    api.cluster.registry.add_image("quay.io/org/tools:1")
    api.client.image_streams.tag("quay.io/org/tools:1", "app:tools", scheduled=True, insecure=True,
                                 reference_policy="Local")
    api.client.image_streams.tag("quay.io/org/missing:1", "app:broken")
    api.client.image_streams.set_image_lookup("app")
    now = datetime.now(timezone.utc) + timedelta(hours=3)
    result = api.call(describe.describe, "app", now=now)
    assert isinstance(result, StreamDescription)
    assert [tag.name for tag in result.tags] == ["latest", "broken", "tools"]
    latest = result.tags[0]
    assert latest.followers == ("stable",)
    assert [revision.image for revision in latest.history] == [second, first]
    assert result.tags[1].failures[0].reason == "NotFound"
    assert result.unique_images == 3
    text = str(result).splitlines()
    repository = stream(api.cluster, "app")["status"]["dockerImageRepository"]
    assert text[:2] == ["Name:              app", "Namespace:         demo"]
    assert "Image Repository:  " + repository in text
    assert "Image Lookup:      local=true" in text
    assert "Unique Images:     3" in text and "Tags:              3" in text
    block = text[text.index("latest (stable)"):]
    assert block[:7] == ["latest (stable)", "  tagged from quay.io/org/app:latest", "",
                         f"  * quay.io/org/app@{second}", "      3 hours ago",
                         f"    quay.io/org/app@{first}", "      3 hours ago"]
    tools = text[text.index("tools"):]
    assert tools[1:4] == ["  updates automatically from registry quay.io/org/tools:1",
                          "    will use insecure HTTPS or HTTP connections",
                          "    prefer registry pullthrough when referencing this tag"]
    broken = text[text.index("broken"):]
    assert broken[3].startswith("  ! error: Import failed (NotFound): ")


def test_an_empty_stream(api: Api) -> None:
    api.cluster.create("imagestreams", {"metadata": {"name": "empty", "labels": {"team": "a"},
                                                     "annotations": {"description": "nothing yet"}}}, "demo")
    text = str(api.call(describe.describe, "empty"))
    assert "Tags:              <none>" in text
    assert "Labels:            team=a" in text and "Description:       nothing yet" in text


def test_tag_order_and_ages() -> None:
    assert prioritize_tags(["b", "1.10", "v2.0.1", "latest", "1.9", "2.0.0", "a", "1.10-rc1"]) == [
        "latest", "1.10", "1.10-rc1", "1.9", "v2.0.1", "2.0.0", "a", "b"]
    assert [human_duration(s) for s in (0.5, 1, 59, 60, 3599, 3600, 5400, 86400 * 3, 86400 * 20, 86400 * 90)] == [
        "Less than a second", "1 second", "59 seconds", "About a minute", "59 minutes", "About an hour",
        "2 hours", "3 days", "2 weeks", "3 months"]
