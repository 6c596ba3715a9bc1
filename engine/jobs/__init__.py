"""Training jobs: a persistent registry (SQLite) and the runner that executes one job.

The runner is called by whatever executes background work (a Dash background callback in a local process,
or a Celery worker); it never imports the dashboard.
"""

from .registry import STATUSES, JobRegistry
from .runner import execute, follow, recover_dead_jobs, remove_partial_output, spawn

__all__ = ["STATUSES", "JobRegistry", "execute", "follow", "recover_dead_jobs", "remove_partial_output", "spawn"]
