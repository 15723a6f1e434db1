"""Contention on one object: N writers x M read-modify-write increments through ``retry_on_conflict``.

Each writer thread has its own client (over loopback to the fake cluster, as separate processes would
reach a real server). An increment reads the image stream, adds one to a counter annotation and
replaces the stream with the resourceVersion it read; a stale version is a 409 that
``retry_on_conflict`` retries with its backoff. Printed per backoff: increments refused (the
``ConflictError`` escaped after the last try), lost (counted as done but missing from the final
counter: must always be 0), the conflicts retried per increment, and the median and slowest
increment relative to an uncontended one (ratios, not absolute times).

    python scripts/contention.py                       # 8 writers x 100, old and new default
    python scripts/contention.py --writers 16 --increments 50 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from dataclasses import dataclass, field

from imageapi import Client, ConflictBackoff, retry_on_conflict
from imageapi.errors import ConflictError
from imageapi.testing import FakeCluster

COUNTER = "example.com/counter"

BACKOFFS: dict[str, ConflictBackoff] = {
    "client-go DefaultRetry (old default)": ConflictBackoff.client_go_default_retry(),
    "client-go DefaultBackoff": ConflictBackoff.client_go_default_backoff(),
    "ConflictBackoff.default() (new default)": ConflictBackoff.default(),
}


@dataclass
class Outcome:
    """What one run counted."""

    done: int = 0
    refused: int = 0
    conflicts: int = 0
    durations: list[float] = field(default_factory=list)
    most_tries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def increment(client: Client, outcome: Outcome, tries: list[int] | None = None) -> None:
    """Read, add one, write back conditionally (the function retry_on_conflict reruns)."""
    if tries is not None:
        tries[0] += 1
    try:
        stream = client.image_streams.get("counter")
        assert stream.metadata is not None
        annotations = dict(stream.metadata.annotations or {})
        annotations[COUNTER] = str(int(annotations.get(COUNTER, "0")) + 1)
        stream.metadata.annotations = annotations
        client.image_streams.replace(stream)
    except ConflictError:
        with outcome.lock:
            outcome.conflicts += 1
        raise


def writer(url: str, token: str | None, increments: int, backoff: ConflictBackoff, outcome: Outcome,
           start: threading.Barrier) -> None:
    with Client(url, token=token, namespace="demo") as client:
        start.wait()
        for _ in range(increments):
            began = time.perf_counter()
            tries = [0]
            try:
                retry_on_conflict(lambda tries=tries: increment(client, outcome, tries), backoff=backoff)
            except ConflictError:
                with outcome.lock:
                    outcome.refused += 1
                continue
            elapsed = time.perf_counter() - began
            with outcome.lock:
                outcome.done += 1
                outcome.durations.append(elapsed)
                outcome.most_tries = max(outcome.most_tries, tries[0])


def run(backoff: ConflictBackoff, writers: int, increments: int) -> tuple[Outcome, int, float]:
    """One contended run; returns the outcome, the final counter and the uncontended increment time."""
    cluster = FakeCluster()
    with cluster.serve() as server, Client(server.url, token=cluster.token, namespace="demo") as client:
        client.image_streams.create({"metadata": {"name": "counter", "annotations": {COUNTER: "0"}}})
        solo = Outcome()
        for _ in range(20):
            began = time.perf_counter()
            increment(client, solo)
            solo.durations.append(time.perf_counter() - began)
        baseline = statistics.median(solo.durations)
        client.image_streams.patch("counter", {"metadata": {"annotations": {COUNTER: "0"}}})
        outcome = Outcome()
        start = threading.Barrier(writers)
        threads = [threading.Thread(target=writer, args=(server.url, cluster.token, increments, backoff, outcome, start))
                   for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = int((client.image_streams.get("counter").metadata.annotations or {})[COUNTER])  # type: ignore[union-attr]
    cluster.close()
    return outcome, final, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--increments", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    print(f"{arguments.writers} writers x {arguments.increments} increments on one image stream, "
          f"{arguments.runs} runs per backoff")
    for name, backoff in BACKOFFS.items():
        for number in range(1, arguments.runs + 1):
            outcome, final, baseline = run(backoff, arguments.writers, arguments.increments)
            lost = outcome.done - final
            durations = outcome.durations or [0.0]
            print(f"{name} run {number}: refused {outcome.refused}, lost {lost}, "
                  f"conflicts retried per increment {outcome.conflicts / max(1, outcome.done + outcome.refused):.2f}, "
                  f"increment median {statistics.median(durations) / baseline:.1f}x uncontended, "
                  f"slowest {max(durations) / baseline:.0f}x, most tries for one increment "
                  f"{outcome.most_tries} of {backoff.steps}")


if __name__ == "__main__":
    main()
