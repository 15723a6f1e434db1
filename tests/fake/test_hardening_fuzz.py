"""Property-based fuzzing of the fake from its own served OpenAPI document (issue 9 §6): generated
requests (bodies from each operation's schema, some with a wrong-typed value, a hostile encoding or
hostile query parameters) never get a 5xx or a malformed answer, every refusal the Go decoder makes
is made, and whatever was stored still decodes and lists. Bounded to run in seconds; the script
``scripts/fuzz_fake.py`` runs thousands against ``python -m imageapi serve``."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imageapi.testing import FakeCluster
from imageapi.testing._decode import decode_typed
from imageapi.testing._fuzz import SchemaValues, generate, judge
from imageapi.testing._http_server import FakeServer

KINDS = {"images": "Image", "imagestreams": "ImageStream",
         "secrets": "Secret", "namespaces": "Namespace"}
FUZZ_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[FakeCluster, httpx.Client, SchemaValues]]:
    """One cluster for the whole module, so later examples meet the state earlier ones left."""
    cluster = FakeCluster()
    with httpx.Client(transport=cluster.transport(), base_url="http://fake") as client:
        document = client.get("/openapi/v3/apis/image.openshift.io/v1").json()
        yield cluster, client, SchemaValues(document)
    cluster.close()


@FUZZ_SETTINGS
@given(rnd=st.randoms(use_true_random=False))
def test_generated_requests_get_well_formed_answers(fuzzed: tuple[FakeCluster, httpx.Client, SchemaValues],
                                                    rnd: random.Random) -> None:
    cluster, client, values = fuzzed
    for _ in range(8):
        case = generate(values, rnd)
        with client.stream(case.method, case.url(), content=case.body, headers=case.headers) as response:
            # A watch is judged by its head: its events are the watch tests' business, and reading
            # it to its end would wait out its timeoutSeconds.
            body = b"" if case.is_watch() and response.status_code == 200 else response.read()
        assert response.status_code < 500, (case, body[:300])
        problem = judge(case, response.status_code, response.headers, body)
        assert problem is None, (problem, case, body[:300])
    for resource, kind in KINDS.items():
        for stored in cluster.list(resource):
            assert decode_typed(kind, stored) == [], stored  # nothing wrong-typed was ever stored
        assert client.get(_list_path(resource)).status_code == 200


def _list_path(resource: str) -> str:
    if resource in ("secrets", "namespaces"):
        return f"/api/v1/{resource}"
    return f"/apis/image.openshift.io/v1/{resource}"


def test_the_generator_produces_every_kind_of_case(fuzzed: tuple[FakeCluster, httpx.Client, SchemaValues]) -> None:
    _cluster, _client, values = fuzzed
    rnd = random.Random(9)
    kinds = {generate(values, rnd).what.split(" at ")[0] for _ in range(2000)}
    assert {"valid", "wrong type", "NaN", "BOM", "UTF-16/32", "truncated", "duplicate key"} <= kinds
    assert any(kind.startswith("nested") for kind in kinds)
    methods = {operation.method for operation in values.operations}
    assert methods == {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def served(fuzzed: tuple[FakeCluster, httpx.Client, SchemaValues]) -> Iterator[FakeServer]:
    with fuzzed[0].serve() as server:
        yield server


@FUZZ_SETTINGS
@given(head=st.binary(max_size=300), tail=st.sampled_from([b"", b"\r\n", b"\r\n\r\n", b"\n\n{}"]))
def test_arbitrary_request_bytes_get_a_status_or_a_close(served: FakeServer, head: bytes, tail: bytes) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(head + tail)
        sock.shutdown(socket.SHUT_WR)  # nothing more comes: the server must answer or close now
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    if not reply:
        return  # closed without an answer: what Go's server does with a request that never started
    status_line, _, rest = reply.partition(b"\r\n")
    code = int(status_line.split(b" ")[1])
    assert code < 500 or code in (501, 505), reply[:300]
    if code >= 400:
        body = rest.partition(b"\r\n\r\n")[2]
        assert json.loads(body.split(b"HTTP/1.1 ")[0])["code"] == code
