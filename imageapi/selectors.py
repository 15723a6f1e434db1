"""Building label and field selectors on the client side.

Every ``label_selector=`` / ``field_selector=`` argument of ``list``, ``watch`` and
``delete_collection`` accepts:

* a string, sent as is (``"app=web,tier in (a,b)"``);
* a mapping of exact matches (``{"app": "web"}`` → ``app=web``);
* a requirement or a combination of them, built with this module::

      from imageapi.selectors import label, field

      label("env").in_("prod", "staging") & label("canary").does_not_exist()
      # env in (prod,staging),!canary
      [label("app") == "web", label("tier") != "db"]          # a list means "all of these"
      field("metadata.name") == "app"                          # field selectors: ==, != only

Requirements are joined with commas, which the server reads as a logical AND. Label keys and values
cannot contain commas or parentheses, so they are written as given (the server validates them);
field values are escaped the way ``fields.EscapeValue`` does (``\\``, ``,`` and ``=``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "FieldKey",
    "LabelKey",
    "Requirement",
    "Selector",
    "SelectorInput",
    "escape_field_value",
    "field",
    "field_selector",
    "label",
    "label_selector",
]


def escape_field_value(value: str) -> str:
    """Escape ``\\``, ``,`` and ``=`` in a field selector value, as the API server expects."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


@dataclass(frozen=True)
class Requirement:
    """One term of a selector, already in its wire form (``env in (a,b)``, ``!canary``)."""

    text: str

    def __and__(self, other: Requirement | Selector) -> Selector:
        return Selector((self,)) & other

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Selector:
    """Requirements that must all hold (joined with commas on the wire)."""

    requirements: tuple[Requirement, ...]

    def __and__(self, other: Requirement | Selector) -> Selector:
        extra = (other,) if isinstance(other, Requirement) else other.requirements
        return Selector(self.requirements + extra)

    def __str__(self) -> str:
        return ",".join(requirement.text for requirement in self.requirements)


def _as_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"selector values are strings, not {type(value).__name__}")
    return value


def _check_values(values: tuple[str, ...]) -> None:
    if not values:
        raise ValueError("a set-based requirement needs at least one value")
    for value in values:
        _as_str(value)


class _ComparableKey:
    """Equality requirements, shared by label keys and field paths: ``==``/``!=`` build a
    :class:`Requirement` (they do not compare keys), as do :meth:`equals` and :meth:`not_equals`."""

    def _compare(self, operator: str, value: str) -> Requirement:
        """The requirement ``<key><operator><value>``, the value in its wire form."""
        raise NotImplementedError

    def __eq__(self, value: object) -> Requirement:  # type: ignore[override]
        return self._compare("=", _as_str(value))

    def __ne__(self, value: object) -> Requirement:  # type: ignore[override]
        return self._compare("!=", _as_str(value))

    # Hashed by identity: ``==`` answers with a (truthy) Requirement, so a value hash would make a
    # dict or set take two different keys whose hashes collide for the same key.
    __hash__ = object.__hash__

    def equals(self, value: str) -> Requirement:
        """``key=value``: the label is present with this value, the field has it (escaped)."""
        return self._compare("=", value)

    def not_equals(self, value: str) -> Requirement:
        """``key!=value``: the label is absent or has another value, the field has another (escaped)."""
        return self._compare("!=", value)


# eq=False: the comparisons are _ComparableKey's, a generated __eq__ would replace them.
@dataclass(frozen=True, eq=False)
class LabelKey(_ComparableKey):
    """A label key, ready to become a requirement: ``label("env").in_("a", "b")``."""

    key: str

    def _compare(self, operator: str, value: str) -> Requirement:
        return Requirement(f"{self.key}{operator}{value}")

    def in_(self, *values: str) -> Requirement:
        """``key in (v1,v2)``: the label is present with one of these values."""
        _check_values(values)
        return Requirement(f"{self.key} in ({','.join(values)})")

    def not_in(self, *values: str) -> Requirement:
        """``key notin (v1,v2)``: the label is absent or has none of these values."""
        _check_values(values)
        return Requirement(f"{self.key} notin ({','.join(values)})")

    def exists(self) -> Requirement:
        """``key``: the label is present, whatever its value."""
        return Requirement(self.key)

    def does_not_exist(self) -> Requirement:
        """``!key``: the label is absent."""
        return Requirement(f"!{self.key}")

    def greater_than(self, value: int) -> Requirement:
        """``key>value``: the label holds an integer greater than ``value``."""
        return Requirement(f"{self.key}>{int(value)}")

    def less_than(self, value: int) -> Requirement:
        """``key<value``: the label holds an integer less than ``value``."""
        return Requirement(f"{self.key}<{int(value)}")


@dataclass(frozen=True, eq=False)
class FieldKey(_ComparableKey):
    """A field path, ready to become a requirement: ``field("metadata.name") == "app"``."""

    path: str

    def _compare(self, operator: str, value: str) -> Requirement:
        return Requirement(f"{self.path}{operator}{escape_field_value(value)}")


def label(key: str) -> LabelKey:
    """Start a label requirement on ``key`` (``label("env").in_("prod")``)."""
    if not key:
        raise ValueError("a label key must not be empty")
    return LabelKey(key)


def field(path: str) -> FieldKey:
    """Start a field requirement on ``path`` (``field("metadata.namespace") != "kube-system"``)."""
    if not path:
        raise ValueError("a field path must not be empty")
    return FieldKey(path)


SelectorInput: TypeAlias = str | Mapping[str, str] | Requirement | Selector | Iterable[Requirement | str]
"""What a ``label_selector=``/``field_selector=`` argument accepts."""


def _to_string(selector: SelectorInput | None, *, escape_values: bool) -> str | None:
    if selector is None:
        return None
    if isinstance(selector, str):
        return selector
    if isinstance(selector, (Requirement, Selector)):
        return str(selector)
    if isinstance(selector, Mapping):
        escape = escape_field_value if escape_values else _as_str
        return ",".join(f"{key}={escape(_as_str(value))}" for key, value in selector.items())
    if isinstance(selector, Iterable):
        return ",".join(map(str, selector))  # strings as they are, requirements in their wire form
    raise TypeError(f"a selector is a string, a mapping or requirements, not {type(selector).__name__}")


def label_selector(selector: SelectorInput | None) -> str | None:
    """The wire form of a label selector argument (None stays None: no selection)."""
    return _to_string(selector, escape_values=False)


def field_selector(selector: SelectorInput | None) -> str | None:
    """The wire form of a field selector argument; mapping values are escaped."""
    return _to_string(selector, escape_values=True)
