"""Misprediction views: outcome classes (TP/TN/FP/FN), confusion matrix."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

OUTCOMES = ("TP", "TN", "FP", "FN")


def outcome_classes(labels, scores, *, threshold: float) -> np.ndarray:
    """'TP'/'TN'/'FP'/'FN' per cell with *sensitive* as positive; 'unknown' where the label is missing."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise ValueError(f"labels ({y.shape}) and scores ({s.shape}) differ in shape")
    pred = s >= threshold
    out = np.full(y.shape, "unknown", dtype=object)
    known = np.isfinite(y)
    pos = known & (y == 1)
    neg = known & (y == 0)
    out[pos & pred], out[neg & ~pred], out[neg & pred], out[pos & ~pred] = "TP", "TN", "FP", "FN"
    return out


def confusion_counts(classes) -> np.ndarray:
    """[[TN, FP], [FN, TP]] (rows = true resistant/sensitive, columns = predicted resistant/sensitive)."""
    c = np.asarray(classes)
    n = {k: int((c == k).sum()) for k in OUTCOMES}
    return np.array([[n["TN"], n["FP"]], [n["FN"], n["TP"]]])


def confusion_figure(counts, *, title: str = "Confusion matrix") -> go.Figure:
    m = np.asarray(counts)
    if m.shape != (2, 2) or (m < 0).any():
        raise ValueError(f"counts must be a 2 x 2 array of non-negative counts, got {m.shape}")
    names = ["resistant", "sensitive"]
    fig = go.Figure(go.Heatmap(z=m, x=[f"pred. {n}" for n in names], y=[f"true {n}" for n in names],
                               text=m, texttemplate="%{text}", colorscale="Blues", showscale=False,
                               hovertemplate="%{y}, %{x}: %{z}<extra></extra>"))
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=260, template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 36, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return fig
