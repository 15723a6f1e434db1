"""How long a call lasts against a server trickling its answer, with ``timeout=`` alone and with ``deadline=``.

A loopback server answers a GET with its headers at once and then the body one byte every 50 ms
(``--bytes`` bytes, 100 by default: 5 s). Printed per client: how long the call took as a multiple of
the limit (1 s): ``timeout=1`` alone lets the trickle run its course, ``deadline=1`` ends it.

    python scripts/deadline.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time

from imageapi import AsyncClient, Client
from imageapi.errors import APITimeoutError

INTERVAL = 0.05
LIMIT = 1.0


def serve(size: int) -> tuple[socket.socket, str]:
    """A loopback server trickling a padded ImageStream body; returns the listener and its URL."""
    body = json.dumps({"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                       "metadata": {"name": "app", "namespace": "demo"}}).encode()
    body += b" " * max(0, size - len(body))
    listener = socket.create_server(("127.0.0.1", 0))

    def answer(connection: socket.socket) -> None:
        with connection:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                head += chunk
            try:
                connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                   f"{len(body)}\r\nConnection: close\r\n\r\n".encode())
                for index in range(len(body)):
                    connection.sendall(body[index:index + 1])
                    time.sleep(INTERVAL)
            except OSError:
                return

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def outcome(began: float, error: BaseException | None) -> str:
    took = (time.perf_counter() - began) / LIMIT
    return f"{took:.2f}x the limit ({'APITimeoutError' if isinstance(error, APITimeoutError) else 'completed'})"


def run_sync(url: str, **limit: float) -> str:
    began = time.perf_counter()
    with Client(url, namespace="demo", retries=0, timeout=LIMIT) as client:
        try:
            client.image_streams.get("app", **limit)
        except APITimeoutError as error:
            return outcome(began, error)
    return outcome(began, None)


def run_async(url: str, **limit: float) -> str:
    async def call() -> str:
        began = time.perf_counter()
        async with AsyncClient(url, namespace="demo", retries=0, timeout=LIMIT) as client:
            try:
                await client.image_streams.get("app", **limit)
            except APITimeoutError as error:
                return outcome(began, error)
        return outcome(began, None)

    return asyncio.run(call())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bytes", type=int, default=100)
    arguments = parser.parse_args()
    listener, url = serve(arguments.bytes)
    print(f"body of {arguments.bytes} bytes trickled one per {INTERVAL * 1000:.0f} ms; limit {LIMIT:g} s")
    for name, run in (("sync", run_sync), ("async", run_async)):
        print(f"{name:5} timeout=1 alone: {run(url)}")
        print(f"{name:5} deadline=1:       {run(url, deadline=LIMIT)}")
    listener.close()


if __name__ == "__main__":
    main()
