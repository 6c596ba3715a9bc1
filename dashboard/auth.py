"""Who is asking: every request gets an identity before any page or callback runs.

Modes (``AUTH``): ``local`` (default; one local user, for a laptop), ``header`` (a reverse proxy that
authenticates users sets a trusted header, ``AUTH_HEADER``), ``login`` (a login page over a users table in
the SQLite database; passwords stored as salted hashes by werkzeug). Add users with
``python -m dashboard.auth add-user NAME``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import secrets
import sqlite3
import sys
import time
from pathlib import Path

import flask
from werkzeug.security import check_password_hash, generate_password_hash

LOCAL_USER = "local"
WARMUP = "scresponse.warmup"  # set only by the app's own start-up request (a WSGI environ key, not a header)
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_OPEN_PATHS = ("/login", "/logout", "/assets/", "/_favicon", "/favicon.ico")


class UserStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self.path, timeout=30) as db:
            db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
                       "created REAL NOT NULL)")

    def add(self, name: str, password: str) -> None:
        if not _NAME.match(name):
            raise ValueError("user names are 1-64 letters, digits, or . _ @ -")
        if len(password) < 8:
            raise ValueError("passwords need at least 8 characters")
        with sqlite3.connect(self.path, timeout=30) as db:
            db.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?)", (name, generate_password_hash(password), time.time()))

    def verify(self, name: str, password: str) -> bool:
        with sqlite3.connect(self.path, timeout=30) as db:
            row = db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        return bool(row) and check_password_hash(row[0], password)


def _secret_key(cache_dir: Path) -> str:
    """One key shared by every worker of this server (kept beside the cache), made on first start."""
    if os.environ.get("SCRESPONSE_SECRET_KEY"):
        return os.environ["SCRESPONSE_SECRET_KEY"]
    path = cache_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    for _ in range(50):  # another worker may be writing it this instant
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.05)
    raise RuntimeError(f"empty secret key file {path}")


_LOGIN_PAGE = """<!doctype html><html><head><title>scResponse - sign in</title>
<link rel="stylesheet" href="/assets/00-bootstrap-flatly.min.css"></head>
<body class="bg-light"><div class="container" style="max-width:380px;margin-top:12vh">
<h3 class="mb-3">scResponse</h3>{error}
<form method="post"><input class="form-control mb-2" name="username" id="login-user" placeholder="user" autofocus>
<input class="form-control mb-2" type="password" name="password" id="login-password" placeholder="password">
<button class="btn btn-primary w-100" id="login-submit" type="submit">Sign in</button></form></div></body></html>"""


def install(server: flask.Flask, cfg: dict) -> None:
    """Attach the identity of each request to ``flask.g.user`` and, in login mode, the login routes."""
    mode = cfg.get("AUTH", "local")
    if mode not in ("local", "header", "login"):
        raise ValueError(f"AUTH must be local, header or login, not {mode!r}")
    server.secret_key = _secret_key(Path(cfg["CACHE_DIR"]))
    users = UserStore(cfg["DB_PATH"]) if mode == "login" else None
    header = cfg.get("AUTH_HEADER", "X-Forwarded-User")

    @server.before_request
    def identify():
        path = flask.request.path
        if mode == "local" or flask.request.environ.get(WARMUP):
            flask.g.user = LOCAL_USER
        elif mode == "header":
            name = flask.request.headers.get(header, "")
            if not _NAME.match(name):
                return flask.Response(f"Missing or invalid {header} header (set by the authenticating proxy)", 401)
            flask.g.user = name
        else:
            flask.g.user = flask.session.get("user")
            if flask.g.user is None and not path.startswith(_OPEN_PATHS):
                if path.startswith("/_dash"):
                    return flask.Response("Not signed in", 401)
                return flask.redirect("/login")

    if users is None:
        return

    @server.route("/login", methods=["GET", "POST"])
    def login():
        error = ""
        if flask.request.method == "POST":
            name, password = flask.request.form.get("username", ""), flask.request.form.get("password", "")
            if users.verify(name, password):
                flask.session.clear()
                flask.session["user"] = name
                return flask.redirect("/")
            error = '<div class="alert alert-danger" id="login-error">Wrong user name or password</div>'
        return _LOGIN_PAGE.format(error=error)

    @server.route("/logout")
    def logout():
        flask.session.clear()
        return flask.redirect("/login")


def current_user() -> str:
    """The identity of the request being served (inside a normal callback or route)."""
    return getattr(flask.g, "user", None) or LOCAL_USER


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m dashboard.auth", description="Manage login users")
    sub = p.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add-user", help="add a user or reset a password (asks for it)")
    add.add_argument("name")
    add.add_argument("--db", default=None, help="SQLite file (default: the app's SCRESPONSE_DB)")
    args = p.parse_args(argv)
    from .app import default_config

    db = args.db or default_config()["DB_PATH"]
    password = os.environ.get("SCRESPONSE_NEW_PASSWORD") or getpass.getpass(f"password for {args.name}: ")
    try:
        UserStore(db).add(args.name, password)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"user {args.name} saved in {db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
