"""Figures of the imputation kind: recovered against true values of the hidden entries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._validate import message_figure


def recovery_scatter(points: pd.DataFrame, *, method: str, rate: float, title: str | None = None,
                     **layout) -> go.Figure:
    """Imputed against true value of each hidden entry for one method and masked share, with the identity line.

    ``points`` has columns ``method``, ``rate``, ``true``, ``imputed`` (``uns['masking_points']``); extra keyword
    arguments go to the figure's layout.
    """
    missing = {"method", "rate", "true", "imputed"} - set(points.columns)
    if missing:
        raise ValueError(f"points lack columns {sorted(missing)}")
    at = points[(points["method"] == method) & np.isclose(points["rate"].astype(float), rate)]
    if at.empty:
        return message_figure(f"no hidden entries stored for {method} at {rate:.0%}")
    true, imputed = at["true"].to_numpy(float), at["imputed"].to_numpy(float)
    top = float(max(true.max(), imputed.max(), 1e-6))
    r = np.corrcoef(true, imputed)[0, 1] if true.std() > 0 and imputed.std() > 0 else float("nan")
    fig = go.Figure([
        go.Scattergl(x=true, y=imputed, mode="markers", marker={"size": 4, "opacity": 0.5, "color": "#4C72B0"},
                     name="hidden entries", hovertemplate="true %{x:.2f}<br>imputed %{y:.2f}<extra></extra>"),
        go.Scatter(x=[0, top], y=[0, top], mode="lines", line={"dash": "dot", "color": "#666"}, name="imputed = true"),
    ])
    fig.update_layout(title=title or f"{method}, {rate:.0%} masked: {len(at):,} hidden entries (Pearson r {r:.3f})",
                      xaxis_title="true value (log1p of counts per 10k)", yaxis_title="imputed value",
                      height=380, margin={"l": 50, "r": 10, "t": 40, "b": 40}, legend={"orientation": "h"})
    fig.update_layout(**layout)
    return fig
