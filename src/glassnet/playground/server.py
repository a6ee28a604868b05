"""The playground's HTTP server: the page's files and its JSON API (see ``glassnet.playground``).

Safe by default. Every request's Host header must be this server's own address (127.0.0.1,
localhost or the host it was started with, with its port) and an Origin header, when present,
that address with http://: a page on another site, or one reached through a rebound DNS name, is
refused (403). Request bodies are read only up to their declared, capped length (413 beyond,
before reading any of it). Nothing the page sends is evaluated: settings are checked against
fixed choices (400 otherwise). Static files come from the package's ``static`` folder only.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from glassnet.playground.routes import ROUTES, RequestError, Sessions

STATIC = Path(__file__).parent / "static"
MAX_JSON = 64 * 1024  # bytes of a JSON request: settings and ids, never data
MAX_UPLOAD = 2 * 1024 * 1024  # bytes of an uploaded CSV file
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                 ".png": "image/png", ".json": "application/json", ".ico": "image/x-icon"}
STATIC_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+")  # no folders, no ".."
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; "
                                "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
}


class PlaygroundServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its sessions and the host names it answers to."""

    daemon_threads = True  # a request still running does not keep the process alive
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sessions: Sessions) -> None:
        super().__init__(address, PlaygroundHandler)
        self.sessions = sessions
        port = self.server_address[1]
        names = {"127.0.0.1", "localhost", address[0]}
        self.allowed_hosts = {f"{name}:{port}" for name in names}
        self.allowed_origins = {f"http://{host}" for host in self.allowed_hosts}

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A page closed in the middle of an answer is normal: say nothing. Anything else is
        printed, as the base class does."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def make_server(host: str = "127.0.0.1", port: int = 0, data: str | None = None,
                target: str | None = None, *, clock: Callable[[], float] = time.monotonic
                ) -> PlaygroundServer:
    """A server bound to (host, port) (port 0: a free one; read ``server.server_address[1]``),
    not yet serving: call ``serve_forever()``. ``data`` and ``target``: a CSV file every new
    session starts with, read and checked now (the CLI's DataError and its kin when refused).
    """
    preloaded = None
    if data is not None:
        from glassnet.playground.tables import read_table_file

        preloaded = read_table_file(data, target)
    return PlaygroundServer((host, port), Sessions(preloaded=preloaded, clock=clock))


class PlaygroundHandler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    protocol_version = "HTTP/1.1"
    server_version = "glassnet-playground"
    # headers and body go out in two writes: without TCP_NODELAY the second waits ~40 ms for
    # the first's acknowledgement (Nagle's algorithm) on every kept-alive answer
    disable_nagle_algorithm = True
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the command prints one line, and a page polls every few seconds."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        try:
            self._check_origin()
            url = urlsplit(self.path)
            if method == "GET" and (url.path == "/" or url.path.startswith("/static/")):
                self._drain_body()
                self._send_static(url.path)
                return
            route = ROUTES.get((method, url.path))
            if route is None:
                self._drain_body()
                raise RequestError(HTTPStatus.NOT_FOUND, f"no {method} {url.path[:100]} here.")
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            body = self._read_body(route.body)
            result = route.handler(self.server.sessions, body, query, self.headers)
            if isinstance(result, tuple):  # (bytes, content type, file name): a download
                self._send_file(*result)
            else:
                self._send_json(HTTPStatus.OK, result)
        except RequestError as error:
            self._send_json(error.status, {"error": error.message, **error.extra})
        except Exception as error:  # noqa: BLE001  the page gets a line, the server lives on
            message = " ".join(f"{type(error).__name__}: {error}".split())[:500]
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR,
                            {"error": f"the server failed: {message}"})

    def _check_origin(self) -> None:
        host = self.headers.get("Host", "")
        if host not in self.server.allowed_hosts:
            self.close_connection = True
            raise RequestError(HTTPStatus.FORBIDDEN, f"refused: the Host header {host[:100]!r} "
                               "is not this server's address.")
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.server.allowed_origins:
            self.close_connection = True
            raise RequestError(HTTPStatus.FORBIDDEN, f"refused: requests from {origin[:100]!r} "
                               "are not allowed; open the page from this server's address.")

    def _content_length(self, limit: int) -> int:
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            raise RequestError(HTTPStatus.LENGTH_REQUIRED,
                               "send the body with a Content-Length, not in chunks.")
        text = self.headers.get("Content-Length", "0").strip()
        if not text.isdigit():
            self.close_connection = True
            raise RequestError(HTTPStatus.BAD_REQUEST, f"Content-Length must be a whole "
                               f"number; got {text[:40]!r}.")
        length = int(text)
        if length > limit:
            self.close_connection = True  # the unread body must not be taken for a request
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"the body has {length:,} bytes; at most {limit:,} are accepted.",
                               limit=limit)
        return length

    def _drain_body(self) -> None:
        length = self._content_length(MAX_JSON)
        if length:
            self.rfile.read(length)

    def _read_body(self, kind: str) -> Any:
        """The request's body: "json" (a JSON object), "bytes" (capped at MAX_UPLOAD), "none"."""
        if kind == "bytes":
            return self.rfile.read(self._content_length(MAX_UPLOAD))
        length = self._content_length(MAX_JSON)
        raw = self.rfile.read(length) if length else b""
        if kind == "none":
            return None
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {error}.") \
                from None
        if not isinstance(body, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST,
                               f"the body must be a JSON object; got {type(body).__name__}.")
        return body

    def _send_static(self, path: str) -> None:
        name = "index.html" if path == "/" else path.removeprefix("/static/")
        if not STATIC_NAME.fullmatch(name):
            raise RequestError(HTTPStatus.NOT_FOUND, "no such file.")
        file = STATIC / name
        kind = CONTENT_TYPES.get(file.suffix)
        if kind is None or not file.is_file():
            raise RequestError(HTTPStatus.NOT_FOUND, f"no file {name} here.")
        self._send(HTTPStatus.OK, file.read_bytes(), kind)

    def _send_file(self, data: bytes, kind: str, filename: str) -> None:
        self._send(HTTPStatus.OK, data, kind,
                   {"Content-Disposition": f'attachment; filename="{filename}"'})

    def _send_json(self, status: int, payload: Any) -> None:
        try:
            text = json.dumps(payload, ensure_ascii=False, allow_nan=False, default=_plain)
        except ValueError:  # a diverged network's inf or NaN: JSON has no word for them
            text = json.dumps(_finite(payload), ensure_ascii=False, default=_plain)
        data = text.encode("utf-8")
        self._send(status, data, "application/json; charset=utf-8")

    def _send(self, status: int, data: bytes, kind: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON's null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return _finite(value.tolist()) if hasattr(value, "tolist") else value


def _plain(value: Any) -> Any:
    """NumPy numbers as Python's; NaN and infinities never reach json.dumps (allow_nan=False)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")
