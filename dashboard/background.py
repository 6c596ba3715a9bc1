"""Where long work runs: local processes (``DiskcacheManager``) by default, Celery workers when ``REDIS_URL`` is set.

With Celery, every background callback is routed to the ``TRAIN_QUEUE`` queue, so GPU machines can run
``celery -A wsgi:celery_app worker -Q <queue>`` and take the training; the web process only enqueues.
"""

from __future__ import annotations

from pathlib import Path

from dash import CeleryManager, DiskcacheManager


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
    return DiskcacheManager(cache, expire=24 * 3600), None


def flask_cache_config(cfg: dict) -> dict:
    common = {"CACHE_THRESHOLD": 20_000, "CACHE_DEFAULT_TIMEOUT": 7 * 24 * 3600}
    if cfg.get("REDIS_URL"):
        return {**common, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": cfg["REDIS_URL"],
                "CACHE_KEY_PREFIX": "scresponse:"}
    return {**common, "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(Path(cfg["CACHE_DIR"]) / "flask")}
