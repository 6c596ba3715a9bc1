"""QC figures: each metric's distribution split kept / flagged, and the outlier score with its threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._validate import same_length

KEPT, FLAGGED, EMPTY = "#2c7fb8", "#d95f0e", "#bdbdbd"
STATUS_COLOURS = {"kept": KEPT, "flagged": FLAGGED, "empty droplet": EMPTY}


def metric_histograms(obs: pd.DataFrame, metrics: list[str], status, *, bins: int = 40, cols: int = 3) -> go.Figure:
    """Small multiples: one histogram per metric, cells stacked by ``status`` (kept / flagged / empty droplet)."""
    missing = [m for m in metrics if m not in obs]
    if not metrics or missing:
        raise ValueError(f"metrics missing from obs: {missing or 'none given'}")
    status = np.asarray(status, dtype=object)
    same_length(len(obs), status=status)
    unknown = set(status) - set(STATUS_COLOURS)
    if unknown:
        raise ValueError(f"status values must be kept, flagged or empty droplet; found {sorted(unknown)}")
    rows = -(-len(metrics) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[m.replace("_", " ") for m in metrics],
                        horizontal_spacing=0.06, vertical_spacing=0.18)
    for i, m in enumerate(metrics):
        v = obs[m].to_numpy(float)
        edges = np.histogram_bin_edges(v[np.isfinite(v)], bins=bins)
        for name, colour in STATUS_COLOURS.items():
            sel = status == name
            if not sel.any():
                continue
            counts, _ = np.histogram(v[sel], bins=edges)
            fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, name=name, marker_color=colour,
                                 showlegend=i == 0, legendgroup=name, width=np.diff(edges)),
                          row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(barmode="stack", height=220 * rows, template="plotly_white", bargap=0,
                      margin={"l": 30, "r": 10, "t": 70, "b": 20}, legend={"orientation": "h", "y": 0.995, "yanchor": "top", "yref": "container"})
    fig.update_annotations(font_size=12)
    return fig


def outlier_histogram(scores, threshold: float, *, bins: int = 60, n_hidden: int = 0) -> go.Figure:
    """Distribution of the isolation-forest outlier score (log count axis), the threshold drawn.

    ``n_hidden`` cells (empty droplets, flagged whatever the threshold) are left out and said so in the title.
    """
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
    title = f"{len(s):,} barcodes" + (f" ({n_hidden:,} empty droplets not shown)" if n_hidden else "")
    fig.update_layout(height=280, template="plotly_white", bargap=0, yaxis_type="log",
                      title={"text": title, "x": 0.01, "font": {"size": 12}},
                      xaxis_title="outlier score (higher = more unusual)", yaxis_title="cells",
                      margin={"l": 50, "r": 10, "t": 40, "b": 40})
    return fig
