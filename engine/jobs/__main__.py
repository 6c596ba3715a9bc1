"""``python -m engine.jobs --db FILE --results DIR JOB_ID``: execute one registered job (used by the app)."""

from __future__ import annotations

import argparse
import sys

from .registry import JobRegistry
from .runner import execute


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.jobs", description=__doc__)
    p.add_argument("job_id")
    p.add_argument("--db", required=True, help="the job registry (SQLite file)")
    p.add_argument("--results", required=True, help="folder the result is written to")
    p.add_argument("--max-running", type=int, default=1, help="jobs allowed to run at once on this registry")
    args = p.parse_args(argv)
    final = execute(JobRegistry(args.db), args.job_id, results_dir=args.results, max_running=args.max_running)
    print(final["id"], final["status"], final["result"] or final["error"])
    return 0 if final["status"] in ("done", "cancelled") else 1


if __name__ == "__main__":
    sys.exit(main())
