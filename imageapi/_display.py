"""How API objects look to people: short reprs, table rows, plain-text and HTML tables, HTML cards.

One place for it, shared by the notebook reprs (``ApiModel._repr_html_``, pagers, watch results) and
the CLI (``imageapi get`` tables; the CLI adds rich styling on top of the same rows). Tables follow
``oc get``'s columns per kind (the openshift-apiserver table printers): ``NAME IMAGE REPOSITORY TAGS
UPDATED`` for streams, ``NAME IMAGE REFERENCE UPDATED`` for stream tags, and so on.

Imports nothing heavy: this module loads when something is first displayed.
"""

from __future__ import annotations

import html
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "Column",
    "Table",
    "columns_for",
    "compact_repr",
    "describe_text",
    "html_card",
    "html_table",
    "human_duration",
    "plain_table",
    "records",
    "table_rows",
]

REPR_LIMIT = 300
"""Characters a model's ``repr`` stays within (a stream's full repr runs to thousands)."""

_HIDDEN_FIELDS = frozenset({"managed_fields"})
"""Fields no repr shows: server bookkeeping nobody reads in a repr."""


# -- short reprs -----------------------------------------------------------------------------------


_REPR_METADATA = ("name", "namespace", "labels")
"""The metadata a repr shows; the rest (uid, resourceVersion, annotations, …) is one ``…``."""


def _fields(model: Any) -> Iterable[tuple[str, Any]]:
    """The set fields of a model (Python names), then its unknown fields (wire names), minus hidden ones.

    ``apiVersion``/``kind`` equal to the class's own say nothing the class name does not.
    """
    from .models._base import shown_value

    cls = type(model)
    fields_set = model.__pydantic_fields_set__
    for name in cls.model_fields:
        if name not in fields_set or name in _HIDDEN_FIELDS:
            continue
        value = getattr(model, name)
        if (name == "api_version" and value == getattr(cls, "__api_version__", None)) or (
            name == "kind" and value == getattr(cls, "__kind__", None)
        ):
            continue
        yield name, shown_value(model, name, value)  # a Secret's data: keys only
    extra = model.__pydantic_extra__
    if extra:
        yield from extra.items()


def _is_model(value: Any) -> bool:
    return hasattr(value, "__pydantic_fields_set__") and hasattr(type(value), "model_fields")


class _Budget:
    """Characters left for a repr; pieces that do not fit become ``…``."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, text: str) -> bool:
        self.left -= len(text)
        return self.left >= 0


def _repr_value(value: Any, budget: _Budget) -> str:
    if _is_model(value):
        parts: list[str] = []
        fields = list(_fields(value))
        if type(value).__name__ == "ObjectMeta":
            shown = [(name, item) for name, item in fields if name in _REPR_METADATA]
            fields = shown + ([("…", None)] if len(shown) < len(fields) else [])
        for name, item in fields:
            if name == "…":
                parts.append("…")
                continue
            if budget.left <= 0:
                parts.append("…")
                break
            rendered = f"{name}={_repr_value(item, budget)}"
            budget.take(rendered)
            parts.append(rendered)
        return f"{type(value).__name__}({', '.join(parts)})"
    if isinstance(value, datetime):
        return repr(_format_time(value))
    if isinstance(value, list):
        items: list[str] = []
        for index, item in enumerate(value):
            if budget.left <= 0:
                items.append(f"…+{len(value) - index}")
                break
            items.append(_repr_value(item, budget))
        return f"[{', '.join(items)}]"
    if isinstance(value, dict):
        entries: list[str] = []
        for index, (key, item) in enumerate(value.items()):
            if budget.left <= 0:
                entries.append(f"…+{len(value) - index}")
                break
            entries.append(f"{_short_repr.repr(key)}: {_repr_value(item, budget)}")
        return "{" + ", ".join(entries) + "}"
    if isinstance(value, (str, bytes)):
        return _short_repr.repr(value)
    return repr(value)


_short_repr = reprlib.Repr()
_short_repr.maxstring = 72
_short_repr.maxother = 80


def compact_repr(model: Any, limit: int = REPR_LIMIT) -> str:
    """``ImageStream(metadata=ObjectMeta(name='web', …), spec=…)``: set fields only, no ``managed_fields``,
    about ``limit`` characters at most (long lists and maps end in ``…+N``)."""
    text = _repr_value(model, _Budget(limit))
    if len(text) > limit + 40:  # the budget is checked between pieces; a last piece may overshoot
        text = text[: limit - 1] + "…"
    return text


# -- times -----------------------------------------------------------------------------------------


def _format_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_duration(seconds: float) -> str:
    """A duration as ``oc`` prints ages (docker's ``HumanDuration``): ``5 minutes``, ``About an hour``, ``3 days``."""
    seconds = max(seconds, 0)
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = int(seconds // 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return f"{human_duration((now - when).total_seconds())} ago"


# -- what each kind shows ----------------------------------------------------------------------------


def _meta(obj: Any, name: str) -> Any:
    metadata = getattr(obj, "metadata", None)
    return getattr(metadata, name, None) if metadata is not None else None


def _status_tags(stream: Any) -> list[Any]:
    status = getattr(stream, "status", None)
    return list(getattr(status, "tags", None) or []) if status is not None else []


def _newest_event(tag_list: Any) -> Any:
    items = getattr(tag_list, "items", None) or []
    return items[0] if items else None


def _stream_updated(stream: Any) -> datetime | None:
    created = [event.created for event in map(_newest_event, _status_tags(stream))
               if event is not None and event.created is not None]
    return max(created) if created else None


def _stream_repository(stream: Any) -> str:
    spec, status = getattr(stream, "spec", None), getattr(stream, "status", None)
    public = getattr(status, "public_docker_image_repository", None)
    return (public or getattr(spec, "docker_image_repository", None)
            or getattr(status, "docker_image_repository", None) or "")


def _sorted_tag_names(stream: Any) -> list[str]:
    """Status tags newest first (as oc sorts them), by name among equals."""
    def key(tag_list: Any) -> tuple[float, str]:
        event = _newest_event(tag_list)
        created = event.created.timestamp() if event is not None and event.created is not None else 0.0
        return (-created, tag_list.tag or "")

    return [tag_list.tag or "" for tag_list in sorted(_status_tags(stream), key=key)]


def tags_up_to_width(names: Sequence[str], width: int = 40) -> str:
    """As many tag names as fit in ``width`` (at least one), then ``+ N more...``, like ``oc get is``."""
    shown = len(names)
    remaining = width
    margin = width // 4
    for index, name in enumerate(names):
        remaining -= len(name) + 1
        if remaining >= 0:
            continue
        if index == 0:
            shown = 1
            break
        # Overshoot by up to a quarter of the width rather than leave more than a quarter empty.
        if margin < remaining + len(name) and margin >= -remaining:
            continue
        shown = index
        break
    hidden = len(names) - shown
    text = ",".join(names[:shown])
    return f"{text} + {hidden} more..." if hidden > 0 else text


def _image_tag_spec_status(itag: Any) -> tuple[str, str, int | None]:
    """SPEC, STATUS and HISTORY of an ImageTag row, as ``oc get itag`` derives them."""
    spec_text, source, status_text, generation = "", "", "", 0
    spec = getattr(itag, "spec", None)
    if spec is not None:
        spec_text = "Tag"
        if spec.reference:
            spec_text = "Ref"
        if spec.import_policy is not None and spec.import_policy.scheduled:
            spec_text = "Scheduled"
        generation = spec.generation or 0
        origin = spec.from_
        if origin is None:
            spec_text = ""
        elif origin.kind == "DockerImage":
            source = origin.name or ""
        elif origin.kind == "ImageStreamImage":
            source = f"image/{(origin.name or '').partition('@')[2]}"
        elif origin.kind == "ImageStreamTag":
            source = f"istag {origin.namespace}/{origin.name}" if origin.namespace else f"istag/{origin.name}"
            if ":" not in (origin.name or ""):
                spec_text = "Track"  # a tag following another tag of the same stream
        else:
            status_text = "InvalidRefKind"
    history: int | None = None
    status = getattr(itag, "status", None)
    if status is not None:
        items = status.items or []
        history = len(items) or None
        if items:
            event = items[0]
            if generation and event.generation and event.generation < generation:
                status_text = "Importing"
            elif event.image:
                source = f"image/{event.image}"
            elif event.docker_image_reference:
                source = event.docker_image_reference
            if source and not spec_text:
                spec_text = "Push"
        for condition in status.conditions or []:
            if condition.type == "ImportSuccess" and condition.status == "False":
                status_text = f"ImportFailed ({condition.reason})"
    return spec_text, status_text or source, history


def _image_tag_updated(itag: Any) -> datetime | None:
    status = getattr(itag, "status", None)
    if status is None:
        return None
    times = [event.created for event in (status.items or [])[:1] if event.created is not None]
    times += [c.last_transition_time for c in status.conditions or [] if c.last_transition_time is not None]
    return max(times) if times else None


def image_size(image: Any) -> int | None:
    """An image's size in bytes: its metadata's ``Size``, else the sum of its layers."""
    if image is None:
        return None
    metadata = getattr(image, "docker_image_metadata", None) or {}
    size = metadata.get("Size") if isinstance(metadata, dict) else None
    if isinstance(size, int):
        return size
    layers = getattr(image, "docker_image_layers", None)
    if layers:
        return sum(layer.size or 0 for layer in layers)
    return None


def format_size(size: int | None) -> str:
    """Bytes for people: ``512B``, ``1.5KiB``, ``218.3MiB``, … (``""`` when unknown)."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}TiB"  # pragma: no cover (the loop always returns)


def short_digest(digest: str | None) -> str:
    """``sha256:0123456789ab`` — enough of a digest to recognise it."""
    if not digest:
        return ""
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}" if hexdigits else digest[:19]


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, how a cell is read from an object, and whether only ``-o wide`` shows it."""

    header: str
    cell: Callable[[Any, datetime], str]
    wide: bool = False


def _name(obj: Any, now: datetime) -> str:
    return str(_meta(obj, "name") or "")


def _age(obj: Any, now: datetime) -> str:
    created = _meta(obj, "creation_timestamp")
    return human_duration((now - created).total_seconds()) if created is not None else ""


def _image_of(obj: Any) -> Any:
    return getattr(obj, "image", None)


_COLUMNS: dict[str, tuple[Column, ...]] = {
    "ImageStream": (
        Column("NAME", _name),
        Column("IMAGE REPOSITORY", lambda s, now: _stream_repository(s)),
        Column("TAGS", lambda s, now: tags_up_to_width(_sorted_tag_names(s))),
        Column("UPDATED", lambda s, now: _ago(_stream_updated(s), now)),
    ),
    "ImageStreamTag": (
        Column("NAME", _name),
        Column("IMAGE REFERENCE", lambda t, now: getattr(_image_of(t), "docker_image_reference", None) or ""),
        Column("UPDATED", lambda t, now: _ago(_meta(t, "creation_timestamp"), now)),
        Column("IMAGE NAME", lambda t, now: _meta(_image_of(t), "name") or "", wide=True),
    ),
    "ImageTag": (
        Column("NAME", _name),
        Column("SPEC", lambda t, now: _image_tag_spec_status(t)[0]),
        Column("STATUS", lambda t, now: _image_tag_spec_status(t)[1]),
        Column("HISTORY", lambda t, now: str(_image_tag_spec_status(t)[2] or "")),
        Column("UPDATED", lambda t, now: _ago(_image_tag_updated(t), now)),
    ),
    "ImageStreamImage": (
        Column("NAME", _name),
        Column("UPDATED", lambda i, now: _ago(_meta(i, "creation_timestamp"), now)),
        Column("IMAGE REFERENCE", lambda i, now: getattr(_image_of(i), "docker_image_reference", None) or "",
               wide=True),
        Column("IMAGE NAME", lambda i, now: _meta(_image_of(i), "name") or "", wide=True),
    ),
    "Image": (
        Column("NAME", _name),
        Column("IMAGE REFERENCE", lambda i, now: getattr(i, "docker_image_reference", None) or ""),
        Column("SIZE", lambda i, now: format_size(image_size(i)), wide=True),
    ),
}

_DEFAULT_COLUMNS = (Column("NAME", _name), Column("AGE", _age))


def _kind_of(obj: Any) -> str:
    return getattr(type(obj), "__kind__", None) or type(obj).__name__


def columns_for(kind: str, *, wide: bool = False) -> tuple[Column, ...]:
    """The columns ``oc get`` prints for ``kind`` (``wide`` adds the ``-o wide`` ones)."""
    columns = _COLUMNS.get(kind, _DEFAULT_COLUMNS)
    return tuple(column for column in columns if wide or not column.wide)


def table_rows(objects: Iterable[Any], *, kind: str | None = None, wide: bool = False,
               namespaces: bool = False, now: datetime | None = None) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of ``objects`` as ``oc get`` shows them; ``namespaces`` adds ``NAMESPACE`` first (``-A``).

    ``kind`` picks the columns (default: the first object's kind).
    """
    items = list(objects)
    now = now or datetime.now(timezone.utc)
    chosen = kind or (_kind_of(items[0]) if items else "")
    columns = columns_for(chosen, wide=wide)
    headers = [column.header for column in columns]
    rows = [[column.cell(obj, now) for column in columns] for obj in items]
    if namespaces:
        headers.insert(0, "NAMESPACE")
        for obj, row in zip(items, rows, strict=True):
            row.insert(0, str(_meta(obj, "namespace") or ""))
    return headers, rows


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded and separated by three spaces, like kubectl's (no trailing spaces)."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = ["   ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in [list(headers), *map(list, rows)]]
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------------

_STYLE = ("<style>.imageapi-card,.imageapi-table{font-family:var(--jp-ui-font-family,sans-serif);"
          "font-size:13px;border-collapse:collapse}.imageapi-card td,.imageapi-card th,.imageapi-table td,"
          ".imageapi-table th{padding:2px 8px;text-align:left;vertical-align:top}"
          ".imageapi-card th{color:#666;font-weight:normal}.imageapi-table th{border-bottom:1px solid #999}"
          ".imageapi-label{display:inline-block;background:#eef;border-radius:3px;padding:0 4px;margin:1px}"
          "</style>")


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, caption: str | None = None,
               footer: str | None = None) -> str:
    """An HTML table (class ``imageapi-table``) of already formatted cells; everything escaped."""
    esc = html.escape
    parts = [_STYLE, '<table class="imageapi-table">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead><tbody>")
    parts.extend("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    parts.append("</tbody></table>")
    if footer:
        parts.append(f"<div><small>{esc(footer)}</small></div>")
    return "".join(parts)


def _labels_html(labels: Mapping[str, str] | None) -> str:
    if not labels:
        return ""
    return "".join(f'<span class="imageapi-label">{html.escape(k)}={html.escape(v)}</span>'
                   for k, v in sorted(labels.items()))


def _card_fields(obj: Any, now: datetime) -> list[tuple[str, str]]:
    """The few fields that matter per kind, as (label, text)."""
    kind = _kind_of(obj)
    fields: list[tuple[str, str]] = []
    if kind == "ImageStream":
        fields.append(("Image repository", _stream_repository(obj)))
        spec = getattr(obj, "spec", None)
        lookup = getattr(spec, "lookup_policy", None)
        if lookup is not None and lookup.local:
            fields.append(("Image lookup", "local"))
        fields.append(("Updated", _ago(_stream_updated(obj), now)))
    elif kind in ("ImageStreamTag", "ImageStreamImage"):
        image = _image_of(obj)
        fields.append(("Image", _meta(image, "name") or ""))
        fields.append(("Reference", getattr(image, "docker_image_reference", None) or ""))
        fields.append(("Size", format_size(image_size(image))))
        tag = getattr(obj, "tag", None)
        origin = getattr(tag, "from_", None)
        if origin is not None:
            fields.append(("Tagged from", f"{origin.kind} {origin.name}"))
    elif kind == "ImageTag":
        spec, status, history = _image_tag_spec_status(obj)
        fields += [("Spec", spec), ("Status", status), ("History", str(history or ""))]
    elif kind == "Image":
        fields.append(("Reference", getattr(obj, "docker_image_reference", None) or ""))
        fields.append(("Size", format_size(image_size(obj))))
        fields.append(("Layers", str(len(getattr(obj, "docker_image_layers", None) or []))))
    return [(label, text) for label, text in fields if text]


def _stream_tag_rows(stream: Any) -> list[list[str]]:
    """One row per tag of a stream: name, source (spec), current image digest, reference, updated."""
    spec_tags = {tag.name: tag for tag in (getattr(getattr(stream, "spec", None), "tags", None) or [])}
    status_tags = {tag_list.tag: tag_list for tag_list in _status_tags(stream)}
    names = list(dict.fromkeys([*spec_tags, *status_tags]))
    rows = []
    for name in names:
        origin = getattr(spec_tags.get(name), "from_", None)
        event = _newest_event(status_tags.get(name))
        rows.append([
            name or "",
            f"{origin.kind} {origin.name}" if origin is not None else "",
            (event.image or "") if event is not None else "",
            (event.docker_image_reference or "") if event is not None else "",
        ])
    return rows


def html_card(obj: Any, now: datetime | None = None) -> str:
    """A compact HTML card: kind, name, namespace, age, labels, the fields that matter; tags with digests for streams."""
    esc = html.escape
    now = now or datetime.now(timezone.utc)
    kind = _kind_of(obj)
    name, namespace = _meta(obj, "name"), _meta(obj, "namespace")
    title = f"{esc(kind)} <b>{esc(name or '(no name)')}</b>"
    if namespace:
        title += f" <small>in {esc(namespace)}</small>"
    rows = [("Age", _age(obj, now)), *_card_fields(obj, now)]
    body = "".join(f"<tr><th>{esc(label)}</th><td>{esc(text)}</td></tr>" for label, text in rows if text)
    labels = _labels_html(_meta(obj, "labels"))
    if labels:
        body += f"<tr><th>Labels</th><td>{labels}</td></tr>"
    card = f'{_STYLE}<table class="imageapi-card"><caption style="text-align:left">{title}</caption>{body}</table>'
    if kind == "ImageStream":
        tag_rows = _stream_tag_rows(obj)
        if tag_rows:
            card += html_table(["TAG", "FROM", "IMAGE", "REFERENCE"], tag_rows).replace(_STYLE, "", 1)
    return card


# -- data frames -----------------------------------------------------------------------------------

_RECORD_FIELDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "ImageStream": lambda s: {
        "repository": _stream_repository(s) or None,
        "tags": len(_status_tags(s)),
        "updated": _stream_updated(s),
    },
    "ImageStreamTag": lambda t: {
        "image": _meta(_image_of(t), "name"),
        "reference": getattr(_image_of(t), "docker_image_reference", None),
        "size": image_size(_image_of(t)),
        "generation": getattr(t, "generation", None),
    },
    "ImageTag": lambda t: dict(zip(("spec", "status", "history"), _image_tag_spec_status(t), strict=True)),
    "ImageStreamImage": lambda i: {
        "image": _meta(_image_of(i), "name"),
        "reference": getattr(_image_of(i), "docker_image_reference", None),
        "size": image_size(_image_of(i)),
    },
    "Image": lambda i: {
        "reference": getattr(i, "docker_image_reference", None),
        "size": image_size(i),
        "layers": len(getattr(i, "docker_image_layers", None) or []),
        "media_type": getattr(i, "docker_image_manifest_media_type", None),
    },
}


def records(objects: Iterable[Any]) -> list[dict[str, Any]]:
    """Flat records (one dict per object) with columns chosen per kind: ``namespace``, ``name``,
    ``created``, ``labels`` and the kind's own (``repository``/``tags``/``updated`` for streams,
    ``image``/``reference``/``size`` for stream tags, …)."""
    rows = []
    for obj in objects:
        row: dict[str, Any] = {
            "namespace": _meta(obj, "namespace"),
            "name": _meta(obj, "name"),
            "created": _meta(obj, "creation_timestamp"),
            "labels": ",".join(f"{k}={v}" for k, v in sorted((_meta(obj, "labels") or {}).items())) or None,
        }
        extra = _RECORD_FIELDS.get(_kind_of(obj))
        if extra is not None:
            row.update(extra(obj))
        rows.append(row)
    return rows


# -- tables of anything listed or watched ----------------------------------------------------------

HTML_ROW_LIMIT = 200
"""Rows an HTML table shows before it says how many more there are (a notebook is no place for 100k rows)."""


def _is_event(value: Any) -> bool:
    return hasattr(value, "type") and hasattr(value, "object") and not _is_model_with_kind(value)


def _is_model_with_kind(value: Any) -> bool:
    return getattr(type(value), "__kind__", None) is not None


def rows_of(items: Sequence[Any], *, wide: bool = False, now: datetime | None = None
            ) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for objects or watch events (events get a ``TYPE`` column first).

    Mixed namespaces add ``NAMESPACE``, as ``oc get -A`` does."""
    events = bool(items) and _is_event(items[0])
    objects = [item.object for item in items] if events else list(items)
    namespaces = len({_meta(obj, "namespace") for obj in objects}) > 1
    kind = next((_kind_of(obj) for obj in objects if _meta(obj, "name")), None)
    headers, rows = table_rows(objects, kind=kind, wide=wide, namespaces=namespaces, now=now)
    if events:
        headers.insert(0, "TYPE")
        for item, row in zip(items, rows, strict=True):
            row.insert(0, str(item.type))
    return headers, rows


def html_of(items: Sequence[Any], *, total: int | None = None) -> str:
    """An HTML table of objects or events, cut at :data:`HTML_ROW_LIMIT` rows with a count of the rest."""
    total = len(items) if total is None else total
    headers, rows = rows_of(items[:HTML_ROW_LIMIT])
    footer = (f"{total} item{'s' if total != 1 else ''}" if total <= HTML_ROW_LIMIT
              else f"{HTML_ROW_LIMIT} of {total} items shown")
    return html_table(headers, rows, footer=footer)


def event_repr(event: Any) -> str:
    """``Event(ADDED ImageStream demo/hello rv=42)``."""
    obj = event.object
    where = "/".join(str(part) for part in (_meta(obj, "namespace"), _meta(obj, "name")) if part)
    version = _meta(obj, "resource_version")
    suffix = f" rv={version}" if version else ""
    return f"Event({event.type} {_kind_of(obj)} {where}{suffix})"


class Table:
    """Objects or watch events shown as a table: HTML in a notebook, plain columns in ``print``/``str``.

    ``Table(client.image_streams.list())``, ``Table(events)``; ``wide=True`` adds ``-o wide``'s columns.
    """

    def __init__(self, items: Iterable[Any], *, wide: bool = False) -> None:
        self.items = list(items)
        self.wide = wide

    def __len__(self) -> int:
        return len(self.items)

    def __str__(self) -> str:
        return plain_table(*rows_of(self.items, wide=self.wide)) if self.items else "No resources found.\n"

    def __repr__(self) -> str:
        return f"<Table of {len(self.items)} rows>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return html_of(self.items)


# -- describe (kinds without a workflow of their own) ----------------------------------------------


def describe_text(obj: Any, now: datetime | None = None) -> str:
    """``oc describe``-style text: name, namespace, created, labels, annotations, the kind's key fields."""
    now = now or datetime.now(timezone.utc)
    created = _meta(obj, "creation_timestamp")
    lines: list[tuple[str, str]] = [
        ("Name", str(_meta(obj, "name") or "")),
        ("Namespace", str(_meta(obj, "namespace") or "")),
        ("Created", f"{_ago(created, now)}" if created is not None else ""),
        ("Labels", "\n".join(f"{k}={v}" for k, v in sorted((_meta(obj, "labels") or {}).items())) or "<none>"),
        ("Annotations", "\n".join(f"{k}={v}" for k, v in sorted((_meta(obj, "annotations") or {}).items()))
         or "<none>"),
        *_card_fields(obj, now),
    ]
    width = max(len(label) for label, _ in lines) + 2
    out: list[str] = []
    for label, text in lines:
        if not text:
            continue
        first, *rest = text.split("\n")
        out.append(f"{label + ':':<{width}}{first}")
        out.extend(" " * width + line for line in rest)
    return "\n".join(out) + "\n"
