"""Errors a person can read: short tracebacks from the caller's line, one-line messages, bare Ctrl-C.

A failed call's traceback shows the user's line and a few frames of the SDK, never the retry
controller (tenacity), ``concurrent.futures``, httpx or httpcore; the low-level exception stays on
``error.original``. Ctrl-C in a watch or in a long call closes the connection and prints a bare
``KeyboardInterrupt``: checked in a subprocess that is sent SIGINT while blocked on a socket.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from imageapi import AsyncClient, Client
from imageapi.errors import APIConnectionError, NotFoundError

from ._listwatch import Consumer, consumer  # noqa: F401  (fixture)
from ._rawhttp import RawServer, target

INTERNAL_MODULES = ("tenacity", "concurrent", "httpcore", "httpx", "anyio", "pydantic")

NOT_FOUND = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
             "message": 'imagestreams.image.openshift.io "missing" not found',
             "details": {"name": "missing", "group": "image.openshift.io", "kind": "imagestreams"}}


def _frames(error: BaseException) -> list[str]:
    return [frame.filename for frame in traceback.extract_tb(error.__traceback__)]


def _not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json=NOT_FOUND)


def _assert_no_internal_frames(error: BaseException) -> None:
    shown = "".join(traceback.format_exception(error))
    for module in INTERNAL_MODULES:
        assert f"/{module}/" not in shown, (module, shown)
    assert error.__cause__ is None and error.__suppress_context__


def test_a_404_is_raised_from_the_callers_line_with_no_internal_frames() -> None:
    with Client("https://api.example.test:6443", transport=httpx.MockTransport(_not_found)) as client, \
            pytest.raises(NotFoundError) as caught:
        client.image_streams.get("missing", namespace="demo")
    _assert_no_internal_frames(caught.value)
    # This test's line, then the verb, the accessor's dispatch and the driver: nothing deeper.
    assert len(_frames(caught.value)) <= 4


def test_a_404_on_the_async_client_has_no_internal_frames_either() -> None:
    async def call() -> None:
        async with AsyncClient("https://api.example.test:6443", transport=httpx.MockTransport(_not_found)) as client:
            await client.image_streams.get("missing", namespace="demo")

    with pytest.raises(NotFoundError) as caught:
        asyncio.run(call())
    _assert_no_internal_frames(caught.value)
    assert [name for name in _frames(caught.value) if "imageapi" in name] == [
        name for name in _frames(caught.value) if name.endswith("_base_client.py")
    ]


def test_str_is_one_line_with_code_reason_message_method_and_url() -> None:
    client = Client("https://api.example.test:6443", transport=httpx.MockTransport(
        lambda request: httpx.Response(404, json={**NOT_FOUND, "message": "first line\nsecond line"})))
    with client, pytest.raises(NotFoundError) as caught:
        client.image_streams.get("missing", namespace="demo")
    assert str(caught.value) == (
        "404 NotFound: first line second line "
        "(GET https://api.example.test:6443/apis/image.openshift.io/v1/namespaces/demo/imagestreams/missing)"
    )
    assert repr(caught.value) == "NotFoundError(code=404, reason='NotFound', message='first line second line')"
    assert caught.value.status is not None and caught.value.status.details is not None
    assert caught.value.status.details.name == "missing"


def test_repr_stays_short_for_a_long_message() -> None:
    from imageapi.errors import error_from_response

    body = json.dumps({**NOT_FOUND, "code": 422, "reason": "Invalid", "message": "x" * 5000}).encode()
    error = error_from_response("PUT", "https://h/apis/x", 422, {}, body)
    assert len(repr(error)) < 200
    assert len(str(error)) > 5000  # str keeps the whole message


def test_a_transport_error_keeps_the_httpx_error_on_original_not_in_the_chain(make_client: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = make_client(transport=httpx.MockTransport(refuse), namespace="demo", retries=0)
    with pytest.raises(APIConnectionError) as caught:
        client.image_streams.get("app")
    assert isinstance(caught.value.original, httpx.ConnectError)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "/httpx/" not in "".join(traceback.format_exception(caught.value))


class _InterruptedStream(httpx.SyncByteStream):
    """A watch body that delivers nothing and is interrupted by Ctrl-C while the client reads it."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        raise KeyboardInterrupt
        yield b""  # pragma: no cover

    def close(self) -> None:
        self.closed = True


def test_ctrl_c_in_a_watch_closes_the_stream_and_raises_a_bare_keyboard_interrupt() -> None:
    stream = _InterruptedStream()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=stream)

    with Client("https://api.example.test:6443", transport=httpx.MockTransport(answer)) as client:
        watch = client.image_streams.watch(namespace="demo", resource_version="5")
        with pytest.raises(KeyboardInterrupt) as caught:
            next(watch)
    assert stream.closed
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert [name for name in _frames(caught.value) if "httpx" in name or "httpcore" in name] == []


# --------------------------------------------------------------------------------------------------
# Ctrl-C in a subprocess, blocked on a real socket


class _HangingServer(RawServer):
    """Answers a list, then takes watch (or ``/slow``) requests and never answers them. ``blocked``
    is set once such a request has been read: the client is then waiting on its socket."""

    def __init__(self) -> None:
        self.blocked = threading.Event()
        super().__init__()

    def answer(self, connection: socket.socket, head: bytes) -> bool:
        path = target(head)
        if b"watch=true" in path or b"/slow" in path:
            self.hold(connection)
            if b"watch=true" in path:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n")
            self.blocked.set()
            return False
        body = json.dumps({"kind": "ImageStreamList", "apiVersion": "image.openshift.io/v1",
                           "metadata": {"resourceVersion": "5"}, "items": []}).encode()
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                           + str(len(body)).encode() + b"\r\n\r\n" + body)
        return True


CHILDREN = {
    "watch-sync": """
        from imageapi import Client
        with Client(URL) as client:
            for event in client.image_streams.watch(namespace="demo"):
                pass
    """,
    "watch-async": """
        import asyncio
        from imageapi import AsyncClient
        async def main():
            async with AsyncClient(URL) as client:
                async for event in client.image_streams.watch(namespace="demo"):
                    pass
        asyncio.run(main())
    """,
    "get-sync": """
        from imageapi import Client
        with Client(URL + "/slow", timeout=None) as client:
            client.image_streams.get("app", namespace="demo")
    """,
    "get-async": """
        import asyncio
        from imageapi import AsyncClient
        async def main():
            async with AsyncClient(URL + "/slow", timeout=None) as client:
                await client.image_streams.get("app", namespace="demo")
        asyncio.run(main())
    """,
}


@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_ctrl_c_prints_a_bare_keyboard_interrupt(child: str) -> None:
    server = _HangingServer()
    try:
        program = f"URL = {server.url!r}\n" + textwrap.dedent(CHILDREN[child])
        process = subprocess.Popen([sys.executable, "-c", program], stderr=subprocess.PIPE, text=True)
        try:
            assert server.blocked.wait(30), "the child never reached the server"
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    finally:
        server.close()
    lines = stderr.rstrip("\n").splitlines()
    assert lines[-1] == "KeyboardInterrupt", stderr
    for module in ("httpcore", "httpx", "tenacity", "concurrent", "anyio"):
        assert module not in stderr, stderr
    if child == "watch-sync":
        # The user's line, the watcher's outermost frame, and the exception: nothing more.
        assert len(lines) <= 6, stderr
    elif child == "get-sync":
        # The user's line, the verb, the accessor's dispatch and the driver.
        assert len(lines) <= 12, stderr
    else:
        # asyncio.run cancels the task and then raises KeyboardInterrupt itself, with the
        # cancellation as context: its own frames, the user's, and one of the SDK's.
        assert len(lines) <= 25, stderr
