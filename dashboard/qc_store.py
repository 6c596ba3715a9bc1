"""QC results the QC page reads (``<results>/qc/<input>.qc.h5ad``) and the folder of saved decisions."""

from __future__ import annotations

import re
from pathlib import Path

from .kind_results import KindResults


def slug(source: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(str(source)).stem if "/" in str(source) else str(source)).strip("-")


class QCStore(KindResults):
    """QC results (``<results>/qc/<input>.qc.h5ad``), listed by name (sorted), and the decisions folder."""

    suffix = ".qc.h5ad"

    def __init__(self, results_dir: str | Path, *, max_open: int = 4):
        super().__init__(results_dir, "qc", max_open=max_open)
        self.decisions = self.folder / "decisions"

    def path_for(self, source: str) -> Path:
        return self.folder / f"{slug(source)}.qc.h5ad"

    def names(self, user: str | None = None) -> list[str]:
        return sorted(super().names(user))
