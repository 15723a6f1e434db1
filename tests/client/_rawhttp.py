"""A loopback HTTP/1.1 server whose answers the test writes byte by byte.

For behaviour no real server offers on demand: answers that trickle, stall or never come. Subclasses
implement :meth:`RawServer.answer`; connections it hands to :meth:`RawServer.hold` stay open until
:meth:`RawServer.close`, the others are closed when it returns.
"""

from __future__ import annotations

import socket
import threading


class RawServer:
    """Listens on 127.0.0.1 (any free port); ``url`` is its base URL. One thread per connection."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def answer(self, connection: socket.socket, head: bytes) -> bool:
        """Answer the request whose head (request line and headers) is ``head``; True to read
        another request from the same connection."""
        raise NotImplementedError

    def hold(self, connection: socket.socket) -> None:
        """Keep ``connection`` open (never answered further) until the server closes."""
        self._held.append(connection)

    def close(self) -> None:
        """Stop listening and close every held connection."""
        self._listener.close()
        for connection in self._held:
            connection.close()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._converse, args=(connection,), daemon=True).start()

    def _converse(self, connection: socket.socket) -> None:
        try:
            while (head := _read_head(connection)) is not None and self.answer(connection, head):
                pass
        except OSError:
            pass  # the client hung up
        finally:
            if connection not in self._held:
                connection.close()


def _read_head(connection: socket.socket) -> bytes | None:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        head += chunk
    return head


def target(head: bytes) -> bytes:
    """The request target (path and query) of a request head."""
    return head.split(b" ", 2)[1]
