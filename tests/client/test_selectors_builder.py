"""The selector builder's wire form (imageapi.selectors), without a server."""

from __future__ import annotations

import pytest

from imageapi.selectors import Requirement, field, field_selector, label, label_selector


@pytest.mark.parametrize(("selector", "wire"), [
    (label("env") == "prod", "env=prod"),
    (label("env") != "prod", "env!=prod"),
    (label("env").in_("a", "b"), "env in (a,b)"),
    (label("env").not_in("a"), "env notin (a)"),
    (label("env").exists(), "env"),
    (label("env").does_not_exist(), "!env"),
    (label("n").greater_than(2), "n>2"),
    (label("n").less_than(7), "n<7"),
    (label("a").exists() & label("b").does_not_exist() & (label("c") == "x"), "a,!b,c=x"),
    ((label("a") == "1") & (label("b") == "2"), "a=1,b=2"),
])
def test_label_requirements(selector: Requirement, wire: str) -> None:
    assert label_selector(selector) == wire


def test_label_selector_inputs() -> None:
    assert label_selector(None) is None
    assert label_selector("app=web,tier") == "app=web,tier"
    assert label_selector({"app": "web", "env": "prod"}) == "app=web,env=prod"
    assert label_selector([label("app") == "web", "tier notin (db)"]) == "app=web,tier notin (db)"


def test_field_values_are_escaped() -> None:
    assert field_selector(field("metadata.name") == "a,b=c\\d") == "metadata.name=a\\,b\\=c\\\\d"
    assert field_selector({"metadata.name": "x=y"}) == "metadata.name=x\\=y"
    assert field_selector(field("metadata.namespace") != "kube-system") == "metadata.namespace!=kube-system"
    # A string is the caller's wire form already: sent untouched.
    assert field_selector("metadata.name=a\\,b") == "metadata.name=a\\,b"


def test_misuse_is_refused() -> None:
    with pytest.raises(ValueError):
        label("env").in_()
    with pytest.raises(ValueError):
        label("")
    with pytest.raises(TypeError):
        label("n") == 3  # noqa: B015 - the comparison builds (and here refuses) a requirement
    with pytest.raises(TypeError):
        label_selector(42)  # type: ignore[arg-type]
