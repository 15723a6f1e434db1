"""``imageapi get``, ``imageapi watch``: read resources as ``oc get`` does."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import _render
from ._common import (
    Resource,
    UsageError,
    connection_flags,
    listing_flags,
    make_client,
    output_flag,
    scope,
    split_type_and_names,
)


def _selectors(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.selector:
        options["label_selector"] = args.selector
    if args.field_selector:
        options["field_selector"] = args.field_selector
    return options


def list_objects(accessor: Any, resource: Resource, args: argparse.Namespace) -> list[Any]:
    """Every object of a list, page by page, with a progress bar on a terminal (there may be 100k)."""
    chunk: dict[str, Any] = {"chunk_size": args.chunk_size} if resource.info.list_chunking else {}
    pager = accessor.list(**scope(args, resource), **_selectors(args), **chunk)
    objects: list[Any] = []
    with _render.progress(f"listing {resource.info.plural}") as bar:
        for page in pager.pages():
            items = page.items or []
            objects.extend(items)
            remaining = pager.remaining_item_count
            bar.advance(len(items), total=len(objects) + remaining if remaining is not None else None)
    return objects


def fetch(accessor: Any, resource: Resource, names: list[str], args: argparse.Namespace) -> list[Any]:
    """The objects named, else the whole list (``get``/``describe``); a resource without list needs names."""
    if names:
        return [accessor.get(name) for name in names]
    if resource.info.supports("list"):
        return list_objects(accessor, resource, args)
    example = resource.info.short_names[0] if resource.info.short_names else resource.info.plural
    raise UsageError(f"{resource.qualified} cannot be listed: name the objects (e.g. {example} NAME)")


def _no_resources(args: argparse.Namespace, resource: Resource, client: Any) -> str:
    if not resource.info.namespaced or args.all_namespaces:
        return "No resources found"
    return f"No resources found in {client.namespace} namespace."


def _get(args: argparse.Namespace) -> int:
    resource, names = split_type_and_names(args.resource, "get")
    if names and (args.selector or args.field_selector):
        raise UsageError("a name cannot be combined with a selector (-l/--field-selector)")
    if names and args.all_namespaces:
        raise UsageError("a resource cannot be retrieved by name across all namespaces")
    with make_client(args) as client:
        accessor = getattr(client, resource.accessor)
        objects = fetch(accessor, resource, names, args)
        if not objects and args.output in ("table", "wide"):
            print(_no_resources(args, resource, client), file=sys.stderr)
        else:
            _render.print_objects(objects, resource, args.output, single=len(names) == 1,
                                  namespaces=bool(args.all_namespaces), managed_fields=args.show_managed_fields)
        if args.watch:
            return _stream(client, accessor, resource, args, names,
                           resource_version=_newest_version(objects), header=not objects)
    return 0


def _newest_version(objects: list[Any]) -> str | None:
    versions = [getattr(getattr(obj, "metadata", None), "resource_version", None) for obj in objects]
    numeric = [int(v) for v in versions if v and v.isdigit()]
    return str(max(numeric)) if numeric else None


def _stream(client: Any, accessor: Any, resource: Resource, args: argparse.Namespace, names: list[str],
            *, resource_version: str | None, header: bool) -> int:
    """Print events until Ctrl-C (or the server's end), one flushed line each."""
    if not resource.info.supports("watch"):
        raise UsageError(f"{resource.qualified} cannot be watched (the server offers no watch on it)")
    if len(names) > 1:
        raise UsageError("watch takes at most one name")
    options: dict[str, Any] = {**scope(args, resource), **_selectors(args)}
    if names:
        options["name"] = names[0]
    if resource_version is not None:
        options["resource_version"] = resource_version
    with accessor.watch(**options) as watcher:
        for event in watcher:
            if event.type == "BOOKMARK":
                continue
            _render.print_event_row(event.type, event.object, resource, args.output, header=header,
                                    namespaces=bool(args.all_namespaces))
            header = False
    return 0


def _watch(args: argparse.Namespace) -> int:
    resource, names = split_type_and_names(args.resource, "watch")
    with make_client(args) as client:
        return _stream(client, getattr(client, resource.accessor), resource, args, names,
                       resource_version=None, header=True)


def register_get(subparsers: Any) -> None:
    """Add ``get`` and ``watch``."""
    parents = [connection_flags(), listing_flags()]
    parser = subparsers.add_parser(
        "get", parents=parents, help="show resources as oc get does (is, istag, itag, isimage, images)",
        description="Show one or many resources: imageapi get is, imageapi get istag web:latest -o yaml, "
                    "imageapi get is/web is/api, imageapi get is -A -l app=web -w.")
    parser.add_argument("resource", nargs="+", metavar="RESOURCE", help="TYPE [NAME...] or TYPE/NAME...")
    output_flag(parser)
    parser.add_argument("-w", "--watch", action="store_true", help="after listing, print changes as they happen")
    parser.add_argument("--show-managed-fields", action="store_true", help="keep metadata.managedFields in json/yaml")
    parser.set_defaults(func=_get)

    parser = subparsers.add_parser(
        "watch", parents=parents, help="print changes to resources as they happen (Ctrl-C stops)",
        description="Print the current objects as ADDED events, then every change: imageapi watch is -n demo.")
    parser.add_argument("resource", nargs="+", metavar="RESOURCE", help="TYPE [NAME] or TYPE/NAME")
    output_flag(parser)
    parser.set_defaults(func=_watch)


def _describe(args: argparse.Namespace) -> int:
    from .._display import describe_text

    resource, names = split_type_and_names(args.resource, "get")
    with make_client(args) as client:
        accessor = getattr(client, resource.accessor)
        objects = fetch(accessor, resource, names, args)
        if not objects:
            print(_no_resources(args, resource, client), file=sys.stderr)
        texts = [describe_stream(client, obj) if resource.info.kind == "ImageStream" else describe_text(obj)
                 for obj in objects]
    print("\n\n".join(text.rstrip("\n") for text in texts))
    return 0


def describe_stream(client: Any, stream: Any) -> str:
    """``oc describe is`` text: the workflows' description of the stream already read (its ``str()``)."""
    from ..workflows.describe import describe_stream as description

    return str(description(stream.to_dict()))


def register_describe(subparsers: Any) -> None:
    """Add ``describe``."""
    parser = subparsers.add_parser(
        "describe", parents=[connection_flags(), listing_flags()],
        help="show details of resources as oc describe does",
        description="Show details: imageapi describe is hello -n demo, imageapi describe istag hello:1.0.")
    parser.add_argument("resource", nargs="+", metavar="RESOURCE", help="TYPE [NAME...] or TYPE/NAME...")
    parser.set_defaults(func=_describe)
