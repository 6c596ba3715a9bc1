"""Evaluation metrics from scores (AUROC, AP) and at a stated threshold (F1, MCC, balanced accuracy)."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

METRICS = ("auroc", "ap", "f1", "mcc", "balanced_accuracy")
DEFAULT_THRESHOLD = 0.5


def binary_metrics(y_true, score, *, threshold: float = DEFAULT_THRESHOLD) -> dict[str, float]:
    """Metrics with 'sensitive' (1) as the positive class; NaN where a metric is undefined."""
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(score, dtype=float)
    keep = np.isfinite(y) & np.isfinite(s)
    y, s = y[keep].astype(int), s[keep]
    if len(np.unique(y)) < 2:
        return {m: float("nan") for m in METRICS}
    pred = (s >= threshold).astype(int)
    return {"auroc": float(skm.roc_auc_score(y, s)), "ap": float(skm.average_precision_score(y, s)),
            "f1": float(skm.f1_score(y, pred, zero_division=0)), "mcc": float(skm.matthews_corrcoef(y, pred)),
            "balanced_accuracy": float(skm.balanced_accuracy_score(y, pred))}


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
