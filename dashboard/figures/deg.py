"""DEG correlation: predicted- vs ground-truth-DEG scores, and the empirical null of random gene sets."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._validate import as_mask, same_length


def deg_scatter(predicted, true, *, r: float, r2: float, selected=None, title: str = "", uirevision=None,
                customdata=None) -> go.Figure:
    """Each cell's predicted-DEG score (x) against its ground-truth-DEG score (y), with the fitted line; optional
    ``customdata`` (one value per cell, e.g. its row in the run) travels with each point."""
    x, y = np.asarray(predicted, dtype=np.float32), np.asarray(true, dtype=np.float32)
    same_length(len(x), true=y, customdata=customdata)
    mask = as_mask(selected, len(x))
    fig = go.Figure(go.Scattergl(x=x, y=y, mode="markers", marker={"size": 5, "color": "#4d4d4d"},
                                 customdata=None if customdata is None else np.asarray(customdata),
                                 selectedpoints=None if mask is None else np.flatnonzero(mask),
                                 unselected={"marker": {"opacity": 0.12}}, showlegend=False))
    if len(x) > 1 and np.ptp(x) > 0:
        slope, icpt = np.polyfit(x, y, 1)
        xs = np.array([x.min(), x.max()])
        fig.add_trace(go.Scatter(x=xs, y=slope * xs + icpt, mode="lines", line={"color": "#d6604d"}, showlegend=False,
                                 hoverinfo="skip"))
    fig.update_layout(title={"text": f"{title}  r = {r:.3f}, R² = {r2:.3f}", "x": 0.01, "font": {"size": 14}},
                      height=340, template="plotly_white", dragmode="lasso", uirevision=uirevision,
                      margin={"l": 50, "r": 10, "t": 36, "b": 40},
                      xaxis_title="predicted-DEG score", yaxis_title="ground-truth-DEG score")
    return fig


def null_histogram(null, *, observed: float, p_value: float, title: str = "") -> go.Figure:
    v = np.asarray(null, dtype=np.float32)
    if v.ndim != 1 or len(v) == 0:
        raise ValueError("null must be a non-empty 1-d array")
    fig = go.Figure(go.Histogram(x=v, nbinsx=40, marker_color="#bababa", name="random gene sets"))
    fig.add_vline(x=observed, line_color="#d6604d", line_width=3,
                  annotation_text=f"observed r = {observed:.3f}, p = {p_value:.3g}", annotation_position="top left")
    fig.update_layout(title={"text": title or f"Null of {len(v)} expression-matched random gene sets", "x": 0.01,
                             "font": {"size": 14}}, height=340, template="plotly_white", showlegend=False,
                      margin={"l": 50, "r": 10, "t": 36, "b": 40}, xaxis_title="Pearson r", yaxis_title="gene sets")
    return fig
