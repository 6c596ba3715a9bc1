"""Where long work runs: local processes (``DiskcacheManager``) by default, Celery workers when ``REDIS_URL`` is set.

With Celery, every background callback is routed to the ``TRAIN_QUEUE`` queue, so GPU machines can run
``celery -A wsgi:celery_app worker -Q <queue>`` and take the training; the web process only enqueues.
"""

from __future__ import annotations

from pathlib import Path

from dash import CeleryManager, DiskcacheManager


class ForkserverDiskcacheManager(DiskcacheManager):
    """Dash's ``DiskcacheManager``, but each job process comes from a forkserver instead of a fork of the web
    process. The web process is threaded: a fork taken while another thread holds a lock (SQLite's, which the
    job registry and diskcache both use) gives a child that waits on that lock for ever. The forkserver is a
    single-threaded process, started once, that forks the jobs; the job function travels to it by dill."""

    def call_job_fn(self, key, job_fn, args, context):
        from multiprocess import get_context

        process = get_context("forkserver").Process(target=job_fn,
                                                    args=(key, self._make_progress_key(key), args, context))
        process.start()
        return process.pid


def make_manager(cfg: dict):
    """(background callback manager, Celery app or None)."""
    if cfg.get("REDIS_URL"):
        from celery import Celery

        celery_app = Celery("scresponse", broker=cfg["REDIS_URL"], backend=cfg["REDIS_URL"])
        celery_app.conf.update(
            task_routes={"background_callback_*": {"queue": cfg["TRAIN_QUEUE"]}},
            worker_prefetch_multiplier=1,  # a worker takes one training at a time
            broker_connection_retry_on_startup=True,
        )
        return CeleryManager(celery_app, expire=24 * 3600), celery_app
    import diskcache

    cache = diskcache.Cache(str(Path(cfg["CACHE_DIR"]) / "background"))
    return ForkserverDiskcacheManager(cache, expire=24 * 3600), None


def flask_cache_config(cfg: dict) -> dict:
    common = {"CACHE_THRESHOLD": 20_000, "CACHE_DEFAULT_TIMEOUT": 7 * 24 * 3600}
    if cfg.get("REDIS_URL"):
        return {**common, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": cfg["REDIS_URL"],
                "CACHE_KEY_PREFIX": "scresponse:"}
    return {**common, "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(Path(cfg["CACHE_DIR"]) / "flask")}
