"""A second route to the local Docker engine for tests: a TCP front for its unix socket.

It counts connections and records the API requests that pass through it, so a test can tell which route a
client took, and it can be cut and restored: the engine "going away" under a running step.
"""

from __future__ import annotations

import re
import socket
import threading

_REQUEST = re.compile(rb"(GET|POST|PUT|DELETE|HEAD) (/[^ \r\n]*) HTTP/1\.[01]\r\n")


class EngineProxy:
    """`tcp://127.0.0.1:{port}` in front of `target`; `requests` lists ("METHOD", "/path?query") as seen."""

    def __init__(self, target: str = "/var/run/docker.sock"):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.sockets: list[socket.socket] = []
        self.connections = 0
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.socket(socket.AF_UNIX)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections += 1
                self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, outbound: bool) -> None:
        tail = b""  # a request line split over two reads is still seen
        try:
            while data := source.recv(65536):
                if outbound:
                    seen = tail + data
                    found = list(_REQUEST.finditer(seen))
                    with self._lock:
                        self.requests += [(m.group(1).decode(), m.group(2).decode("latin-1")) for m in found]
                    tail = seen[found[-1].end() if found else 0:][-4096:]
                sink.sendall(data)
        except OSError:
            pass
        for each in (source, sink):
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def seen(self, method: str, fragment: str) -> list[str]:
        """The paths of the requests with this method whose path contains `fragment`."""
        with self._lock:
            return [path for verb, path in self.requests if verb == method and fragment in path]

    def cut(self) -> None:
        self.open = False
        with self._lock:
            sockets, self.sockets = self.sockets, []
        for each in sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
                each.close()
            except OSError:
                pass

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()
