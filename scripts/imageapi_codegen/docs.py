"""Parse the OpenShift API reference pages (text renderings) into per-page documents.

A page is either a whole reference book (numbered chapters, one per kind: "Chapter 8. ImageStream
[image.openshift.io/v1]") or a single-kind page (an optional "Kind [group/version]" title line, then
unnumbered sections: "Specification", ".spec.tags[]", "/apis/…"). Both renderings share the same
building blocks, which this module recognises independently of the numbering:

* object sections: ``Description`` / ``Type`` / ``Required`` labels followed by a three-column
  ``Property Type Description`` table whose cells come one paragraph each;
* endpoint sections: a path heading, then ``HTTP method`` blocks with query, body and response tables.

The result of :func:`parse_page` is a :class:`PageDoc`: the kinds the page describes (their object
sections, keyed by the section path) and the operations it lists. :func:`page_types` turns a
kind's object sections into normalized TypeDefs (see ``docs/codegen.md``). Merging pages and
applying the server's truth is ``normalize``'s job.

A rendering can lose the table cells (a localized site dropped the property names and types but kept
the descriptions). Such a table is detected generically, reported as an ``error`` diagnostic, and
the page is not trusted for fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]

GROUP_VERSION_RE = re.compile(r"^(?P<kind>[A-Z][A-Za-z0-9]*) \[(?P<group>[a-z0-9.-]+)/(?P<version>v\w+)\]")
CHAPTER_RE = re.compile(r"^Chapter (?P<number>\d+)\.\s+(?P<title>.+)$")
NUMBERED_RE = re.compile(r"^(?P<number>\d+(?:\.\d+)+)\.\s+(?P<title>\S.*)$")
FIELD_PATH_RE = re.compile(r"^(?:\.[A-Za-z_$][\w$-]*(?:\[\]|\{\})*)+$")
API_PATH_RE = re.compile(r"^/apis?/\S+$")
ROW_NAME_RE = re.compile(r"^\.?[A-Za-z_$][\w$.-]*(?:\[\]|\{\})*$")
TYPE_CELL_RE = re.compile(
    r"^(?:(?:string|integer|number|boolean|object|array)(?:\s*\(\s*[\w -]+\s*\))?"
    r"|[A-Z][A-Za-z0-9]*(?:_v\d+)?(?:\s+(?:schema|[a-z0-9.-]*/v\w+))?)$"
)
SEGMENT_RE = re.compile(r"\.([A-Za-z_$][\w$-]*)((?:\[\]|\{\})*)")
RELEASE_IN_TITLE_RE = re.compile(r"(?:OpenShift Container Platform|OKD|OCP)\s+(\d+\.\d+)")
RELEASE_IN_URL_RE = re.compile(r"docs\.(?:okd\.io|openshift\.com)/(?:container-platform/)?(\d+\.\d+)/")
HTTP_METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS")
META_SUFFIX_RE = re.compile(r"_v\d+$")
PAGE_SUFFIXES = (".txt", ".html", ".htm")


class PageParseError(Exception):
    """A page could not be understood; names the file and section so a human can look."""

    def __init__(self, file: str, section: str, message: str) -> None:
        super().__init__(f"{file}: {section}: {message}")
        self.file = file
        self.section = section
        self.message = message


@dataclass(frozen=True)
class Diagnostic:
    """Something the generator wants a human to know about, attached to a page section."""

    file: str
    section: str
    severity: str  # "error", "warning" or "info"
    message: str

    def to_json(self) -> JsonDict:
        """The diagnostic in the normalized schema's form."""
        return {
            "file": self.file,
            "section": self.section,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass
class Paragraph:
    """One non-empty line of a page, after clean-up, with its 1-based line number."""

    text: str
    line: int


@dataclass
class Row:
    """One row of a three-column table (property or parameter): name, type cell, description."""

    name: str
    type_text: str
    description: str


@dataclass
class ObjectSection:
    """A schema section: the object (or array/map) found at ``path`` within a kind."""

    path: str  # "" for the kind itself, else ".spec.tags[]"
    title: str  # the section heading, for diagnostics
    description: str = ""
    type_text: str = ""
    required: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    has_table: bool = False
    lossy: bool = False


@dataclass
class ParameterDoc:
    """A query parameter as a page documents it."""

    name: str
    type: str
    description: str


@dataclass
class OperationDoc:
    """One (path, HTTP method) pair of a page's endpoint sections."""

    path: str
    method: str
    description: str
    section: str
    parameters: list[ParameterDoc] = field(default_factory=list)
    body_type: str | None = None
    response_type: str | None = None


@dataclass
class KindDoc:
    """Everything a page says about one kind: its schema sections and its endpoints."""

    kind: str
    group: str | None
    version: str | None
    section: str
    description: str = ""
    required: list[str] = field(default_factory=list)
    sections: dict[str, ObjectSection] = field(default_factory=dict)
    operations: list[OperationDoc] = field(default_factory=list)


@dataclass
class PageDoc:
    """A parsed page: its kinds, whether its field tables can be trusted, and what went wrong."""

    file: str
    title: str
    release: str | None
    kinds: list[KindDoc] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    trusted_for_fields: bool = True

    def source_json(self) -> JsonDict:
        """The page's entry in the normalized schema's ``sources``."""
        return {
            "file": self.file,
            "title": self.title,
            "release": self.release,
            "trustedForFields": self.trusted_for_fields,
        }


# --------------------------------------------------------------------------------------------------
# Text clean-up


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def _is_table_header(text: str, first: str) -> bool:
    return re.sub(r"[\s|]", "", text).lower() == f"{first}typedescription".lower()


def _is_response_header(text: str) -> bool:
    return re.sub(r"[\s|]", "", text).lower() in ("httpcodereponsebody", "httpcoderesponsebody")


def clean_paragraphs(text: str) -> list[Paragraph]:
    """Split a page into non-empty paragraphs, undoing list markers and pipe-table rows.

    Some renderings put each table cell on its own line, others write ``| a | b | c |`` rows and
    ``- item`` lists; both become one paragraph per cell or item so the parsers see one shape.
    """
    paragraphs: list[Paragraph] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _squash(raw)
        # \u00d7 is the close-button glyph some renderings start with.
        if not line or re.fullmatch(r"[-|:\s\u00d7]+", line):
            continue
        if line.startswith("- "):
            line = line[2:].strip()
        if (
            _is_table_header(line, "property")
            or _is_table_header(line, "parameter")
            or _is_response_header(line)
        ):
            paragraphs.append(Paragraph(re.sub(r"[\s|]", "", line), number))
            continue
        if line.startswith("|") or line.endswith("|"):
            # A pipe-table row: one paragraph per non-empty cell. Empty cells are what a lossy
            # rendering leaves behind; dropping them lets the row parser notice the missing names.
            for cell in line.strip("|").split("|"):
                if cell.strip():
                    paragraphs.append(Paragraph(cell.strip(), number))
            continue
        if line.startswith(": "):
            line = line[2:].strip()
        paragraphs.append(Paragraph(line, number))
    return paragraphs


class _HtmlText(HTMLParser):
    """HTML → the text rendering the parser reads: one line per block, one ``| a | b |`` line per row."""

    BLOCKS = frozenset(
        [
            "p",
            "div",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "li",
            "dt",
            "dd",
            "br",
            "section",
            "article",
            "header",
            "pre",
            "caption",
            "title",
            "table",
            "ul",
            "ol",
            "dl",
        ]
    )
    SKIPPED = frozenset(("script", "style", "nav", "footer"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.skipping = 0

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.lines.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag == "tr":
            self._flush()
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif self.cell is None and tag in self.BLOCKS:
            self._flush()
            if tag == "li":
                self.current.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if any(self.row):
                # Empty cells stay empty: that is how a lossy rendering shows.
                self.lines.append("| " + " | ".join(self.row) + " |")
            self.row = None
        elif self.cell is None and tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.current.append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join(self.lines) + "\n"


def html_to_text(html: str) -> str:
    """Render an HTML API reference page as the line-per-block text :func:`parse_page` reads."""
    converter = _HtmlText()
    converter.feed(html)
    converter.close()
    return converter.text()


# --------------------------------------------------------------------------------------------------
# Sections


@dataclass
class _Section:
    title: str
    heading: str  # the heading as printed, for diagnostics
    line: int
    body: list[Paragraph] = field(default_factory=list)
    kind_title: tuple[str, str, str] | None = None  # (kind, group, version) for a kind heading


CHAPTER = "chapter"  # the title of a section that starts a kind (or the book's overview chapter)


def _heading(paragraphs: list[Paragraph], index: int) -> _Section | None:
    """If paragraph ``index`` is a section heading, the (still empty) section it starts."""
    paragraph = paragraphs[index]
    text = paragraph.text
    chapter = CHAPTER_RE.match(text)
    # A single-kind page has a title line instead: "ImageStream [image.openshift.io/v1] - Image APIs | …".
    if chapter or (index < 3 and GROUP_VERSION_RE.match(text)):
        kind = GROUP_VERSION_RE.match(chapter.group("title") if chapter else text)
        kind_title = (kind.group("kind"), kind.group("group"), kind.group("version")) if kind else None
        return _Section(title=CHAPTER, heading=text, line=paragraph.line, kind_title=kind_title)
    numbered = NUMBERED_RE.match(text)
    title = numbered.group("title") if numbered else text
    following = paragraphs[index + 1].text if index + 1 < len(paragraphs) else ""
    if (
        numbered
        or text == "Specification"
        or text.lower() == "api endpoints"
        or (FIELD_PATH_RE.match(text) and following == "Description")
        or API_PATH_RE.match(text)
    ):
        return _Section(title=title, heading=text, line=paragraph.line)
    return None


def _split_sections(paragraphs: list[Paragraph]) -> list[_Section]:
    sections = [_Section(title="", heading="(start of page)", line=1)]
    for index, paragraph in enumerate(paragraphs):
        section = _heading(paragraphs, index)
        if section is None:
            sections[-1].body.append(paragraph)
        else:
            sections.append(section)
    return sections


# --------------------------------------------------------------------------------------------------
# Tables


def _is_row_start(cells: list[str], index: int) -> bool:
    return (
        index + 1 < len(cells)
        and bool(ROW_NAME_RE.match(cells[index]))
        and bool(TYPE_CELL_RE.match(cells[index + 1]))
    )


def parse_rows(cells: list[str]) -> tuple[list[Row], int]:
    """Group a table's cells into rows of (name, type, description paragraphs).

    Returns the rows and the number of cells that belong to no row (text before the first
    recognisable name/type pair). A table with text but no rows has lost its names.
    """
    rows: list[Row] = []
    orphans = 0
    index = 0
    while index < len(cells):
        if not _is_row_start(cells, index):
            orphans += 1
            index += 1
            continue
        name, type_text = cells[index], cells[index + 1]
        index += 2
        description: list[str] = []
        while index < len(cells) and not _is_row_start(cells, index):
            if not cells[index].startswith("Compatibility level"):
                description.append(cells[index])
            index += 1
        rows.append(Row(name=name, type_text=type_text, description=" ".join(description)))
    return rows, orphans


def _is_caption(text: str) -> bool:
    return bool(re.match(r"^Table [\d.]+\.?\s", text))


def _parse_object_section(section: _Section, path: str) -> ObjectSection:
    result = ObjectSection(path=path, title=section.heading)
    _fill_object_block(result, [p.text for p in section.body])
    return result


def _fill_object_block(result: ObjectSection, cells: list[str]) -> None:
    """Read the Description/Type/Required labels and the property table of an object block."""
    mode = ""
    description: list[str] = []
    table: list[str] = []
    for text in cells:
        if mode == "table":
            table.append(text)
            continue
        if text in ("Description", "Type", "Required"):
            mode = text
            continue
        if _is_table_header(text, "property"):
            mode = "table"
            result.has_table = True
            continue
        if mode == "Description":
            if not text.startswith("Compatibility level"):
                description.append(text)
        elif mode == "Type":
            result.type_text = text
            mode = ""
        elif mode == "Required":
            item = text.lstrip("•").strip()
            if ROW_NAME_RE.match(item):
                result.required.append(item)
    if description:
        result.description = " ".join(description)
    rows, orphans = parse_rows(table)
    result.rows = rows
    # Text in the table but not one recognisable row: the names/types were lost in rendering.
    result.lossy = result.has_table and not rows and orphans > 0


def _parse_endpoint_section(
    section: _Section, diagnostics: list[Diagnostic], file: str
) -> list[OperationDoc]:
    path = section.title
    operations: list[OperationDoc] = []
    global_query: list[ParameterDoc] = []
    current: OperationDoc | None = None
    cells = [p.text for p in section.body]
    index = 0
    caption = ""
    while index < len(cells):
        text = cells[index]
        if text == "HTTP method" and index + 1 < len(cells) and cells[index + 1] in HTTP_METHODS:
            current = OperationDoc(
                path=path, method=cells[index + 1], description="", section=section.heading
            )
            current.parameters.extend(global_query)
            operations.append(current)
            index += 2
            if index + 1 < len(cells) and cells[index] == "Description":
                current.description = cells[index + 1]
                index += 2
            continue
        if _is_caption(text):
            caption = text.lower()
            index += 1
            continue
        if _is_table_header(text, "parameter") or _is_response_header(text):
            end = index + 1
            while end < len(cells) and not (
                _is_caption(cells[end])
                or cells[end] == "HTTP method"
                or _is_table_header(cells[end], "parameter")
                or _is_response_header(cells[end])
            ):
                end += 1
            table = cells[index + 1 : end]
            if _is_response_header(text):
                if current is not None:
                    current.response_type = _first_success_type(table)
            else:
                _read_parameter_table(caption, table, current, global_query, section, diagnostics, file)
            caption = ""
            index = end
            continue
        index += 1
    return operations


def _read_parameter_table(
    caption: str,
    table: list[str],
    current: OperationDoc | None,
    global_query: list[ParameterDoc],
    section: _Section,
    diagnostics: list[Diagnostic],
    file: str,
) -> None:
    rows, orphans = parse_rows(table)
    if not rows and orphans:
        diagnostics.append(
            Diagnostic(file, section.heading, "error", "parameter names lost: a parameter table has no names")
        )
        return
    if "path parameters" in caption:
        return  # path parameters are part of the path, not of the query
    if "body" in caption or (rows and rows[0].name == "body"):
        if current is not None and rows:
            current.body_type = _schema_name(rows[0].type_text)
        return
    params = [ParameterDoc(row.name, row.type_text, row.description) for row in rows]
    # A table before the first "HTTP method" applies to every method of the path.
    if current is None or "global" in caption:
        global_query.extend(params)
        if current is not None:
            current.parameters.extend(params)
    else:
        current.parameters.extend(params)


def _schema_name(type_text: str) -> str | None:
    """``ImageList schema``, ``Status_v5``, ``DeleteOptions meta/v1`` → the bare type name."""
    text = type_text.strip()
    if not text or text == "Empty":
        return None
    name = text.split()[0]
    return META_SUFFIX_RE.sub("", name)


def _first_success_type(table: list[str]) -> str | None:
    index = 0
    while index + 1 < len(table):
        code = table[index]
        cell = table[index + 1]
        if re.match(r"^2\d\d\b", code) and (cell == "Empty" or TYPE_CELL_RE.match(cell)):
            return _schema_name(cell)
        index += 1
    return None


# --------------------------------------------------------------------------------------------------
# Pages


def _release_of(paragraphs: list[Paragraph], hints: dict[str, str], file: str) -> str | None:
    for paragraph in paragraphs[:12]:
        for pattern in (RELEASE_IN_TITLE_RE, RELEASE_IN_URL_RE):
            match = pattern.search(paragraph.text)
            if match:
                return match.group(1)
    return hints.get(file)


def release_hints(seeds_dir: Path) -> dict[str, str]:
    """Releases for pages that do not print theirs, from the seeds folder's README table.

    A row such as ``| `001_….txt` | The ImageStreamTag page, OCP 4.14 or later: …`` gives 4.14.
    """
    readme = seeds_dir / "README.md"
    hints: dict[str, str] = {}
    if not readme.is_file():
        return hints
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*`?([^`|]+\.(?:txt|html?))`?\s*\|(.*)$", line)
        if not match:
            continue
        release = RELEASE_IN_TITLE_RE.search(match.group(2))
        if release:
            hints[match.group(1).strip()] = release.group(1)
    return hints


def _page_title(paragraphs: list[Paragraph], kinds: list[KindDoc]) -> str:
    """A short human title: the book's title, or the kind heading of a single-kind page."""
    for paragraph in paragraphs[:3]:
        text = CHAPTER_RE.sub(lambda m: m.group("title"), paragraph.text)
        if GROUP_VERSION_RE.match(text):
            return text.split(" - ")[0]
        if text == "Description":
            break
        if not text.startswith(("This is a cache", "Ce contenu")):
            return text
    kind = kinds[0]
    return f"{kind.kind} [{kind.group}/{kind.version}]"


def _infer_kind(description: str, operations: list[OperationDoc]) -> str | None:
    """A page without a title: the kind its endpoints talk about, confirmed by its description."""
    counts: dict[str, int] = {}
    for operation in operations:
        match = re.search(r"(?:kind|specified|an?|of)\s+([A-Z][A-Za-z0-9]+)$", operation.description)
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    first = description.split()[0] if description else ""
    if first in counts or (not counts and re.fullmatch(r"[A-Z][A-Za-z0-9]+", first)):
        return first
    if counts:
        return max(sorted(counts), key=lambda name: counts[name])
    return None


def _read_kind_preamble(kind: KindDoc, section: _Section) -> None:
    block = ObjectSection(path="", title=section.heading)
    _fill_object_block(block, [p.text for p in section.body])
    kind.description, kind.required = block.description, block.required


def parse_page(text: str, file: str, release_hint: dict[str, str] | None = None) -> PageDoc:
    """Parse one page's text into a :class:`PageDoc`.

    Raises :class:`PageParseError` when the page has no recognisable kind at all.
    """
    paragraphs = clean_paragraphs(text)
    sections = _split_sections(paragraphs)
    diagnostics: list[Diagnostic] = []
    kinds: list[KindDoc] = []
    current: KindDoc | None = None
    pending_untitled: KindDoc | None = None
    lossy_sections: list[str] = []
    table_sections = 0

    titled = any(section.kind_title is not None for section in sections)
    for section in sections:
        if section.title == CHAPTER:
            if section.kind_title is None:
                current = None  # a chapter that is not a kind (the book's overview)
                continue
            kind, group, version = section.kind_title
            current = KindDoc(kind=kind, group=group, version=version, section=section.heading)
            _read_kind_preamble(current, section)
            kinds.append(current)
            continue
        if section.title == "" and not titled:
            # A page without a title line: its start holds the kind's Description/Type/Required
            # block; the kind's name is inferred once its endpoints are known.
            current = pending_untitled = KindDoc(kind="", group=None, version=None, section="(start of page)")
            _read_kind_preamble(current, section)
            kinds.append(current)
            continue
        if current is None:
            continue
        title = section.title
        if API_PATH_RE.match(title):
            current.operations.extend(_parse_endpoint_section(section, diagnostics, file))
            continue
        if title == "Specification":
            parsed = _parse_object_section(section, "")
            # The kind's own Description/Required block sits above its Specification table.
            parsed.description = parsed.description or current.description
            parsed.required = parsed.required or current.required
            parsed.type_text = parsed.type_text or "object"
        elif FIELD_PATH_RE.match(title):
            parsed = _parse_object_section(section, title)
        else:
            continue  # overview lists ("API endpoints") and page chrome
        current.sections[parsed.path] = parsed
        table_sections += parsed.has_table
        if parsed.lossy:
            lossy_sections.append(section.heading)

    if pending_untitled is not None:
        inferred = _infer_kind(pending_untitled.description, pending_untitled.operations)
        if inferred is None:
            raise PageParseError(file, "(start of page)", "cannot tell which kind this page describes")
        pending_untitled.kind = inferred
        for operation in pending_untitled.operations:
            group_version = re.match(r"^/apis/([^/]+)/([^/]+)/", operation.path)
            if group_version:
                pending_untitled.group, pending_untitled.version = group_version.groups()
                break
        diagnostics.append(
            Diagnostic(
                file, "(start of page)", "info", f"page has no title; kind {inferred} inferred from its text"
            )
        )
    if not kinds:
        raise PageParseError(
            file, "(whole page)", "no kind found (no 'Chapter N. Kind [group/version]' heading)"
        )

    page = PageDoc(
        file=file,
        title=_page_title(paragraphs, kinds),
        release=_release_of(paragraphs, release_hint or {}, file),
        kinds=kinds,
        diagnostics=diagnostics,
    )
    if lossy_sections:
        page.trusted_for_fields = False
        shown = ", ".join(lossy_sections[:3]) + (", …" if len(lossy_sections) > 3 else "")
        page.diagnostics.insert(
            0,
            Diagnostic(
                file,
                lossy_sections[0],
                "error",
                f"property names and types lost in {len(lossy_sections)} of {table_sections} specification "
                f"tables ({shown}); the page's fields are not used",
            ),
        )
    return page


# --------------------------------------------------------------------------------------------------
# Sections → normalized types


def split_path(path: str) -> list[tuple[str, str]]:
    """``.spec.tags[]`` → ``[("spec", ""), ("tags", "[]")]``."""
    return [(m.group(1), m.group(2)) for m in SEGMENT_RE.finditer(path)]


def join_path(parts: list[tuple[str, str]]) -> str:
    """The inverse of :func:`split_path`."""
    return "".join(f".{name}{suffix}" for name, suffix in parts)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def named_ref(name: str) -> JsonDict:
    """The TypeRef for a type name written in a type column (``ObjectMeta_v2``, ``Time``, …)."""
    bare = META_SUFFIX_RE.sub("", name.split()[0])
    if bare == "Time" or bare == "MicroTime":
        return {"type": "Time"}
    if bare == "RawExtension":
        return {"type": "RawExtension"}
    if bare == "FieldsV1":
        return {"type": "any"}
    return {"type": "ref", "name": bare}


def scalar_ref(type_text: str) -> JsonDict | None:
    """The TypeRef of a scalar type cell (``string``, ``integer (int64)``, ``string (byte)``)."""
    match = re.fullmatch(r"(string|integer|number|boolean)(?:\s*\(\s*([\w -]+?)\s*\))?", type_text)
    if not match:
        return None
    base, detail = match.group(1), match.group(2)
    if base == "string":
        if detail == "byte":
            return {"type": "byte"}
        if detail == "date-time":
            return {"type": "Time"}
        return {"type": "string"}
    if base in ("integer", "number"):
        return {"type": base, "format": detail}
    return {"type": "boolean"}


def _item_ref(word: str) -> JsonDict:
    return scalar_ref(word) or named_ref(word)


LABELS_MAP_HINT = re.compile(r"\b(labels?|annotations?|map of string|key/value|key-value)\b", re.IGNORECASE)


class _KindTypes:
    """Builds the TypeDefs of one kind from its object sections."""

    def __init__(self, page: PageDoc, kind: KindDoc, known_names: set[str]) -> None:
        self.page = page
        self.kind = kind
        self.known = known_names
        self.types: dict[str, JsonDict] = {}
        self.origin: dict[str, str] = {}
        self.names: dict[str, str] = {}

    # naming ---------------------------------------------------------------------------------------
    def type_name(self, path: str) -> str:
        if path in self.names:
            return self.names[path]
        if path == "":
            name = self.kind.kind
        else:
            parts = split_path(path)
            field_name = parts[-1][0]
            section = self.kind.sections.get(path)
            description = section.description if section else self._row_description(path)
            name = self._name_from_description(description, field_name) or self._derived_name(parts)
        self.names[path] = name
        return name

    def _row_description(self, path: str) -> str:
        parts = split_path(path)
        parent, (name, suffix) = join_path(parts[:-1]), parts[-1]
        section = self.kind.sections.get(parent)
        for row in section.rows if section else []:
            if row.name.lstrip(".") == name + suffix:
                return row.description
        return ""

    def _name_from_description(self, description: str, field_name: str) -> str | None:
        """``TagReference specifies …`` → ``TagReference``; ``An ImageStream stores …`` → ``ImageStream``."""
        words = description.split()
        if words and words[0] in ("A", "An", "The"):
            words = words[1:]
        if not words:
            return None
        word = words[0]
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]+", word):
            return None
        if word in self.known:
            return word
        camel = sum(1 for char in word if char.isupper()) >= 2
        if camel and word.lower() != field_name.lower():
            return word
        return None

    def _derived_name(self, parts: list[tuple[str, str]]) -> str:
        # Last resort: the nearest named object above this one plus the field names down to here.
        for cut in range(len(parts) - 1, -1, -1):
            owner = join_path(parts[:cut])
            if owner == "" or self.kind.sections.get(owner) is not None:
                base = self.type_name(owner)
                return base + "".join(_upper_first(name) for name, _ in parts[cut:])
        return self.kind.kind + "".join(_upper_first(name) for name, _ in parts)

    # fields ---------------------------------------------------------------------------------------
    def build(self) -> None:
        """Define the kind and every nested object that has a property table.

        Object sections without a table are maps (``.blobs`` with its ``.blobs{}``) or free-form
        objects: they become field types, not named types.
        """
        if "" not in self.kind.sections:
            self.page.diagnostics.append(
                Diagnostic(
                    self.page.file,
                    self.kind.section,
                    "warning",
                    f"{self.kind.kind}: no Specification section",
                )
            )
            return
        for path in sorted(self.kind.sections, key=lambda p: (p.count("."), p)):
            section = self.kind.sections[path]
            if path == "" or (section.type_text == "object" and section.rows):
                self._add_type(path, section)

    def _add_type(self, path: str, section: ObjectSection) -> None:
        name = self.type_name(path)
        fields: JsonDict = {}
        row_names = {row.name.lstrip(".") for row in section.rows}
        for row in section.rows:
            wire = row.name.lstrip(".")
            if wire.endswith("[]") or wire.endswith("{}"):
                continue  # describes the items of the row above, not a field
            fields[wire] = {
                "type": self.field_ref(path, wire, row, row_names),
                "required": wire in section.required,
                "description": row.description,
            }
        for missing in sorted(set(section.required) - set(fields)):
            self.page.diagnostics.append(
                Diagnostic(
                    self.page.file, section.title, "warning", f"{name}: required field {missing} not in table"
                )
            )
        typedef: JsonDict = {
            "description": section.description,
            "gvk": None,
            "freeForm": False,
            "fields": fields,
        }
        self._merge(name, typedef, section.title)

    def _merge(self, name: str, typedef: JsonDict, where: str) -> None:
        existing = self.types.get(name)
        if existing is None:
            self.types[name] = typedef
            self.origin[name] = where
            return
        if structure(existing) != structure(typedef):
            self.page.diagnostics.append(
                Diagnostic(
                    self.page.file,
                    where,
                    "warning",
                    f"type {name} differs from its definition at {self.origin[name]}; keeping the first",
                )
            )

    def field_ref(self, parent: str, wire: str, row: Row, siblings: set[str]) -> JsonDict:
        child = f"{parent}.{wire}"
        text = row.type_text
        scalar = scalar_ref(text)
        if scalar is not None:
            return scalar
        array_of = re.fullmatch(r"array\s*\(\s*(\w+)\s*\)", text)
        if array_of:
            return {"type": "array", "items": _item_ref(array_of.group(1))}
        map_of = re.fullmatch(r"object\s*\(\s*(\w+)\s*\)", text)
        if map_of:
            return {"type": "map", "values": _item_ref(map_of.group(1))}
        if text == "array":
            return {"type": "array", "items": self._element_ref(parent, wire, "[]", siblings)}
        if text == "object":
            section = self.kind.sections.get(child)
            if section is not None and section.rows:
                return {"type": "ref", "name": self.type_name(child)}
            if wire + "{}" in siblings or f"{child}{{}}" in self.kind.sections:
                return {"type": "map", "values": self._element_ref(parent, wire, "{}", siblings)}
            if LABELS_MAP_HINT.search(row.description):
                return {"type": "map", "values": {"type": "string"}}
            return {"type": "RawExtension"}
        return named_ref(text)

    def _element_ref(self, parent: str, wire: str, suffix: str, siblings: set[str]) -> JsonDict:
        element_path = f"{parent}.{wire}{suffix}"
        section = self.kind.sections.get(element_path)
        parent_section = self.kind.sections.get(parent)
        element_row = None
        for row in parent_section.rows if parent_section else []:
            if row.name.lstrip(".") == wire + suffix:
                element_row = row
        type_text = element_row.type_text if element_row else (section.type_text if section else "")
        if type_text == "object" or (not type_text and section is not None):
            if section is not None and section.rows:
                return {"type": "ref", "name": self.type_name(element_path)}
            return {"type": "RawExtension"}
        if element_row is not None:
            return self.field_ref(parent, wire + suffix, element_row, siblings)
        self.page.diagnostics.append(
            Diagnostic(self.page.file, parent or "Specification", "warning", f"{wire}: element type unknown")
        )
        return {"type": "any"}


def structure(typedef: JsonDict) -> Any:
    """What makes two definitions of a type "the same": field names, types and required flags."""
    return sorted(
        (name, repr(sorted_json(spec["type"])), spec["required"]) for name, spec in typedef["fields"].items()
    )


def sorted_json(value: Any) -> Any:
    """A canonical form of a JSON value (dict keys sorted) for comparisons."""
    if isinstance(value, dict):
        return {key: sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_json(item) for item in value]
    return value


def page_types(page: PageDoc, known_names: set[str]) -> dict[str, JsonDict]:
    """The TypeDefs a page defines, one per API type name (kinds and nested objects).

    ``known_names`` are type names that may be a single capitalised word (the kinds, ``Image``):
    a description starting with one of them names the type.
    """
    types: dict[str, JsonDict] = {}
    origin: dict[str, str] = {}
    if not page.trusted_for_fields:
        return types
    for kind in page.kinds:
        builder = _KindTypes(page, kind, known_names)
        builder.build()
        for name, typedef in builder.types.items():
            if name in types:
                if structure(types[name]) != structure(typedef):
                    page.diagnostics.append(
                        Diagnostic(
                            page.file,
                            builder.origin[name],
                            "warning",
                            f"type {name} differs from its definition at {origin[name]}; keeping the first",
                        )
                    )
                continue
            types[name] = typedef
            origin[name] = builder.origin[name]
        if kind.kind in types and kind.group is not None:
            types[kind.kind]["gvk"] = {"group": kind.group, "version": kind.version, "kind": kind.kind}
    return types


def iter_pages(seeds_dir: Path) -> Iterator[Path]:
    """The page files of a seeds folder, in name order (``*.txt``, ``*.html``; README files excluded)."""
    for path in sorted(seeds_dir.iterdir()):
        if path.suffix in PAGE_SUFFIXES and path.is_file():
            yield path


def parse_seeds(seeds_dir: Path) -> list[PageDoc]:
    """Parse every page of a seeds folder. Raises :class:`PageParseError` on the first bad page."""
    hints = release_hints(seeds_dir)
    pages = []
    for path in iter_pages(seeds_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise PageParseError(path.name, "(whole page)", f"not UTF-8 text: {error}") from error
        if path.suffix in (".html", ".htm"):
            text = html_to_text(text)
        pages.append(parse_page(text, path.name, hints))
    return pages
