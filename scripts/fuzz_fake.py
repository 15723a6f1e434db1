"""Fuzz ``python -m imageapi serve`` with thousands of generated and hostile requests, and count what
went wrong: wrong answers, 5xx, hangs (all must be 0).

    python scripts/fuzz_fake.py [--requests 5000] [--seed 1] [--slow 100]

Four phases against one served cluster (its token read from the kubeconfig ``serve`` writes):

1. generated requests from the server's own OpenAPI v3 document (``imageapi.testing._fuzz``): bodies
   from each operation's schema, a wrong-typed value, hostile encodings (NaN, BOM, UTF-16, truncation,
   deep nesting, duplicate keys, ``1e400``) and hostile query parameters (bad ``continue`` tokens,
   limits, resourceVersions, selectors);
2. hostile framing over raw sockets: odd methods, bad ``Content-Length``, header lines without a colon,
   oversized headers and URLs, bad HTTP versions, foreign ``Host`` and ``Origin``, bad chunking,
   malformed protobuf, no or a wrong token;
3. slow senders (half-sent headers or bodies), which the server must cut off;
4. integrity: every list and a watch still answer, and every stored object still decodes against the
   schema.

A *wrong answer* is an answer the oracle refuses (``_fuzz.judge``: not well-formed Status JSON for an
error, or accepted where the Go server refuses); a *hang* is no answer (or no close) within the bound.
Exit status 1 if any count is not zero.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from imageapi.testing._decode import decode_typed
from imageapi.testing._fuzz import SchemaValues, generate, judge
from imageapi.testing._http_server import BODY_TIMEOUT, HEADER_TIMEOUT

ANSWER_TIMEOUT = 15.0  # no answer within this is a hang
GROUP = "/apis/image.openshift.io/v1"
KINDS = {f"{GROUP}/images": "Image", f"{GROUP}/imagestreams": "ImageStream", "/api/v1/secrets": "Secret",
         "/api/v1/namespaces": "Namespace"}


@dataclass
class Tally:
    """What the run counted, and a few examples of each problem."""

    requests: Counter[str] = field(default_factory=Counter)
    codes: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, phase: str, *, wrong: str | None = None, error: str | None = None, hang: str | None = None) -> None:
        with self.lock:
            self.requests[phase] += 1
            for bucket, item in ((self.wrong, wrong), (self.server_errors, error), (self.hangs, hang)):
                if item is not None:
                    bucket.append(item)


@contextmanager
def served(workdir: Path) -> Iterator[tuple[str, str]]:
    """``python -m imageapi serve`` with its default (generated) token: URL and token. Its stderr goes
    to ``workdir/serve.stderr`` (a pipe nobody reads could fill up and stall the server)."""
    kubeconfig = workdir / "fake.kubeconfig"
    with (workdir / "serve.stderr").open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "imageapi", "serve", "--port", "0", "--kubeconfig",
                                    str(kubeconfig), "--seed", "demo"], stdout=subprocess.PIPE, stderr=stderr,
                                   text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        token = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
        yield url, token
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def generated_phase(client: httpx.Client, values: SchemaValues, count: int, seed: int, tally: Tally) -> None:
    rnd = random.Random(seed)
    for _ in range(count):
        case = generate(values, rnd)
        label = f"{case.method} {case.url()[:120]} [{case.what}]"
        tally.kinds[case.what.split(" at ")[0]] += 1
        try:
            with client.stream(case.method, case.url(), content=case.body, headers=case.headers) as response:
                body = b"" if case.is_watch() and response.status_code == 200 else response.read()
        except httpx.TimeoutException:
            tally.add("generated", hang=label)
            continue
        except httpx.TransportError as error:
            tally.add("generated", wrong=f"{label}: connection failed: {error!r}")
            continue
        tally.codes[response.status_code] += 1
        if response.status_code >= 500:
            tally.add("generated", error=f"{label}: {response.status_code} {body[:200]!r}")
            continue
        tally.add("generated", wrong=(None if (problem := judge(case, response.status_code, response.headers, body))
                                      is None else f"{label}: {problem}"))


@dataclass
class RawCase:
    """A request written byte by byte, and the status codes its answer may have."""

    what: str
    data: bytes
    codes: frozenset[int]


def raw_cases(port: int, token: str, rnd: random.Random) -> Iterator[RawCase]:
    host = f"127.0.0.1:{port}"
    auth = f"Authorization: Bearer {token}\r\n"
    streams = f"{GROUP}/namespaces/demo/imagestreams"

    def head(method: str, path: str, extra: str = "", *, with_host: bool = True, with_auth: bool = True,
             version: str = "HTTP/1.1") -> bytes:
        lines = f"{method} {path} {version}\r\n" + (f"Host: {host}\r\n" if with_host else "") + \
            (auth if with_auth else "") + extra + "Connection: close\r\n\r\n"
        return lines.encode("latin-1")

    for method in ("FOO", "get", "TRACE", "PROPFIND", "CONNECT", "Get", "BREW"):
        yield RawCase(f"method {method}", head(method, rnd.choice((streams, f"{GROUP}/images"))), frozenset({405}))
    yield RawCase("method not a token", head("G(T", streams), frozenset({400}))
    for length in ("-1", "lots", "1e3", "", "0x10", "+5", "5 5", "99999999999999999999"):
        code = 413 if length.isdigit() else 400
        yield RawCase(f"Content-Length {length!r}", head("POST", streams, f"Content-Length: {length}\r\n"),
                      frozenset({code}))
    yield RawCase("two Content-Lengths", head("POST", streams, "Content-Length: 1\r\nContent-Length: 2\r\n") + b"{}",
                  frozenset({400}))
    yield RawCase("CL and chunked", head("POST", streams, "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n"),
                  frozenset({400}))
    yield RawCase("gzip coding", head("POST", streams, "Transfer-Encoding: gzip\r\n"), frozenset({501}))
    yield RawCase("bad chunk size", head("POST", streams, "Transfer-Encoding: chunked\r\n") + b"zz\r\n",
                  frozenset({400}))
    yield RawCase("chunk without CRLF", head("POST", streams, "Transfer-Encoding: chunked\r\n") + b"2\r\n{}XX",
                  frozenset({400}))
    for line in ("NoColonHere", "Bad Name: x", "\x01: x", "Name : x"):
        yield RawCase(f"header line {line!r}", head("GET", "/api", line + "\r\n"), frozenset({400}))
    yield RawCase("1 MiB of headers", head("GET", "/api", "X-Big: " + "b" * (1 << 20) + "\r\n"), frozenset({431}))
    yield RawCase("100 KiB URL", head("GET", f"{streams}/{'a' * 100_000}"), frozenset({404}))
    yield RawCase("600 KiB query", head("GET", f"{streams}?labelSelector={'a' * 600_000}"), frozenset({400}))
    for version, code in (("HTTP/2.0", 505), ("HTTP/0.9", 505), ("HTTX/1.1", 400), ("HTTP/1.1.1", 400)):
        yield RawCase(f"version {version}", head("GET", "/api", version=version), frozenset({code}))
    yield RawCase("no version", b"GET /api\r\n\r\n", frozenset({400}))
    yield RawCase("no Host", head("GET", "/api", with_host=False), frozenset({400}))
    for foreign in ("evil.example", "evil.example:80", "127.0.0.1.nip.io", "10.1.2.3:443"):
        yield RawCase(f"Host {foreign}", head("GET", "/api", with_host=False).replace(
            b"GET /api HTTP/1.1\r\n", f"GET /api HTTP/1.1\r\nHost: {foreign}\r\n".encode()), frozenset({403}))
    yield RawCase("Origin", head("POST", streams, "Origin: https://evil.example\r\nContent-Length: 2\r\n") + b"{}",
                  frozenset({403}))
    yield RawCase("no token", head("GET", streams, with_auth=False), frozenset({401}))
    yield RawCase("wrong token", head("GET", streams, with_auth=False).replace(
        b"Connection:", b"Authorization: Bearer nope\r\nConnection:"), frozenset({401}))
    for garbage in (b"k8s\x00", b"k8s\x00\x0a\x05\x08\x01", b"k8s\x00" + bytes(rnd.randrange(256) for _ in range(40)),
                    b"nope", b"k8s\x00\x12\x02\x08"):
        yield RawCase("protobuf body", head("POST", "/api/v1/namespaces/demo/secrets",
                                            "Content-Type: application/vnd.kubernetes.protobuf\r\n"
                                            f"Content-Length: {len(garbage)}\r\n") + garbage,
                      frozenset({400, 415}))
    for token_text in ('{"v":"meta.k8s.io/v1","rv":1e400,"start":"a"}', "[" * 20_000, "\xff\xfe", '{"v":5}',
                       '{"v":"meta.k8s.io/v1","rv":true,"start":"a"}'):
        continue_token = base64.urlsafe_b64encode(token_text.encode("latin-1")).decode().rstrip("=")
        yield RawCase("continue token", head("GET", f"{streams}?limit=1&continue={continue_token}"),
                      frozenset({400, 410}))


def exchange(port: int, data: bytes) -> tuple[bytes | None, bool]:
    """Send ``data``, read until the server closes: the reply (None: nothing) and whether it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT) as sock:
        with contextlib.suppress(OSError):  # the server may answer and close before reading a huge request
            sock.sendall(data)
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except TimeoutError:
            return reply or None, False
        except ConnectionResetError:
            pass
    return reply or None, True


def framing_phase(port: int, token: str, rounds: int, seed: int, tally: Tally) -> None:
    rnd = random.Random(seed)
    for _ in range(rounds):
        for case in raw_cases(port, token, rnd):
            reply, closed = exchange(port, case.data)
            if not closed:
                tally.add("framing", hang=case.what)
                continue
            tally.add("framing", wrong=_judge_raw(case, reply), error=_server_error(case, reply))


def _judge_raw(case: RawCase, reply: bytes | None) -> str | None:
    if reply is None:
        return f"{case.what}: closed without an answer"
    head, _, body = reply.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.1 (\d{3})", head)
    if match is None:
        return f"{case.what}: not an HTTP answer: {reply[:80]!r}"
    code = int(match.group(1))
    if code not in case.codes:
        return f"{case.what}: expected {sorted(case.codes)}, got {code}"
    if b"application/json" not in head.lower():
        return f"{case.what}: {code} is not JSON"
    try:
        status = json.loads(body)
    except ValueError:
        return f"{case.what}: {code} body is not JSON: {body[:80]!r}"
    if status.get("kind") != "Status" or status.get("code") != code:
        return f"{case.what}: {code} body is not its Status"
    return None


def _server_error(case: RawCase, reply: bytes | None) -> str | None:
    if reply and re.match(rb"HTTP/1\.1 5\d\d", reply) and not re.match(rb"HTTP/1\.1 50[15]", reply):
        return f"{case.what}: {reply[:120]!r}"
    return None


def slow_phase(port: int, count: int, tally: Tally) -> None:
    """Half-sent requests: the server must close each within its header or body deadline."""
    sockets = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT)
        if index % 3 == 0:
            sock.sendall(b"GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # headers never end
        elif index % 3 == 1:
            sock.sendall(f"POST {GROUP}/images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{{".encode())
        sockets.append(sock)  # index % 3 == 2: connects and says nothing at all
    deadline = time.monotonic() + max(HEADER_TIMEOUT, BODY_TIMEOUT) + 10
    for index, sock in enumerate(sockets):
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        what = ("headers never end", "body never arrives", "silent connection")[index % 3]
        try:
            while sock.recv(65536):
                pass
            tally.add("slow")
        except TimeoutError:
            tally.add("slow", hang=what)
        except ConnectionResetError:
            tally.add("slow")
        finally:
            sock.close()


def integrity_phase(client: httpx.Client, tally: Tally) -> None:
    for path, kind in KINDS.items():
        response = client.get(path)
        if response.status_code != 200:
            tally.add("integrity", wrong=f"list {path}: {response.status_code}")
            continue
        problems = []
        for item in response.json()["items"]:
            try:
                decode_typed(kind, item)
            except ValueError as error:
                problems.append(f"stored {kind} {item.get('metadata', {}).get('name')!r}: {error}")
        tally.add("integrity", wrong="; ".join(problems[:3]) or None)
    for path in (f"{GROUP}/imagestreamtags", f"{GROUP}/imagetags"):
        response = client.get(path)
        tally.add("integrity", wrong=None if response.status_code == 200 else f"list {path}: {response.status_code}")
    with client.stream("GET", f"{GROUP}/imagestreams", params={"watch": "true", "timeoutSeconds": "1"}) as watch:
        lines = [json.loads(line) for line in watch.iter_lines() if line.strip()]
    tally.add("integrity", wrong=None if watch.status_code == 200 and all("type" in line for line in lines) else
              f"watch: {watch.status_code}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="generated requests (phase 1)")
    parser.add_argument("--framing-rounds", type=int, default=8, help="rounds of the raw framing cases (phase 2)")
    parser.add_argument("--slow", type=int, default=60, help="half-sent requests (phase 3)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        with served(Path(workdir)) as (url, token):
            port = int(url.rsplit(":", 1)[1])
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                              timeout=ANSWER_TIMEOUT) as client:
                values = SchemaValues(client.get(f"/openapi/v3{GROUP}").json())
                slow = threading.Thread(target=slow_phase, args=(port, args.slow, tally))
                slow.start()  # the slow senders wait out their deadlines while the other phases run
                generated_phase(client, values, args.requests, args.seed, tally)
                framing_phase(port, token, args.framing_rounds, args.seed, tally)
                slow.join()
                integrity_phase(client, tally)
        tracebacks = (Path(workdir) / "serve.stderr").read_text().count("Traceback")
    total = sum(tally.requests.values())
    print(f"requests: {total} ({', '.join(f'{phase}: {n}' for phase, n in tally.requests.items())}) "
          f"in {time.monotonic() - started:.0f} s")
    print("generated cases: " + ", ".join(f"{kind} {n}" for kind, n in tally.kinds.most_common()))
    print("their answers: " + ", ".join(f"{code}: {n}" for code, n in sorted(tally.codes.items())))
    print(f"wrong answers: {len(tally.wrong)}")
    print(f"5xx: {len(tally.server_errors)}")
    print(f"hangs: {len(tally.hangs)}")
    print(f"tracebacks on the server's stderr: {tracebacks}")
    for title, items in (("wrong", tally.wrong), ("5xx", tally.server_errors), ("hang", tally.hangs)):
        for item in items[:10]:
            print(f"  {title}: {item}")
    return 0 if not (tally.wrong or tally.server_errors or tally.hangs or tracebacks) else 1


if __name__ == "__main__":
    sys.exit(main())
