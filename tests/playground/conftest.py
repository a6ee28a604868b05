"""A playground server on a free port, serving in a thread, and a small client for it."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from glassnet.playground.server import make_server


class Client:
    """Requests to one server; ``host`` and ``origin`` default to the server's own."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.port = server.server_address[1]

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_host=True)
            sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
            if body is not None:
                sent.setdefault("Content-Length", str(len(body)))
            for name, value in sent.items():
                connection.putheader(name, value)
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post(self, path: str, payload: Any, **headers: str) -> tuple[int, Any]:
        status, _, data = self.request("POST", path, json.dumps(payload).encode(), headers)
        return status, json.loads(data)

    def session(self, **config: Any) -> tuple[str, dict[str, Any]]:
        status, reply = self.post("/api/session", {"config": config})
        assert status == 200, reply
        return reply["id"], reply["state"]


@pytest.fixture
def server() -> Iterator[Any]:
    running = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()
    thread.join()


@pytest.fixture
def client(server: Any) -> Client:
    return Client(server)
