"""Cached reader of ``precomputed/``: the run index, opened runs, and the columns a panel needs.

Each result is read once per process (an LRU keyed by path and modification time, owned by the app, not a
module global); the index is cached in flask-caching under the same key, so a new or changed file shows up
at the next look without a restart. Unreadable files are listed with their reason, never raised.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pandas as pd
from anndata.io import read_elem, sparse_dataset

from engine.config import may_see
from engine.provenance import file_identity
from engine.results import missing_parts

from .expression import GeneMajor

RAW = "raw"  # the store of the input's full expression (a result's .raw)

DISPLAY_SEED = 0


def _text(v) -> str:
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.shape == ():
        return _text(v[()])
    return str(v)


def summarize_file(path: Path) -> dict:
    """Index entry of one result file, read from its HDF5 metadata only (fast, never raises)."""
    st = path.stat()
    entry = {"path": str(path), "name": path.stem, "mtime": st.st_mtime, "size": st.st_size, "error": ""}
    try:
        with h5py.File(path, "r") as f:
            cfg = f["uns/config"]
            entry["drug"] = _text(cfg["drug"][()])
            metrics = f["uns"].get("metrics")
            if metrics is not None:
                entry["n_seeds"] = int(np.asarray(metrics["n_seeds"][()])) if "n_seeds" in metrics else None
                if "transfer_seed_ensemble/auroc" in metrics:
                    entry["auroc"] = float(np.asarray(metrics["transfer_seed_ensemble/auroc"][()]))
            entry["dataset"] = Path(_text(cfg["sc"][()])).name  # a file source by its name, never a server path
            access = f["uns"].get("access")
            entry["access"] = ({k: _text(access[k][()]) for k in ("owner", "visibility") if k in access}
                               if access is not None else {})
            entry["started"] = _text(f["uns/provenance/started"][()])
            entry["n_cells"] = int(f["obs"][f["obs"].attrs["_index"]].shape[0])
            entry["labelled"] = "label" in f["obs"]
    except Exception as exc:  # corrupt, partial, or not a result
        entry["error"] = f"unreadable: {type(exc).__name__}: {exc}"
    return entry


def scan(results_dir: Path) -> list[tuple[str, float, int]]:
    """(path, mtime, size) of every result file, newest first."""
    if not results_dir.exists():
        return []
    files = [(str(p), p.stat().st_mtime, p.stat().st_size) for p in results_dir.glob("*.h5ad") if not p.name.startswith(".")]
    return sorted(files, key=lambda t: -t[1])


class RunData:
    """One opened result: its size, keys, ``uns`` and gene names at once; each obs or obsm column the panels
    ask for is read on first use and kept (all cells; display subsets for very large runs). Nothing else of
    the file is loaded: a 1M-cell result opens in a fraction of a second, without its cell names or latent space.
    """

    def __init__(self, path: str, max_display: int, max_secondary: int = 20_000,
                 expression_dir: Path = Path(".cache/expression")):
        self.path, self.max_display, self.max_secondary = path, max_display, max_secondary
        self.expression_dir = Path(expression_dir)
        self._columns: dict[str, np.ndarray] = {}
        self._derived: OrderedDict[tuple, object] = OrderedDict()
        self._read_lock, self._x_lock, self._derived_lock = threading.Lock(), threading.Lock(), threading.Lock()
        self._stores: dict[str | None, GeneMajor] = {}
        self._build_started = False
        with h5py.File(path, "r") as f:
            index = f["obs"].attrs["_index"]
            self.n = int(f["obs"][index].shape[0])
            self._keys = {"obs": set(f["obs"]) - {index, "__categories"},
                          "obsm": set(f["obsm"]) if "obsm" in f else set()}
            self._uns = read_elem(f["uns"]) if "uns" in f else {}
            self.genes = list(read_elem(f["var"]).index)
            # the input's every gene (.raw, as scanpy keeps it), read once: the others colour the cells too
            raw = list(read_elem(f["raw"]["var"]).index) if "raw" in f and "var" in f["raw"] else []
            self._raw_index = {g: j for j, g in enumerate(raw)}
            model = set(self.genes)
            self.input_genes = [g for g in raw if g not in model]
            # imputed values (a run with --impute): shown on request, beside the measured X
            self.imputed_layers = sorted(k for k in (f["layers"] if "layers" in f else ()) if k.startswith("imputed_"))

    def _subset(self, limit: int) -> np.ndarray:
        if self.n <= limit:
            return np.arange(self.n)
        rng = np.random.default_rng(DISPLAY_SEED)
        return np.sort(rng.choice(self.n, limit, replace=False))

    @cached_property
    def display_index(self) -> np.ndarray:
        """Cells drawn in the main UMAP: all, or a fixed random subset above ``max_display`` (statistics use all)."""
        return self._subset(self.max_display)

    @cached_property
    def secondary_index(self) -> np.ndarray:
        """Cells drawn in the smaller linked panels (a panel a third of the screen wide resolves far fewer points)."""
        return self._subset(min(self.max_display, self.max_secondary))

    @cached_property
    def missing(self) -> list[str]:
        return missing_parts(SimpleNamespace(obs=self._keys["obs"], obsm=self._keys["obsm"], uns=self._uns))

    def _column(self, group: str, key: str) -> np.ndarray | None:
        if key not in self._keys[group]:
            return None
        name = f"{group}/{key}"
        with self._read_lock:
            if name not in self._columns:
                with h5py.File(self.path, "r") as f:
                    value = read_elem(f[name])
                self._columns[name] = np.asarray(value, dtype=np.float32) if group == "obsm" else np.asarray(value)
            return self._columns[name]

    def obs(self, key: str) -> np.ndarray | None:
        return self._column("obs", key)

    DERIVED_MAX = 16

    def derived(self, key: tuple, make):
        """``make()``, kept on this run for the next request with the same ``key`` (the result file does not
        change under an opened run): a colouring's groups and codes, say. The last :attr:`DERIVED_MAX` are kept."""
        with self._derived_lock:
            if key in self._derived:
                self._derived.move_to_end(key)
                return self._derived[key]
        value = make()
        with self._derived_lock:
            self._derived[key] = value
            while len(self._derived) > self.DERIVED_MAX:
                self._derived.popitem(last=False)
        return value

    @property
    def obs_keys(self) -> list[str]:
        """The annotation columns the file holds (names only; nothing is read)."""
        return sorted(self._keys["obs"])

    def obsm(self, key: str) -> np.ndarray | None:
        return self._column("obsm", key)

    @cached_property
    def cell_names(self) -> np.ndarray:
        """The cells' ids (read on first use: only the comparison of two runs needs them)."""
        with h5py.File(self.path, "r") as f:
            return np.asarray(read_elem(f["obs"][f["obs"].attrs["_index"]])).astype(str)

    @cached_property
    def labels(self) -> np.ndarray | None:
        y = self.obs("label")
        return None if y is None or not np.isfinite(y.astype(float)).any() else y.astype(float)

    @property
    def expression(self) -> GeneMajor:
        """Cells x genes, gene-major on disk (``dashboard.expression``), built by the first panel that needs
        expression (a gene colour, DEGs), or in the background (``build_expression_in_background``)."""
        return self.store(None)

    def build_expression_in_background(self) -> None:
        """Starts building ``expression`` in a background thread (once per opened run; a file already built is
        found on disk), so that a first gene colour or selection does not wait for it. The explore page asks once
        its main UMAP is drawn: at 100k cells the build reads and rewrites 0.6 GB (~2 s), and started when the run
        was opened it ran beside a first view's draw (first UMAP 2.24 s cold with it building, 1.81 s with the
        store already on disk: median of six fresh browser and server pairs each)."""
        with self._derived_lock:
            if self._build_started:
                return
            self._build_started = True
        threading.Thread(target=lambda: self.expression, daemon=True, name="expression-store").start()

    def store(self, layer: str | None) -> GeneMajor:
        """The gene-major store of ``X`` (``layer`` None), of one of the imputed layers, or of the input's full
        expression (``layer`` "raw")."""
        if layer is not None and layer not in self.imputed_layers and not (layer == RAW and self.input_genes):
            raise KeyError(f"no layer {layer!r} in this run")
        with self._x_lock:
            if layer not in self._stores:
                with h5py.File(self.path, "r") as f:
                    node = f["X"] if layer is None else f["raw"]["X"] if layer == RAW else f["layers"][layer]
                    X = sparse_dataset(node) if isinstance(node, h5py.Group) else node
                    self._stores[layer] = GeneMajor.open_or_build(X, source=Path(self.path),
                                                                  cache_dir=self.expression_dir, layer=layer)
            return self._stores[layer]

    @cached_property
    def _gene_index(self) -> dict[str, int]:
        return {g: j for j, g in enumerate(self.genes)}

    def input_expression(self):
        """The cells over every input gene (``.raw`` where the result kept it, else ``X``) as an AnnData, read
        from the file on request (for scoring a person's gene sets)."""
        import anndata as ad

        with h5py.File(self.path, "r") as f:
            node = f["raw"] if "raw" in f else f
            X, var = read_elem(node["X"]), read_elem(node["var"])
        return ad.AnnData(X=X, obs=pd.DataFrame(index=self.cell_names), var=pd.DataFrame(index=var.index.astype(str)))

    @property
    def all_genes(self) -> list[str]:
        """The model's genes, then the input's other genes."""
        return self.genes + self.input_genes

    def is_model_gene(self, name: str) -> bool:
        return name in self._gene_index

    def gene(self, name: str, *, layer: str | None = None) -> np.ndarray:
        """Expression of one gene over all cells: measured (``X``), or the imputed ``layer``; a gene the model did
        not read comes from the input's full expression (``.raw``)."""
        if name not in self._gene_index and name in self._raw_index:
            return self.store(RAW).gene(self._raw_index[name])
        return self.store(layer).gene(self._gene_index[name])

    @property
    def name(self) -> str:
        """The run's name as exports and titles show it: ``uns['run_id']``, else the file's name."""
        return str(self.uns("run_id", default=Path(self.path).stem))

    def uns(self, *keys, default=None):
        node = self._uns
        for k in keys:
            if not isinstance(node, (dict, pd.DataFrame)) or k not in node:
                return default
            node = node[k]
        return node


class ResultStore:
    """The app's window on ``results_dir``: index (flask-caching) and an LRU of opened runs (this process)."""

    def __init__(self, results_dir: str | Path, cache, *, max_open: int = 4, max_display: int = 100_000,
                 max_secondary: int = 20_000, expression_dir: str | Path | None = None):
        self.results_dir = Path(results_dir)
        self.expression_dir = Path(expression_dir) if expression_dir else self.results_dir / ".expression"
        self.cache = cache
        self.max_open = max_open
        self.max_display = max_display
        self.max_secondary = max_secondary
        self._open: OrderedDict[tuple, RunData] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}

    def entry(self, path: str | Path) -> dict:
        """The index entry of one result file (cached by the file's identity)."""
        key = f"index:{file_identity(path)}"
        entry = self.cache.get(key)
        if entry is None:
            entry = summarize_file(Path(path))
            self.cache.set(key, entry)
        return entry

    def index(self, *, user: str | None = None) -> list[dict]:
        """Every result, newest first; with ``user``, only those that user may see (``uns['access']``)."""
        out = []
        for path, _, _ in scan(self.results_dir):
            entry = self.entry(path)
            if user is None or may_see(entry.get("access"), user):
                out.append(entry)
        return out

    def open(self, path: str, *, user: str | None = None) -> RunData:
        """The opened run; raises ``engine.data.DataError`` for an unreadable file, one outside the folder, or
        (with ``user``) one that user may not see."""
        from engine.data import DataError

        p = Path(path).resolve()
        if p.parent != self.results_dir.resolve() or p.suffix != ".h5ad":
            raise DataError("Not a result of this app's results folder", path=path)
        if not p.exists():
            raise DataError("Result file no longer exists", path=path)
        if user is not None and not may_see(self.entry(p).get("access"), user):
            raise DataError("Not a result you may open (it is private to its owner)", path=path)
        key = file_identity(p)
        with self._lock:
            if key in self._open:
                self._open.move_to_end(key)
                return self._open[key]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # callbacks arriving together wait for one read instead of each reading the file
            with self._lock:
                if key in self._open:
                    return self._open[key]
            try:
                run = RunData(str(p), self.max_display, self.max_secondary, expression_dir=self.expression_dir)
            except Exception as exc:  # corrupt, partial, or not a result
                raise DataError(f"Unreadable result file: {type(exc).__name__}: {exc}", path=path) from exc
            with self._lock:
                self._open[key] = run
                self._loading.pop(key, None)
                while len(self._open) > self.max_open:
                    self._open.popitem(last=False)
        return run
