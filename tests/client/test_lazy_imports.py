"""What building a client loads, in a fresh interpreter: no retry machinery (tenacity and through it
asyncio, anyio) and no TLS context for a plain-HTTP server, until a request fails or TLS is used;
and once a request fails, it is retried all the same."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, capture_output=True,
                          text=True, timeout=120).stdout


def test_building_a_blocking_client_loads_no_retry_machinery_and_no_ca_bundle() -> None:
    loaded = _run("""
        import sys
        import imageapi
        client = imageapi.Client(base_url="http://127.0.0.1:9", namespace="demo")
        client.with_options(retries=imageapi.RetryPolicy(attempts=5))
        print(sorted(m for m in ("tenacity", "anyio", "asyncio", "certifi") if m in sys.modules))
    """)
    assert loaded.strip() == "[]"


def test_a_failed_request_loads_tenacity_and_is_retried() -> None:
    out = _run("""
        import socket, sys
        import imageapi
        with socket.socket() as probe:  # a port nobody listens on: every connect is refused
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        sleeps = []
        client = imageapi.Client(base_url=f"http://127.0.0.1:{port}", retries=2, sleep=sleeps.append)
        assert "tenacity" not in sys.modules
        try:
            client.image_streams.get("app", namespace="demo")
        except imageapi.APIConnectionError:
            print(len(sleeps), "tenacity" in sys.modules)
    """)
    assert out.split() == ["2", "True"]  # two waits: three tries in all



def test_listing_and_watching_from_a_blocking_client_loads_no_async_machinery() -> None:
    # A blocking program that lists and watches never needs asyncio or anyio (imported by the async
    # parts themselves) nor the controllers (loaded when an informer is made).
    from imageapi.testing import FakeCluster

    cluster = FakeCluster(namespaces=["demo"])
    cluster.store.create("imagestreams", "demo", {"metadata": {"name": "app"}})
    with cluster.serve() as server:
        loaded = _run(f"""
            import sys
            import imageapi
            client = imageapi.Client(base_url={server.url!r}, namespace="demo", retries=0)
            names = [stream.metadata.name for stream in client.image_streams.list()]
            with client.image_streams.watch(resource_version="0") as watch:
                event = next(iter(watch))
            print(names, event.type, event.object.metadata.name)
            print(sorted(m for m in ("anyio", "asyncio", "imageapi.controllers") if m in sys.modules))
        """)
    listed, modules = loaded.strip().splitlines()[-2:]
    assert listed == "['app'] ADDED app"
    assert modules == "[]"
