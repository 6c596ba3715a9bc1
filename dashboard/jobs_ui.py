"""What every page that runs jobs shares: signed job tickets, progress as a bar shows it, following a spawned job
from a background callback, and the alerts that report it."""

from __future__ import annotations

import hashlib
import hmac

import dash_bootstrap_components as dbc

from engine.data.errors import without_paths
from engine.jobs import follow, spawn


def alert(text, color="danger", id_=None):
    return dbc.Alert(text, color=color, className="py-2 mb-2", **({"id": id_} if id_ else {}))


def progress_text(event: dict) -> str:
    text = without_paths(event.get("message", ""))  # the last event names the result file: no server folders
    if event.get("losses"):
        text += " · " + ", ".join(f"{k} {v:.3g}" for k, v in event["losses"].items())
    return text


def bar_progress(set_progress):
    """A job's progress events as a background callback's (value, label, text) progress outputs."""
    def progress(event: dict) -> None:
        pct = round(100 * event.get("fraction", 0))
        set_progress((pct, f"{pct}% {event.get('stage', '')}", progress_text(event)))

    return progress


def job_ticket(secret: str, job_id: str) -> str:
    """What the launching browser holds for its job: the id and the server's signature of it, so that no other
    browser can follow (stream) a job by guessing or copying its id."""
    sig = hmac.new(secret.encode(), f"job:{job_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{job_id}.{sig}"


def job_from_ticket(secret: str, ticket) -> str | None:
    """The job id of a ticket this server issued, else None."""
    if not isinstance(ticket, str) or "." not in ticket:
        return None
    job_id = ticket.rsplit(".", 1)[0]
    return job_id if hmac.compare_digest(job_ticket(secret, job_id), ticket) else None


def follow_ticket(registry, cfg: dict, secret: str, ticket, *, on_progress) -> dict | None:
    """Run the job a ticket names in a fresh interpreter (see engine.jobs.spawn) and relay its progress until it
    ends; its final status, name, error and result path (None for a ticket this server did not issue)."""
    job_id = job_from_ticket(secret, ticket)
    if job_id is None or registry.get(job_id) is None:
        return None
    proc = spawn(registry, job_id, results_dir=cfg["RESULTS_DIR"], max_running=cfg["MAX_CONCURRENT_JOBS"])
    final = follow(registry, job_id, proc, results_dir=cfg["RESULTS_DIR"], on_progress=on_progress)
    return {"id": final["id"], "status": final["status"], "name": final["name"], "error": final["error"],
            "result": final["result"]}
