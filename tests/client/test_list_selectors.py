"""list() with label and field selectors of every operator, as strings, mappings and built requirements."""

from __future__ import annotations

from typing import Any

import pytest

from imageapi.selectors import field, label

from . import _listwatch
from ._listwatch import Consumer

# Fixtures shared with the other list and watch tests.
consumer = _listwatch.consumer

LABELS = {
    "web-prod": {"app": "web", "env": "prod", "replicas": "3"},
    "web-staging": {"app": "web", "env": "staging", "replicas": "1"},
    "db-prod": {"app": "db", "env": "prod", "canary": "true", "replicas": "5"},
    "db-qa": {"app": "db", "env": "qa"},
    "bare": {},
}


@pytest.fixture
def labelled(cluster: Any) -> Any:
    for name, labels in LABELS.items():
        cluster.create("imagestreams", {"metadata": {"name": name, "labels": labels}}, namespace="demo")
    cluster.create("imagestreams", {"metadata": {"name": "elsewhere", "labels": {"app": "web"}}},
                   namespace="other")
    return cluster


CASES = [
    ("app=web", {"web-prod", "web-staging"}),
    ("app==db", {"db-prod", "db-qa"}),
    ("env!=prod", {"web-staging", "db-qa", "bare"}),
    ("env in (prod,qa)", {"web-prod", "db-prod", "db-qa"}),
    ("env notin (prod,qa)", {"web-staging", "bare"}),
    ("canary", {"db-prod"}),
    ("!canary", {"web-prod", "web-staging", "db-qa", "bare"}),
    ("replicas>2", {"web-prod", "db-prod"}),
    ("replicas<2", {"web-staging"}),
    ({"app": "web", "env": "prod"}, {"web-prod"}),
    (label("env").in_("prod", "staging") & label("canary").does_not_exist(), {"web-prod", "web-staging"}),
    (label("env").not_in("prod"), {"web-staging", "db-qa", "bare"}),
    (label("canary").exists(), {"db-prod"}),
    ([label("app") == "db", label("env") != "qa"], {"db-prod"}),
    (label("replicas").greater_than(1) & label("replicas").less_than(5), {"web-prod"}),
    (["app=db", label("env").equals("qa")], {"db-qa"}),
]


@pytest.mark.parametrize(("selector", "expected"), CASES, ids=[str(case[0]) for case in CASES])
def test_label_selectors(client: Any, labelled: Any, consumer: Consumer, selector: Any, expected: set[str]) -> None:
    items = consumer.items(client.image_streams.list(label_selector=selector, chunk_size=2))
    assert {item.metadata.name for item in items} == expected


@pytest.mark.parametrize(("selector", "expected"), [
    ("metadata.name=db-qa", {"db-qa"}),
    ("metadata.name!=bare", set(LABELS) - {"bare"}),
    ({"metadata.name": "web-prod"}, {"web-prod"}),
    (field("metadata.name") != "web-prod", set(LABELS) - {"web-prod"}),
    (field("metadata.name") == "db-prod", {"db-prod"}),
])
def test_field_selectors(client: Any, labelled: Any, consumer: Consumer, selector: Any, expected: set[str]) -> None:
    items = consumer.items(client.image_streams.list(field_selector=selector))
    assert {item.metadata.name for item in items} == expected


def test_label_and_field_selectors_together_across_namespaces(client: Any, labelled: Any,
                                                               consumer: Consumer) -> None:
    items = consumer.items(client.image_streams.list(
        all_namespaces=True, label_selector={"app": "web"}, field_selector=field("metadata.namespace") == "other",
    ))
    assert [(item.metadata.namespace, item.metadata.name) for item in items] == [("other", "elsewhere")]


def test_selector_shortens_pages_but_the_pager_follows_the_token(client: Any, labelled: Any,
                                                                 consumer: Consumer) -> None:
    """With a selector a page can hold fewer items than the limit (even none) while more follow."""
    pages = consumer.pages(client.image_streams.list(label_selector="canary", chunk_size=1))
    assert [item.metadata.name for page in pages for item in page.items] == ["db-prod"]
    assert len(pages) >= 2
