"""Per-route request-body limits: callbacks are small; only the upload callback may carry a file.

Flask's ``MAX_CONTENT_LENGTH`` caps every body at the upload size. Below it, a callback body above
``callback_bytes`` is refused (413) unless its head names one of the upload callback's outputs: the renderer
writes the callback's ``output`` first, so 4 kB of the body tell which callback it is, and the rest is left
unread for Dash.
"""

from __future__ import annotations

import io

import flask

CALLBACK_ROUTE = "/_dash-update-component"
HEAD_BYTES = 4096


class _Replayed(io.RawIOBase):
    """The head already read, then the rest of the original input stream."""

    def __init__(self, head: bytes, rest):
        self._head, self._rest = io.BytesIO(head), rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        out = self._head.read(size)
        if size is None or size < 0:
            return out + self._rest.read()
        return out + (self._rest.read(size - len(out)) if len(out) < size else b"")

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def install(server: flask.Flask, *, callback_bytes: int, upload_bytes: int, upload_outputs: tuple[str, ...]) -> None:
    """Refuse callback bodies above ``callback_bytes`` unless they are for an upload output (then
    ``upload_bytes``, which Flask's MAX_CONTENT_LENGTH also enforces for every route)."""
    server.config["MAX_CONTENT_LENGTH"] = upload_bytes
    markers = tuple(f'"{o}' .encode() for o in upload_outputs)

    @server.before_request
    def limit_body():
        n = flask.request.content_length
        if n is None or n <= callback_bytes:
            return None
        if flask.request.path == CALLBACK_ROUTE and n <= upload_bytes:
            environ = flask.request.environ
            head = environ["wsgi.input"].read(HEAD_BYTES)
            environ["wsgi.input"] = _Replayed(head, environ["wsgi.input"])
            if any(m in head for m in markers):
                return None
        return flask.Response(f"Request body too large ({n / 1e6:.1f} MB); the limit here is "
                              f"{callback_bytes / 1e6:.1f} MB", 413)
