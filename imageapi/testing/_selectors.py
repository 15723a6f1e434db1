"""Label and field selectors, parsed and matched the way the Kubernetes API server does it.

The grammars follow ``k8s.io/apimachinery/pkg/labels`` (``labels.Parse``) and
``k8s.io/apimachinery/pkg/fields`` (``fields.ParseSelector``), including their error messages, so a
client that shows the server's message to its user sees the same text against the fake. Every parse
failure is raised as a 400 ``BadRequest`` :class:`~imageapi.testing._status.StatusError`.

Label selectors::

    env=prod, tier==web, track!=canary     exact match (``!=`` also matches objects without the label)
    env in (prod, staging), env notin (qa)  set membership (``notin`` matches objects without the label)
    env, !env                               existence
    replicas>2, replicas<5                  integer comparison (the server's ``gt``/``lt``)

Field selectors: ``a=b``, ``a==b``, ``a!=b`` joined by commas; a value may contain ``\\,``, ``\\=`` and
``\\\\`` escapes. Which fields exist is the resource's business (the strategy's ``field_value``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ._status import bad_request

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "escape_field_value",
    "metadata_field_value",
    "parse_field_selector",
    "parse_label_selector",
]

# Operator spellings are those of k8s.io/apimachinery/pkg/selection.
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
IN = "in"
NOT_IN = "notin"
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"

# The order the server lists them in its "expected: …" message.
_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)


# --------------------------------------------------------------------------- name validation
# Message fragments of k8s.io/apimachinery/pkg/util/validation, which the parser quotes verbatim.

_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_RE = re.compile(f"^{_QUALIFIED_NAME_FMT}$")
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = f"({_QUALIFIED_NAME_FMT})?"
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_MAX_NAME_LENGTH = 63
_MAX_SUBDOMAIN_LENGTH = 253


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    # Go's validation.RegexError: note the doubled space before "or", which the server really sends.
    text = message + " (e.g. "
    for index, example in enumerate(examples):
        if index:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{pattern}')"


def _byte_length(text: str) -> int:
    # Go measures strings in bytes.
    return len(text.encode("utf-8"))


def _qualified_name_errors(key: str) -> list[str]:
    errors: list[str] = []
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            if _byte_length(prefix) > _MAX_SUBDOMAIN_LENGTH:
                errors.append(f"prefix part must be no more than {_MAX_SUBDOMAIN_LENGTH} characters")
            if not _DNS1123_SUBDOMAIN_RE.match(prefix):
                errors.append("prefix part " + _regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT,
                                                            "example.com"))
    else:
        return [
            "a qualified name " + _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errors.append("name part must be non-empty")
    elif _byte_length(name) > _MAX_NAME_LENGTH:
        errors.append(f"name part must be no more than {_MAX_NAME_LENGTH} characters")
    if not _QUALIFIED_NAME_RE.match(name):
        errors.append("name part " + _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name",
                                                  "123-abc"))
    return errors


def _label_value_errors(value: str) -> list[str]:
    errors: list[str] = []
    if _byte_length(value) > _MAX_NAME_LENGTH:
        errors.append(f"must be no more than {_MAX_NAME_LENGTH} characters")
    if not _LABEL_VALUE_RE.match(value):
        errors.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def _go_quote(text: str) -> str:
    # field.Invalid renders a string value with %q.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_go_int64(text: str) -> bool:
    # strconv.ParseInt(text, 10, 64): optional sign, ASCII digits, within int64.
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return False
    return -(2**63) <= int(text) < 2**63


# --------------------------------------------------------------------------- label selectors


@dataclass(frozen=True)
class Requirement:
    """One term of a label selector: ``key``, ``operator`` (``=``, ``==``, ``!=``, ``in``, ``notin``,
    ``exists``, ``!``, ``gt``, ``lt``) and ``values``, sorted and deduplicated as the server keeps them."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an object with these labels satisfies the requirement."""
        present = self.key in labels
        if self.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if self.operator in (NOT_IN, NOT_EQUALS):
            # An object without the label is "not equal" to every value.
            return not present or labels[self.key] not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        if self.operator in (GREATER_THAN, LESS_THAN):
            if not present or len(self.values) != 1:
                return False
            actual, wanted = labels[self.key], self.values[0]
            if not (_is_go_int64(actual) and _is_go_int64(wanted)):
                return False  # the server logs and treats a non-integer label as not matching
            if self.operator == GREATER_THAN:
                return int(actual) > int(wanted)
            return int(actual) < int(wanted)
        return False

    def __str__(self) -> str:
        if self.operator == EXISTS:
            return self.key
        if self.operator == DOES_NOT_EXIST:
            return "!" + self.key
        joined = ",".join(sorted(self.values))
        if self.operator in (IN, NOT_IN):
            return f"{self.key} {self.operator} ({joined})"
        symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(self.operator, self.operator)
        return f"{self.key}{symbol}{joined}"


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector: the AND of its requirements (none selects everything)."""

    requirements: list[Requirement]

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether an object with these labels (None: no labels) is selected."""
        present = labels or {}
        return all(requirement.matches(present) for requirement in self.requirements)

    @property
    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.requirements

    def __str__(self) -> str:
        """The canonical form the server prints: requirements sorted by key, values sorted."""
        return ",".join(str(requirement) for requirement in self.requirements)


class _Token(Enum):
    END = "end of string"
    CLOSED_PAR = ")"
    COMMA = ","
    DOES_NOT_EXIST = "!"
    DOUBLE_EQUALS = "=="
    EQUALS = "="
    GREATER_THAN = ">"
    IDENTIFIER = "identifier"
    IN = "in"
    LESS_THAN = "<"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    OPEN_PAR = "("


_KEYWORDS = {
    ")": _Token.CLOSED_PAR, ",": _Token.COMMA, "!": _Token.DOES_NOT_EXIST, "==": _Token.DOUBLE_EQUALS,
    "=": _Token.EQUALS, ">": _Token.GREATER_THAN, "in": _Token.IN, "<": _Token.LESS_THAN,
    "!=": _Token.NOT_EQUALS, "notin": _Token.NOT_IN, "(": _Token.OPEN_PAR,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")


def _lex(text: str) -> Iterator[tuple[_Token, str]]:
    """Tokens of a label selector, ending with END (the lexer of ``labels.Lexer``)."""
    position = 0
    length = len(text)
    while True:
        while position < length and text[position] in _WHITESPACE:
            position += 1
        if position >= length:
            yield _Token.END, ""
            return
        if text[position] in _SPECIAL:
            # Longest run of special characters that still spells an operator ("!=" but "!" "(" for "!(").
            best: tuple[_Token, str] | None = None
            end = position
            while end < length and text[end] in _SPECIAL:
                candidate = text[position:end + 1]
                if candidate in _KEYWORDS:
                    best = (_KEYWORDS[candidate], candidate)
                elif best is not None:
                    break
                end += 1
            # Every single special character is itself a token, so ``best`` is always set here.
            assert best is not None
            position += len(best[1])
            yield best
            continue
        end = position
        while end < length and text[end] not in _SPECIAL and text[end] not in _WHITESPACE:
            end += 1
        word = text[position:end]
        position = end
        yield _KEYWORDS.get(word, _Token.IDENTIFIER), word


class _SelectorSyntaxError(Exception):
    """A parse failure; its text is the server's message."""


class _LabelParser:
    """Recursive-descent parser mirroring ``labels.Parser`` (same error texts)."""

    def __init__(self, text: str) -> None:
        self._items = list(_lex(text))
        self._position = 0

    def _lookahead(self, values_context: bool) -> tuple[_Token, str]:
        token, literal = self._items[self._position]
        # Inside values, "in" and "notin" are ordinary words: `env in (in, notin)` is legal.
        if values_context and token in (_Token.IN, _Token.NOT_IN):
            token = _Token.IDENTIFIER
        return token, literal

    def _consume(self, values_context: bool) -> tuple[_Token, str]:
        item = self._lookahead(values_context)
        if self._position < len(self._items) - 1:
            self._position += 1
        return item

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self._lookahead(True)
            if token in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                try:
                    requirements.append(self._requirement())
                except _SelectorSyntaxError as error:
                    raise _SelectorSyntaxError(f"unable to parse requirement: {error}") from None
                token, literal = self._consume(True)
                if token == _Token.END:
                    return requirements
                if token == _Token.COMMA:
                    following, following_literal = self._lookahead(True)
                    if following not in (_Token.IDENTIFIER, _Token.DOES_NOT_EXIST):
                        raise _SelectorSyntaxError(f"found '{following_literal}', expected: identifier after ','")
                    continue
                raise _SelectorSyntaxError(f"found '{literal}', expected: ',' or 'end of string'")
            if token == _Token.END:
                return requirements
            raise _SelectorSyntaxError(f"found '{literal}', expected: !, identifier, or 'end of string'")

    def _requirement(self) -> Requirement:
        operator: str | None = None
        token, literal = self._consume(True)
        if token == _Token.DOES_NOT_EXIST:
            operator = DOES_NOT_EXIST
            token, literal = self._consume(True)
        if token != _Token.IDENTIFIER:
            raise _SelectorSyntaxError(f"found '{literal}', expected: identifier")
        key = literal
        key_errors = _qualified_name_errors(key)
        if key_errors:
            # The parser validates with a nil field path, which Go prints as "<nil>".
            raise _SelectorSyntaxError(f"<nil>: Invalid value: {_go_quote(key)}: {'; '.join(key_errors)}")
        if operator == DOES_NOT_EXIST:
            # `!env=x` ends the requirement at the key; the caller then trips over "=".
            return Requirement(key, DOES_NOT_EXIST)
        following, _ = self._lookahead(True)
        if following in (_Token.END, _Token.COMMA):
            return Requirement(key, EXISTS)
        operator = self._operator()
        values = self._set_values() if operator in (IN, NOT_IN) else self._exact_value()
        return _new_requirement(key, operator, values)

    def _operator(self) -> str:
        token, literal = self._consume(False)
        operators = {
            _Token.IN: IN, _Token.NOT_IN: NOT_IN, _Token.EQUALS: EQUALS, _Token.DOUBLE_EQUALS: DOUBLE_EQUALS,
            _Token.NOT_EQUALS: NOT_EQUALS, _Token.GREATER_THAN: GREATER_THAN, _Token.LESS_THAN: LESS_THAN,
        }
        if token not in operators:
            raise _SelectorSyntaxError(f"found '{literal}', expected: {', '.join(_BINARY_OPERATORS)}")
        return operators[token]

    def _set_values(self) -> set[str]:
        token, literal = self._consume(True)
        if token != _Token.OPEN_PAR:
            raise _SelectorSyntaxError(f"found '{literal}' expected: '('")
        token, literal = self._lookahead(True)
        if token in (_Token.IDENTIFIER, _Token.COMMA):
            values = self._identifier_list()
            closing, _ = self._consume(True)
            if closing != _Token.CLOSED_PAR:
                # The server quotes the token that opened the list here, not the offending one.
                raise _SelectorSyntaxError(f"found '{literal}', expected: ')'")
            return values
        if token == _Token.CLOSED_PAR:
            self._consume(True)
            return {""}  # "()" is the set holding the empty value
        raise _SelectorSyntaxError(f"found '{literal}', expected: ',', ')' or identifier")

    def _identifier_list(self) -> set[str]:
        values: set[str] = set()
        while True:
            token, literal = self._consume(True)
            if token == _Token.IDENTIFIER:
                values.add(literal)
                following, following_literal = self._lookahead(True)
                if following == _Token.COMMA:
                    continue
                if following == _Token.CLOSED_PAR:
                    return values
                raise _SelectorSyntaxError(f"found '{following_literal}', expected: ',' or ')'")
            if token == _Token.COMMA:
                # Empty members: "(,a)", "(a,)" and "(a,,b)" all hold the empty value.
                if not values:
                    values.add("")
                following, _ = self._lookahead(True)
                if following == _Token.CLOSED_PAR:
                    values.add("")
                    return values
                if following == _Token.COMMA:
                    self._consume(True)
                    values.add("")
                continue
            raise _SelectorSyntaxError(f"found '{literal}', expected: ',', or identifier")

    def _exact_value(self) -> set[str]:
        token, _ = self._lookahead(True)
        if token in (_Token.END, _Token.COMMA):
            return {""}  # "env=" selects the empty value
        token, literal = self._consume(True)
        if token == _Token.IDENTIFIER:
            return {literal}
        raise _SelectorSyntaxError(f"found '{literal}', expected: identifier")


def _new_requirement(key: str, operator: str, values: set[str]) -> Requirement:
    """``labels.NewRequirement``: validate the values for the operator (the key is already valid)."""
    ordered = sorted(values)
    errors: list[str] = []
    if operator in (GREATER_THAN, LESS_THAN):
        for index, value in enumerate(ordered):
            if not _is_go_int64(value):
                errors.append(f"values[{index}]: Invalid value: {_go_quote(value)}: "
                              "for 'Gt', 'Lt' operators, the value must be an integer")
    for index, value in enumerate(ordered):
        value_errors = _label_value_errors(value)
        if value_errors:
            errors.append(f"values[{index}][{key}]: Invalid value: {_go_quote(value)}: {'; '.join(value_errors)}")
    if errors:
        # utilerrors.Aggregate: one error is printed bare, several in brackets.
        raise _SelectorSyntaxError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return Requirement(key, operator, tuple(ordered))


def parse_label_selector(text: str) -> LabelSelector:
    """Parse a ``labelSelector`` query value; ``""`` (or only whitespace) selects everything.

    Raises a 400 :class:`StatusError` with the server's message on a syntax or validation error.
    """
    try:
        requirements = _LabelParser(text).parse()
    except _SelectorSyntaxError as error:
        raise bad_request(str(error)) from None
    # The server sorts by key (values are already sorted), which fixes the canonical string.
    requirements.sort(key=lambda requirement: requirement.key)
    return LabelSelector(requirements)


# --------------------------------------------------------------------------- field selectors


@dataclass(frozen=True)
class FieldSelector:
    """A parsed field selector: the AND of ``(field, op, value)`` with ``op`` in ``{"=", "!="}``."""

    requirements: list[tuple[str, str, str]]

    def matches(self, get_value: Callable[[str], str]) -> bool:
        """Whether an object is selected; ``get_value(field)`` returns the object's value of a field
        (``""`` when absent) and may raise a StatusError for a field the resource does not support."""
        for field, operator, value in self.requirements:
            actual = get_value(field)
            if (actual == value) != (operator == EQUALS):
                return False
        return True

    @property
    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.requirements

    def fields(self) -> list[str]:
        """The distinct field names used, in order: lets a handler reject unknown fields up front."""
        seen: list[str] = []
        for field, _, _ in self.requirements:
            if field not in seen:
                seen.append(field)
        return seen

    def exact_value(self, field: str) -> str | None:
        """The value ``field`` must equal (``fields.Selector.RequiresExactMatch``), or None."""
        for name, operator, value in self.requirements:
            if name == field and operator == EQUALS:
                return value
        return None

    def __str__(self) -> str:
        """The canonical form the server prints: terms sorted, ``==`` written ``=``, values escaped."""
        return ",".join(f"{field}{operator}{escape_field_value(value)}" for field, operator, value in self.requirements)


def metadata_field_value(obj: Mapping[str, Any], field_path: str) -> str:
    """The value of ``metadata.name`` / ``metadata.namespace``, the field selectors every kind
    supports (``""`` when unset); 400 for any other field."""
    meta = obj.get("metadata") or {}
    if field_path == "metadata.name":
        return str(meta.get("name") or "")
    if field_path == "metadata.namespace":
        return str(meta.get("namespace") or "")
    raise bad_request(f'"{field_path}" is not a known field selector: only "metadata.name", "metadata.namespace"')


def escape_field_value(value: str) -> str:
    """Escape ``\\``, ``,`` and ``=`` in a field selector value (``fields.EscapeValue``)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _split_terms(text: str) -> list[str]:
    # Commas split terms unless escaped; the escape stays in the term for the value unescaper.
    terms: list[str] = []
    start = 0
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    # The first position where an operator starts wins; at one position "!=" beats "==" beats "=".
    for index in range(len(term)):
        for operator in ("!=", "==", "="):
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator):]
    return None


def _unescape_field_value(value: str) -> str:
    if not any(char in value for char in "\\,="):
        return value
    result: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise bad_request(f"invalid field selector: invalid escape sequence: \\{char}")
            result.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Go formats the rune with %v, so the message carries its code point ("61" for "=").
            raise bad_request(f"invalid field selector: unescaped character in value: {ord(char)}")
        else:
            result.append(char)
    if escaped:
        raise bad_request("invalid field selector: invalid escape sequence: \\")
    return "".join(result)


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a ``fieldSelector`` query value; ``""`` selects everything. No whitespace is trimmed,
    as on the server (``" a=b"`` names the field ``" a"``).

    Raises a 400 :class:`StatusError` with the server's message on a syntax error.
    """
    requirements: list[tuple[str, str, str]] = []
    # The server sorts the raw terms before parsing them, which also fixes the canonical string.
    for term in sorted(_split_terms(text)) if text else []:
        if not term:
            continue
        parts = _split_term(term)
        if parts is None:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, operator, raw_value = parts
        value = _unescape_field_value(raw_value)
        requirements.append((field, NOT_EQUALS if operator == NOT_EQUALS else EQUALS, value))
    return FieldSelector(requirements)

