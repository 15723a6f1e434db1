"""oc's workflow verbs through the CLI (tag, import, promote, mirror, prune, set image-lookup): the
flags reach the workflows, what they did shows in the cluster, errors are one line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from imageapi.cli._workflows import parse_duration
from imageapi.testing import FakeCluster

from .conftest import Run


def _stream(cluster: FakeCluster, name: str, namespace: str = "demo") -> dict:  # type: ignore[type-arg]
    with cluster.client(namespace=namespace) as client:
        return client.image_streams.get(name).to_dict()


def _spec_tag(cluster: FakeCluster, stream: str, tag: str, namespace: str = "demo") -> dict | None:  # type: ignore[type-arg]
    for item in _stream(cluster, stream, namespace).get("spec", {}).get("tags") or []:
        if item["name"] == tag:
            return item  # type: ignore[no-any-return]
    return None


def test_tag_pins_by_default_and_tracks_with_alias(kubeconfig: Path, cluster: FakeCluster,
                                                    cli: Run) -> None:
    status, out, err = cli("tag", "hello:1.0", "hello:stable")
    assert status == 0 and err == "" and out.strip()
    pinned = _spec_tag(cluster, "hello", "stable")
    assert pinned is not None and pinned["from"]["kind"] == "ImageStreamImage"
    assert pinned["from"]["name"].startswith("hello@sha256:")

    assert cli("tag", "hello:1.0", "hello:follow", "--alias")[0] == 0
    alias = _spec_tag(cluster, "hello", "follow")
    assert alias is not None and alias["from"] == {"kind": "ImageStreamTag", "name": "hello:1.0"}

    assert cli("tag", "quay.io/example/hello:1.0", "hello:ext", "--scheduled", "--reference-policy",
               "local")[0] == 0
    external = _spec_tag(cluster, "hello", "ext")
    assert external is not None and external["from"]["kind"] == "DockerImage"
    assert external["importPolicy"].get("scheduled") is True and external["referencePolicy"]["type"] == "Local"

    status, _, _ = cli("tag", "hello:1.0", "hello:dry", "--dry-run")
    assert status == 0 and _spec_tag(cluster, "hello", "dry") is None

    assert cli("tag", "-d", "hello:follow")[0] == 0
    assert _spec_tag(cluster, "hello", "follow") is None


def test_tag_errors_are_one_line(kubeconfig: Path, cli: Run) -> None:
    status, _, err = cli("tag", "hello:1.0")
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1
    status, _, err = cli("tag", "nope:1.0", "hello:x")
    assert status == 1 and err.startswith("error: ") and err.count("\n") == 1


def test_import_creates_with_confirm(kubeconfig: Path, cluster: FakeCluster,
                                     cli: Run) -> None:
    cluster.registry.add_image("quay.io/example/app:2.0")
    status, _, err = cli("import", "app:2.0", "--from", "quay.io/example/app:2.0")
    assert status == 1 and err.startswith("error: ") and err.count("\n") == 1  # oc refuses without --confirm
    status, out, _ = cli("import", "app:2.0", "--from", "quay.io/example/app:2.0", "--confirm")
    assert status == 0 and "app" in out
    stream = _stream(cluster, "app")
    assert [t["tag"] for t in stream["status"]["tags"]] == ["2.0"]


def test_set_image_lookup(kubeconfig: Path, cluster: FakeCluster, cli: Run) -> None:
    assert cli("set", "image-lookup", "hello")[0] == 0
    assert _stream(cluster, "hello")["spec"]["lookupPolicy"] == {"local": True}
    assert cli("set", "image-lookup", "hello", "--enabled=false")[0] == 0
    assert _stream(cluster, "hello")["spec"]["lookupPolicy"] == {"local": False}
    assert cli("set", "image-lookup")[0] == 2


def test_promote_and_mirror(kubeconfig: Path, cluster: FakeCluster, cli: Run) -> None:
    cluster.add_namespace("prod")
    status, out, _ = cli("promote", "demo/hello", "prod/hello", "1.0")
    assert status == 0 and out.strip()
    promoted = _spec_tag(cluster, "hello", "1.0", namespace="prod")
    assert promoted is not None and "sha256:" in promoted["from"]["name"]
    status, _, err = cli("promote", "demo/hello", "prod/hello", "1.0", "--expect", "1.0=sha256:" + "0" * 64)
    assert status == 1 and err.startswith("error: ") and err.count("\n") == 1

    status, first, _ = cli("mirror", "demo/hello", "demo/copy")
    assert status == 0 and first.strip()
    status, second, _ = cli("mirror", "demo/hello", "demo/copy")
    assert status == 0 and second != first  # the second run says nothing changed


def test_prune_is_a_dry_run_unless_confirmed(kubeconfig: Path, cluster: FakeCluster,
                                             cli: Run) -> None:
    # Three revisions of hello:1.0; keep one.
    for version in ("1.1", "1.2"):
        cluster.registry.add_image(f"quay.io/example/hello:{version}")
        assert cli("tag", f"quay.io/example/hello:{version}", "hello:1.0")[0] == 0
    before = _stream(cluster, "hello")["status"]["tags"]
    assert max(len(t["items"]) for t in before) >= 2
    status, out, err = cli("prune", "--keep-tag-revisions", "1", "--keep-younger-than", "0s")
    assert status == 0 and "--confirm" in err and out.strip()
    assert _stream(cluster, "hello")["status"]["tags"] == before  # a dry run changes nothing
    status, out, _ = cli("prune", "--keep-tag-revisions", "1", "--keep-younger-than", "0s", "--confirm")
    assert status == 0
    assert all(len(t["items"]) == 1 for t in _stream(cluster, "hello")["status"]["tags"])


def test_durations_are_gos() -> None:
    assert parse_duration("60m") == timedelta(minutes=60)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("720h") == timedelta(days=30)
    assert parse_duration("0s") == timedelta(0)
    for bad in ("", "60", "1d", "m5"):
        with pytest.raises(Exception, match="invalid duration"):
            parse_duration(bad)
