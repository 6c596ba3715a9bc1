"""Numbers the panels show, computed on the server over all cells (never on the drawn subset)."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from engine.tools.metrics import binary_metrics


def class_report(labels, scores, *, threshold: float, mask=None) -> pd.DataFrame:
    """Precision, recall, F1 and support for the sensitive and the resistant class at ``threshold``."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    keep = np.isfinite(y) if mask is None else np.isfinite(y) & mask
    y, pred = y[keep].astype(int), (s[keep] >= threshold).astype(int)
    if len(y) == 0:
        return pd.DataFrame({"precision": np.nan, "recall": np.nan, "f1": np.nan, "cells": 0},
                            index=["sensitive", "resistant"])
    p, r, f, n = precision_recall_fscore_support(y, pred, labels=[1, 0], zero_division=0)
    return pd.DataFrame({"precision": p, "recall": r, "f1": f, "cells": n}, index=["sensitive", "resistant"]).round(3)


def selection_metrics(labels, scores, *, threshold: float, mask: np.ndarray) -> dict:
    y = np.asarray(labels, dtype=float)[mask]
    return binary_metrics(y, np.asarray(scores, dtype=float)[mask], threshold=threshold)


def selection_vs_rest(adata, mask: np.ndarray) -> pd.DataFrame:
    """Differential expression of the selected cells against the rest (scanpy, Welch's t-test)."""
    import scanpy as sc

    if mask.sum() < 2 or (~mask).sum() < 2:
        raise ValueError("a selection vs rest comparison needs at least two cells on each side")
    sub = ad.AnnData(X=adata.X, obs=pd.DataFrame(index=adata.obs_names), var=pd.DataFrame(index=adata.var_names))
    sub.obs["group"] = pd.Categorical(np.where(mask, "selection", "rest"), categories=["selection", "rest"])
    sc.tl.rank_genes_groups(sub, "group", groups=["selection"], reference="rest", method="t-test", use_raw=False)
    df = sc.get.rank_genes_groups_df(sub, group="selection")
    return df.rename(columns={"names": "gene", "scores": "t", "logfoldchanges": "log2fc", "pvals": "pval",
                              "pvals_adj": "pval_adj"})
