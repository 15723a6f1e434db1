"""Label and field selectors of the fake cluster: grammar, matching, canonical form and the server's errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from imageapi.testing._selectors import (
    FieldSelector,
    LabelSelector,
    Requirement,
    escape_field_value,
    parse_field_selector,
    parse_label_selector,
)
from imageapi.testing._status import StatusError

QUALIFIED_NAME_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def label_error(text: str) -> str:
    with pytest.raises(StatusError) as caught:
        parse_label_selector(text)
    assert caught.value.code == 400
    assert caught.value.reason == "BadRequest"
    return caught.value.message


def field_error(text: str) -> str:
    with pytest.raises(StatusError) as caught:
        parse_field_selector(text)
    assert caught.value.code == 400
    assert caught.value.reason == "BadRequest"
    return caught.value.message


# --------------------------------------------------------------------------- label selectors: matching

LABELS = {"env": "prod", "tier": "web", "replicas": "3", "example.com/owner": "team-a"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", True),
        ("   ", True),
        ("env=prod", True),
        ("env=dev", False),
        ("env==prod", True),
        ("env==dev", False),
        ("env!=dev", True),
        ("env!=prod", False),
        ("missing!=x", True),  # != matches objects without the label
        ("missing=x", False),
        ("env in (dev,prod)", True),
        ("env in (dev,qa)", False),
        ("missing in (a)", False),
        ("env notin (dev,qa)", True),
        ("env notin (prod)", False),
        ("missing notin (a)", True),  # notin matches objects without the label
        ("env", True),
        ("missing", False),
        ("!missing", True),
        ("!env", False),
        ("replicas>2", True),
        ("replicas>3", False),
        ("replicas<4", True),
        ("replicas<3", False),
        ("env>1", False),  # a non-integer label never compares
        ("missing>1", False),
        ("example.com/owner=team-a", True),
        ("env=prod,tier=web", True),  # AND
        ("env=prod,tier=db", False),
        ("  env = prod ,  tier in ( web , db )  ", True),  # whitespace everywhere
        ("env\t=\tprod\n,\rtier", True),
        ("missing=", False),
        ("missing!=", True),
    ],
)
def test_label_selector_matches(selector: str, expected: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is expected


def test_empty_value_matches_empty_label() -> None:
    assert parse_label_selector("env=").matches({"env": ""})
    assert not parse_label_selector("env=").matches({"env": "x"})
    assert parse_label_selector("env in ()").matches({"env": ""})
    assert parse_label_selector("env in (a,)").matches({"env": ""})


def test_keywords_are_ordinary_values_inside_lists() -> None:
    selector = parse_label_selector("env in (in,notin)")
    assert selector.matches({"env": "in"})
    assert selector.matches({"env": "notin"})
    assert parse_label_selector("env=in").matches({"env": "in"})


def test_selector_on_object_without_labels() -> None:
    assert parse_label_selector("").matches(None)
    assert parse_label_selector("!a").matches({})
    assert parse_label_selector("a!=b").matches({})
    assert not parse_label_selector("a").matches({})


def test_requirements_are_exposed() -> None:
    selector = parse_label_selector("tier in (web, db),env=prod,!gone,has")
    assert selector.requirements == [
        Requirement("env", "=", ("prod",)),
        Requirement("gone", "!"),
        Requirement("has", "exists"),
        Requirement("tier", "in", ("db", "web")),
    ]
    assert not selector.empty
    assert parse_label_selector("").empty
    assert isinstance(selector, LabelSelector)


@pytest.mark.parametrize(
    ("selector", "canonical"),
    [
        ("", ""),
        ("b=1,a=2", "a=2,b=1"),
        ("a==1", "a==1"),
        ("a != 1", "a!=1"),
        ("x in (c, a, b, a)", "x in (a,b,c)"),
        ("x notin (b,a)", "x notin (a,b)"),
        ("!x, y", "!x,y"),
        ("n > 5,m<2", "m<2,n>5"),
        ("x in (,a)", "x in (,a)"),
        ("a=", "a="),
    ],
)
def test_label_selector_canonical_form(selector: str, canonical: str) -> None:
    parsed = parse_label_selector(selector)
    assert str(parsed) == canonical
    # The canonical form parses back to the same selector.
    assert parse_label_selector(str(parsed)) == parsed


# --------------------------------------------------------------------------- label selectors: errors


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("env=prod,", "found '', expected: identifier after ','"),
        (",env", "found ',', expected: !, identifier, or 'end of string'"),
        ("=x", "found '=', expected: !, identifier, or 'end of string'"),
        ("env=prod tier", "found 'tier', expected: ',' or 'end of string'"),
        ("env=prod,=x", "found '=', expected: identifier after ','"),
        ("!env=x", "found '=', expected: ',' or 'end of string'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("!=x", "found '!=', expected: !, identifier, or 'end of string'"),
        ("env x", "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt"),
        ("env in x", "unable to parse requirement: found 'x' expected: '('"),
        ("env in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("env in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
        ("env in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("env in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("env in", "unable to parse requirement: found '' expected: '('"),
        ("env=(", "unable to parse requirement: found '(', expected: identifier"),
        ("env>", "unable to parse requirement: values[0]: Invalid value: \"\": "
                 "for 'Gt', 'Lt' operators, the value must be an integer"),
        ("env<x", "unable to parse requirement: values[0]: Invalid value: \"x\": "
                  "for 'Gt', 'Lt' operators, the value must be an integer"),
    ],
)
def test_label_selector_syntax_errors(selector: str, message: str) -> None:
    assert label_error(selector) == message


def test_invalid_key_names_the_rule() -> None:
    assert label_error("app:monolith") == (
        f'unable to parse requirement: <nil>: Invalid value: "app:monolith": {QUALIFIED_NAME_RULE}'
    )
    assert label_error("-bad=x") == f'unable to parse requirement: <nil>: Invalid value: "-bad": {QUALIFIED_NAME_RULE}'


def test_key_name_length_limit() -> None:
    assert parse_label_selector("a" * 63).matches({"a" * 63: ""})
    assert label_error("a" * 64) == (
        f'unable to parse requirement: <nil>: Invalid value: "{"a" * 64}": name part must be no more than 63 characters'
    )


def test_key_prefix_rules() -> None:
    assert parse_label_selector("app.kubernetes.io/name=x").matches({"app.kubernetes.io/name": "x"})
    message = label_error("app.kubernetes_io/name=x")
    assert message.startswith('unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part ')
    assert "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters" in message
    assert "(e.g. 'example.com', regex used for validation is" in message
    assert label_error("/name") == 'unable to parse requirement: <nil>: Invalid value: "/name": prefix part must be non-empty'
    assert label_error("a.b/") == (
        'unable to parse requirement: <nil>: Invalid value: "a.b/": name part must be non-empty; ' + QUALIFIED_NAME_RULE
    )
    too_many = label_error("a/b/c")
    assert too_many.startswith('unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must')
    assert too_many.endswith("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")


def test_invalid_values() -> None:
    assert label_error("env=-x") == f'unable to parse requirement: values[0][env]: Invalid value: "-x": {LABEL_VALUE_RULE}'
    assert label_error("env in (ok,b@d)") == (
        f'unable to parse requirement: values[0][env]: Invalid value: "b@d": {LABEL_VALUE_RULE}'
    )
    long_value = "v" * 64
    assert label_error(f"env={long_value}") == (
        f'unable to parse requirement: values[0][env]: Invalid value: "{long_value}": must be no more than 63 characters'
    )
    assert parse_label_selector(f"env={'v' * 63}").matches({"env": "v" * 63})


def test_several_invalid_values_are_aggregated() -> None:
    assert label_error("env in (-a,-b)") == (
        "unable to parse requirement: ["
        f'values[0][env]: Invalid value: "-a": {LABEL_VALUE_RULE}, '
        f'values[1][env]: Invalid value: "-b": {LABEL_VALUE_RULE}]'
    )


# --------------------------------------------------------------------------- field selectors


def values_of(obj: dict[str, str]) -> Callable[[str], str]:
    """A field getter over a flat dict, reading absent fields as "" as the server does."""
    return lambda field: obj.get(field, "")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", True),
        ("metadata.name=a", True),
        ("metadata.name==a", True),
        ("metadata.name=b", False),
        ("metadata.name!=b", True),
        ("metadata.name!=a", False),
        ("metadata.name=a,metadata.namespace=ns", True),
        ("metadata.name=a,metadata.namespace=other", False),
        ("spec.x=", True),  # an absent field reads as ""
        ("spec.x!=", False),
        (",metadata.name=a,,", True),  # empty terms are skipped
        ("metadata.name=a=b", False),
    ],
)
def test_field_selector_matches(selector: str, expected: bool) -> None:
    if selector == "metadata.name=a=b":
        # An unescaped "=" in a value is an error, not a mismatch.
        assert field_error(selector) == "invalid field selector: unescaped character in value: 61"
        return
    obj = {"metadata.name": "a", "metadata.namespace": "ns"}
    assert parse_field_selector(selector).matches(values_of(obj)) is expected


def test_field_selector_requirements_normalize_double_equals() -> None:
    selector = parse_field_selector("metadata.namespace==ns,metadata.name!=a")
    assert selector.requirements == [("metadata.name", "!=", "a"), ("metadata.namespace", "=", "ns")]
    assert isinstance(selector, FieldSelector)
    assert selector.fields() == ["metadata.name", "metadata.namespace"]
    assert selector.exact_value("metadata.namespace") == "ns"
    assert selector.exact_value("metadata.name") is None
    assert not selector.empty
    assert parse_field_selector("").empty


def test_field_selector_escapes() -> None:
    selector = parse_field_selector(r"metadata.name=a\,b\=c\\d")
    assert selector.requirements == [("metadata.name", "=", "a,b=c\\d")]
    assert selector.matches(values_of({"metadata.name": "a,b=c\\d"}))
    assert str(selector) == r"metadata.name=a\,b\=c\\d"
    assert escape_field_value("x,y=z\\") == r"x\,y\=z\\"


def test_field_selector_canonical_form() -> None:
    assert str(parse_field_selector("b==2,a!=1")) == "a!=1,b=2"
    assert str(parse_field_selector("")) == ""


def test_field_selector_keeps_whitespace_like_the_server() -> None:
    assert parse_field_selector(" a = b").requirements == [(" a ", "=", " b")]


def test_field_selector_operator_position() -> None:
    # The first operator position wins: "a=!b" is a equals "!b"; "a!=b" is a not-equals b.
    assert parse_field_selector("a=!b").requirements == [("a", "=", "!b")]
    assert parse_field_selector("a!=b").requirements == [("a", "!=", "b")]
    assert parse_field_selector("a==b").requirements == [("a", "=", "b")]


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
        ("a=b\\!", "invalid field selector: invalid escape sequence: \\!"),
        ("a=x=y", "invalid field selector: unescaped character in value: 61"),
    ],
)
def test_field_selector_errors(selector: str, message: str) -> None:
    assert field_error(selector) == message


def test_field_selector_propagates_unknown_field_errors() -> None:
    def strict(field: str) -> str:
        if field != "metadata.name":
            raise StatusError(400, "BadRequest", f'"{field}" is not a known field selector')
        return "a"

    selector = parse_field_selector("spec.unknown=x")
    with pytest.raises(StatusError):
        selector.matches(strict)
