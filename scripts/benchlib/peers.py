"""Benchmark section ``peers``: imageapi side by side with the clients a user would pick instead.

The peers: the official ``kubernetes`` client (``DynamicClient`` and ``CustomObjectsApi``),
``lightkube`` and ``kr8s`` (each sync, and async for the async row), plus **bytes**: plain ``httpx``
and ``json.loads``, the cost of the bytes themselves, which no client can beat. All talk to one fake
cluster served on loopback from a child process (``benchlib._cluster``), in one run, in interleaved
rounds (every client once per round, median of the rounds), each run's count checked:

- **list**: 20k image streams, 500 per page where the client pages (kr8s pages by 100, its fixed
  size), touching each item's name: client CPU per object;
- **watch**: 20k MODIFIED events replayed from history, reading each event's type and name: client
  CPU per event, and events per second;
- **get** (keep-alive, one client) and **create**: 2k requests each, requests per second;
- **async**: 500 concurrent gets, wall time, on a new client (opening its pool inside the burst) and
  on a warmed one;
- **import**: in a fresh interpreter, importing the client and the models and building a client,
  until the first request can be sent (the official ``DynamicClient`` needs its discovery requests),
  every client's bytecode compiled first, as an installed wheel has it (``compile_bytecode``);
- **memory**: in a fresh interpreter, listing 100k Images: peak RSS (``VmHWM``, the process's own
  high-water mark) and its growth over the RSS before the list.

Ratios are imageapi / peer: <= 1 is imageapi ahead for times, CPU and memory, >= 1 for rates.
Beside each row, the CPU share of every client (its CPU over the wall time) and of the server: a
server share near 1.0 means the server process (one core, one GIL) bounded that measurement, and a
rate ratio taken there measures the server, not the clients.

``--quick`` uses small sizes so the section runs in a minute; its figures are indicative only.
``PEERS_ROWS=list,watch,get,create,async,import,memory`` (any subset) runs only those rows.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from benchlib._cluster import (
    GET_NAME,
    GET_NAMESPACE,
    NAMESPACE,
    PEAK_RSS_PROBE,
    WATCH_NAMESPACE,
    WRITE_NAMESPACE,
    Server,
    new_stream,
)

GROUP, VERSION = "image.openshift.io", "v1"
CHUNK = 500
FULL = {"streams": 20_000, "events": 20_000, "images": 100_000, "requests": 2_000, "burst": 500, "repeat": 5}
QUICK = {"streams": 2_000, "events": 2_000, "images": 10_000, "requests": 300, "burst": 100, "repeat": 3}
ROWS = ("list", "watch", "get", "create", "async", "import", "memory")
PEERS = ("official Dynamic", "official Custom", "lightkube", "kr8s")
"""The columns of the table, in order; ``bytes`` is printed beside them as the floor."""


@dataclass
class Sample:
    """One timed run: wall and client CPU seconds, and the server's CPU seconds meanwhile."""

    wall: float
    cpu: float
    server: float


@dataclass
class Figures:
    """The medians of one client's samples."""

    wall: float
    cpu: float
    server: float

    @classmethod
    def of(cls, samples: list[Sample]) -> Figures:
        return cls(statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples),
                   statistics.median(s.server for s in samples))


def measure(server: Server, works: dict[str, Callable[[], int]], repeat: int, expected: int) -> dict[str, Figures]:
    """Run each work once per round, ``repeat`` rounds; medians per work. Each run's count is checked."""
    samples: dict[str, list[Sample]] = {name: [] for name in works}
    for _ in range(repeat):
        for name, work in works.items():
            server_cpu, wall, cpu = server.cpu_seconds(), time.perf_counter(), time.process_time()
            count = work()
            samples[name].append(Sample(time.perf_counter() - wall, time.process_time() - cpu,
                                        server.cpu_seconds() - server_cpu))
            if count != expected:
                raise AssertionError(f"{name} saw {count}, expected {expected}")
    return {name: Figures.of(values) for name, values in samples.items()}


# -- the synchronous clients ----------------------------------------------------------------------
# Each adapter does the tasks the way that client's documentation shows, nothing more.


class ImageapiSync:
    def __init__(self, url: str) -> None:
        from imageapi import Client

        self.client = Client(base_url=url, namespace="default")

    def list(self) -> int:
        return sum(bool(s.metadata.name) for s in self.client.image_streams.list(namespace=NAMESPACE, chunk_size=CHUNK))

    def watch(self, since: str, total: int) -> int:
        count = 0
        with self.client.image_streams.watch(namespace=WATCH_NAMESPACE, resource_version=since) as watch:
            for event in watch:
                count += bool(event.type == "MODIFIED" and event.object.metadata.name)
                if count >= total:
                    break
        return count

    def get(self, times: int) -> int:
        streams = self.client.image_streams
        return sum(bool(streams.get(GET_NAME, namespace=GET_NAMESPACE).metadata.name) for _ in range(times))

    def create(self, bodies: list[dict[str, Any]]) -> int:
        streams = self.client.image_streams
        return sum(bool(streams.create(body, namespace=WRITE_NAMESPACE).metadata.uid) for body in bodies)


class OfficialDynamic:
    def __init__(self, url: str) -> None:
        from kubernetes import client
        from kubernetes.dynamic import DynamicClient

        configuration = client.Configuration()
        configuration.host = url
        self.streams = DynamicClient(client.ApiClient(configuration)).resources.get(
            api_version=f"{GROUP}/{VERSION}", kind="ImageStream")

    def list(self) -> int:
        count, token = 0, None
        while True:
            page = self.streams.get(namespace=NAMESPACE, limit=CHUNK, _continue=token)
            count += sum(bool(s.metadata.name) for s in page.items)
            token = page.metadata["continue"]
            if not token:
                return count

    def watch(self, since: str, total: int) -> int:
        count = 0
        events = self.streams.watch(namespace=WATCH_NAMESPACE, resource_version=since)
        try:
            for event in events:
                count += bool(event["type"] == "MODIFIED" and event["object"].metadata.name)
                if count >= total:
                    break
        finally:
            events.close()
        return count

    def get(self, times: int) -> int:
        return sum(bool(self.streams.get(name=GET_NAME, namespace=GET_NAMESPACE).metadata.name) for _ in range(times))

    def create(self, bodies: list[dict[str, Any]]) -> int:
        return sum(bool(self.streams.create(body=body, namespace=WRITE_NAMESPACE).metadata.uid) for body in bodies)


class OfficialCustom:
    def __init__(self, url: str) -> None:
        from kubernetes import client, watch

        configuration = client.Configuration()
        configuration.host = url
        self.api = client.CustomObjectsApi(client.ApiClient(configuration))
        self._watch = watch.Watch

    def list(self) -> int:
        count, token = 0, None
        while True:
            page = self.api.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "imagestreams",
                                                          limit=CHUNK, _continue=token)
            count += sum(bool(s["metadata"]["name"]) for s in page["items"])
            token = page["metadata"].get("continue")
            if not token:
                return count

    def watch(self, since: str, total: int) -> int:
        count = 0
        watcher = self._watch()
        for event in watcher.stream(self.api.list_namespaced_custom_object, GROUP, VERSION, WATCH_NAMESPACE,
                                    "imagestreams", resource_version=since):
            count += bool(event["type"] == "MODIFIED" and event["object"]["metadata"]["name"])
            if count >= total:
                break
        watcher.stop()
        return count

    def get(self, times: int) -> int:
        get = self.api.get_namespaced_custom_object
        return sum(bool(get(GROUP, VERSION, GET_NAMESPACE, "imagestreams", GET_NAME)["metadata"]["name"])
                   for _ in range(times))

    def create(self, bodies: list[dict[str, Any]]) -> int:
        create = self.api.create_namespaced_custom_object
        return sum(bool(create(GROUP, VERSION, WRITE_NAMESPACE, "imagestreams", body)["metadata"]["uid"])
                   for body in bodies)


def _lightkube_config(url: str) -> Any:
    """A lightkube config for the fake (``KubeConfig.from_server`` leaves out the user lightkube then asserts on)."""
    from lightkube import KubeConfig

    return KubeConfig.from_dict(_kubeconfig(url))


def _kubeconfig(url: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": url}}],
        "users": [{"name": "anonymous", "user": {}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "anonymous", "namespace": "default"}}],
    }


def _lightkube_resource() -> Any:
    from lightkube.generic_resource import create_namespaced_resource

    return create_namespaced_resource(GROUP, VERSION, "ImageStream", "imagestreams")


class Lightkube:
    def __init__(self, url: str) -> None:
        from lightkube import Client

        self.client = Client(_lightkube_config(url))
        self.resource = _lightkube_resource()

    def list(self) -> int:
        listing = self.client.list(self.resource, namespace=NAMESPACE, chunk_size=CHUNK)
        return sum(bool(s.metadata.name) for s in listing)

    def watch(self, since: str, total: int) -> int:
        count = 0
        events = self.client.watch(self.resource, namespace=WATCH_NAMESPACE, resource_version=since)
        for kind, obj in events:
            count += bool(kind == "MODIFIED" and obj.metadata.name)
            if count >= total:
                break
        events.close()
        return count

    def get(self, times: int) -> int:
        get, resource = self.client.get, self.resource
        return sum(bool(get(resource, GET_NAME, namespace=GET_NAMESPACE).metadata.name) for _ in range(times))

    def create(self, bodies: list[dict[str, Any]]) -> int:
        create, resource = self.client.create, self.resource
        return sum(bool(create(resource.from_dict(body), namespace=WRITE_NAMESPACE).metadata.uid)
                   for body in bodies)


def _kr8s_class(asyncio: bool, kind: str = "ImageStream", namespaced: bool = True) -> Any:
    from kr8s.objects import new_class

    return new_class(f"{kind}.{GROUP}/{VERSION}", namespaced=namespaced, asyncio=asyncio)


class Kr8s:
    def __init__(self, url: str) -> None:
        import kr8s

        self.api = kr8s.api(url=url, namespace="default")
        self.resource = _kr8s_class(asyncio=False)

    def list(self) -> int:
        return sum(bool(s.metadata.name) for s in self.api.get(self.resource, namespace=NAMESPACE))

    def watch(self, since: str, total: int) -> int:
        count = 0
        events = self.api.watch(self.resource, namespace=WATCH_NAMESPACE, since=since)
        for kind, obj in events:
            count += bool(kind == "MODIFIED" and obj.metadata.name)
            if count >= total:
                break
        events.close()
        return count

    def get(self, times: int) -> int:
        get, api = self.resource.get, self.api
        return sum(bool(get(GET_NAME, namespace=GET_NAMESPACE, api=api).metadata.name) for _ in range(times))

    def create(self, bodies: list[dict[str, Any]]) -> int:
        count = 0
        for body in bodies:
            obj = self.resource(body, api=self.api)
            obj.create()
            count += bool(obj.metadata.uid)
        return count


class Bytes:
    """The floor: one ``httpx.Client`` and ``json.loads``; no client can do less and still read the data."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url)
        self.base = f"/apis/{GROUP}/{VERSION}/namespaces"

    def list(self) -> int:
        count, params = 0, {"limit": str(CHUNK)}
        while True:
            page = json.loads(self.http.get(f"{self.base}/{NAMESPACE}/imagestreams", params=params).content)
            count += sum(bool(s["metadata"]["name"]) for s in page["items"])
            token = page["metadata"].get("continue")
            if not token:
                return count
            params["continue"] = token

    def watch(self, since: str, total: int) -> int:
        count = 0
        with self.http.stream("GET", f"{self.base}/{WATCH_NAMESPACE}/imagestreams",
                              params={"watch": "true", "resourceVersion": since}, timeout=None) as response:
            for line in response.iter_lines():
                event = json.loads(line)
                count += bool(event["type"] == "MODIFIED" and event["object"]["metadata"]["name"])
                if count >= total:
                    break
        return count

    def get(self, times: int) -> int:
        path = f"{self.base}/{GET_NAMESPACE}/imagestreams/{GET_NAME}"
        return sum(bool(json.loads(self.http.get(path).content)["metadata"]["name"]) for _ in range(times))

    def create(self, bodies: list[dict[str, Any]]) -> int:
        path = f"{self.base}/{WRITE_NAMESPACE}/imagestreams"
        headers = {"Content-Type": "application/json"}
        return sum(bool(json.loads(self.http.post(path, content=json.dumps(body), headers=headers).content)
                        ["metadata"]["uid"]) for body in bodies)


SYNC_CLIENTS: dict[str, Callable[[str], Any]] = {
    "imageapi": ImageapiSync, "official Dynamic": OfficialDynamic, "official Custom": OfficialCustom,
    "lightkube": Lightkube, "kr8s": Kr8s, "bytes": Bytes,
}


# -- the asynchronous clients: a burst of concurrent gets -----------------------------------------


async def _imageapi_async(url: str) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    from imageapi import AsyncClient

    client = AsyncClient(base_url=url, namespace="default")
    return (lambda: client.image_streams.get(GET_NAME, namespace=GET_NAMESPACE)), client.aclose


async def _lightkube_async(url: str) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    from lightkube import AsyncClient

    client, resource = AsyncClient(_lightkube_config(url)), _lightkube_resource()
    return (lambda: client.get(resource, GET_NAME, namespace=GET_NAMESPACE)), client.close


async def _kr8s_async(url: str) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    import kr8s.asyncio

    api, resource = await kr8s.asyncio.api(url=url, namespace="default"), _kr8s_class(asyncio=True)

    async def close() -> None:
        if api._session is not None:
            await api._session.aclose()

    return (lambda: resource.get(GET_NAME, namespace=GET_NAMESPACE, api=api)), close


async def _bytes_async(url: str) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    import httpx

    # A pool timeout as long as the clients' own: 500 requests queue for 100 connections.
    http = httpx.AsyncClient(base_url=url, timeout=30.0)
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{GET_NAMESPACE}/imagestreams/{GET_NAME}"

    async def get() -> object:
        return json.loads((await http.get(path)).content)

    return get, http.aclose


ASYNC_CLIENTS = {"imageapi": _imageapi_async, "lightkube": _lightkube_async, "kr8s": _kr8s_async,
                 "bytes": _bytes_async}


async def _burst(get: Callable[[], Awaitable[object]], size: int) -> int:
    return len(await asyncio.gather(*(get() for _ in range(size))))


def _async_works(url: str, size: int) -> tuple[dict[str, Callable[[], int]], Callable[[], None]]:
    """Per async client: a burst on a new client, and a burst on a client kept warm; and a closer."""
    loop = asyncio.new_event_loop()
    warm: dict[str, Callable[[], Awaitable[object]]] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    works: dict[str, Callable[[], int]] = {}
    for name, make in ASYNC_CLIENTS.items():
        get, close = loop.run_until_complete(make(url))
        loop.run_until_complete(_burst(get, size))  # open the pool's connections
        warm[name] = get
        closers.append(close)

        def new(make: Any = make) -> int:
            async def run() -> int:
                get, close = await make(url)
                try:
                    return await _burst(get, size)
                finally:
                    await close()
            return loop.run_until_complete(run())

        works[f"{name} new"] = new
        works[f"{name} warm"] = lambda get=warm[name]: loop.run_until_complete(_burst(get, size))

    def close_all() -> None:
        for close in closers:
            loop.run_until_complete(close())
        loop.close()

    return works, close_all


# -- fresh interpreters: import time and peak memory ----------------------------------------------

_IMPORTS = {
    "imageapi": "from imageapi import Client\nfrom imageapi.models import ImageStream\n"
                "client = Client(base_url=URL, namespace='default')",
    "official Dynamic": "from kubernetes import client\nfrom kubernetes.dynamic import DynamicClient\n"
                        "c = client.Configuration(); c.host = URL\n"
                        "DynamicClient(client.ApiClient(c)).resources.get(api_version='image.openshift.io/v1',"
                        " kind='ImageStream')",
    "official Custom": "from kubernetes import client\nc = client.Configuration(); c.host = URL\n"
                       "client.CustomObjectsApi(client.ApiClient(c))",
    "lightkube": "from lightkube import Client, KubeConfig\n"
                 "from lightkube.generic_resource import create_namespaced_resource\n"
                 "create_namespaced_resource('image.openshift.io', 'v1', 'ImageStream', 'imagestreams')\n"
                 "Client(KubeConfig.from_dict(CONFIG))",
    "kr8s": "import kr8s\nfrom kr8s.objects import new_class\n"
            "new_class('ImageStream.image.openshift.io/v1', namespaced=True, asyncio=False)\n"
            "kr8s.api(url=URL, namespace='default')",
    "bytes": "import httpx, json\nhttpx.Client(base_url=URL)",
}

_LISTS = {
    "imageapi": "from imageapi import Client\nclient = Client(base_url=URL, namespace='default')\n"
                "next(client.images.list(chunk_size=1).pages())\n"
                "def run():\n    return sum(1 for i in client.images.list(chunk_size=CHUNK) if i.metadata.name)",
    "official Dynamic": "from kubernetes import client\nfrom kubernetes.dynamic import DynamicClient\n"
                        "c = client.Configuration(); c.host = URL\n"
                        "images = DynamicClient(client.ApiClient(c)).resources.get("
                        "api_version='image.openshift.io/v1', kind='Image')\n"
                        "images.get(limit=1)\n"
                        "def run():\n    count, token = 0, None\n    while True:\n"
                        "        page = images.get(limit=CHUNK, _continue=token)\n"
                        "        count += sum(1 for i in page.items if i.metadata.name)\n"
                        "        token = page.metadata['continue']\n        if not token:\n            return count",
    "official Custom": "from kubernetes import client\nc = client.Configuration(); c.host = URL\n"
                       "api = client.CustomObjectsApi(client.ApiClient(c))\n"
                       "api.list_cluster_custom_object('image.openshift.io', 'v1', 'images', limit=1)\n"
                       "def run():\n    count, token = 0, None\n    while True:\n"
                       "        page = api.list_cluster_custom_object('image.openshift.io', 'v1', 'images',"
                       " limit=CHUNK, _continue=token)\n"
                       "        count += sum(1 for i in page['items'] if i['metadata']['name'])\n"
                       "        token = page['metadata'].get('continue')\n        if not token:\n"
                       "            return count",
    "lightkube": "from lightkube import Client, KubeConfig\n"
                 "from lightkube.generic_resource import create_global_resource\n"
                 "Image = create_global_resource('image.openshift.io', 'v1', 'Image', 'images')\n"
                 "client = Client(KubeConfig.from_dict(CONFIG))\n"
                 "next(iter(client.list(Image, chunk_size=1)))\n"
                 "def run():\n    return sum(1 for i in client.list(Image, chunk_size=CHUNK) if i.metadata.name)",
    "kr8s": "import kr8s\nfrom kr8s.objects import new_class\n"
            "Image = new_class('Image.image.openshift.io/v1', namespaced=False, asyncio=False)\n"
            "api = kr8s.api(url=URL, namespace='default')\n"
            "api.get(Image, field_selector='metadata.name=none')\n"
            "def run():\n    return sum(1 for i in api.get(Image) if i.metadata.name)",
    "bytes": "import httpx, json\nhttp = httpx.Client(base_url=URL)\n"
             "http.get('/apis/image.openshift.io/v1/images', params={'limit': '1'})\n"
             "def run():\n    count, params = 0, {'limit': str(CHUNK)}\n    while True:\n"
             "        page = json.loads(http.get('/apis/image.openshift.io/v1/images', params=params).content)\n"
             "        count += sum(1 for i in page['items'] if i['metadata']['name'])\n"
             "        token = page['metadata'].get('continue')\n        if not token:\n            return count\n"
             "        params['continue'] = token",
}


def _child(code: str, url: str) -> str:
    prelude = f"URL = {url!r}\nCHUNK = {CHUNK}\nCONFIG = {_kubeconfig(url)!r}\n"
    return subprocess.run([sys.executable, "-c", prelude + code], check=True, capture_output=True,
                          text=True).stdout


COMPILED_PACKAGES = ("imageapi", "kubernetes", "lightkube", "kr8s", "httpx", "httpcore", "pydantic")


def compile_bytecode() -> None:
    """Write the ``.pyc`` files of every client's package, as installing a wheel does.

    An editable install (imageapi's here) has none, and under ``PYTHONDONTWRITEBYTECODE`` no import
    writes them: every fresh interpreter compiled imageapi's modules from source, 30 ms of its import
    that no installed copy pays. ``compileall`` writes them whatever that variable says.
    """
    import compileall
    import importlib.util

    for name in COMPILED_PACKAGES:
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec is not None else []:
            compileall.compile_dir(folder, quiet=1)


def import_seconds(url: str, runs: int) -> dict[str, float]:
    """Median seconds, in fresh interpreters, from the first import until a request can be sent."""
    timings: dict[str, list[float]] = {name: [] for name in _IMPORTS}
    for _ in range(runs):
        for name, code in _IMPORTS.items():
            timed = ("import time\n_t = time.perf_counter()\n" + code +
                     "\nprint(time.perf_counter() - _t)")
            timings[name].append(float(_child(timed, url).split()[-1]))
    return {name: statistics.median(values) for name, values in timings.items()}


def peak_rss_mib(url: str, expected: int, runs: int) -> dict[str, tuple[float, float]]:
    """Per client, medians in MiB of (peak RSS, its growth over the RSS before the list) listing Images."""
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in _LISTS}
    for _ in range(runs):
        for name, code in _LISTS.items():
            probe = (PEAK_RSS_PROBE + code +
                     "\nbefore = _status_kib('VmRSS')\nreport(run(), before)")
            count, before, peak = (int(value) for value in _child(probe, url).split()[-3:])
            if count != expected:
                raise AssertionError(f"{name} listed {count} images, expected {expected}")
            figures[name].append((peak / 1024, (peak - before) / 1024))
    return {name: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
            for name, values in figures.items()}


# -- the table ------------------------------------------------------------------------------------


def _ratios(ours: float, theirs: dict[str, float], names: tuple[str, ...] = PEERS) -> str:
    return "  ".join(f"{name} {ours / theirs[name]:.2f}x" if name in theirs else f"{name} -"
                     for name in names)


def _shares(figures: dict[str, Figures]) -> str:
    return ", ".join(f"{name} {f.cpu / f.wall:.2f}/{f.server / f.wall:.2f}" for name, f in figures.items())


def run(quick: bool) -> None:
    """Print the side-by-side table (see the module docstring)."""
    sizes = QUICK if quick else FULL
    print(f"  seeding a fake cluster in a server process: {sizes['streams']:,} image streams, "
          f"{sizes['images']:,} images, {sizes['events']:,} MODIFIED events ...", flush=True)
    server = Server(sizes["streams"], sizes["images"], sizes["events"])
    try:
        clients = {name: make(server.url) for name, make in SYNC_CLIENTS.items()}
        print("  ratios imageapi/peer (medians of interleaved rounds); after 'shares', per client: "
              "client CPU/wall and server CPU/wall (a server share near 1.0 bounds that figure)")

        rows = os.environ.get("PEERS_ROWS", ",".join(ROWS)).split(",")
        if "list" in rows:
            _list_row(server, clients, sizes)
        if "watch" in rows:
            _watch_row(server, clients, sizes)
        if "get" in rows:
            _get_row(server, clients, sizes)
        if "create" in rows:
            _create_row(server, clients, sizes)
        if "async" in rows:
            _async_row(server, sizes)
        if "import" in rows or "memory" in rows:
            compile_bytecode()  # fresh interpreters follow: none may pay for compiling its client
        if "import" in rows:
            _import_row(server, quick)
        if "memory" in rows:
            _memory_row(server, sizes, quick)
    finally:
        server.close()


def _list_row(server: Server, clients: dict[str, Any], sizes: dict[str, int]) -> None:
    repeat = sizes["repeat"]
    total = sizes["streams"]
    listing = measure(server, {n: c.list for n, c in clients.items()}, repeat, total)
    per_object = {n: f.cpu / total * 1e6 for n, f in listing.items()}
    print(f"  list {total:,} streams, client CPU per object: imageapi {per_object['imageapi']:.1f} us, "
          f"bytes {per_object['bytes']:.1f} us  -> {_ratios(per_object['imageapi'], per_object)}  "
          f"(vs bytes {per_object['imageapi'] / per_object['bytes']:.2f}x)")
    print(f"    shares: {_shares(listing)}", flush=True)


def _watch_row(server: Server, clients: dict[str, Any], sizes: dict[str, int]) -> None:
    repeat = sizes["repeat"]
    total = sizes["events"]
    watching = measure(server, {n: (lambda c=c: c.watch(server.events_from, total)) for n, c in clients.items()},
                       repeat, total)
    per_event = {n: f.cpu / total * 1e6 for n, f in watching.items()}
    rates = {n: total / f.wall for n, f in watching.items()}
    print(f"  watch {total:,} events, client CPU per event: imageapi {per_event['imageapi']:.1f} us, "
          f"bytes {per_event['bytes']:.1f} us -> {_ratios(per_event['imageapi'], per_event)}  "
          f"(vs bytes {per_event['imageapi'] / per_event['bytes']:.2f}x)")
    print(f"  watch events/s: imageapi {rates['imageapi']:,.0f}/s, bytes {rates['bytes']:,.0f}/s "
          f"-> {_ratios(rates['imageapi'], rates)}")
    print(f"    shares: {_shares(watching)}", flush=True)


def _get_row(server: Server, clients: dict[str, Any], sizes: dict[str, int]) -> None:
    repeat = sizes["repeat"]
    total = sizes["requests"]
    getting = measure(server, {n: (lambda c=c: c.get(total)) for n, c in clients.items()}, repeat, total)
    rates = {n: total / f.wall for n, f in getting.items()}
    print(f"  get keep-alive, {total:,} requests: imageapi {rates['imageapi']:,.0f}/s, bytes "
          f"{rates['bytes']:,.0f}/s -> {_ratios(rates['imageapi'], rates)}")
    print(f"    shares: {_shares(getting)}", flush=True)


def _create_row(server: Server, clients: dict[str, Any], sizes: dict[str, int]) -> None:
    repeat = sizes["repeat"]
    total = sizes["requests"]
    names = itertools.count()

    def creating(client: Any) -> Callable[[], int]:
        return lambda: client.create([new_stream(f"s{next(names)}") for _ in range(total)])

    created = measure(server, {n: creating(c) for n, c in clients.items()}, repeat, total)
    rates = {n: total / f.wall for n, f in created.items()}
    print(f"  create, {total:,} requests: imageapi {rates['imageapi']:,.0f}/s, bytes "
          f"{rates['bytes']:,.0f}/s -> {_ratios(rates['imageapi'], rates)}")
    print(f"    shares: {_shares(created)}", flush=True)


def _async_row(server: Server, sizes: dict[str, int]) -> None:
    repeat = sizes["repeat"]
    total = sizes["burst"]
    works, close_async = _async_works(server.url, total)
    try:
        bursts = measure(server, works, repeat, total)
    finally:
        close_async()
    for mode in ("new", "warm"):
        walls = {n.rsplit(" ", 1)[0]: f.wall for n, f in bursts.items() if n.endswith(mode)}
        print(f"  async {total} concurrent gets, {mode} client, wall: imageapi {walls['imageapi'] * 1e3:,.0f} ms,"
              f" bytes {walls['bytes'] * 1e3:,.0f} ms -> {_ratios(walls['imageapi'], walls)}")
    print(f"    shares: {_shares(bursts)}", flush=True)


def _import_row(server: Server, quick: bool) -> None:
    seconds = import_seconds(server.url, 5 if quick else 11)
    print(f"  import until the first request can be sent: imageapi {seconds['imageapi'] * 1e3:.0f} ms, "
          f"bytes {seconds['bytes'] * 1e3:.0f} ms -> {_ratios(seconds['imageapi'], seconds)}", flush=True)


def _memory_row(server: Server, sizes: dict[str, int], quick: bool) -> None:
    memory = peak_rss_mib(server.url, sizes["images"], 1 if quick else 3)
    peaks = {n: peak for n, (peak, _) in memory.items()}
    growth = {n: grown for n, (_, grown) in memory.items()}
    print(f"  peak RSS listing {sizes['images']:,} images (VmHWM): imageapi {peaks['imageapi']:.0f} MiB, "
          f"bytes {peaks['bytes']:.0f} MiB -> {_ratios(peaks['imageapi'], peaks)}")
    print("    growth over the RSS before the list: "
          + ", ".join(f"{n} {g:.0f} MiB" for n, g in growth.items()))
