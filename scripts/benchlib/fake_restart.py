"""Benchmark section ``fake_restart``: a fake cluster with a state file, stopped and started again.

Printed figures:

- writes before the stop and after the start, and the watch events a client resuming at its last
  resourceVersion received across the restart: expected, received, lost (must be 0) and duplicated;
- in-process create rates with and without a state file, interleaved (medians), and their ratio
  (goal: >= 2,000 writes/s with the state file);
- how long reopening a state file of that many objects takes, as a share of writing them.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from imageapi.testing import FakeCluster

PATH = "/api/v1/namespaces/bench/configmaps"


def _config_map(index: int) -> dict[str, object]:
    return {"metadata": {"name": f"c{index:06d}", "labels": {"app": "bench"}},
            "data": {"settings.json": json.dumps({"index": index, "replicas": 3, "mode": "fast"})}}


def _create_rate(state: Path | None, count: int) -> float:
    cluster = FakeCluster(state=state)
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        start = time.perf_counter()
        for index in range(count):
            client.post(PATH, json=_config_map(index)).raise_for_status()
        rate = count / (time.perf_counter() - start)
    cluster.close()
    return rate


def _watch(client: httpx.Client, since: str, count: int) -> list[str]:
    """Resource versions of the next ``count`` events from ``since`` (or until a 2 s server timeout)."""
    seen: list[str] = []
    params = {"watch": "true", "resourceVersion": since, "timeoutSeconds": "2"}
    with client.stream("GET", PATH, params=params) as response:
        for line in response.iter_lines():
            if line:
                seen.append(json.loads(line)["object"]["metadata"]["resourceVersion"])
            if len(seen) == count:
                break
    return seen


def _restart(directory: Path, before: int, after: int) -> None:
    state = directory / "restart.state"
    written: list[str] = []
    cluster = FakeCluster(state=state)
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        since = str(cluster.resource_version)
        half = before // 2
        for index in range(half):
            written.append(client.post(PATH, json=_config_map(index)).json()["metadata"]["resourceVersion"])
        seen = _watch(client, since, half)  # the client reads up to here, then the server stops
        for index in range(half, before):
            written.append(client.post(PATH, json=_config_map(index)).json()["metadata"]["resourceVersion"])
    cluster.close()
    start = time.perf_counter()
    cluster = FakeCluster(state=state)
    reopen = time.perf_counter() - start
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        for index in range(before, before + after):
            written.append(client.post(PATH, json=_config_map(index)).json()["metadata"]["resourceVersion"])
        seen += _watch(client, seen[-1], len(written) - len(seen))
    cluster.close()
    lost = len(set(written) - set(seen))
    duplicated = len(seen) - len(set(seen))
    print(f"  writes before the restart: {before:,}; after: {after:,}")
    print(f"  watch events across the restart: expected {len(written):,}, received {len(seen):,}, lost {lost} "
          f"({'met' if lost == 0 else 'NOT met'}: must be 0), duplicated {duplicated}, in order "
          f"{'yes' if seen == written else 'NO'}")
    print(f"  reopening {before:,} objects with their history took {reopen * 1000:,.0f} ms")


def run(quick: bool) -> None:
    """Print the restart figures and the write rates with and without a state file."""
    count = 500 if quick else 2_000
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        _restart(directory, count, count // 2)
        plain: list[float] = []
        stateful: list[float] = []
        for round_index in range(3 if quick else 5):
            plain.append(_create_rate(None, count))
            stateful.append(_create_rate(directory / f"rate{round_index}.state", count))
        with_state, without = statistics.median(stateful), statistics.median(plain)
        print(f"  in-process create without state: {without:,.0f}/s")
        print(f"  in-process create with a state file: {with_state:,.0f}/s (goal >= 2,000/s: "
              f"{'met' if with_state >= 2_000 else 'NOT met'}); ratio with/without {with_state / without:.2f}")
