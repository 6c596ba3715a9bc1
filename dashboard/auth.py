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
OPEN_PATHS = frozenset({"/login", "/_favicon.ico"})  # exact paths served without a session (plus /assets/ files)
SESSION_HOURS = 12.0  # a session ends this long after sign-in (SCRESPONSE_SESSION_HOURS), or at sign-out
MAX_FAILURES, LOCKOUT_S = 5, 900  # failed sign-ins per user name (and per address) before a 15-minute pause
# verified against when a user name is unknown, so that a wrong name costs as long as a wrong password
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


class UserStore:
    """Users (salted password hashes), server-side sessions and failed sign-ins, in the app's SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
                       "created REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, user TEXT NOT NULL, "
                       "created REAL NOT NULL, expires REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL)")

    def _db(self):
        return sqlite3.connect(self.path, timeout=30)

    def add(self, name: str, password: str) -> None:
        if not _NAME.match(name):
            raise ValueError("user names are 1-64 letters, digits, or . _ @ -")
        if len(password) < 8:
            raise ValueError("passwords need at least 8 characters")
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO users VALUES (?, ?, ?)", (name, generate_password_hash(password), time.time()))
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))  # a new password signs the user out

    def remove(self, name: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM users WHERE name = ?", (name,))
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))

    def verify(self, name: str, password: str) -> bool:
        with self._db() as db:
            row = db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        ok = check_password_hash(row[0] if row else _DUMMY_HASH, password)  # same work for unknown names
        return bool(row) and ok

    # sessions
    def open_session(self, name: str, *, hours: float = SESSION_HOURS) -> str:
        token, now = secrets.token_urlsafe(32), time.time()
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (token, name, now, now + hours * 3600))
        return token

    def session_user(self, token: str | None) -> str | None:
        """The user of a live session (not expired, not signed out, user not removed), else None."""
        if not token:
            return None
        with self._db() as db:
            row = db.execute("SELECT s.user FROM sessions s JOIN users u ON u.name = s.user "
                             "WHERE s.token = ? AND s.expires > ?", (token, time.time())).fetchone()
        return row[0] if row else None

    def close_session(self, token: str | None) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE token = ?", (token or "",))

    # rate limit
    def locked_for(self, *keys: str) -> float:
        """Seconds until sign-in may be tried again for any of ``keys`` (0 when it may)."""
        now = time.time()
        with self._db() as db:
            waits = []
            for key in keys:
                at = [r[0] for r in db.execute("SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at",
                                               (key, now - LOCKOUT_S))]
                if len(at) >= MAX_FAILURES:
                    waits.append(at[-MAX_FAILURES] + LOCKOUT_S - now)
        return max(waits, default=0.0)

    def record_failure(self, *keys: str) -> None:
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM login_failures WHERE at < ?", (now - LOCKOUT_S,))
            db.executemany("INSERT INTO login_failures VALUES (?, ?)", [(k, now) for k in keys])

    def clear_failures(self, *keys: str) -> None:
        with self._db() as db:
            db.executemany("DELETE FROM login_failures WHERE key = ?", [(k,) for k in keys])


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
    # an empty file left by a crash: replace it (sessions signed with the lost key simply end)
    tmp = path.with_name(f".secret_key.{os.getpid()}")
    tmp.write_text(secrets.token_hex(32))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path.read_text().strip()


_LOGIN_PAGE = """<!doctype html><html><head><title>scResponse - sign in</title>
<link rel="stylesheet" href="/assets/00-bootstrap-flatly.min.css"></head>
<body class="bg-light"><div class="container" style="max-width:380px;margin-top:12vh">
<h3 class="mb-3">scResponse</h3>{error}
<form method="post"><input type="hidden" name="csrf_token" value="{csrf}">
<input class="form-control mb-2" name="username" id="login-user" placeholder="user" autofocus>
<input class="form-control mb-2" type="password" name="password" id="login-password" placeholder="password">
<button class="btn btn-primary w-100" id="login-submit" type="submit">Sign in</button></form></div></body></html>"""


def install(server: flask.Flask, cfg: dict) -> None:
    """Attach the identity of each request to ``flask.g.user`` and, in login mode, the login routes."""
    mode = cfg.get("AUTH", "local")
    if mode not in ("local", "header", "login"):
        raise ValueError(f"AUTH must be local, header or login, not {mode!r}")
    server.secret_key = _secret_key(Path(cfg["CACHE_DIR"]))
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    users = UserStore(cfg["DB_PATH"]) if mode == "login" else None
    header = cfg.get("AUTH_HEADER", "X-Forwarded-User")
    hours = float(os.environ.get("SCRESPONSE_SESSION_HOURS", cfg.get("SESSION_HOURS", SESSION_HOURS)))

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
            flask.g.user = users.session_user(flask.session.get("token"))
            if flask.g.user is None and path not in OPEN_PATHS and not _asset(path):
                if path.startswith("/_dash") or flask.request.method != "GET":
                    return flask.Response("Not signed in", 401)
                return flask.redirect("/login")

    if users is None:
        return

    def same_origin() -> bool:
        origin = flask.request.headers.get("Origin")
        return origin is None or origin == flask.request.host_url.rstrip("/")

    def page(error: str = "", status: int = 200):
        return flask.Response(_LOGIN_PAGE.format(error=error, csrf=csrf_token()), status)

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if flask.request.method == "GET":
            return page()
        form = flask.request.form
        if not same_origin() or not secrets.compare_digest(form.get("csrf_token", ""), flask.session.get("csrf", "")):
            return page(_error("This sign-in form has expired; please try again"), 400)
        name, password = form.get("username", ""), form.get("password", "")
        keys = (f"user:{name}", f"addr:{flask.request.remote_addr}")
        wait = users.locked_for(*keys)
        if wait > 0:
            return page(_error(f"Too many failed attempts: try again in {wait / 60:.0f} minute(s)"), 429)
        if not users.verify(name, password):
            users.record_failure(*keys)
            return page(_error("Wrong user name or password"), 401)
        users.clear_failures(*keys)
        flask.session.clear()
        flask.session["token"] = users.open_session(name, hours=hours)
        csrf_token()  # a fresh token for the sign-out form
        return flask.redirect("/")

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        if flask.request.method == "GET":  # a link or an image tag must not sign anyone out
            return flask.Response("Sign out with the button on the page (a POST with its form token)", 405,
                                  {"Allow": "POST"})
        if not same_origin() or not secrets.compare_digest(flask.request.form.get("csrf_token", ""),
                                                           flask.session.get("csrf", "") or "-"):
            return flask.Response("Sign-out needs the app's own form", 400)
        users.close_session(flask.session.get("token"))
        flask.session.clear()
        return flask.redirect("/login")


def csrf_token() -> str:
    """This browser session's token for the app's own forms (sign-in, sign-out)."""
    if "csrf" not in flask.session:
        flask.session["csrf"] = secrets.token_urlsafe(24)
    return flask.session["csrf"]


def _asset(path: str) -> bool:
    """A file under /assets/ (no traversal): styles and scripts the login page needs."""
    return path.startswith("/assets/") and ".." not in path and path.count("/") == 2


def _error(text: str) -> str:
    return f'<div class="alert alert-danger" id="login-error">{text}</div>'


def current_user() -> str:
    """The identity of the request being served (inside a normal callback or route)."""
    return getattr(flask.g, "user", None) or LOCAL_USER


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m dashboard.auth", description="Manage login users")
    sub = p.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add-user", help="add a user or reset a password (asks for it)")
    add.add_argument("name")
    add.add_argument("--db", default=None, help="SQLite file (default: the app's SCRESPONSE_DB)")
    rm = sub.add_parser("remove-user", help="remove a user and end their sessions")
    rm.add_argument("name")
    rm.add_argument("--db", default=None, help="SQLite file (default: the app's SCRESPONSE_DB)")
    args = p.parse_args(argv)
    from .app import default_config

    db = args.db or default_config()["DB_PATH"]
    if args.cmd == "remove-user":
        UserStore(db).remove(args.name)
        print(f"user {args.name} removed; their sessions are over")
        return 0
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
