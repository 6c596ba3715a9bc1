"""Harm checks: does imputation invent structure that is not in the data (Andrews & Hemberg 2018)?

- False gene-gene correlations: each gene's values are shuffled across cells on their own (a null with no
  gene-gene correlation but the same per-gene distributions); the share of gene pairs with a nominally
  significant Pearson correlation (two-sided p < ``alpha``) is counted before and after imputing the null.
- Differential expression that appears only after imputation: Wilcoxon tests (scanpy) between two groups of
  cells on the measured and on the imputed values: a random half of the cells against the other (a null: any DE
  gene is false) and, where given, two groups of a real grouping.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

ALPHA = 0.01
DE_FDR = 0.05
DE_MIN_LOGFC = 0.5


def permuted_null(X: np.ndarray, *, seed: int) -> np.ndarray:
    """Each column of ``X`` shuffled on its own."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(X[:, j]) for j in range(X.shape[1])], axis=1).astype(np.float32)


def significant_pair_rate(X: np.ndarray, *, alpha: float = ALPHA) -> float:
    """Share of gene pairs (among genes that vary) with |r| above the two-sided ``alpha`` critical value."""
    from scipy import stats

    X = X[:, X.std(0) > 0]
    n, g = X.shape
    if g < 2 or n < 4:
        return float("nan")
    t = stats.t.ppf(1 - alpha / 2, n - 2)
    r_crit = t / np.sqrt(n - 2 + t ** 2)
    R = np.corrcoef(X, rowvar=False)
    upper = R[np.triu_indices(g, 1)]
    return float(np.mean(np.abs(upper) > r_crit))


def false_correlations(X: np.ndarray, impute: Callable[[np.ndarray], np.ndarray], *, seed: int = 0,
                       alpha: float = ALPHA) -> dict:
    """The significant-pair rate on the gene-permuted null, measured and imputed, and their ratio."""
    null = permuted_null(X, seed=seed)
    before, after = significant_pair_rate(null, alpha=alpha), significant_pair_rate(impute(null), alpha=alpha)
    return {"null_rate": before, "imputed_rate": after,
            "ratio": float(after / before) if before > 0 else float("inf") if after > 0 else 1.0}


def de_genes(X: np.ndarray, groups: np.ndarray, genes, *, fdr: float = DE_FDR,
             min_logfc: float = DE_MIN_LOGFC) -> set[str]:
    """Genes a Wilcoxon test (scanpy) calls DE between the two groups (BH-adjusted p < ``fdr``, |log2 FC| >=
    ``min_logfc``)."""
    import anndata as ad
    import pandas as pd
    import scanpy as sc

    labels = pd.Categorical(np.asarray(groups).astype(str))
    if len(labels.categories) != 2:
        raise ValueError("de_genes compares exactly two groups")
    a = ad.AnnData(np.asarray(X, np.float32), obs=pd.DataFrame({"g": labels}, index=[f"c{i}" for i in range(len(labels))]))
    a.var_names = [str(g) for g in genes]
    first = labels.categories[0]
    sc.tl.rank_genes_groups(a, "g", groups=[first], reference=labels.categories[1], method="wilcoxon")
    df = sc.get.rank_genes_groups_df(a, group=first)
    return set(df.loc[(df["pvals_adj"] < fdr) & (df["logfoldchanges"].abs() >= min_logfc), "names"])


def new_de_genes(X: np.ndarray, imputed: np.ndarray, groups: np.ndarray, genes) -> dict:
    """DE genes on the measured and on the imputed values, and those only one of them finds."""
    before, after = de_genes(X, groups, genes), de_genes(imputed, groups, genes)
    return {"n_measured": len(before), "n_imputed": len(after), "n_only_imputed": len(after - before),
            "n_lost": len(before - after), "only_imputed": sorted(after - before)[:50]}


def random_halves(n: int, *, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.permutation(n) < n // 2, "half_a", "half_b")
