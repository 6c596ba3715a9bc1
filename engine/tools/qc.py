"""Cell quality control: per-cell metrics, an isolation forest over them, and a threshold a person sets.

``qc_metrics`` -> ``isolation_forest`` -> ``flag`` (re-run with another threshold at no cost). Scores and flags
go to ``obs['qc_outlier_score']`` (higher = more unusual; from ``IsolationForest.score_samples``, negated, so
it lies in (0, 1]) and ``obs['qc_flagged']``; settings and counts go to ``uns['qc']``.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.errors import DataError
from ..data.single_cell import is_counts

COUNT_METRICS = ("log1p_total_counts", "log1p_n_genes_by_counts", "pct_counts_in_top_50_genes", "pct_counts_mt",
                 "pct_counts_ribo", "genes_per_count")
NORMALISED_METRICS = ("n_genes_detected", "mean_expression", "sd_expression")
NORMALISED_LIMITS = ("no raw counts: library size, mitochondrial and ribosomal fractions and complexity cannot be "
                     "computed; the forest uses genes detected (non-zero values) and the per-cell mean and sd of "
                     "expression, which are only meaningful if the table was not scaled per cell")
MIN_CELLS, MIN_GENES = 20, 60  # the forest needs a population; "% in the top 50 genes" needs more than 50 genes
# scanpy's usual fixed cut-offs (the pbmc3k tutorial), for comparison
FIXED_CUTOFFS = {"min_genes": 200, "max_genes": 2500, "max_pct_mt": 5.0}


def empty_mask(obs: pd.DataFrame) -> np.ndarray:
    """Barcodes marked as empty droplets (none when the input had no counts)."""
    return obs["qc_empty"].to_numpy(bool) if "qc_empty" in obs else np.zeros(len(obs), bool)


def robust_z(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(values - median) / IQR, both taken over the ``reference`` rows (a boolean mask)."""
    ref = values[reference]
    return (values - np.nanmedian(ref, 0)) / (np.nanpercentile(ref, 75, 0) - np.nanpercentile(ref, 25, 0) + 1e-9)


def qc_metrics(adata: ad.AnnData, *, layer: str | None = None) -> list[str]:
    """Add per-cell QC metrics to ``obs``; returns the names usable by the forest (constant ones left out)."""
    X = adata.layers[layer] if layer else adata.X
    if adata.n_obs < MIN_CELLS or adata.n_vars < MIN_GENES:
        raise DataError(f"QC needs at least {MIN_CELLS} cells and {MIN_GENES} genes; this input has {adata.n_obs:,} "
                        f"cells and {adata.n_vars:,} genes (after mapping gene ids to symbols)")
    if is_counts(X):
        import scanpy as sc

        names = adata.var_names.str.upper()
        adata.var["mt"] = names.str.startswith("MT-")
        adata.var["ribo"] = names.str.match(r"^RP[SL]\d")
        sc.pp.calculate_qc_metrics(adata, qc_vars=["mt", "ribo"], percent_top=[50], layer=layer, log1p=True,
                                   inplace=True)
        adata.obs["genes_per_count"] = (adata.obs["log1p_n_genes_by_counts"]
                                        / adata.obs["log1p_total_counts"].where(adata.obs["log1p_total_counts"] > 0))
        adata.obs["genes_per_count"] = adata.obs["genes_per_count"].fillna(0.0)
        adata.uns["qc_input"] = {"counts": True, "limits": ""}
        empty_droplets(adata)
        candidates = COUNT_METRICS
    else:
        M = sp.csr_matrix(X) if not sp.issparse(X) else X.tocsr()
        adata.obs["n_genes_detected"] = np.asarray((M != 0).sum(1)).ravel()
        mean = np.asarray(M.mean(1)).ravel()
        adata.obs["mean_expression"] = mean
        adata.obs["sd_expression"] = np.sqrt(np.maximum(np.asarray(M.multiply(M).mean(1)).ravel() - mean ** 2, 0))
        candidates, adata.uns["qc_input"] = NORMALISED_METRICS, {"counts": False, "limits": NORMALISED_LIMITS}
    return [m for m in candidates if m in adata.obs and float(np.nanstd(adata.obs[m].to_numpy(float))) > 0]


def empty_droplet_cut(total_counts: np.ndarray, *, lower: float = 100.0) -> float:
    """The inflection of the barcode-rank curve: barcodes below it are (near-)empty droplets.

    As DropletUtils' ``barcodeRanks``: on log10(rank) vs log10(total counts) of barcodes with at least ``lower``
    counts (resampled on 200 even steps of log rank and smoothed), the point of steepest descent.
    """
    from scipy.ndimage import uniform_filter1d

    t = np.sort(np.asarray(total_counts, float))[::-1]
    t = t[t >= lower]
    if t.size < 50:
        return 0.0
    x, y = np.log10(np.arange(1, t.size + 1)), np.log10(t)
    grid = np.linspace(x[0], x[-1], 200)
    smooth = uniform_filter1d(np.interp(grid, x, y), 9, mode="nearest")
    slope = np.gradient(smooth, grid)
    k = int(np.argmin(slope[5:-5])) + 5
    return float(10 ** smooth[k])


def empty_droplets(adata: ad.AnnData, *, lower: float = 100.0) -> int:
    """Mark barcodes below the barcode-rank inflection as empty (``obs['qc_empty']``); counts only. Returns how many."""
    cut = empty_droplet_cut(adata.obs["total_counts"].to_numpy(), lower=lower)
    adata.obs["qc_empty"] = adata.obs["total_counts"].to_numpy() < cut
    adata.uns.setdefault("qc_input", {})["empty_droplet_cut_counts"] = cut
    return int(adata.obs["qc_empty"].sum())


def isolation_forest(adata: ad.AnnData, *, metrics: list[str] | None = None, contamination: str | float = "auto",
                     threshold: float | None = None, seed: int = 0, n_estimators: int = 200) -> None:
    """Score every cell with an isolation forest over ``metrics`` (computed if missing) and flag outliers.

    The forest is fitted on barcodes that are not empty droplets (``obs['qc_empty']``, when present): in
    unfiltered droplet data most barcodes are empty, and a forest fitted on all of them would call the real
    cells the outliers. ``contamination='auto'`` uses the forest's own cut (score 0.5); a fraction flags that
    share of the fitted cells; ``threshold`` (on ``qc_outlier_score``) overrides both.
    """
    from sklearn.ensemble import IsolationForest

    usable = qc_metrics(adata) if metrics is None else list(metrics)
    if not usable:
        raise ValueError("no QC metric varies across cells: nothing to score")
    fit = ~empty_mask(adata.obs)
    Z = robust_z(adata.obs[usable].to_numpy(float), fit)
    if contamination != "auto":
        contamination = float(contamination)
        if not 0 < contamination <= 0.5:
            raise ValueError("contamination must be 'auto' or a fraction in (0, 0.5]")
    forest = IsolationForest(n_estimators=n_estimators, contamination=contamination, random_state=seed,
                             n_jobs=-1).fit(np.nan_to_num(Z[fit]))
    adata.obs["qc_outlier_score"] = -forest.score_samples(np.nan_to_num(Z))
    auto_threshold = float(-forest.offset_)
    adata.uns["qc"] = {"method": "IsolationForest (scikit-learn) on robust-scaled metrics", "metrics": usable,
                       "n_empty": int((~fit).sum()),
                       "contamination": str(contamination), "auto_threshold": auto_threshold, "seed": seed,
                       "n_estimators": n_estimators, **adata.uns.get("qc_input", {})}
    flag(adata, threshold=auto_threshold if threshold is None else threshold)


def flag(adata: ad.AnnData, *, threshold: float) -> int:
    """Flag empty droplets and cells whose outlier score is above ``threshold``; returns how many."""
    adata.obs["qc_flagged"] = flagged_mask(adata.obs, threshold)
    n = int(adata.obs["qc_flagged"].sum())
    adata.uns["qc"].update(threshold=float(threshold), n_flagged=n, n_cells=int(adata.n_obs))
    return n


def flagged_mask(obs: pd.DataFrame, threshold: float) -> np.ndarray:
    return (obs["qc_outlier_score"].to_numpy() > threshold) | empty_mask(obs)


def main_metric(obs: pd.DataFrame, metrics: list[str]) -> pd.Series:
    """For each cell, the metric on which it is most extreme (largest |robust z| against the cells the forest
    was fitted on, i.e. the non-empty ones): why a cell stands out."""
    Z = np.abs(robust_z(obs[metrics].to_numpy(float), ~empty_mask(obs)))
    return pd.Series(np.asarray(metrics)[np.nanargmax(np.nan_to_num(Z, nan=-1), 1)], index=obs.index)


def fixed_cutoff_flags(obs: pd.DataFrame, *, min_genes: int = FIXED_CUTOFFS["min_genes"],
                       max_genes: int = FIXED_CUTOFFS["max_genes"], max_pct_mt: float = FIXED_CUTOFFS["max_pct_mt"]) -> pd.Series:
    """scanpy's usual fixed cut-offs (counts only): too few or too many genes, or a high mitochondrial share."""
    genes = obs["n_genes_by_counts"]
    out = (genes < min_genes) | (genes > max_genes)
    if "pct_counts_mt" in obs:
        out |= obs["pct_counts_mt"] > max_pct_mt
    return out


def qc_lists(obs: pd.DataFrame, *, threshold: float, n: int = 10) -> dict[str, pd.DataFrame]:
    """Three lists as a reviewer reads them: most outlying flagged, borderline (either side), best.

    Empty droplets are left out: they are flagged whatever the threshold, and there is nothing to review.
    """
    obs = obs[~empty_mask(obs)]
    score = obs["qc_outlier_score"]
    flagged = obs[score.to_numpy() > threshold].sort_values("qc_outlier_score", ascending=False).head(n)
    border = obs.iloc[np.argsort(np.abs(score.to_numpy() - threshold))[:n]].sort_values("qc_outlier_score")
    best = obs.sort_values("qc_outlier_score").head(n)
    return {"flagged": flagged, "borderline": border, "best": best}
