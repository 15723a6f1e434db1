"""A small YAML-subset loader for kubeconfig files (PyYAML is not a runtime dependency).

Supported, which covers what ``kubectl config`` writes and what people hand-edit:

* one document, optionally opened by ``---`` (and closed by ``...``); ``%`` directives are skipped;
* block mappings and block sequences, including ``- key: value`` items holding mappings and
  sequences written at the same indentation as their parent key;
* plain scalars (possibly continued on more-indented lines), single-quoted (``''`` escape) and
  double-quoted scalars with YAML escapes (``\\n \\t \\" \\\\ \\xXX \\uXXXX \\UXXXXXXXX`` …), both
  possibly spanning lines;
* ``#`` comments; flow collections ``[]``/``{}`` (nested, possibly spanning lines);
* literal ``|`` and folded ``>`` block scalars with chomping (``-``/``+``) and indentation indicators;
* YAML 1.1 implicit types as PyYAML resolves them: null (``~``, ``null``, empty), booleans
  (``true``/``false``/``yes``/``no``/``on``/``off`` in their three spellings), ints (decimal, ``0x``,
  ``0b``, leading-zero octal), floats (``1.5``, ``.inf``, ``.nan``). Timestamps and sexagesimal
  numbers (``12:30``) stay strings, as Kubernetes reads them;
* JSON input (it is tried first when the text starts with ``{`` or ``[``).

Not supported, and rejected with an error: anchors, aliases, tags, complex (``?``) keys, several
documents, tabs used for indentation, duplicate keys. Errors are :class:`YAMLError` with the line
(and column) where the problem is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["YAMLError", "load"]


class YAMLError(ValueError):
    """The text is not YAML this loader understands; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.problem = message
        self.line = line
        self.column = column
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(where + message)


def load(text: str | bytes) -> Any:
    """Parse one YAML (or JSON) document into dicts, lists, str, int, float, bool and None."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YAMLError(f"not UTF-8 text: {exc}") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style is not always JSON: parse it as YAML below
    return _Parser(text).parse()


# --- scalar resolution (the YAML 1.1 rules PyYAML's SafeLoader applies) ---------------------------

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
_FALSE = frozenset({"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
_INT_DEC = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_INT_HEX = re.compile(r"([-+]?)0x([0-9a-fA-F_]+)")
_INT_OCT = re.compile(r"([-+]?)0([0-7_]+)")
_INT_BIN = re.compile(r"([-+]?)0b([01_]+)")
_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?")
_INF = re.compile(r"([-+]?)\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")


def _resolve_plain(value: str) -> Any:
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT_DEC.fullmatch(value):
        return int(value.replace("_", ""))
    for pattern, base in ((_INT_HEX, 16), (_INT_BIN, 2), (_INT_OCT, 8)):
        match = pattern.fullmatch(value)
        if match:
            sign, digits = match.groups()
            number = int(digits.replace("_", ""), base)
            return -number if sign == "-" else number
    if _FLOAT.fullmatch(value):
        return float(value.replace("_", ""))
    match = _INF.fullmatch(value)
    if match:
        return float("-inf") if match.group(1) == "-" else float("inf")
    if _NAN.fullmatch(value):
        return float("nan")
    return value


# --- quoted scalars and flow collections: character-level, may span lines --------------------------

_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
    "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


class _Source:
    """Text from some position to the end of the document, with a way to report line numbers."""

    def __init__(self, text: str, first_line: int, first_column: int) -> None:
        self.text = text
        self.first_line = first_line  # 0-based line index of text[0]
        self.first_column = first_column  # 0-based column of text[0]

    def error(self, message: str, pos: int) -> YAMLError:
        before = self.text[:pos]
        line = self.first_line + before.count("\n")
        column = pos - (before.rfind("\n") + 1) if "\n" in before else self.first_column + pos
        return YAMLError(message, line + 1, column + 1)


def _fold_break(text: str, pos: int, out: list[str]) -> int:
    """At a line break inside a quoted scalar: fold it (one break → space, n empty lines → n breaks)."""
    while out and out[-1] in (" ", "\t"):
        out.pop()
    empty_lines = 0
    pos += 1
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == "\n":
            empty_lines += 1
            pos += 1
            continue
        break
    out.append("\n" * empty_lines if empty_lines else " ")
    return pos


def _parse_double_quoted(src: _Source, pos: int) -> tuple[str, int]:
    text = src.text
    start = pos
    pos += 1
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\":
            if pos + 1 >= len(text):
                break
            code = text[pos + 1]
            if code == "\n":  # an escaped line break joins the lines without a space
                pos += 2
                while pos < len(text) and text[pos] in " \t":
                    pos += 1
                continue
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                pos += 2
                continue
            if code in _HEX_ESCAPES:
                width = _HEX_ESCAPES[code]
                digits = text[pos + 2: pos + 2 + width]
                if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                    raise src.error(f"bad escape \\{code}{digits}", pos)
                out.append(chr(int(digits, 16)))
                pos += 2 + width
                continue
            raise src.error(f"unknown escape \\{code}", pos)
        if char == "\n":
            pos = _fold_break(text, pos, out)
            continue
        out.append(char)
        pos += 1
    raise src.error("unterminated double-quoted string", start)


def _parse_single_quoted(src: _Source, pos: int) -> tuple[str, int]:
    text = src.text
    start = pos
    pos += 1
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "'":
            if text[pos + 1: pos + 2] == "'":
                out.append("'")
                pos += 2
                continue
            return "".join(out), pos + 1
        if char == "\n":
            pos = _fold_break(text, pos, out)
            continue
        out.append(char)
        pos += 1
    raise src.error("unterminated single-quoted string", start)


def _skip_space(src: _Source, pos: int) -> int:
    """Skip whitespace, line breaks and comments inside a flow collection."""
    text = src.text
    while pos < len(text):
        char = text[pos]
        if char in " \t\n":
            pos += 1
        elif char == "#" and (pos == 0 or text[pos - 1] in " \t\n"):
            newline = text.find("\n", pos)
            pos = len(text) if newline < 0 else newline
        else:
            break
    return pos


_FLOW_STOP = ",[]{}"


def _parse_flow_node(src: _Source, pos: int) -> tuple[Any, int]:
    text = src.text
    pos = _skip_space(src, pos)
    if pos >= len(text):
        raise src.error("unexpected end of document inside a flow collection", pos)
    char = text[pos]
    if char == "[":
        return _parse_flow_sequence(src, pos)
    if char == "{":
        return _parse_flow_mapping(src, pos)
    if char == '"':
        return _parse_double_quoted(src, pos)
    if char == "'":
        return _parse_single_quoted(src, pos)
    if char in "&*!":
        raise src.error("anchors, aliases and tags are not supported", pos)
    if char in "]},":
        raise src.error(f"unexpected {char!r}", pos)
    pieces: list[str] = []
    end = start = pos
    while end < len(text):
        char = text[end]
        if char == "\n":
            # A plain scalar may continue on the next line: fold the break like a quoted one.
            ahead = _skip_blank_lines(text, end)
            if ahead < len(text) and not _ends_flow_plain(text, ahead):
                pieces.append(text[start:end].rstrip())
                pieces.append("\n" * (text.count("\n", end, ahead) - 1) or " ")
                end = start = ahead
                continue
            break
        if char in _FLOW_STOP or _ends_flow_plain(text, end):
            break
        end += 1
    pieces.append(text[start:end].rstrip())
    value = "".join(pieces).strip()
    return (_resolve_plain(value) if len(pieces) == 1 else value), end


def _skip_blank_lines(text: str, pos: int) -> int:
    """From a line break, the position of the next non-blank character (or the end)."""
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    return pos


def _ends_flow_plain(text: str, pos: int) -> bool:
    """Whether a plain scalar in a flow collection stops at ``pos``."""
    char = text[pos]
    if char in _FLOW_STOP:
        return True
    if char == ":" and (pos + 1 >= len(text) or text[pos + 1] in " \t\n" + _FLOW_STOP):
        return True
    return char == "#" and pos > 0 and text[pos - 1] in " \t\n"


def _parse_flow_sequence(src: _Source, pos: int) -> tuple[list[Any], int]:
    text = src.text
    start = pos
    items: list[Any] = []
    pos += 1
    while True:
        pos = _skip_space(src, pos)
        if pos >= len(text):
            raise src.error("unterminated flow sequence (missing ']')", start)
        if text[pos] == "]":
            return items, pos + 1
        item, pos = _parse_flow_node(src, pos)
        items.append(item)
        pos = _skip_space(src, pos)
        if pos >= len(text):
            raise src.error("unterminated flow sequence (missing ']')", start)
        if text[pos] == ",":
            pos += 1
        elif text[pos] != "]":
            raise src.error("expected ',' or ']' in a flow sequence", pos)


def _parse_flow_mapping(src: _Source, pos: int) -> tuple[dict[Any, Any], int]:
    text = src.text
    start = pos
    result: dict[Any, Any] = {}
    pos += 1
    while True:
        pos = _skip_space(src, pos)
        if pos >= len(text):
            raise src.error("unterminated flow mapping (missing '}')", start)
        if text[pos] == "}":
            return result, pos + 1
        key_pos = pos
        key, pos = _parse_flow_node(src, pos)
        if isinstance(key, (dict, list)):
            raise src.error("collections as mapping keys are not supported", key_pos)
        pos = _skip_space(src, pos)
        value: Any = None
        if pos < len(text) and text[pos] == ":":
            pos = _skip_space(src, pos + 1)
            if pos < len(text) and text[pos] not in ",}":
                value, pos = _parse_flow_node(src, pos)
                pos = _skip_space(src, pos)
        if key in result:
            raise src.error(f"duplicate key {key!r}", key_pos)
        result[key] = value
        if pos >= len(text):
            raise src.error("unterminated flow mapping (missing '}')", start)
        if text[pos] == ",":
            pos += 1
        elif text[pos] != "}":
            raise src.error("expected ',' or '}' in a flow mapping", pos)


# --- the block structure: line by line, by indentation ---------------------------------------------

_BLOCK_HEADER = re.compile(r"([|>])([-+]?)([1-9]?)([-+]?)\s*(#.*)?")


def _is_sequence_item(text: str) -> bool:
    return text == "-" or text.startswith(("- ", "-\t"))


def _strip_comment(text: str) -> str:
    """A plain scalar without its trailing `` # comment``."""
    match = re.search(r"[ \t]#", text)
    return (text[: match.start()] if match else text).rstrip()


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()  # the final line break ends the last line; it does not start another
        self.pos = 0  # index of the next unconsumed line
        # A "- " item's content is re-read as if it were a line of its own at its own column.
        self.overrides: dict[int, int] = {}
        self._trim_document_markers()

    # -- lines ------------------------------------------------------------------------------------
    def _trim_document_markers(self) -> None:
        """Blank out directives and the ``---`` line (keeping the columns of anything after it), and
        drop everything from ``...`` on."""
        seen_start = seen_content = False
        for index, raw in enumerate(self.lines):
            if raw.startswith("%") and not (seen_start or seen_content):
                self.lines[index] = ""
            elif raw == "---" or raw.startswith(("--- ", "---\t")):
                if seen_start or seen_content:
                    raise YAMLError("several documents in one file are not supported", index + 1)
                seen_start = True
                self.lines[index] = "   " + raw[3:] if raw[3:].strip() else ""
                seen_content = bool(raw[3:].strip())
            elif raw == "..." or raw.startswith(("... ", "...\t")):
                self.lines = self.lines[:index]
                return
            elif raw.strip() and not raw.strip().startswith("#"):
                seen_content = True

    def indent(self, index: int) -> int:
        if index in self.overrides:
            return self.overrides[index]
        raw = self.lines[index]
        return len(raw) - len(raw.lstrip(" "))

    def content(self, index: int) -> str:
        return self.lines[index][self.indent(index):].rstrip()

    def next_significant(self) -> int | None:
        index = self.pos
        while index < len(self.lines):
            text = self.lines[index].strip()
            if text and not text.startswith("#"):
                raw = self.lines[index]
                if index not in self.overrides and raw[: len(raw) - len(raw.lstrip())].count("\t"):
                    raise YAMLError("tabs are not allowed in indentation", index + 1)
                return index
            index += 1
        return None

    # -- nodes ------------------------------------------------------------------------------------
    def parse(self) -> Any:
        value = self.parse_node(-1)
        leftover = self.next_significant()
        if leftover is not None:
            raise YAMLError("unexpected content (check the indentation)", leftover + 1, self.indent(leftover) + 1)
        return value

    def parse_node(self, parent_indent: int) -> Any:
        """The block node on the next significant line, which must be indented beyond the parent."""
        index = self.next_significant()
        if index is None or self.indent(index) <= parent_indent:
            return None
        indent, text = self.indent(index), self.content(index)
        if _is_sequence_item(text):
            return self.parse_sequence(indent)
        if self.split_key(index) is not None:
            return self.parse_mapping(indent)
        self.pos = index + 1
        return self.parse_value(index, indent, parent_indent, mapping_value=False)

    def split_key(self, index: int) -> tuple[Any, int] | None:
        """For a ``key: value`` line: the key and the column where the value starts."""
        indent, text = self.indent(index), self.content(index)
        if text[:1] in ("'", '"'):
            src = _Source(text, index, indent)
            try:
                key, end = (_parse_double_quoted if text[0] == '"' else _parse_single_quoted)(src, 0)
            except YAMLError:
                return None  # a quoted scalar that continues on the next line
            rest = text[end:].lstrip()
            if rest[:1] == ":" and (len(rest) == 1 or rest[1] in " \t"):
                return key, indent + len(text) - len(rest) + 1
            return None
        if text[:1] in ("[", "{", "|", ">", "#"):
            return None
        if text.startswith("? ") or text == "?":
            raise YAMLError("complex mapping keys ('? ') are not supported", index + 1, indent + 1)
        match = re.search(r":(?:[ \t]|$)", text)
        if not match:
            return None
        comment = re.search(r"[ \t]#", text)
        if comment and comment.start() < match.start():
            return None
        key_text = text[: match.start()].rstrip()
        if key_text[:1] in ("&", "*", "!"):
            raise YAMLError("anchors, aliases and tags are not supported", index + 1, indent + 1)
        key = _resolve_plain(key_text)
        if key_text == "<<":
            raise YAMLError("merge keys ('<<') are not supported", index + 1, indent + 1)
        return key, indent + match.end()

    def parse_mapping(self, indent: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        while True:
            index = self.next_significant()
            if index is None or self.indent(index) < indent:
                return result
            if self.indent(index) > indent:
                raise YAMLError("unexpected indentation", index + 1, self.indent(index) + 1)
            if _is_sequence_item(self.content(index)):
                raise YAMLError("a sequence item where a mapping key was expected", index + 1, indent + 1)
            split = self.split_key(index)
            if split is None:
                raise YAMLError("expected 'key: value'", index + 1, indent + 1)
            key, value_column = split
            if key in result:
                raise YAMLError(f"duplicate key {key!r}", index + 1, indent + 1)
            self.pos = index + 1
            result[key] = self.parse_value(index, value_column, indent, mapping_value=True)

    def parse_sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while True:
            index = self.next_significant()
            if index is None or self.indent(index) < indent:
                return items
            if self.indent(index) > indent:
                raise YAMLError("unexpected indentation", index + 1, self.indent(index) + 1)
            text = self.content(index)
            if not _is_sequence_item(text):
                return items  # a key after a sequence written at its parent key's indentation
            after_dash = text[1:]
            item_text = after_dash.lstrip(" \t")
            column = indent + 1 + len(after_dash) - len(item_text)
            if not item_text or item_text.startswith("#"):
                self.pos = index + 1
                items.append(self.parse_node(indent))
                continue
            self.overrides[index] = column
            if _is_sequence_item(item_text) or self.split_key(index) is not None:
                items.append(self.parse_node(indent))
            else:
                self.pos = index + 1
                items.append(self.parse_value(index, column, indent, mapping_value=False))

    def parse_value(self, index: int, column: int, parent_indent: int, *, mapping_value: bool) -> Any:
        """The value that starts at ``column`` of line ``index`` (the line is already consumed)."""
        rest = self.lines[index][column:].strip()
        if not rest or rest.startswith("#"):
            following = self.next_significant()
            if following is None:
                return None
            if self.indent(following) > parent_indent:
                return self.parse_node(parent_indent)
            if mapping_value and self.indent(following) == parent_indent and _is_sequence_item(
                self.content(following)
            ):
                return self.parse_sequence(parent_indent)
            return None
        start = column + (len(self.lines[index][column:]) - len(self.lines[index][column:].lstrip()))
        first = rest[0]
        if first in "|>":
            return self.parse_block_scalar(index, rest, parent_indent)
        if first in "&*!":
            raise YAMLError("anchors, aliases and tags are not supported", index + 1, start + 1)
        if first in "@`":
            raise YAMLError(f"a plain scalar cannot start with {first!r}", index + 1, start + 1)
        if first in "[{\"'":
            parser: Callable[[_Source, int], tuple[Any, int]] = {
                "[": _parse_flow_sequence, "{": _parse_flow_mapping,
                '"': _parse_double_quoted, "'": _parse_single_quoted,
            }[first]
            return self.parse_spanning(index, start, parser)
        if mapping_value and _is_sequence_item(rest):
            raise YAMLError("a sequence cannot start on the line of its mapping key", index + 1, start + 1)
        return self.parse_plain(index, start, rest, parent_indent)

    def parse_spanning(self, index: int, column: int, parser: Callable[[_Source, int], tuple[Any, int]]) -> Any:
        """Parse a quoted scalar or flow collection that may continue over the following lines."""
        text = self.lines[index][column:]
        src = _Source(text, index, column)
        try:
            value, end = parser(src, 0)  # most values close on their own line: no need to join the rest
        except YAMLError:
            text = "\n".join([text, *self.lines[index + 1:]])
            src = _Source(text, index, column)
            value, end = parser(src, 0)
        end_line = index + text.count("\n", 0, end)
        line_end = text.find("\n", end)
        trailing = text[end: len(text) if line_end < 0 else line_end]
        if trailing.strip() and not re.match(r"[ \t]+#", trailing):
            raise src.error("unexpected text after the value", end + len(trailing) - len(trailing.lstrip()))
        self.pos = end_line + 1
        return value

    def parse_plain(self, index: int, column: int, rest: str, parent_indent: int) -> Any:
        value = _strip_comment(rest)
        if re.search(r":(?:[ \t]|$)", value):
            raise YAMLError("mapping values are not allowed here (quote the value?)", index + 1, column + 1)
        if value != rest:
            return _resolve_plain(value)  # a comment ends the scalar
        parts = [value]
        empty_lines = 0
        lookahead = self.pos
        while lookahead < len(self.lines):
            raw = self.lines[lookahead]
            stripped = raw.strip()
            if not stripped:
                empty_lines += 1
                lookahead += 1
                continue
            if self.indent(lookahead) <= parent_indent or stripped.startswith("#"):
                break
            piece = _strip_comment(stripped)
            if re.search(r":(?:[ \t]|$)", piece):
                raise YAMLError("mapping values are not allowed here (quote the value?)", lookahead + 1)
            parts.append("\n" * empty_lines if empty_lines else " ")
            parts.append(piece)
            empty_lines = 0
            lookahead += 1
            self.pos = lookahead
            if piece != stripped:
                break
        if len(parts) == 1:
            return _resolve_plain(value)
        return "".join(parts)  # a multi-line plain scalar is always a string

    def parse_block_scalar(self, index: int, header: str, parent_indent: int) -> str:
        match = _BLOCK_HEADER.fullmatch(header)
        if not match or (match.group(2) and match.group(4)):
            raise YAMLError(f"bad block scalar header {header!r}", index + 1)
        style, chomp, explicit = match.group(1), match.group(2) or match.group(4), match.group(3)
        content_indent = max(parent_indent, 0) + int(explicit) if explicit else None
        body: list[str] = []
        line_index = index + 1
        while line_index < len(self.lines):
            raw = self.lines[line_index]
            if raw.strip():
                indent = len(raw) - len(raw.lstrip(" "))
                if content_indent is None:
                    content_indent = indent  # the first non-empty line sets the indentation
                if indent < content_indent or indent <= parent_indent:
                    break
            body.append(raw)
            line_index += 1
        lines = [line[content_indent or 0:] for line in body]
        trailing = 0
        while lines and not lines[-1].strip():
            lines.pop()
            trailing += 1
        consumed = len(body) - trailing
        self.pos = index + 1 + consumed
        text = "\n".join(lines) if style == "|" else _fold(lines)
        if chomp == "-":
            return text
        if not lines:
            return "\n" * trailing if chomp == "+" else ""
        return text + "\n" + ("\n" * trailing if chomp == "+" else "")


def _fold(lines: list[str]) -> str:
    """Join the lines of a folded (``>``) block scalar."""
    out: list[str] = []
    previous: str | None = None  # "normal" or "more" (more-indented) for the last non-empty line
    empty = 0
    for line in lines:
        if not line:
            empty += 1
            continue
        kind = "more" if line[0] in " \t" else "normal"
        if previous is None:
            out.append("\n" * empty)
        elif previous == "normal" and kind == "normal":
            out.append("\n" * empty if empty else " ")
        else:
            out.append("\n" * (empty + 1))
        out.append(line)
        previous, empty = kind, 0
    return "".join(out)
