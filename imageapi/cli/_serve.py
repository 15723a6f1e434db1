"""``imageapi serve``: run a fake image API server on loopback until interrupted::

    imageapi serve --port 8080 --kubeconfig ./fake.kubeconfig [--token T] [--seed demo]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Callable
from typing import Any


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

    cluster = FakeCluster(token=args.token, flavour=args.flavour)
    for seed in args.seed or []:
        SEEDS[seed](cluster)
    with cluster.serve(port=args.port) as server:
        if args.kubeconfig:
            server.write_kubeconfig(args.kubeconfig)
        print(server.url, flush=True)
        if args.kubeconfig:
            print(f"kubeconfig written to {args.kubeconfig}", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop serving
            threading.Event().wait()
    cluster.close()
    return 0


def register_serve(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser("serve", help="run a fake image API server on 127.0.0.1 until interrupted")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for the server to this path")
    parser.add_argument("--token", help="bearer token that every request must carry")
    parser.add_argument("--seed", action="append", choices=sorted(SEEDS), help="content to create at start")
    parser.add_argument("--flavour", choices=("current", "4.17"), default="current",
                        help="server behaviour to emulate (default: current)")
    parser.set_defaults(func=_serve)
