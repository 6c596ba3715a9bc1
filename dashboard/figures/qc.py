"""QC figures: each metric's distribution split kept / flagged, and the outlier score with its threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._validate import same_length

KEPT, FLAGGED = "#2c7fb8", "#d95f0e"


def metric_histograms(obs: pd.DataFrame, metrics: list[str], flagged, *, bins: int = 40, cols: int = 3) -> go.Figure:
    """Small multiples: one histogram per metric, kept and flagged cells stacked."""
    missing = [m for m in metrics if m not in obs]
    if not metrics or missing:
        raise ValueError(f"metrics missing from obs: {missing or 'none given'}")
    flagged = np.asarray(flagged, dtype=bool)
    same_length(len(obs), flagged=flagged)
    rows = -(-len(metrics) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[m.replace("_", " ") for m in metrics],
                        horizontal_spacing=0.06, vertical_spacing=0.18)
    for i, m in enumerate(metrics):
        v = obs[m].to_numpy(float)
        edges = np.histogram_bin_edges(v[np.isfinite(v)], bins=bins)
        for name, sel, colour in (("kept", ~flagged, KEPT), ("flagged", flagged, FLAGGED)):
            counts, _ = np.histogram(v[sel], bins=edges)
            fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, name=name, marker_color=colour,
                                 showlegend=i == 0, legendgroup=name, width=np.diff(edges)),
                          row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(barmode="stack", height=220 * rows, template="plotly_white", bargap=0,
                      margin={"l": 30, "r": 10, "t": 40, "b": 20}, legend={"orientation": "h", "y": 1.08})
    fig.update_annotations(font_size=12)
    return fig


def outlier_histogram(scores, threshold: float, *, bins: int = 60) -> go.Figure:
    """Distribution of the isolation-forest outlier score (log count axis), the threshold drawn."""
    s = np.asarray(scores, dtype=float)
    if s.ndim != 1 or not np.isfinite(s).any():
        raise ValueError("scores must be a 1-d array with finite values")
    if not np.isfinite(threshold):
        raise ValueError("threshold must be finite")
    edges = np.histogram_bin_edges(s[np.isfinite(s)], bins=bins)
    counts, _ = np.histogram(s, bins=edges)
    mid = (edges[:-1] + edges[1:]) / 2
    colours = np.where(mid > threshold, FLAGGED, KEPT)
    fig = go.Figure(go.Bar(x=mid, y=counts, marker_color=colours, width=np.diff(edges), showlegend=False,
                           hovertemplate="score %{x:.3f}: %{y} cells<extra></extra>"))
    fig.add_vline(x=threshold, line_dash="dash", line_color="black",
                  annotation_text=f"threshold {threshold:.3f}", annotation_position="top right")
    fig.update_layout(height=260, template="plotly_white", bargap=0, yaxis_type="log",
                      xaxis_title="outlier score (higher = more unusual)", yaxis_title="cells",
                      margin={"l": 50, "r": 10, "t": 30, "b": 40})
    return fig
