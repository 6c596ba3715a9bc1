"""Evaluation metrics from scores (AUROC, AP) and at a stated threshold (F1, MCC, balanced accuracy)."""

from __future__ import annotations

import numpy as np

METRICS = ("auroc", "ap", "f1", "mcc", "balanced_accuracy")
DEFAULT_THRESHOLD = 0.5


def _labelled(y_true, score) -> tuple[np.ndarray, np.ndarray]:
    """The rows with both a label and a score: labels as booleans (1 = True), scores as float."""
    y, s = np.asarray(y_true, dtype=float), np.asarray(score, dtype=float)
    keep = np.isfinite(y) & np.isfinite(s)
    return y[keep] == 1, s[keep]


def score_curves(y_true, score) -> dict[str, np.ndarray | float]:
    """ROC and precision-recall curves of scores against binary labels (1 = positive; rows with a missing label or
    score left out), from one sort: a point per distinct score, as scikit-learn's ``roc_curve`` (without dropping
    collinear points) and ``precision_recall_curve`` (from recall 0 at precision 1). Also their areas: ``auroc``
    (trapezoid) and ``ap`` (step-wise average precision), equal to ``roc_auc_score`` and ``average_precision_score``.

    Returns
    -------
    dict with ``fpr``, ``tpr``, ``recall``, ``precision`` (arrays from the highest threshold down), ``auroc``,
    ``ap``; raises ValueError where the labels hold one class.
    """
    y, s = _labelled(y_true, score)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise ValueError("labels must hold both classes")
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]  # the last row of each distinct score
    tp = np.cumsum(y_sorted)[last].astype(float)
    fp = (last + 1) - tp
    tpr, fpr = np.r_[0.0, tp / n_pos], np.r_[0.0, fp / (len(y) - n_pos)]
    precision = tp / (tp + fp)
    return {"fpr": fpr, "tpr": tpr, "recall": tpr, "precision": np.r_[1.0, precision],
            "auroc": float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)),
            "ap": float(np.sum(np.diff(tpr) * precision))}


def binary_metrics(y_true, score, *, threshold: float = DEFAULT_THRESHOLD) -> dict[str, float]:
    """Metrics with 'sensitive' (1) as the positive class; NaN where a metric is undefined.

    AUROC and AP from :func:`score_curves`, the rest from the four counts at ``threshold``: equal to
    scikit-learn's metrics and ~5x faster on a 500k-cell selection (one sort, no label encoding).
    """
    y, s = _labelled(y_true, score)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        return {m: float("nan") for m in METRICS}
    curves = score_curves(y, s)
    pred = s >= threshold
    TP, FP = int((pred & y).sum()), int((pred & ~y).sum())
    FN, TN = n_pos - TP, len(y) - n_pos - FP
    return {"auroc": curves["auroc"], "ap": curves["ap"], **_count_metrics(TP, FP, FN, TN)}


def _count_metrics(TP: int, FP: int, FN: int, TN: int) -> dict[str, float]:
    """F1, MCC and balanced accuracy from the four counts (0 where scikit-learn's zero-division rule gives 0)."""
    f1 = 2 * TP / (2 * TP + FP + FN) if TP else 0.0
    denom = float(TP + FP) * (TP + FN) * (TN + FP) * (TN + FN)
    mcc = (TP * TN - FP * FN) / np.sqrt(denom) if denom > 0 else 0.0
    ba = (TP / (TP + FN) + TN / (TN + FP)) / 2
    return {"f1": float(f1), "mcc": float(mcc), "balanced_accuracy": float(ba)}


def summarize(per_seed: list[dict[str, float]]) -> dict[str, dict]:
    """{metric: {mean, sd, min, per_seed}} over seeds (sd with ddof=1; 0 for one seed; min = the worst seed)."""
    out = {}
    for m in METRICS:
        v = np.array([d[m] for d in per_seed], dtype=float)
        out[m] = {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                  "min": float(np.min(v)), "per_seed": v.tolist()}
    return out


def seed_summary(values, *, higher_is_better: bool = True) -> dict:
    """mean, sd, the worst seed (the lowest, or the highest where lower is better) and every seed's value, over
    the seeds whose value is finite (NaN everywhere when none is)."""
    a = np.asarray(values, float)
    ok = a[np.isfinite(a)]
    if not len(ok):
        return {"mean": float("nan"), "sd": float("nan"), "worst": float("nan"), "per_seed": a.tolist()}
    worst = ok.min() if higher_is_better else ok.max()
    return {"mean": float(ok.mean()), "sd": float(ok.std()), "worst": float(worst), "per_seed": a.tolist()}
