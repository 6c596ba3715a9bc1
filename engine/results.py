"""Result files: atomic writing, and reading with a report of what is missing (see ``schema.md``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .data.errors import DataError

REQUIRED_OBS = ("sensitivity_score", "sensitivity_score_pretransfer", "predicted", "leiden")
REQUIRED_OBSM = ("X_latent", "X_umap")
REQUIRED_UNS = ("metrics", "config", "provenance")


# the models every transfer result scores, in the order pages and benchmarks show them, with their names
MODELS = {"transfer": "transfer model", "no_transfer": "no-transfer model",
          "logistic_regression": "logistic regression (bulk only)", "gradient_boosting": "gradient boosting (bulk only)"}
# the per-cell score of each model (obs)
SCORE_COLUMNS = {"transfer": "sensitivity_score", "no_transfer": "sensitivity_score_pretransfer",
                 "logistic_regression": "logreg_score", "gradient_boosting": "boosting_score"}


def h5_safe(value):
    """Make a nested structure writable to .h5ad: None -> '', tuples -> lists, numpy scalars -> Python."""
    if value is None:
        return ""
    if isinstance(value, dict):
        # '/' in an HDF5 key would create nested groups (a leading '/' even writes at the file's root)
        return {str(k).replace("/", "|"): h5_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [h5_safe(v) for v in value]
        if items and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in items):
            return np.asarray(items, dtype=float)
        if items and all(isinstance(v, str) for v in items):
            return np.asarray(items, dtype=object)
        return {str(i): v for i, v in enumerate(items)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def write_json_atomic(obj, path: str | Path) -> Path:
    """Write ``obj`` as JSON to ``path`` through a temporary file in the same folder: readers see the old file
    or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def write_atomic(adata: ad.AnnData, path: str | Path) -> Path:
    """Write ``adata`` to ``path`` via a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".h5ad.part", dir=path.parent)
    os.close(fd)
    try:
        adata.write_h5ad(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def missing_parts(adata: ad.AnnData) -> list[str]:
    """Keys of the schema that this result lacks (an old or partial result still opens)."""
    missing = [f"obs['{k}']" for k in REQUIRED_OBS if k not in adata.obs]
    missing += [f"obsm['{k}']" for k in REQUIRED_OBSM if k not in adata.obsm]
    missing += [f"uns['{k}']" for k in REQUIRED_UNS if k not in adata.uns]
    return missing


def read_result(path: str | Path, *, backed: bool = False) -> ad.AnnData:
    """Open a result file; a clear DataError if it is not a readable .h5ad."""
    path = Path(path)
    try:
        adata = ad.read_h5ad(path, backed="r" if backed else None)
    except Exception as exc:
        raise DataError(f"Unreadable result file: {type(exc).__name__}: {exc}", path=path) from exc
    adata.uns["missing_parts"] = np.asarray(missing_parts(adata), dtype=object)
    return adata


def summary_lines(adata: ad.AnnData) -> list[str]:
    """A few plain lines on what a run found: size, seeds, and AUROC of the model next to its baselines."""
    m = adata.uns.get("metrics", {})
    n_seeds = int(m.get("n_seeds", 1))
    lines = [f"{adata.n_obs:,} cells x {adata.n_vars:,} genes shared with the bulk data; "
             f"{n_seeds} seed{'s' if n_seeds != 1 else ''}"]
    if "predicted" in adata.obs:
        share = float((adata.obs["predicted"] == "sensitive").mean())
        lines.append(f"predicted sensitive: {share:.0%} of cells at threshold {float(m.get('threshold', 0.5)):g}")
    if "skipped" in m:
        lines.append(f"no evaluation: {m['skipped']}")
        return lines
    for key, label in MODELS.items():
        if key in m and "auroc" in m[key]:
            v = m[key]["auroc"]
            worst = float(v["min"]) if "min" in v else float(np.min(v["per_seed"]))  # results before "min" was kept
            spread = f" ± {float(v['sd']):.3f} (worst seed {worst:.3f})" if n_seeds > 1 else " (1 seed)"
            lines.append(f"AUROC {label:32s} {float(v['mean']):.3f}{spread}")
    if "transfer_seed_ensemble" in m:
        lines.append(f"AUROC {'seed ensemble (shown score)':32s} {float(m['transfer_seed_ensemble']['auroc']):.3f}")
    return lines


def metrics_table(adata: ad.AnnData) -> pd.DataFrame:
    """Rows = models, columns = 'metric mean' and 'metric sd' (empty when metrics were skipped)."""
    m = adata.uns.get("metrics", {})
    rows = {}
    for model in MODELS:
        if model in m:
            rows[model] = {f"{k} {s}": float(v[s]) for k, v in m[model].items() for s in ("mean", "sd")}
    return pd.DataFrame.from_dict(rows, orient="index")


def kind_summary_lines(path: str | Path) -> list[str]:
    """A few plain lines on any kind's result (see :mod:`engine.kinds`)."""
    adata = ad.read_h5ad(path)
    kind = str(adata.uns.get("kind", "transfer"))
    if kind == "morphology":
        return morphology_summary_lines(adata)
    if kind in ("image_qc", "qc"):
        qc = adata.uns["qc"]
        unit = str(qc.get("unit", "cell"))
        return [f"{int(qc['n_flagged']):,} of {int(qc['n_cells']):,} {unit}s flagged at outlier score "
                f"{float(qc['threshold']):.3f} (metrics: {', '.join(map(str, qc['metrics']))})"]
    if kind == "imputation":
        return imputation_summary_lines(adata)
    return summary_lines(adata)


def imputation_summary_lines(adata: ad.AnnData) -> list[str]:
    """Cells and genes, then RMSE / L1 / Pearson per method and masked share, then the false-correlation ratio."""
    pre = adata.uns.get("preprocessing", {})
    lines = [f"{adata.n_obs:,} cells x {adata.n_vars:,} genes ({float(pre.get('share_nonzero', 0)):.1%} non-zero)"]
    table = adata.uns.get("masking_table")
    if table is not None:
        for _, r in pd.DataFrame(table).iterrows():
            lines.append(f"{r['method']:12s} {float(r['rate']):4.0%} masked: RMSE {r['rmse']:.3f}  L1 {r['l1']:.3f}  "
                         f"Pearson {r['pearson']:.3f}  (worst seed RMSE {r['rmse_worst']:.3f})")
    for method, h in adata.uns.get("harm", {}).items():
        fc = h["false_correlations"]
        lines.append(f"{method:12s} false correlations on a permuted null: {float(fc['imputed_rate']):.2%} vs "
                     f"{float(fc['null_rate']):.2%} measured ({float(fc['ratio']):.1f}x)")
    return lines


def morphology_summary_lines(adata: ad.AnnData) -> list[str]:
    """Treatments, then NSC / NSCB / mAP of each model (mean ± sd, worst seed for the learned one)."""
    pre = adata.uns.get("preprocessing", {})
    lines = [f"{adata.n_obs} treatments, {adata.n_vars} features, {pre.get('n_wells', '?')} wells "
             f"({pre.get('n_control_wells', '?')} controls) on {pre.get('n_plates', '?')} plates"]
    for model, m in adata.uns.get("metrics", {}).items():
        def fmt(v):
            if isinstance(v, dict):
                return f"{float(v['mean']):.3f}±{float(v['sd']):.3f} (worst {float(v['worst']):.3f})"
            return f"{float(v):.3f}"
        names = {"nsc": "NSC", "nscb": "NSCB", "map_mean": "mAP", "map_worst_moa": "worst MoA mAP"}
        lines.append(f"{model:22s} " + "  ".join(f"{label} {fmt(m[k])}" for k, label in names.items() if k in m))
    if "activity_map" in adata.obs:
        lines.append(f"phenotypically active (replicate mAP, corrected p < 0.05): {int(adata.obs['active'].sum())} "
                     f"of {adata.n_obs} treatments")
    return lines
