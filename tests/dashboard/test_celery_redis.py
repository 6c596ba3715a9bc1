"""Scale-out: a real redis-server and a real Celery worker run a training job launched from the page."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JOB_TIMEOUT = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(condition, *, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def redis_url(tmp_path):
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed (apt-get install redis-server; .ci/run installs it)"
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)

    def answers() -> bool:
        assert proc.poll() is None, f"redis-server exited with code {proc.returncode}"
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    _wait_for(answers, timeout=30, what="redis-server to answer PING")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def celery_env(redis_url, results_dir, tmp_path):
    env = {**os.environ, "REDIS_URL": redis_url, "SCRESPONSE_RESULTS_DIR": str(results_dir),
           "SCRESPONSE_CACHE_DIR": str(tmp_path / "cache"), "SCRESPONSE_DB": str(tmp_path / "jobs.sqlite"),
           "SCRESPONSE_UPLOAD_DIR": str(tmp_path / "uploads"), "SCRESPONSE_TRAIN_QUEUE": "gpu-or-cpu"}
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "wsgi:celery_app", "worker", "-Q",
                                   "gpu-or-cpu", "--pool", "solo", "--loglevel", "INFO", "--without-heartbeat",
                                   "--without-gossip", "--without-mingle"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    def ready() -> bool:
        assert worker.poll() is None, log.read_text(errors="replace")
        return "ready" in log.read_text(errors="replace")

    _wait_for(ready, timeout=180, what="the Celery worker to be ready")
    yield env, log
    worker.terminate()
    worker.wait(30)


def test_celery_worker_runs_a_job_launched_from_the_page(dash_duo, celery_env, tmp_path):
    from dashboard.app import create_app

    env, log = celery_env
    app = create_app({"RESULTS_DIR": env["SCRESPONSE_RESULTS_DIR"], "CACHE_DIR": env["SCRESPONSE_CACHE_DIR"],
                      "DB_PATH": env["SCRESPONSE_DB"], "UPLOAD_DIR": env["SCRESPONSE_UPLOAD_DIR"],
                      "REDIS_URL": env["REDIS_URL"], "TRAIN_QUEUE": env["SCRESPONSE_TRAIN_QUEUE"]})
    assert type(app._background_manager).__name__ == "CeleryManager"
    assert app.server.extensions["cache"]  # flask-caching configured
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=30)
    dash_duo.find_element("a[href='/train']").click()
    dash_duo.wait_for_element("#train-launch", timeout=30)
    for selector, value in (("#train-pretrain-epochs", 3), ("#train-transfer-epochs", 1), ("#train-seeds", 1),
                            ("#train-members", 1)):
        el = dash_duo.find_element(selector)
        dash_duo.clear_input(el)
        el.send_keys(str(value))
    dash_duo.wait_for_contains_text("#train-drug", "PLX", timeout=30)
    dash_duo.find_element("#train-launch").click()
    dash_duo.wait_for_element("#train-done", timeout=JOB_TIMEOUT)
    worker_log = log.read_text(errors="replace")
    assert "background_callback_" in worker_log and "succeeded" in worker_log  # the worker ran it, not the web
    job = app.server.extensions["scresponse_jobs"].list()[0]
    assert job["status"] == "done" and Path(job["result"]).exists()
    import redis

    assert any(k.startswith(b"scresponse:") for k in redis.Redis.from_url(env["REDIS_URL"]).keys())
    assert dash_duo.get_logs() == []
