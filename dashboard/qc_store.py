"""QC results the QC page reads (``<results>/qc/<input>.qc.h5ad``) and the folder of saved decisions."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path

import anndata as ad

from engine.provenance import file_identity


def slug(source: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(str(source)).stem if "/" in str(source) else str(source)).strip("-")


class QCStore:
    """Each QC file is read once per process (LRU keyed by name and modification time)."""

    def __init__(self, results_dir: str | Path, *, max_open: int = 4):
        self.folder = Path(results_dir) / "qc"
        self.decisions = self.folder / "decisions"
        self._open: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.max_open = max_open

    def path_for(self, source: str) -> Path:
        return self.folder / f"{slug(source)}.qc.h5ad"

    def names(self) -> list[str]:
        if not self.folder.exists():
            return []
        return sorted(p.name[: -len(".qc.h5ad")] for p in self.folder.glob("*.qc.h5ad") if not p.name.startswith("."))

    def open(self, name: str) -> ad.AnnData:
        """The QC result called ``name`` (one of :meth:`names`; anything else is refused)."""
        if name not in self.names():
            raise FileNotFoundError(f"no QC result called {name!r}")
        path = self.folder / f"{name}.qc.h5ad"
        key = file_identity(path)
        with self._lock:
            if key in self._open:
                self._open.move_to_end(key)
                return self._open[key]
            adata = ad.read_h5ad(path)
            self._open[key] = adata
            while len(self._open) > self.max_open:
                self._open.popitem(last=False)
            return adata
