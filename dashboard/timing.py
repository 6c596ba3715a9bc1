"""Optional per-callback timing log: server time and response bytes of every Dash callback, as JSON lines.

Enabled by ``create_app({"CALLBACK_LOG": path})`` (used by ``bench/dashboard.py``); off by default.
"""

from __future__ import annotations

import json
import threading
import time

from flask import Flask, g, request


def install(server: Flask, path: str) -> None:
    lock = threading.Lock()

    @server.before_request
    def _start():
        g._t0 = time.perf_counter()

    @server.after_request
    def _log(response):
        if request.path.endswith("/_dash-update-component"):
            body = request.get_json(silent=True) or {}
            entry = {"output": body.get("output", ""), "ms": round(1000 * (time.perf_counter() - g._t0), 2),
                     "response_bytes": response.calculate_content_length() or 0,
                     "request_bytes": request.content_length or 0, "time": time.time()}
            with lock, open(path, "a") as fh:
                fh.write(json.dumps(entry) + "\n")
        return response
