"""``tag``, ``import``, ``promote``, ``mirror``, ``prune``, ``set image-lookup``: oc's verbs, as thin
layers over the workflows (``client.image_streams.tag/untag/import_image/set_image_lookup`` and
``imageapi.workflows.promote/mirror/prune``). Arguments and flags are oc's; what is printed is the
workflow result's own ``str()``; long work draws progress on a terminal."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from typing import Any

from . import _render
from ._common import UsageError, connection_flags, dry_run, dry_run_flag, make_client

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> timedelta:
    """Go's duration syntax as oc takes it: ``60m``, ``1h30m``, ``720h``, ``90s``."""
    position, seconds = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not text or position != len(text):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (use e.g. 60m, 1h30m, 720h)")
    return timedelta(seconds=seconds)


def _bool(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def _print(result: Any) -> None:
    print(str(result))


# -- tag ---------------------------------------------------------------------------------------------


def _tag(args: argparse.Namespace) -> int:
    with make_client(args) as client:
        streams = client.image_streams
        if args.delete:
            targets = [args.source, *args.destinations]
            _print(streams.plan_untag(*targets) if dry_run(args) else streams.untag(*targets))
            return 0
        if not args.destinations:
            raise UsageError("tag needs a SOURCE and at least one DESTINATION (or -d DESTINATION...)")
        options: dict[str, Any] = {
            "source_kind": args.source_kind, "alias": args.alias, "reference": args.reference,
            "scheduled": args.scheduled, "insecure": args.insecure, "reference_policy": args.reference_policy,
            "import_mode": args.import_mode,
        }
        if dry_run(args):
            _print(streams.plan_tag(args.source, *args.destinations, **options))
        else:
            _print(streams.tag(args.source, *args.destinations, **options))
    return 0


def _add_tag(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tag", parents=[connection_flags()], help="tag an image into image streams (oc tag)",
        description="oc tag: imageapi tag hello:1.0 hello:stable; imageapi tag quay.io/x/app:2 app:2 "
                    "--scheduled; imageapi tag -d app:old.")
    parser.add_argument("source", metavar="SOURCE", help="[NAMESPACE/]STREAM:TAG, STREAM@DIGEST or a pull spec")
    parser.add_argument("destinations", nargs="*", metavar="DEST", help="[NAMESPACE/]STREAM:TAG to write")
    parser.add_argument("--source", dest="source_kind", choices=("imagestreamtag", "istag", "imagestreamimage",
                                                                  "isimage", "docker"),
                        help="the source's kind (default: inferred as oc does)")
    parser.add_argument("--alias", action="store_true", help="track the source tag instead of pinning its image")
    parser.add_argument("--reference", action="store_true", help="reference the source without importing it")
    parser.add_argument("--scheduled", action="store_true", help="re-import the source periodically")
    parser.add_argument("--insecure", action="store_true", help="allow an insecure registry")
    parser.add_argument("--reference-policy", choices=("source", "local", "Source", "Local"), default="Source",
                        type=lambda text: text.capitalize(), help="Source (default) or Local")
    parser.add_argument("--import-mode", choices=("Legacy", "PreserveOriginal"),
                        help="Legacy or PreserveOriginal (manifest lists)")
    parser.add_argument("-d", "--delete", action="store_true", help="delete the given tags")
    dry_run_flag(parser)
    parser.set_defaults(func=_tag)


# -- import ------------------------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
    with make_client(args) as client, _render.progress(f"importing {args.name}", spinner=True):
        result = client.image_streams.import_image(
            args.name, from_=args.from_, all=args.all, confirm=args.confirm,
            reference_policy=args.reference_policy, import_mode=args.import_mode, scheduled=args.scheduled,
            insecure=args.insecure, dry_run=dry_run(args))
    _print(result)
    return 0 if getattr(result, "ok", True) else 1


def _add_import(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", parents=[connection_flags()], help="import images from a registry (oc import-image)",
        description="oc import-image: imageapi import app:1.0 --from quay.io/x/app:1.0 --confirm; "
                    "imageapi import app --all --from quay.io/x/app --confirm.")
    parser.add_argument("name", metavar="NAME[:TAG]")
    parser.add_argument("--from", dest="from_", metavar="PULLSPEC", help="the registry image or repository")
    parser.add_argument("--confirm", action="store_true", help="create the stream, or change its repository")
    parser.add_argument("--all", action="store_true", help="import every tag of the repository")
    parser.add_argument("--reference-policy", choices=("source", "local"), help="source or local")
    parser.add_argument("--import-mode", choices=("Legacy", "PreserveOriginal"), help="Legacy or PreserveOriginal")
    parser.add_argument("--scheduled", action="store_true", help="re-import periodically")
    parser.add_argument("--insecure", action="store_true", default=None, help="allow an insecure registry")
    dry_run_flag(parser)
    parser.set_defaults(func=_import)


# -- promote, mirror ---------------------------------------------------------------------------------


def _promote(args: argparse.Namespace) -> int:
    from ..workflows.promote import promote

    expect = dict(item.split("=", 1) for item in args.expect or [])
    with make_client(args) as client:
        _print(promote(client, args.source, args.destination, args.tags or None, expect=expect))
    return 0


def _mirror(args: argparse.Namespace) -> int:
    from .._client import Client
    from ..workflows.mirror import mirror

    with make_client(args) as client:
        target = None
        if args.to_context or args.to_kubeconfig:
            target = Client(kubeconfig=args.to_kubeconfig or args.kubeconfig, context=args.to_context)
        try:
            with _render.progress(f"mirroring {args.source}", spinner=True):
                result = mirror(client, args.source, args.destination, to=target, tags=args.tags or None)
        finally:
            if target is not None:
                target.close()
    _print(result)
    return 0


def _add_promote_mirror(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "promote", parents=[connection_flags()], help="copy the images behind tags to another stream, by digest",
        description="imageapi promote dev/app prod/app latest 1.0 [--expect latest=sha256:...]")
    parser.add_argument("source", metavar="[NAMESPACE/]STREAM")
    parser.add_argument("destination", metavar="[NAMESPACE/]STREAM")
    parser.add_argument("tags", nargs="*", metavar="TAG", help="tags to promote (default: every tag)")
    parser.add_argument("--expect", action="append", metavar="TAG=DIGEST",
                        help="promote only if TAG still points at DIGEST (repeatable)")
    parser.set_defaults(func=_promote)

    parser = subparsers.add_parser(
        "mirror", parents=[connection_flags()], help="make a stream carry the same images as another",
        description="imageapi mirror team/app [mirror/app] [--to-context other-cluster] [--tags 1.0 latest]")
    parser.add_argument("source", metavar="[NAMESPACE/]STREAM")
    parser.add_argument("destination", nargs="?", metavar="[NAMESPACE/]STREAM")
    parser.add_argument("--to-context", help="the destination cluster's kubeconfig context")
    parser.add_argument("--to-kubeconfig", help="the destination cluster's kubeconfig")
    parser.add_argument("--tags", nargs="+", metavar="TAG", help="only these tags")
    parser.set_defaults(func=_mirror)


# -- prune -------------------------------------------------------------------------------------------


def _prune(args: argparse.Namespace) -> int:
    from ..workflows import prune as pruning

    options: dict[str, Any] = {
        "keep_tag_revisions": args.keep_tag_revisions, "keep_younger_than": args.keep_younger_than,
        "all": args.all, "references": args.reference or (), "ignore_invalid_refs": args.ignore_invalid_refs,
    }
    if args.namespace:
        options["namespace"] = args.namespace
    if not args.confirm:
        print("Dry run enabled - no modifications will be made. Add --confirm to remove images", file=sys.stderr)
    with make_client(args) as client:
        with _render.progress("planning the prune: reading streams, images and workloads", spinner=True):
            plan = pruning.plan(client, **options)
        if args.show_kept:
            print(pruning.describe_plan(plan, kept=True))
        if not args.confirm:
            _print(plan)
            return 0
        with _render.progress("pruning") as bar:
            def report(done: int, total: int, what: str) -> None:
                bar.advance(1, total=total, description=f"pruning {what}")

            result = pruning.apply(client, plan, progress=report)
    _print(result)
    return 0


def _add_prune(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prune", parents=[connection_flags()], help="remove old image revisions and unused images (dry run by default)",
        description="oc adm prune images: imageapi prune --keep-tag-revisions 3 --keep-younger-than 60m "
                    "[--confirm]. Without --confirm nothing changes: the plan is printed.")
    parser.add_argument("--keep-tag-revisions", type=int, default=3, metavar="N",
                        help="revisions to keep per tag (default 3)")
    parser.add_argument("--keep-younger-than", type=parse_duration, default=timedelta(minutes=60),
                        metavar="DURATION", help="keep images younger than this (default 60m)")
    parser.add_argument("--confirm", action="store_true", help="apply the plan (default: dry run)")
    parser.add_argument("--all", type=_bool, default=True, metavar="BOOL",
                        help="also prune images the registry does not manage (default true)")
    parser.add_argument("--reference", action="append", metavar="PULLSPEC",
                        help="an image reference to treat as in use (repeatable)")
    parser.add_argument("--ignore-invalid-refs", action="store_true", help="skip unparsable references")
    parser.add_argument("--show-kept", action="store_true",
                        help="first list every revision and image with the rule that keeps or removes it")
    parser.set_defaults(func=_prune)


# -- set image-lookup --------------------------------------------------------------------------------


def _set_image_lookup(args: argparse.Namespace) -> int:
    if not args.names and not args.all and not args.selector:
        raise UsageError("name the image streams, or pass --all or -l SELECTOR")
    with make_client(args) as client:
        streams = client.image_streams
        options: dict[str, Any] = {"enabled": args.enabled, "all": args.all, "label_selector": args.selector}
        if dry_run(args):
            _print(streams.plan_image_lookup(*args.names, **options))
        else:
            _print(streams.set_image_lookup(*args.names, **options))
    return 0


def _add_set(subparsers: Any) -> None:
    parser = subparsers.add_parser("set", help="change a setting of resources (image-lookup)")
    verbs = parser.add_subparsers(dest="setting", metavar="SETTING", required=True,
                                  parser_class=type(parser))
    lookup = verbs.add_parser(
        "image-lookup", parents=[connection_flags()], help="let pods name the stream's tags (oc set image-lookup)",
        description="imageapi set image-lookup app [--enabled=false]; imageapi set image-lookup --all")
    lookup.add_argument("names", nargs="*", metavar="STREAM")
    lookup.add_argument("--enabled", type=_bool, default=True, metavar="BOOL", help="true (default) or false")
    lookup.add_argument("--all", action="store_true", help="every stream of the namespace")
    lookup.add_argument("-l", "--selector", help="streams matching this label selector")
    dry_run_flag(lookup)
    lookup.set_defaults(func=_set_image_lookup)


def register_workflows(subparsers: Any) -> None:
    """Add ``tag``, ``import``, ``promote``, ``mirror``, ``prune`` and ``set``."""
    _add_tag(subparsers)
    _add_import(subparsers)
    _add_promote_mirror(subparsers)
    _add_prune(subparsers)
    _add_set(subparsers)
