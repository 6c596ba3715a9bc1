"""The job registry: one SQLite table that outlives the web server and is shared by its workers.

A job moves ``queued -> running -> done | failed | cancelled``. A running job records its host, pid and a
heartbeat; :meth:`JobRegistry.recover` marks a job failed when its process is gone (same host) or its heartbeat
is stale (any host), so a server or worker that died mid-run never leaves a job "running" forever.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from ..data.errors import DataError
from ..provenance import pid_alive

STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINAL = ("done", "failed", "cancelled")
STALE_SECONDS = 120.0
# a same-host job whose process is gone is left this long after its last heartbeat to the server process that
# follows it, which records the exit code; after that, recovery takes over (the follower died too)
FOLLOWER_GRACE_SECONDS = 15.0
OPEN_RETRY_SECONDS = 30.0  # how long a process starting beside others waits for the database's lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    device TEXT DEFAULT '',
    config TEXT NOT NULL,
    error TEXT DEFAULT '',
    progress TEXT DEFAULT '{}',
    host TEXT DEFAULT '',
    pid INTEGER,
    heartbeat REAL,
    cancel_requested INTEGER DEFAULT 0,
    result TEXT DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'transfer'
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, created);
"""


class JobRegistry:
    """Jobs in a SQLite file (WAL mode, so readers never block the writer)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + OPEN_RETRY_SECONDS
        while True:
            try:
                self._create()
                return
            except sqlite3.OperationalError as exc:
                # another process (a second web worker starting at the same moment) holds the lock while it sets
                # WAL mode or creates the table; SQLite's busy timeout does not cover that step: wait and retry
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise self._unreadable(exc) from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:  # not a database, or damaged: say so, and touch nothing
                raise self._unreadable(exc) from None

    def _create(self) -> None:
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(jobs)")}
            if "kind" not in columns:  # a registry from before kinds: its jobs were all transfer runs
                db.execute("ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'transfer'")

    def _unreadable(self, exc: Exception) -> DataError:
        return DataError(f"The job database {self.path.name} cannot be opened ({exc}). It was left as it is: "
                         "move it aside (or restore a copy) and start again; results are not affected.")

    @contextmanager
    def _connect(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @staticmethod
    def _row(row: sqlite3.Row | None) -> dict | None:
        if row is None:
            return None
        d = dict(row)
        d["config"] = json.loads(d["config"])
        d["progress"] = json.loads(d["progress"] or "{}")
        return d

    # --- writes -------------------------------------------------------------------------------------
    def submit(self, *, owner: str, name: str, config: dict, kind: str = "transfer") -> str:
        """Queue a job of ``kind`` (see :mod:`engine.kinds`) with its settings ``config``; returns its id."""
        from ..kinds import get_kind

        get_kind(kind)
        job_id = uuid.uuid4().hex[:12]
        with self._connect() as db:
            db.execute("INSERT INTO jobs (id, name, owner, status, created, config, kind) "
                       "VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                       (job_id, name, owner, time.time(), json.dumps(config), kind))
        return job_id

    def attach(self, job_id: str) -> None:
        """The process that will run a queued job records itself (so a dead queue slot is detected too)."""
        with self._connect() as db:
            db.execute("UPDATE jobs SET host = ?, pid = ?, heartbeat = ? WHERE id = ? AND status = 'queued'",
                       (socket.gethostname(), os.getpid(), time.time(), job_id))

    def claim(self, job_id: str, *, max_running: int) -> bool:
        """Atomically move a queued job to running if fewer than ``max_running`` jobs run; False if it must wait."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                n = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'running'").fetchone()[0]
                status = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
                ok = status is not None and status[0] == "queued" and n < max_running
                if ok:
                    now = time.time()
                    db.execute("UPDATE jobs SET status = 'running', started = ?, heartbeat = ?, host = ?, pid = ? "
                               "WHERE id = ?", (now, now, socket.gethostname(), os.getpid(), job_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return ok

    def heartbeat(self, job_id: str, progress: dict | None = None, *, device: str | None = None) -> None:
        sets, args = ["heartbeat = ?"], [time.time()]
        if progress is not None:
            sets.append("progress = ?")
            args.append(json.dumps(progress, default=str))
        if device is not None:
            sets.append("device = ?")
            args.append(device)
        with self._connect() as db:
            db.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*args, job_id))

    def finish(self, job_id: str, status: str, *, error: str = "", result: str = "") -> None:
        if status not in FINAL:
            raise ValueError(f"not a final status: {status}")
        with self._connect() as db:
            db.execute("UPDATE jobs SET status = ?, finished = ?, error = ?, result = ? WHERE id = ? "
                       "AND status IN ('queued', 'running')", (status, time.time(), error, result, job_id))

    def request_cancel(self, job_id: str, *, owner: str | None = None) -> bool:
        """Ask a job to stop (it stops at its next check, within one epoch). Only its owner may, if given."""
        with self._connect() as db:
            cur = db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status IN ('queued', 'running')"
                             + (" AND owner = ?" if owner is not None else ""),
                             (job_id, owner) if owner is not None else (job_id,))
            return cur.rowcount > 0

    # --- reads --------------------------------------------------------------------------------------
    def get(self, job_id: str) -> dict | None:
        with self._connect() as db:
            return self._row(db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def cancel_requested(self, job_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    def list(self, *, owner: str | None = None, limit: int = 50) -> list[dict]:
        q, args = "SELECT * FROM jobs", []
        if owner is not None:
            q += " WHERE owner = ?"
            args.append(owner)
        with self._connect() as db:
            rows = db.execute(q + " ORDER BY created DESC LIMIT ?", (*args, limit)).fetchall()
        return [self._row(r) for r in rows]

    # --- recovery -----------------------------------------------------------------------------------
    def recover(self, *, stale_seconds: float = STALE_SECONDS, grace_seconds: float = FOLLOWER_GRACE_SECONDS,
                on_failed=None) -> list[str]:
        """Mark jobs whose process died as failed; ``on_failed(job)`` cleans their partial output.

        On this host a job whose process is gone is failed once ``grace_seconds`` have passed since its last
        heartbeat, so that the server process following it can first record how it ended (its exit code).
        """
        host, now, failed = socket.gethostname(), time.time(), []
        with self._connect() as db:
            active = [self._row(r) for r in db.execute("SELECT * FROM jobs WHERE status IN ('queued', 'running')")]
        for job in active:
            same_host = job["host"] == host
            if job["pid"] is None:  # submitted, never picked up by an executor
                dead = now - job["created"] > stale_seconds
            elif same_host:
                dead = not pid_alive(job["pid"]) and now - (job["heartbeat"] or job["created"]) > grace_seconds
            else:
                dead = now - (job["heartbeat"] or job["created"]) > stale_seconds
            if dead:
                self.finish(job["id"], "failed", error="the process running this job stopped (server or worker "
                                                       "restarted or killed); partial output removed")
                if on_failed is not None:
                    on_failed(job)
                failed.append(job["id"])
        return failed
