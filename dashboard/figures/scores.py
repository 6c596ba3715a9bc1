"""Gene-signature scores: sensitive vs resistant score per cell, and their distributions by group."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._validate import as_mask, same_length
from .embedding import NAMED_COLOURS, PALETTE


def score_scatter(sensitive, resistant, groups, *, selected=None, uirevision=None, title: str = "",
                  customdata=None) -> go.Figure:
    """Each cell's sensitive-signature score (x) against its resistant-signature score (y), coloured by group;
    optional ``customdata`` (one value per cell, e.g. its row in the run) travels with each point."""
    x, y = np.asarray(sensitive, dtype=np.float32), np.asarray(resistant, dtype=np.float32)
    g = np.asarray(groups).astype(str)
    same_length(len(x), resistant=y, groups=g, customdata=customdata)
    mask = as_mask(selected, len(x))
    ids = None if customdata is None else np.asarray(customdata)
    fig = go.Figure()
    for i, name in enumerate(sorted(set(g))):
        idx = np.flatnonzero(g == name)
        fig.add_trace(go.Scattergl(x=x[idx], y=y[idx], mode="markers", name=name,
                                   customdata=None if ids is None else ids[idx],
                                   marker={"size": 5, "color": NAMED_COLOURS.get(name, PALETTE[i % len(PALETTE)])},
                                   selectedpoints=None if mask is None else np.flatnonzero(mask[idx]),
                                   unselected={"marker": {"opacity": 0.12}}))
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=360, dragmode="lasso",
                      template="plotly_white", uirevision=uirevision, margin={"l": 50, "r": 10, "t": 36, "b": 40},
                      xaxis_title="sensitive signature score", yaxis_title="resistant signature score")
    return fig


def score_distributions(values: dict, *, title: str = "") -> go.Figure:
    """Violins of named score arrays by group: ``{score name: {group: array}}``."""
    if not values:
        raise ValueError("values must name at least one score")
    fig = go.Figure()
    for score_name, by_group in values.items():
        for group, arr in by_group.items():
            a = np.asarray(arr, dtype=np.float32)
            fig.add_trace(go.Violin(y=a, x0=score_name, name=group, legendgroup=group,
                                    showlegend=score_name == next(iter(values)), box_visible=True, points=False,
                                    line_color=NAMED_COLOURS.get(group.split()[0], "#555")))
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, violinmode="group", height=360,
                      template="plotly_white", margin={"l": 50, "r": 10, "t": 36, "b": 40})
    return fig
