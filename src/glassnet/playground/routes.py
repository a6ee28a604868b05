"""The JSON API: one function per endpoint, and the sessions they work on.

Every handler receives (sessions, body, query, headers) and returns a JSON-able dict, or
(bytes, content type, file name) for a download; RequestError(status, message) becomes
{"error": message} with that status. A session is held by one request at a time: a request
that finds it busy gets 409 rather than waiting behind a long training.
"""

from __future__ import annotations

import contextlib
import numbers
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from glassnet.playground.config import ConfigError, parse_config
from glassnet.playground.session import MAX_BATCHES, Session

SESSION_TIMEOUT = 60.0  # seconds without a request (the page pings every 10 s while open)
MAX_SESSIONS = 64


@dataclass
class RequestError(Exception):
    """A request the server refuses: its HTTP status and a one-line message for the page."""

    status: int
    message: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class Sessions:
    """The open sessions by id; a session idle for SESSION_TIMEOUT seconds is dropped."""

    def __init__(self, preloaded: Any = None, clock: Callable[[], float] = time.monotonic,
                 timeout: float = SESSION_TIMEOUT) -> None:
        self.preloaded = preloaded  # the --data table every new session starts with
        self.clock = clock
        self.timeout = timeout
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, config: Any) -> tuple[str, Session]:
        self.expire()
        if len(self._sessions) >= MAX_SESSIONS:
            raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE, f"{MAX_SESSIONS} pages are open "
                               "already; close one, or wait a minute for a closed one to expire.")
        try:
            session = Session(checked_config(config), self.preloaded, clock=self.clock)
        except ConfigError as error:  # e.g. dataset csv with no table
            raise RequestError(HTTPStatus.BAD_REQUEST, str(error)) from None
        session_id = secrets.token_urlsafe(24)  # 192 random bits: unguessable
        with self._lock:
            self._sessions[session_id] = session
        return session_id, session

    def get(self, session_id: Any) -> Session:
        self.expire()
        with self._lock:
            session = self._sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None:
            raise RequestError(HTTPStatus.NOT_FOUND, "no such session (it may have expired "
                               "after a minute without a request); reload the page.")
        session.touch()
        return session

    def close(self, session_id: Any) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def expire(self) -> None:
        """Drop the sessions no request has touched for ``timeout`` seconds."""
        now = self.clock()
        with self._lock:
            for session_id, session in list(self._sessions.items()):
                if now - session.touched > self.timeout and not session.lock.locked():
                    del self._sessions[session_id]


@contextlib.contextmanager
def holding(session: Session) -> Iterator[Session]:
    """The session, held by this request; 409 when another request holds it."""
    if not session.lock.acquire(blocking=False):
        raise RequestError(HTTPStatus.CONFLICT, "this session is busy with another request "
                           "(one training at a time per page); try again when it answers.")
    try:
        yield session
    finally:
        session.touch()  # a long training counts as activity until it ends
        session.lock.release()


def checked_config(raw: Any) -> Any:
    try:
        return parse_config({} if raw is None else raw)
    except ConfigError as error:
        raise RequestError(HTTPStatus.BAD_REQUEST, str(error)) from None


def whole_number(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body.get(name)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and \
            low <= value <= high:
        return int(value)
    raise RequestError(HTTPStatus.BAD_REQUEST, f"{name} must be a whole number from {low} to "
                       f"{high}; got {str(value)[:40]!r}.")


def state_of(session: Session) -> dict[str, Any]:
    from glassnet.playground.picture import state

    return state(session)


def create_session(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    session_id, session = sessions.create(body.get("config"))
    with holding(session):
        return {"id": session_id, "state": state_of(session), "csv": csv_summary(session)}


def reset(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    config = checked_config(body.get("config"))
    with holding(sessions.get(body.get("id"))) as session:
        try:
            session.reset(config)
        except ConfigError as error:  # the data does not fit: the session is as it was
            raise RequestError(HTTPStatus.BAD_REQUEST, str(error)) from None
        return {"state": state_of(session)}


def train(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    batches = whole_number(body, "batches", 1, MAX_BATCHES)
    with holding(sessions.get(body.get("id"))) as session:
        session.train(batches)
        return {"state": state_of(session)}


def step(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    with holding(sessions.get(body.get("id"))) as session:
        session.train(1)
        return {"state": state_of(session)}


def explain_weight(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    from glassnet.playground.explaining import weight_explanation

    with holding(sessions.get(body.get("id"))) as session:
        sizes = session_sizes(session)
        layer = whole_number(body, "layer", 1, len(sizes) - 1)
        i = whole_number(body, "i", 0, sizes[layer - 1] - 1)
        j = whole_number(body, "j", 0, sizes[layer] - 1)
        return weight_explanation(session, layer, i, j)


def explain_neuron(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    from glassnet.playground.explaining import neuron_explanation

    with holding(sessions.get(body.get("id"))) as session:
        sizes = session_sizes(session)
        layer = whole_number(body, "layer", 1, len(sizes) - 1)
        j = whole_number(body, "j", 0, sizes[layer] - 1)
        sample = whole_number(body, "sample", 0, len(session.dataset.inputs) - 1)
        return neuron_explanation(session, layer, j, sample)


def walkthrough(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    from glassnet.playground.walkthrough import walkthrough_steps

    with holding(sessions.get(body.get("id"))) as session:
        sample = whole_number(body, "sample", 0, len(session.dataset.inputs) - 1)
        return {"steps": walkthrough_steps(session, sample)}


def upload(sessions: Sessions, body: bytes, query: dict, headers: Any) -> dict:
    from glassnet.playground.tables import TableRefused, read_upload

    target = headers.get("X-Target", "").strip()
    if not target:
        raise RequestError(HTTPStatus.BAD_REQUEST, "name the target column in the X-Target "
                           "header.")
    with holding(sessions.get(query.get("id"))) as session:
        try:
            table = read_upload(body, target, headers.get("X-Filename"))
        except TableRefused as error:
            raise RequestError(HTTPStatus.BAD_REQUEST, str(error)) from None
        session.uploaded = table
        return table.summary()


def export(sessions: Sessions, body: None, query: dict, headers: Any) -> tuple:
    from glassnet.playground.exporting import exported_file

    form = query.get("format", "safetensors")
    if form not in ("safetensors", "onnx"):
        raise RequestError(HTTPStatus.BAD_REQUEST, f"format must be safetensors or onnx; got "
                           f"{form[:40]!r}.")
    with holding(sessions.get(query.get("id"))) as session:
        try:
            return exported_file(session, form)
        except ImportError as error:  # the onnx extra is not installed
            raise RequestError(HTTPStatus.NOT_IMPLEMENTED, " ".join(str(error).split())) \
                from None
        except ValueError as error:  # gn.save refuses a diverged network's weights
            raise RequestError(HTTPStatus.CONFLICT, " ".join(str(error).split())) from None


def code(sessions: Sessions, body: None, query: dict, headers: Any) -> dict:
    from glassnet.playground.code import training_code

    with holding(sessions.get(query.get("id"))) as session:
        return {"code": training_code(session)}


def ping(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    sessions.get(body.get("id"))
    return {"ok": True}


def close(sessions: Sessions, body: dict, query: dict, headers: Any) -> dict:
    sessions.close(body.get("id"))
    return {"ok": True}


def session_sizes(session: Session) -> list[int]:
    from glassnet.playground.network import layer_sizes

    return layer_sizes(session.config, session.dataset)


def csv_summary(session: Session) -> dict[str, Any] | None:
    """What the page needs to offer the session's CSV table (None without one)."""
    return None if session.uploaded is None else session.uploaded.summary()


@dataclass(frozen=True)
class Route:
    handler: Callable[..., Any]
    body: str  # "json", "bytes" or "none"


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/session"): Route(create_session, "json"),
    ("POST", "/api/reset"): Route(reset, "json"),
    ("POST", "/api/train"): Route(train, "json"),
    ("POST", "/api/step"): Route(step, "json"),
    ("POST", "/api/explain/weight"): Route(explain_weight, "json"),
    ("POST", "/api/explain/neuron"): Route(explain_neuron, "json"),
    ("POST", "/api/walkthrough"): Route(walkthrough, "json"),
    ("POST", "/api/upload"): Route(upload, "bytes"),
    ("GET", "/api/export"): Route(export, "none"),
    ("GET", "/api/code"): Route(code, "none"),
    ("POST", "/api/ping"): Route(ping, "json"),
    ("POST", "/api/close"): Route(close, "json"),
}
