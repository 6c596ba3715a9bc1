"""Input checks shared by the figure builders (dash-bio style: fail early with a clear message)."""

from __future__ import annotations

import numpy as np


def as_coords(coords, name: str = "coords") -> np.ndarray:
    c = np.asarray(coords, dtype=np.float32)
    if c.ndim != 2 or c.shape[1] != 2:
        raise ValueError(f"{name} must be an (n, 2) array, got shape {c.shape}")
    return c


def same_length(n: int, **arrays) -> None:
    for name, a in arrays.items():
        if a is not None and len(a) != n:
            raise ValueError(f"{name} has {len(a)} values for {n} points")


def as_mask(selected, n: int) -> np.ndarray | None:
    if selected is None:
        return None
    m = np.asarray(selected, dtype=bool)
    if m.shape != (n,):
        raise ValueError(f"selected must be a boolean mask of length {n}, got shape {m.shape}")
    return m


def message_figure(text: str, *, height: int = 300):
    """An empty figure that says why a panel has nothing to draw."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 13})
    fig.update_layout(height=height, template="plotly_white", xaxis={"visible": False}, yaxis={"visible": False},
                      margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig
