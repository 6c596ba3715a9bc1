"""Numbers the panels show, computed on the server over all cells (never on the drawn subset)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.tools.metrics import binary_metrics


def confusion_from_scores(labels, scores, *, threshold: float, mask=None) -> np.ndarray:
    """[[TN, FP], [FN, TP]] with *sensitive* (1) as positive, over the cells labelled 0 or 1 (and in ``mask`` when
    given): the counts of ``figures.outcome_classes`` without a string per cell, which at a million cells was most
    of the confusion panel's time."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels ({y.shape}) and scores ({s.shape}) differ in shape")
    keep = (y == 0) | (y == 1)
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    code = 2 * (y[keep] == 1).astype(np.intp) + (s[keep] >= threshold)
    return np.bincount(code, minlength=4).reshape(2, 2)


def counts_report(counts) -> pd.DataFrame:
    """Precision, recall, F1 and support for the sensitive and the resistant class from confusion counts
    [[TN, FP], [FN, TP]] (0 where a ratio has nothing to divide by, as scikit-learn's ``zero_division=0``)."""
    (tn, fp), (fn, tp) = np.asarray(counts)
    if tn + fp + fn + tp == 0:
        return pd.DataFrame({"precision": np.nan, "recall": np.nan, "f1": np.nan, "cells": 0},
                            index=["sensitive", "resistant"])
    ratio = lambda a, b: a / b if b else 0.0
    rows = []
    for hit, false_pos, miss in ((tp, fp, fn), (tn, fn, fp)):  # sensitive, then resistant as the positive class
        p, r = ratio(hit, hit + false_pos), ratio(hit, hit + miss)
        rows.append({"precision": p, "recall": r, "f1": ratio(2 * p * r, p + r), "cells": int(hit + miss)})
    return pd.DataFrame(rows, index=["sensitive", "resistant"]).round(3)


def selection_metrics(labels, scores, *, threshold: float, mask: np.ndarray) -> dict:
    y = np.asarray(labels, dtype=float)[mask]
    return binary_metrics(y, np.asarray(scores, dtype=float)[mask], threshold=threshold)


ROW_CHUNK = 8192


def row_moments(X, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene sum and sum of squares (float64) over ``rows`` of X, in chunks (bounded memory)."""
    total = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for start in range(0, len(rows), ROW_CHUNK):
        block = X[rows[start:start + ROW_CHUNK]]
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        block = block.astype(np.float64)
        total[0].__iadd__(block.sum(0))
        total[1].__iadd__(np.square(block).sum(0))
    return total


def selection_vs_rest(X, mask: np.ndarray, *, genes, moments: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Differential expression of the selected cells against the rest: Welch's t-test per gene (as scanpy's
    ``rank_genes_groups(method='t-test')``), Benjamini-Hochberg adjusted, sorted by t.

    ``X`` is cells x genes (dense or sparse), or a store with a ``row_moments(rows)`` method and ``moments``
    (``dashboard.expression.GeneMajor``). ``moments`` (per-gene sum and sum of squares over all cells,
    :func:`row_moments`) are computed once per run; then only the smaller side of the split is read and the
    other side is the difference, so a selection of half of 100k cells costs one pass over 50k rows instead
    of two copies of the matrix.
    log2 fold change uses scanpy's formula (it assumes log1p data; NaN otherwise).
    """
    mask = np.asarray(mask, dtype=bool)
    if moments is None:  # a store carries its own; a matrix gets them computed here
        moments = X.moments if hasattr(X, "moments") else row_moments(X, np.arange(len(mask)))
    n1, n = int(mask.sum()), len(mask)
    n2 = n - n1
    if n1 < 2 or n2 < 2:
        raise ValueError("a selection vs rest comparison needs at least two cells on each side")
    small = np.flatnonzero(mask) if n1 <= n2 else np.flatnonzero(~mask)
    s_small, q_small = X.row_moments(small) if hasattr(X, "row_moments") else row_moments(X, small)
    (s1, q1), (s2, q2) = ((s_small, q_small), (moments[0] - s_small, moments[1] - q_small)) if n1 <= n2 else \
        ((moments[0] - s_small, moments[1] - q_small), (s_small, q_small))
    return _welch_table(s1, q1, n1, s2, q2, n2, genes)


def groups_de(X, a: np.ndarray, b: np.ndarray | None = None, *, genes) -> pd.DataFrame:
    """Differential expression of group ``a`` against group ``b`` (the rest when None): as
    :func:`selection_vs_rest`, for any two groups that share no cell."""
    a = np.asarray(a, dtype=bool)
    if b is None:
        return selection_vs_rest(X, a, genes=genes)
    b = np.asarray(b, dtype=bool)
    shared = int((a & b).sum())
    if shared:
        raise ValueError(f"the two groups share {shared:,} cells; compare groups that do not overlap")
    if (a | b).all():
        return selection_vs_rest(X, a, genes=genes)
    n1, n2 = int(a.sum()), int(b.sum())
    if n1 < 2 or n2 < 2:
        raise ValueError("a comparison of two groups needs at least two cells in each")
    if hasattr(X, "groups_moments"):  # both groups in one pass over the store
        s, q = X.groups_moments([np.flatnonzero(a), np.flatnonzero(b)])
        (s1, q1), (s2, q2) = (s[:, 0], q[:, 0]), (s[:, 1], q[:, 1])
    else:
        (s1, q1), (s2, q2) = row_moments(X, np.flatnonzero(a)), row_moments(X, np.flatnonzero(b))
    return _welch_table(s1, q1, n1, s2, q2, n2, genes)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (as ``scipy.stats.false_discovery_control(p)``, without importing
    scipy.stats into the web workers)."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted


def _welch_table(s1, q1, n1, s2, q2, n2, genes) -> pd.DataFrame:
    """Welch's t per gene from per-group sums and sums of squares, BH-adjusted, sorted by t."""
    from scipy.special import stdtr  # not scipy.stats: ~46 MB more in every web worker

    m1, m2 = s1 / n1, s2 / n2
    v1 = np.maximum(q1 / n1 - m1 ** 2, 0) * n1 / (n1 - 1)
    v2 = np.maximum(q2 / n2 - m2 ** 2, 0) * n2 / (n2 - 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # Welch's t and the Welch-Satterthwaite degrees of freedom
        a, b = v1 / n1, v2 / n2
        t = (m1 - m2) / np.sqrt(a + b)
        dof = (a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))
        p = 2 * stdtr(dof, -np.abs(t))
    t, p = np.where(np.isnan(t), 0.0, t), np.where(np.isnan(p), 1.0, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        log2fc = np.log2((np.expm1(m1) + 1e-9) / (np.expm1(m2) + 1e-9))
    df = pd.DataFrame({"gene": np.asarray(genes), "t": t, "log2fc": log2fc, "pval": p,
                       "pval_adj": benjamini_hochberg(p)})
    return df.sort_values("t", ascending=False, kind="stable").reset_index(drop=True)
