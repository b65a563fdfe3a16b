"""A throwaway TCP server that never finishes what a connection needs before HTTP starts: a
TLS handshake, or a proxy's answer to CONNECT. It sends a byte at a time, faster than any
read timeout, so only the run's deadline can end a connection to it."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A TLS record header announcing a 16 KiB handshake record (RFC 8446, 5.1: type 22, legacy
# version 3.3, length 0x4000), then a ServerHello's type byte: a client's TLS library waits
# for the whole record before it looks at any of it.
SERVER_HELLO = b"\x16\x03\x03\x40\x00\x02"
# A proxy's CONNECT answer whose headers never end.
CONNECT_ANSWER = b"HTTP/1.1 200 Connection established\r\nX-Slow: "

_LONGEST = 20.0  # seconds a connection is dribbled at most: a test that fails still ends


@contextmanager
def dribbling(
    start: bytes, every: float = 0.2, tls: tuple[Path, Path] | None = None
) -> Iterator[int]:
    """A server on 127.0.0.1 (its port is yielded) that, on each connection, reads what the
    client sends first, then sends `start` and after it `a`s forever, one byte per `every`
    seconds; inside TLS when `tls` names a certificate and its key (an HTTPS proxy)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)

    def serve(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client hung up (ssl.SSLError is one too)
            connection.settimeout(_LONGEST)
            if context is not None:
                connection = context.wrap_socket(connection, server_side=True)
        with connection, contextlib.suppress(OSError):
            connection.recv(65536)  # a ClientHello, or a CONNECT request
            sent = 0
            while not stop.wait(every) and sent * every < _LONGEST:
                connection.sendall(start[sent : sent + 1] or b"a")
                sent += 1

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener was closed
            while True:
                connection, _ = listener.accept()
                threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (Linux)
        listener.close()
