"""Execute one registered job: wait for a free slot, run its kind, record progress, outcome and device.

Cancellation is cooperative: the runner polls the registry between epochs and stages, so a cancelled job
stops cleanly, removes its partial output and leaves every earlier result as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from ..data import DataError
from .registry import JobRegistry

HEARTBEAT_SECONDS = 5.0
POLL_SECONDS = 1.0


def remove_partial_output(results_dir: str | Path, name: str) -> None:
    """Remove what an unfinished run ``name`` may have left: its models folder and temporary files.

    A finished result (``name.h5ad``) is never touched; other runs' files are never touched.
    """
    results_dir = Path(results_dir)
    if (results_dir / f"{name}.h5ad").exists():
        return
    shutil.rmtree(results_dir / f"{name}.models", ignore_errors=True)
    for tmp in results_dir.glob(f".{name}.*.h5ad.part"):
        tmp.unlink(missing_ok=True)


def recover_dead_jobs(registry: JobRegistry, *, results_dir: str | Path) -> list[str]:
    """Fail the jobs whose process died (see :meth:`JobRegistry.recover`) and remove their partial output."""
    return registry.recover(on_failed=lambda job: remove_partial_output(_output_folder(results_dir, job), job["name"]))


def _output_folder(results_dir: str | Path, job: dict) -> Path:
    """Where a job of its kind writes (the kind's subfolder of the results folder)."""
    from ..kinds import KINDS

    kind = KINDS.get(job.get("kind") or "transfer")
    return Path(results_dir) / (kind.subfolder if kind else "")


def _heartbeat_thread(registry: JobRegistry, job_id: str, stop: threading.Event) -> threading.Thread:
    def beat():
        while not stop.wait(HEARTBEAT_SECONDS):
            registry.heartbeat(job_id)

    t = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{job_id}")
    t.start()
    return t


def execute(registry: JobRegistry, job_id: str, *, results_dir: str | Path, max_running: int = 1,
            on_progress: Callable[[dict], None] | None = None, analyse: bool | None = None) -> dict:
    """Run job ``job_id`` to its end; returns its final registry row. Never raises for a job's own failure.

    The job's kind (see :mod:`engine.kinds`) says which settings its stored config holds and which run function
    takes them. A transfer job's config may add an ``analyse`` flag (attributions and DEG analysis after
    training; on unless the config or ``analyse`` says otherwise).
    """
    job = registry.get(job_id)
    if job is None:
        raise KeyError(f"no job {job_id}")
    if job["status"] != "queued":
        return job
    report = on_progress or (lambda e: None)
    registry.attach(job_id)
    while not registry.claim(job_id, max_running=max_running):
        if registry.cancel_requested(job_id):
            registry.finish(job_id, "cancelled", error="cancelled while queued")
            return registry.get(job_id)
        if registry.get(job_id)["status"] != "queued":
            return registry.get(job_id)
        report({"stage": "queued", "fraction": 0.0, "message": f"waiting for a free slot ({max_running} at a time)"})
        registry.heartbeat(job_id)
        time.sleep(POLL_SECONDS)

    # the engine's heavy imports (torch, scanpy) happen here, in the process that trains
    from ..kinds import get_kind
    from ..train import Cancelled, resolve_device

    stop = threading.Event()
    _heartbeat_thread(registry, job_id, stop)
    partial = Path(results_dir)
    try:
        kind = get_kind(job.get("kind") or "transfer")
        partial = partial / kind.subfolder
        config = dict(job["config"])
        options = {}
        if kind.name == "transfer":
            wanted = config.pop("analyse", True)
            options["analyse"] = wanted if analyse is None else analyse
        settings = kind.settings_from_dict({**config, "out": str(results_dir), "name": job["name"]})
        registry.heartbeat(job_id, device=str(resolve_device(_device_of(settings))))

        def progress(event: dict) -> None:
            registry.heartbeat(job_id, event)
            report(event)

        path = kind.run_function()(settings, progress=progress, cancel=lambda: registry.cancel_requested(job_id),
                                   **options)
        registry.finish(job_id, "done", result=str(path))
    except Cancelled:
        remove_partial_output(partial, job["name"])
        registry.finish(job_id, "cancelled", error="cancelled by its owner")
    except DataError as exc:
        remove_partial_output(partial, job["name"])
        registry.finish(job_id, "failed", error=str(exc))
    except Exception as exc:  # a job's failure is recorded, never lost
        remove_partial_output(partial, job["name"])
        tail = traceback.format_exc(limit=3)
        registry.finish(job_id, "failed", error=f"{type(exc).__name__}: {exc}\n{tail}")
    finally:
        stop.set()
    return registry.get(job_id)


def _device_of(settings) -> str:
    """The device a kind's settings ask for (``device``, or ``train.device``); "cpu" for kinds without one."""
    device = getattr(settings, "device", None) or getattr(getattr(settings, "train", None), "device", None)
    return device or "cpu"


def spawn(registry: JobRegistry, job_id: str, *, results_dir: str | Path, max_running: int = 1) -> subprocess.Popen:
    """Start ``python -m engine.jobs`` for one job: a fresh interpreter, so no thread, lock or CUDA state is
    inherited from the process that asks (a web server, or a Celery worker that forked it)."""
    cmd = [sys.executable, "-m", "engine.jobs", "--db", str(registry.path), "--results", str(results_dir),
           "--max-running", str(max_running), job_id]
    log = log_path(registry, job_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                         os.environ.get("PYTHONPATH", "")])}
    with open(log, "ab") as out:  # the child keeps its own handle
        return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def log_path(registry: JobRegistry, job_id: str) -> Path:
    """Where a spawned job's output (warnings, tracebacks) goes: beside the registry."""
    return registry.path.parent / "logs" / f"{job_id}.log"


def follow(registry: JobRegistry, job_id: str, proc: subprocess.Popen, *, results_dir: str | Path,
           on_progress: Callable[[dict], None] | None = None, poll_seconds: float = 0.5) -> dict:
    """Relay a spawned job's progress from the registry until its process ends; returns the final row.

    A process that ends without finishing its job (killed, crashed) leaves the job failed and its partial
    output removed.
    """
    last = None
    while proc.poll() is None:
        job = registry.get(job_id)
        if on_progress is not None and job["progress"] and job["progress"] != last:
            last = job["progress"]
            on_progress(last)
        time.sleep(poll_seconds)
    job = registry.get(job_id)
    if job["status"] in ("queued", "running"):
        log = log_path(registry, job_id)
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        registry.finish(job_id, "failed", error=f"the training process ended with code {proc.returncode} before "
                                                f"finishing; partial output removed\n{tail}")
        remove_partial_output(_output_folder(results_dir, job), job["name"])
    return registry.get(job_id)
