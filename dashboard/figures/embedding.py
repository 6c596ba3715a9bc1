"""Embedding scatter (UMAP) coloured by a continuous or categorical value, with a highlighted selection."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._validate import as_coords, as_mask, same_length

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd")
NAMED_COLOURS = {"sensitive": "#2166ac", "resistant": "#b2182b", "TP": "#2166ac", "TN": "#b2182b",
                 "FP": "#f4a582", "FN": "#92c5de", "unknown": "#bbbbbb",
                 "kept": "#2c7fb8", "flagged": "#d95f0e", "empty droplet": "#cccccc"}


def _base_layout(fig: go.Figure, *, title: str, uirevision, height: int) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=height, dragmode="lasso",
                      margin={"l": 10, "r": 10, "t": 36, "b": 10}, uirevision=uirevision, template="plotly_white",
                      legend={"itemsizing": "constant"})
    fig.update_xaxes(showticklabels=False, title=None, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, title=None, showgrid=False, zeroline=False, scaleanchor="x")
    return fig


def embedding_figure(coords, values, *, categorical: bool, selected=None, title: str = "",
                     color_label: str = "", uirevision=None, point_size: float = 5,
                     colorscale: str = "RdBu", cmin: float | None = None, cmax: float | None = None,
                     customdata=None) -> go.Figure:
    """WebGL scatter of ``coords`` (n x 2) coloured by ``values`` (n).

    ``selected`` (bool mask of n) dims the other points; optional ``customdata`` (n values) travels with each point.
    """
    c = as_coords(coords)
    n = len(c)
    values = np.asarray(values)
    same_length(n, values=values, customdata=customdata)
    mask = as_mask(selected, n)
    ids = None if customdata is None else np.asarray(customdata)
    fig = go.Figure()
    marker = {"size": point_size, "opacity": 0.85}
    unselected = {"marker": {"opacity": 0.12}}
    if categorical:
        cats = [str(v) for v in values]
        order = sorted(set(cats), key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else s))
        arr = np.asarray(cats)
        for i, cat in enumerate(order):
            idx = np.flatnonzero(arr == cat)
            fig.add_trace(go.Scattergl(
                x=c[idx, 0], y=c[idx, 1], mode="markers", name=cat, customdata=None if ids is None else ids[idx],
                marker={**marker, "color": NAMED_COLOURS.get(cat, PALETTE[i % len(PALETTE)])},
                selectedpoints=None if mask is None else np.flatnonzero(mask[idx]), unselected=unselected,
                hovertemplate=f"{color_label}: {cat}<extra></extra>"))
    else:
        v = values.astype(np.float32)
        fig.add_trace(go.Scattergl(
            x=c[:, 0], y=c[:, 1], mode="markers", customdata=ids, showlegend=False,
            marker={**marker, "color": v, "colorscale": colorscale, "cmin": cmin, "cmax": cmax,
                    "colorbar": {"title": {"text": color_label}, "thickness": 12}},
            selectedpoints=None if mask is None else np.flatnonzero(mask), unselected=unselected,
            hovertemplate=f"{color_label}: %{{marker.color:.3f}}<extra></extra>"))
    return _base_layout(fig, title=title, uirevision=uirevision, height=420)
