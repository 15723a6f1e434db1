"""What every verb shares: kubectl's connection flags, resource names, the client, usage errors."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from .._client import Client
    from .._resource_info import ResourceInfo


class UsageError(Exception):
    """A command line that cannot work (exit status 2), said in one line."""


class CommandError(Exception):
    """A command that failed for a reason other than the API's (exit status 1), said in one line."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (``error: ...``) and exit status 2, as kubectl."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# -- flags -------------------------------------------------------------------------------------------


def connection_flags() -> ArgumentParser:
    """``--kubeconfig``, ``--context``, ``-n``/``--namespace``: a parent parser for verbs that talk to a cluster."""
    parser = ArgumentParser(add_help=False)
    group = parser.add_argument_group("connection")
    group.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    group.add_argument("--context", help="kubeconfig context to use (default: the current one)")
    group.add_argument("-n", "--namespace", help="namespace (default: the context's, or 'default')")
    group.add_argument("--request-timeout", type=float, metavar="SECONDS", help="timeout of each request")
    return parser


def listing_flags() -> ArgumentParser:
    """``-A``, ``-l``, ``--field-selector``, ``--chunk-size``: a parent parser for verbs that list."""
    parser = ArgumentParser(add_help=False)
    group = parser.add_argument_group("listing")
    group.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace")
    group.add_argument("-l", "--selector", metavar="SELECTOR", help="label selector (app=web,tier!=db)")
    group.add_argument("--field-selector", metavar="SELECTOR", help="field selector (metadata.name=web)")
    group.add_argument("--chunk-size", type=int, default=500, metavar="N", help="items per list page (default 500)")
    return parser


OUTPUTS = ("table", "wide", "json", "yaml", "name")


def output_flag(parser: argparse.ArgumentParser, default: str = "table") -> None:
    """``-o table|wide|json|yaml|name``."""
    parser.add_argument("-o", "--output", choices=OUTPUTS, default=default, metavar="FORMAT",
                        help=f"{'|'.join(OUTPUTS)} (default: {default})")


def dry_run_flag(parser: argparse.ArgumentParser) -> None:
    """``--dry-run[=server|none]`` (kubectl's; ``client`` is read as ``server``: the server validates)."""
    parser.add_argument("--dry-run", nargs="?", const="server", default="none",
                        choices=("none", "server", "client"),
                        help="send the change with dryRun: the server validates it and stores nothing")


def dry_run(args: argparse.Namespace) -> bool:
    """Whether ``--dry-run`` asks for a dry run."""
    return bool(getattr(args, "dry_run", "none") != "none")


# -- resources ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """A resource of the group as the CLI names it: its table row and the client attribute."""

    info: ResourceInfo
    accessor: str

    @property
    def qualified(self) -> str:
        """``imagestreams.image.openshift.io``: how kubectl names the resource in messages."""
        return f"{self.info.plural}.{self.info.group}"

    def name_of(self, obj: Any) -> str:
        """``imagestream.image.openshift.io/web`` (``-o name``)."""
        metadata = getattr(obj, "metadata", None)
        return f"{self.info.singular}.{self.info.group}/{getattr(metadata, 'name', '')}"


# Extra names people type for a resource, on top of plural, singular, kind and the short names.
_EXTRA_ALIASES = {"imagestreamimages": ("isi",)}


def _accessor_name(kind: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower() + "s"


def resources() -> dict[str, Resource]:
    """Every spelling of every readable resource (``is``, ``imagestream``, ``imagestreams``,
    ``imagestreams.image.openshift.io``, ``ImageStream``) to its :class:`Resource`."""
    from .._resource_table import RESOURCES

    table: dict[str, Resource] = {}
    for info in RESOURCES.values():
        resource = Resource(info, _accessor_name(info.kind))
        names = {info.plural, info.singular, info.kind.lower(), *info.short_names,
                 *_EXTRA_ALIASES.get(info.plural, ())}
        for name in names:
            table[name] = resource
            table[f"{name}.{info.group}"] = resource
    return table


def resolve(name: str, verb: str) -> Resource:
    """The resource called ``name``, which must support ``verb``; a usage error naming the choices otherwise."""
    table = resources()
    resource = table.get(name.lower())
    if resource is None:
        readable = sorted({r.info.plural for r in table.values() if r.info.supports(verb)})
        raise UsageError(f"the server doesn't have a resource type {name!r} (try: {', '.join(readable)})")
    if not resource.info.supports(verb):
        raise UsageError(f"{resource.qualified} does not support {verb!r} (the server offers: "
                         f"{', '.join(sorted(resource.info.verbs))})")
    return resource


def split_type_and_names(words: Sequence[str], verb: str) -> tuple[Resource, list[str]]:
    """kubectl's ``TYPE [NAME...]`` or ``TYPE/NAME...`` argument forms."""
    if not words:
        raise UsageError("you must specify the type of resource to get (e.g. 'is', 'istag', 'images')")
    first, rest = words[0], list(words[1:])
    if "/" in first:
        pairs = [word.split("/", 1) for word in words]
        kinds = {kind for kind, _ in pairs}
        if len(kinds) > 1 or any(len(pair) != 2 or not pair[1] for pair in pairs):
            raise UsageError("TYPE/NAME arguments must all name one resource type")
        return resolve(pairs[0][0], verb), [name for _, name in pairs]
    return resolve(first, verb), rest


# -- the client --------------------------------------------------------------------------------------


def make_client(args: argparse.Namespace) -> Client:
    """A client from ``--kubeconfig``/``--context``/``-n`` (kubectl's discovery otherwise)."""
    from .._client import Client

    options: dict[str, Any] = {}
    if getattr(args, "request_timeout", None):
        options["timeout"] = args.request_timeout
    return Client(kubeconfig=args.kubeconfig, context=args.context, namespace=args.namespace, **options)


def scope(args: argparse.Namespace, resource: Resource) -> dict[str, Any]:
    """The namespace keyword arguments of a call on ``resource`` from ``-n``/``-A``."""
    if not resource.info.namespaced:
        return {}
    if getattr(args, "all_namespaces", False):
        if args.namespace:
            raise UsageError("pass either -n/--namespace or -A/--all-namespaces, not both")
        return {"all_namespaces": True}
    return {}  # the client's namespace: -n, else the context's
