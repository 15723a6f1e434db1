"""``imageapi serve``: run a fake image API server on loopback until interrupted::

    imageapi serve --port 8080 --kubeconfig ./fake.kubeconfig [--token T | --no-auth] [--seed demo]

The server requires a bearer token by default: a random one, written only into the kubeconfig (mode
0600), so other users and processes of a shared machine cannot read or change the cluster.
``--no-auth`` serves without one, with a warning.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import threading
from collections.abc import Callable
from typing import Any

from ._common import CommandError, UsageError


def _seed_demo(cluster: Any) -> None:
    """A small demo namespace: an upstream image in the fake registry, a stream tracking it, a pull secret."""
    cluster.add_namespace("demo")
    if cluster.registry is not None:
        cluster.registry.add_image("quay.io/example/hello:1.0")
        cluster.registry.add_image("quay.io/example/hello:latest")
    cluster.add_secret("demo", "pull-secret", data={".dockerconfigjson": '{"auths":{}}'})
    cluster.create("imagestreams", {
        "metadata": {"name": "hello", "labels": {"app": "hello"}},
        "spec": {"tags": [
            {"name": "1.0", "from": {"kind": "DockerImage", "name": "quay.io/example/hello:1.0"}},
            {"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/example/hello:latest"}},
        ]},
    }, namespace="demo")


SEEDS: dict[str, Callable[[Any], None]] = {"demo": _seed_demo}
"""Content ``serve --seed NAME`` creates at start."""


def _serve(args: argparse.Namespace) -> int:
    from ..testing import FakeCluster

    token = _token(args)
    if token is not None and args.token is None and not args.kubeconfig:
        raise UsageError("serve: the generated bearer token is written only into the kubeconfig: pass "
                         "--kubeconfig PATH (or --token T, or --no-auth)")
    cluster = FakeCluster(token=token, flavour=args.flavour)
    for seed in args.seed or []:
        SEEDS[seed](cluster)
    try:
        serving = cluster.serve(port=args.port)
    except OSError as exc:  # a busy port: one line, not a traceback
        raise CommandError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}"
                           " (pick another --port, or 0 for any free one)") from exc
    with serving as server:
        if args.kubeconfig:
            try:
                server.write_kubeconfig(args.kubeconfig)
            except OSError as exc:  # a missing folder, say: one line naming the path asked for
                raise CommandError(f"cannot write the kubeconfig {args.kubeconfig}: {exc.strerror or exc}") from exc
        print(server.url, flush=True)
        if args.kubeconfig:
            print(f"kubeconfig written to {args.kubeconfig}", file=sys.stderr, flush=True)
        if token is None:
            print("WARNING: --no-auth: any process on this machine can read, change and delete everything in "
                  "this fake cluster, pull secrets included", file=sys.stderr, flush=True)
        else:
            print("requests need the bearer token from the kubeconfig (kubectl sends tokens only over TLS: "
                  "use --no-auth for kubectl)", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop serving
            threading.Event().wait()
    cluster.close()
    return 0


def _token(args: argparse.Namespace) -> str | None:
    """The token the server requires: the given one, none with ``--no-auth``, else a random one."""
    if args.no_auth:
        return None
    return args.token if args.token is not None else secrets.token_urlsafe(32)


def register_serve(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser("serve", help="run a fake image API server on 127.0.0.1 until interrupted")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for the server to this path")
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument("--token", help="bearer token that every request must carry (default: a random one, "
                                      "written into the kubeconfig)")
    auth.add_argument("--no-auth", action="store_true",
                      help="serve without a token: any local process can then use the cluster")
    parser.add_argument("--seed", action="append", choices=sorted(SEEDS), help="content to create at start")
    parser.add_argument("--flavour", choices=("current", "4.17"), default="current",
                        help="server behaviour to emulate (default: current)")
    parser.set_defaults(func=_serve)
