"""``imageapi apply -f FILE``: kubectl's ``apply --server-side -f`` over :mod:`imageapi.manifests`."""

from __future__ import annotations

import argparse
from typing import Any

from . import _render
from ._common import connection_flags, dry_run, dry_run_flag, make_client, resolve


def _apply(args: argparse.Namespace) -> int:
    from .. import manifests

    objects = [obj for path in args.filename for obj in manifests.load_file(path)]
    with make_client(args) as client:
        applied = manifests.apply(client, objects, field_manager=args.field_manager, force=args.force_conflicts,
                                  dry_run=dry_run(args), namespace=args.namespace)
    suffix = " (server dry run)" if dry_run(args) else ""
    for obj in applied:
        resource = resolve(type(obj).__kind__ or "", "patch")
        if args.output == "name":
            print(resource.name_of(obj))
        elif args.output in ("json", "yaml"):
            _render.print_objects([obj], resource, args.output, single=True)
        else:
            print(f"{resource.name_of(obj)} serverside-applied{suffix}")
    return 0


def register_apply(subparsers: Any) -> None:
    """Add ``apply``."""
    parser = subparsers.add_parser(
        "apply", parents=[connection_flags()], help="create or update objects from YAML/JSON files (server-side apply)",
        description="Apply manifests with server-side apply: imageapi apply -f streams.yaml [-f more.json] "
                    "(- reads standard input).")
    parser.add_argument("-f", "--filename", action="append", required=True, metavar="FILE",
                        help="a YAML or JSON manifest (several documents and List kinds welcome); repeatable")
    parser.add_argument("--field-manager", default="imageapi", help="the field manager to apply as (default: imageapi)")
    parser.add_argument("--force-conflicts", action="store_true",
                        help="take over fields that other managers own instead of failing with a conflict")
    dry_run_flag(parser)
    parser.add_argument("-o", "--output", choices=("name", "json", "yaml"), metavar="FORMAT",
                        help="print the applied objects: name|json|yaml")
    parser.set_defaults(func=_apply)
