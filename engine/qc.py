"""QC of a single-cell input, and QC decisions: named, saved choices of which cells to leave out of training.

A decision records the input's checksum, the metrics, the threshold, the excluded cells, who made it and when.
Training takes a decision (``RunConfig.qc``), checks that it was made on this very input, drops the excluded
cells, and records which decision it used.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np

from . import provenance
from .config import _check, _opt
from .data import DataError, catalog, read_single_cell
from .data.install import checksums
from .tools.embedding import neighbors_umap
from .tools.qc import empty_mask, isolation_forest, qc_metrics

def input_checksum(source: str) -> str:
    """One sha256 for a catalog dataset (over its files' checksums) or a file."""
    if catalog.is_dataset_id(source):
        blob = json.dumps(checksums([source]), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()
    return provenance.file_checksum(source)


def run_qc(source: str, *, contamination: str | float = "auto", threshold: float | None = None, seed: int = 0,
           embed: bool = False, progress=None) -> ad.AnnData:
    """Read ``source`` (catalog id or file), compute metrics, score with the forest; optionally a UMAP.

    ``progress(fraction, message)`` is told as each stage starts.
    """
    from .data.single_cell import DEFAULT_LABEL_COLUMN
    from .preprocess import check_cells_usable

    say = progress or (lambda fraction, message: None)
    say(0.0, f"reading {source}")
    # the label column only tells a cells x genes table from a genes x cells one (as `run` reads it)
    adata = read_single_cell(source, label_column=DEFAULT_LABEL_COLUMN)
    adata.uns.pop("cache_key", None)
    check_cells_usable(adata)
    say(0.25, f"QC metrics of {adata.n_obs:,} barcodes")
    metrics = qc_metrics(adata)
    say(0.5, "empty droplets and the isolation forest")
    isolation_forest(adata, metrics=metrics, contamination=contamination, threshold=threshold, seed=seed)
    adata.uns["qc"].update(input=str(source), input_sha256=input_checksum(source))
    if embed:
        say(0.6, f"UMAP of the {int((~empty_mask(adata.obs)).sum()):,} cells that are not empty droplets")
        adata.obsm["X_umap"] = embedding(adata, seed=seed)
    say(0.95, "writing the result")
    return adata


@dataclass
class QCSettings:
    """The ``qc`` kind (see :mod:`engine.kinds`): per-cell QC of one single-cell input."""

    source: str = ""
    contamination: str = _opt("auto", help="'auto' (the forest's own cut) or the fraction of cells to flag")
    threshold: float | None = _opt(None, help="flag cells above this outlier score (overrides contamination)")
    seed: int = _opt(0, low=0, high=2**31 - 1, help="forest seed")
    embed: bool = _opt(True, help="also compute a UMAP for review")
    out: str = "precomputed"
    name: str | None = None  # the result's name (default: the input's)
    owner: str = ""

    def validate(self) -> "QCSettings":
        if not self.source:
            raise DataError("Choose a single-cell dataset (a catalog id or a file)")
        if self.contamination != "auto":
            try:
                c = float(self.contamination)
            except ValueError:
                raise DataError("contamination: 'auto' or a fraction in (0, 0.5]") from None
            if not 0 < c <= 0.5:
                raise DataError("contamination: 'auto' or a fraction in (0, 0.5]")
        _check(self)
        return self

    def to_dict(self) -> dict:
        return asdict(self)


def qc_result_path(out: str | Path, source: str, name: str | None = None) -> Path:
    """Where the QC result of ``source`` lives: ``<out>/qc/<name>.qc.h5ad`` (the QC page reads this folder)."""
    stem = name or re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(str(source)).stem if "/" in str(source) else str(source))
    return Path(out) / "qc" / f"{stem.strip('-')}.qc.h5ad"


def run_kind(settings: QCSettings, *, progress=None, cancel=None) -> Path:
    """The ``qc`` kind's run: :func:`run_qc`, then one atomic write with provenance; returns the path."""
    from .kinds import stage_reporter
    from .results import write_atomic

    settings.validate()
    report = progress or (lambda e: None)
    reporter = stage_reporter(progress, cancel)

    def say(fraction, message):
        reporter("qc", fraction, message)

    started = provenance.utc_now()
    contamination = settings.contamination if settings.contamination == "auto" else float(settings.contamination)
    adata = run_qc(settings.source, contamination=contamination, threshold=settings.threshold, seed=settings.seed,
                   embed=settings.embed, progress=say)
    adata.uns["kind"] = "qc"
    adata.uns["provenance"] = {"started": started, "finished": provenance.utc_now(),
                               "settings": json.dumps(settings.to_dict()), "versions": provenance.versions(),
                               "input_sha256": adata.uns["qc"]["input_sha256"]}
    path = write_atomic(adata, qc_result_path(settings.out, settings.source, settings.name))
    report({"stage": "done", "fraction": 1.0, "message": str(path), "path": str(path)})
    return path


def embedding(adata: ad.AnnData, *, seed: int = 0) -> np.ndarray:
    """A UMAP of the cells for QC review (normalise, log, HVG, PCA, exact kNN up to 50k cells).

    Empty droplets (``obs['qc_empty']``) are left out and get NaN coordinates: they hold no cell to place, and
    in unfiltered droplet data they are most barcodes, so embedding them would cost most of the time.
    """
    import scanpy as sc

    cells = ~empty_mask(adata.obs)
    coords = np.full((adata.n_obs, 2), np.nan, dtype=np.float32)
    if cells.sum() < 4:
        return coords
    tmp = ad.AnnData(adata.X[cells].copy(), obs=adata.obs[[]].iloc[cells].copy(), var=adata.var[[]].copy())
    if adata.uns.get("qc", {}).get("counts", True):
        sc.pp.normalize_total(tmp, target_sum=1e4)
        sc.pp.log1p(tmp)
    sc.pp.highly_variable_genes(tmp, n_top_genes=min(2000, tmp.n_vars), subset=True)
    sc.pp.pca(tmp, n_comps=min(30, tmp.n_vars - 1, tmp.n_obs - 1), random_state=seed)
    neighbors_umap(tmp, use_rep="X_pca", seed=seed)
    coords[cells] = tmp.obsm["X_umap"]
    return coords


_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 _.-]{0,78}[A-Za-z0-9_.-])?$")  # spaces inside, not around


@dataclass
class QCDecision:
    name: str
    input: str
    input_sha256: str
    metrics: list[str]
    threshold: float
    contamination: str
    n_cells: int
    excluded: list[str] = field(default_factory=list)
    created_by: str = ""
    created_at: str = ""
    visibility: str = "everyone"  # who may list and use it: "private", "everyone" or "users:alice,bob"

    @classmethod
    def from_result(cls, adata: ad.AnnData, *, name: str, threshold: float | None = None,
                    created_by: str | None = None, visibility: str = "everyone") -> "QCDecision":
        if not _NAME.match(name or ""):
            raise DataError("A decision name is 1-80 letters, digits, spaces, '.', '_' or '-' (starting with a letter "
                            "or digit)")
        qc = adata.uns["qc"]
        t = float(qc["threshold"] if threshold is None else threshold)
        from .tools.qc import flagged_mask

        excluded = adata.obs_names[flagged_mask(adata.obs, t)]
        return cls(name=name, input=qc["input"], input_sha256=qc["input_sha256"], metrics=list(qc["metrics"]),
                   threshold=t, contamination=str(qc["contamination"]), n_cells=int(adata.n_obs),
                   excluded=[str(c) for c in excluded], created_by=created_by or getpass.getuser(),
                   created_at=provenance.utc_now(), visibility=visibility)

    def save(self, folder: str | Path) -> Path:
        """Write ``folder/<name>.json`` atomically (an existing decision of that name is replaced whole)."""
        from .results import write_json_atomic

        return write_json_atomic(asdict(self), Path(folder) / f"{self.name}.json")

    @classmethod
    def load(cls, path: str | Path) -> "QCDecision":
        path = Path(path)
        try:
            return cls(**json.loads(path.read_text()))
        except FileNotFoundError as exc:
            raise DataError("QC decision not found", path=path) from exc
        except (ValueError, TypeError) as exc:
            raise DataError(f"Not a QC decision file: {exc}", path=path) from exc


def list_decisions(folder: str | Path, *, source: str | None = None, user: str | None = None) -> list[dict]:
    """Saved decisions (newest first), optionally only those made on ``source`` and those ``user`` may see."""
    from .config import may_see

    out = []
    for p in sorted(Path(folder).glob("*.json"), key=lambda p: -p.stat().st_mtime):
        try:
            d = QCDecision.load(p)
        except DataError:
            continue
        if user is not None and not may_see({"owner": d.created_by, "visibility": d.visibility}, user):
            continue
        if source is None or d.input == str(source):
            out.append({"path": str(p), "name": d.name, "input": d.input, "n_excluded": len(d.excluded),
                        "n_cells": d.n_cells, "threshold": d.threshold, "created_by": d.created_by,
                        "created_at": d.created_at, "visibility": d.visibility})
    return out


def apply_decision(cells: ad.AnnData, path: str | Path, *, source: str) -> tuple[ad.AnnData, dict]:
    """Drop the decision's excluded cells from ``cells`` read from ``source``; the record for the result."""
    decision = QCDecision.load(path)
    if decision.input_sha256 != input_checksum(source):
        raise DataError(f"QC decision {decision.name!r} was made on {decision.input}, not on this input "
                        "(checksums differ); make a new decision for this data", path=path)
    missing = set(decision.excluded) - set(cells.obs_names)
    if missing:
        raise DataError(f"{len(missing)} excluded cells of QC decision {decision.name!r} are not in the data "
                        f"(e.g. {sorted(missing)[0]!r})", path=path)
    keep = ~cells.obs_names.isin(decision.excluded)
    record = {"name": decision.name, "path": str(path), "sha256": provenance.file_checksum(path),
              "threshold": decision.threshold, "n_excluded": int((~keep).sum()), "n_kept": int(keep.sum()),
              "created_by": decision.created_by, "created_at": decision.created_at}
    return cells[keep].copy(), record
