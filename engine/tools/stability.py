"""Label-free uncertainty of a seed ensemble: how much the seeds agree, per cell and per run.

Nothing here reads single-cell labels: it compares the seeds' scores with one another only.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
from scipy.stats import spearmanr

# below this pairwise rank correlation of two seeds' per-cell scores, the run is flagged: the seeds order the cells
# differently, so one run's colouring may show a lucky (or a flipped) seed rather than the data
MIN_SEED_RANK_CORRELATION = 0.5


def seed_uncertainty(adata: ad.AnnData, *, per_seed_key: str = "sensitivity_score_per_seed", threshold: float = 0.5,
                     min_rank_correlation: float = MIN_SEED_RANK_CORRELATION, key_added: str = "seed") -> dict:
    """Per-cell spread and agreement of the seeds' scores, and a run-level verdict.

    Parameters
    ----------
    adata
        A result with ``obsm[per_seed_key]`` (cells x seeds scores in [0, 1]).
    per_seed_key
        Where the per-seed scores are.
    threshold
        The score at which a cell is called sensitive.
    min_rank_correlation
        The run is flagged ``unstable`` when any two seeds' per-cell scores rank-correlate below this.
    key_added
        Prefix of the keys written.

    Returns
    -------
    The run-level summary, also written to ``uns[f'{key_added}_agreement']``; per cell ``obs[f'{key_added}_sd']``
    (sd of the score over seeds) and ``obs[f'{key_added}_agreement']`` (share of seeds that agree with the
    label called from the averaged score; it falls below 0.5 when most seeds call the other label).
    """
    S = np.asarray(adata.obsm[per_seed_key], dtype=float)
    n_seeds = S.shape[1]
    called = S >= threshold
    ensemble = S.mean(1) >= threshold
    adata.obs[f"{key_added}_sd"] = S.std(1, ddof=1) if n_seeds > 1 else np.zeros(len(S))
    adata.obs[f"{key_added}_agreement"] = (called == ensemble[:, None]).mean(1)
    pairs = [(i, j) for i in range(n_seeds) for j in range(i + 1, n_seeds)]
    rhos = []
    for i, j in pairs:
        rho = spearmanr(S[:, i], S[:, j]).statistic if np.ptp(S[:, i]) > 0 and np.ptp(S[:, j]) > 0 else np.nan
        rhos.append(float(rho))
    finite = [r for r in rhos if np.isfinite(r)]
    worst = min(finite) if finite else float("nan")
    summary = {"n_seeds": n_seeds, "min_rank_correlation": min_rank_correlation,
               "pairwise_rank_correlation_min": worst,
               "pairwise_rank_correlation_mean": float(np.mean(finite)) if finite else float("nan"),
               "cells_all_seeds_agree": float((adata.obs[f"{key_added}_agreement"] == 1.0).mean()),
               "unstable": bool(n_seeds > 1 and (not finite or worst < min_rank_correlation))}
    if summary["unstable"]:
        summary["warning"] = (f"The {n_seeds} seeds disagree on which cells are more sensitive (the lowest rank "
                              f"correlation between two seeds' scores is {worst:.2f}, below {min_rank_correlation}): "
                              "treat this run's scores as uncertain, and look at the seed-agreement colouring.")
    adata.uns[f"{key_added}_agreement"] = summary
    return summary
