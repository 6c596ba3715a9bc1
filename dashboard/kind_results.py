"""The results of one kind (see engine.kinds) that the pages read: listed per user, each file read once per
process (LRU keyed by name and modification time)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path

import anndata as ad

from engine.config import may_see
from engine.provenance import file_identity

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$")


class KindResults:
    suffix = ".h5ad"

    def __init__(self, results_dir: str | Path, subfolder: str, *, max_open: int = 4):
        self.folder = Path(results_dir) / subfolder
        self._open: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.max_open = max_open

    def names(self, user: str | None = None) -> list[str]:
        """Result names, newest first; only those ``user`` may see when a user is given."""
        if not self.folder.exists():
            return []
        paths = sorted((p for p in self.folder.glob(f"*{self.suffix}") if not p.name.startswith(".")),
                       key=lambda p: -p.stat().st_mtime)
        out = []
        for p in paths:
            name = p.name[: -len(self.suffix)]
            if user is not None:
                try:
                    access = dict(self.open(name).uns.get("access", {}))
                except Exception:  # an unreadable file is not listed
                    continue
                if not may_see(access, user):
                    continue
            out.append(name)
        return out

    def open_for(self, user: str, name) -> ad.AnnData | None:
        """The result called ``name`` if ``user`` may open it, else None (unknown, private or unreadable)."""
        try:
            return self.open(name) if name in self.names(user) else None
        except FileNotFoundError:
            return None

    def open(self, name: str) -> ad.AnnData:
        """The result called ``name``; anything that is not a plain result name is refused."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise FileNotFoundError("no such result")
        path = self.folder / f"{name}{self.suffix}"
        if not path.exists():
            raise FileNotFoundError("no such result")
        key = file_identity(path)
        with self._lock:
            if key in self._open:
                self._open.move_to_end(key)
                return self._open[key]
        adata = ad.read_h5ad(path)
        with self._lock:
            self._open[key] = adata
            while len(self._open) > self.max_open:
                self._open.popitem(last=False)
        return adata
