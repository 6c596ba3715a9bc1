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


def confusion_figure(counts, *, title: str = "Confusion matrix") -> go.Figure:
    m = np.asarray(counts)
    if m.shape != (2, 2) or (m < 0).any():
        raise ValueError(f"counts must be a 2 x 2 array of non-negative counts, got {m.shape}")
    names = ["resistant", "sensitive"]
    # colour and text by the share of each true class (row-normalised), with the count beside it
    rows = m.sum(1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros(m.shape, float), where=rows > 0)
    text = [[f"{m[i, j]}<br>{share[i, j]:.0%}" for j in range(2)] for i in range(2)]
    fig = go.Figure(go.Heatmap(z=share, x=[f"pred. {n}" for n in names], y=[f"true {n}" for n in names],
                               text=text, texttemplate="%{text}", colorscale="Blues", showscale=False, zmin=0, zmax=1,
                               customdata=m, hovertemplate="%{y}, %{x}: %{customdata} cells (%{z:.0%} of the row)"
                                                           "<extra></extra>"))
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=260, template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 36, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return fig


CURVE_POINTS = 2_000  # a curve drawn from at most this many of its points: a panel 340 px high shows no more


def _thinned(x: np.ndarray, y: np.ndarray, max_points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points of a curve, evenly spaced along it, first and last kept (a curve over 100k
    cells otherwise holds 100k points: megabytes to send for nothing the eye sees)."""
    if len(x) <= max_points:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, max_points).round().astype(int))
    return x[keep].astype(np.float32), y[keep].astype(np.float32)


CURVE_COLOURS = {"transfer (shown score)": "#2166ac", "no transfer": "#7f7f7f", "logistic regression (bulk)": "#e69f00"}


def roc_pr_figure(labels, scores: dict, *, title: str = "ROC and precision-recall", **layout) -> go.Figure:
    """ROC (left) and precision-recall (right) curves of several scores against the same labels (1 =
    sensitive); cells without a label are left out; AUROC and AP (from every cell) in the legend; each curve is
    drawn from at most ``CURVE_POINTS`` of its points."""
    from plotly.subplots import make_subplots
    from engine.tools.metrics import score_curves

    y = np.asarray(labels, dtype=float)
    known = np.isfinite(y)
    if not scores:
        raise ValueError("scores must name at least one model")
    if known.sum() < 2 or len(set(y[known])) < 2:
        raise ValueError("labels must hold both classes")
    fig = make_subplots(rows=1, cols=2, subplot_titles=["ROC", "precision-recall"], horizontal_spacing=0.12)
    for i, (name, s) in enumerate(scores.items()):
        s = np.asarray(s, dtype=float)
        if s.shape != y.shape:
            raise ValueError(f"{name}: {s.shape[0]} scores for {y.shape[0]} labels")
        colour = CURVE_COLOURS.get(name)
        c = score_curves(y[known], s[known])
        fpr, tpr = _thinned(c["fpr"], c["tpr"])
        rec, prec = _thinned(c["recall"], c["precision"])
        fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{name}: AUROC {c['auroc']:.3f}",
                                 line={"color": colour}, legendgroup=name), row=1, col=1)
        fig.add_trace(go.Scatter(x=rec, y=prec, mode="lines", line={"color": colour}, legendgroup=name,
                                 name=f"{name}: AP {c['ap']:.3f}"), row=1, col=2)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#bbbbbb"},
                             name="chance", hoverinfo="skip"), row=1, col=1)
    fig.update_xaxes(title_text="false positive rate", row=1, col=1, range=[0, 1])
    fig.update_yaxes(title_text="true positive rate", row=1, col=1, range=[0, 1.02])
    fig.update_xaxes(title_text="recall", row=1, col=2, range=[0, 1])
    fig.update_yaxes(title_text="precision", row=1, col=2, range=[0, 1.02])
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=340, template="plotly_white",
                      margin={"l": 50, "r": 10, "t": 50, "b": 40}, legend={"font": {"size": 11}}, **layout)
    return fig


def training_curves(history, *, value: str = "val_auroc", title: str = "", **layout) -> go.Figure:
    """One line per seed, member and stage of a training-history table (``seed``, ``stage``, ``epoch``, ``value``;
    ``member`` when each seed is an ensemble): a seed's members share its colour and one legend entry per stage."""
    import pandas as pd
    import plotly.express as px

    h = pd.DataFrame(history)
    missing = {"seed", "stage", "epoch", value} - set(h.columns)
    if missing:
        raise ValueError(f"history lacks {sorted(missing)}")
    if "member" not in h:
        h["member"] = 0
    palette = px.colors.qualitative.Plotly
    seeds = sorted(h["seed"].unique())
    fig = go.Figure()
    for (seed, stage, member), rows in h.groupby(["seed", "stage", "member"], sort=True):
        fig.add_trace(go.Scatter(x=rows["epoch"], y=rows[value], mode="lines", name=f"seed {seed} · {stage}",
                                 legendgroup=f"{seed} {stage}", showlegend=bool(member == h["member"].min()),
                                 line={"dash": "dot" if stage == "transfer" else "solid",
                                       "color": palette[seeds.index(seed) % len(palette)]}))
    fig.update_layout(title={"text": title or f"{value.replace('_', ' ')} on the bulk validation lines", "x": 0.01,
                             "font": {"size": 14}}, height=300, template="plotly_white", xaxis_title="epoch",
                      yaxis_title=value.replace("_", " "), margin={"l": 50, "r": 10, "t": 40, "b": 40}, **layout)
    return fig
