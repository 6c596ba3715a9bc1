"""Embedding scatter (UMAP) coloured by a continuous or categorical value, with a highlighted selection.

Inputs are validated here (``_validate``); the figure itself is assembled without plotly's per-property
validation, which costs more than the rest of the build for 100k points and checks nothing these fixed
trace definitions could get wrong (the tests build every variant).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from ._validate import as_coords, as_mask, same_length
from .colours import LABEL_COLOURS, SCORE_SCALE
from .qc import STATUS_COLOURS

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd")
NAMED_COLOURS = {**LABEL_COLOURS, **STATUS_COLOURS}
# Above this many points a continuous colour is drawn as COLOUR_LEVELS traces of one colour each: plotly.js
# parses a per-point colour array point by point (about 0.6 s for 100k points in a browser without a GPU), while
# 64 levels are more than the eye separates on a colour scale. Hover then shows the level's range.
EXACT_COLOUR_MAX = 5_000
COLOUR_LEVELS = 64
# the look of plotly's "plotly_white" template where an embedding shows it (no axes): a template name is
# expanded by plotly's validation, which these figures skip, and a full template costs plotly.js time to apply
PLAIN_WHITE = {"plot_bgcolor": "white", "paper_bgcolor": "white", "font": {"color": "#2a3f5f"},
               "hoverlabel": {"align": "left"}}
MARKER = {"opacity": 0.85}
UNSELECTED = {"marker": {"opacity": 0.12}}


def point_size(n: int) -> float:
    """Marker diameter (px) for ``n`` drawn points: smaller as points crowd, as scanpy's default does. Besides
    showing dense regions better, it bounds the pixels a software WebGL renderer has to fill (a 100k-point
    redraw at 5 px costs about twice as much as at 2.3 px without a GPU)."""
    return float(np.clip(6 * (2000 / max(n, 1)) ** 0.25, 2, 6))


def _points(c: np.ndarray, idx, *, mask, ids, colour, hover: str, text=None, **extra) -> dict:
    """One scattergl trace of the points ``idx`` (all when None); ``text`` (per point) leads the hover."""
    sub = slice(None) if idx is None else idx
    m = None if mask is None else mask[sub]
    return {"type": "scattergl", "mode": "markers", "x": c[sub, 0], "y": c[sub, 1],
            "customdata": None if ids is None else ids[sub],
            "marker": {**MARKER, "size": point_size(len(c)), "color": colour},
            "selectedpoints": None if m is None else np.flatnonzero(m), "unselected": UNSELECTED,
            **({"text": text[sub]} if text is not None else {}),
            "hovertemplate": ("%{text}<br>" if text is not None else "") + hover + "<extra></extra>", **extra}


def _categorical(c, values, *, mask, ids, color_label: str, text=None) -> list[dict]:
    codes, cats = pd.factorize(pd.Series(values).astype(str), sort=False)
    order = sorted(range(len(cats)), key=lambda i: (not cats[i].isdigit(), int(cats[i]) if cats[i].isdigit() else cats[i]))
    return [_points(c, np.flatnonzero(codes == i), mask=mask, ids=ids, name=cats[i], text=text,
                    colour=NAMED_COLOURS.get(cats[i], PALETTE[rank % len(PALETTE)]), hover=f"{color_label}: {cats[i]}")
            for rank, i in enumerate(order)]


def _colour_bar(color_label: str) -> dict:
    return {"title": {"text": color_label}, "thickness": 12}


def _continuous(c, v, *, mask, ids, colorscale, cmin, cmax, color_label: str, text=None) -> list[dict]:
    if len(v) <= EXACT_COLOUR_MAX:
        marker_colour = {"color": v, "colorscale": colorscale, "cmin": cmin, "cmax": cmax,
                         "colorbar": _colour_bar(color_label)}
        trace = _points(c, None, mask=mask, ids=ids, colour=None, hover=f"{color_label}: %{{marker.color:.3f}}",
                        showlegend=False, text=text)
        trace["marker"].update(marker_colour)
        return [trace]
    finite = np.isfinite(v)
    lo = float(cmin) if cmin is not None else (float(v[finite].min()) if finite.any() else 0.0)
    hi = float(cmax) if cmax is not None else (float(v[finite].max()) if finite.any() else 1.0)
    hi = hi if hi > lo else lo + 1.0
    level = np.full(len(v), -1)
    level[finite] = np.clip(((v[finite] - lo) / (hi - lo) * COLOUR_LEVELS).astype(int), 0, COLOUR_LEVELS - 1)
    edges = np.linspace(lo, hi, COLOUR_LEVELS + 1)
    colours = sample_colorscale(colorscale, (np.arange(COLOUR_LEVELS) + 0.5) / COLOUR_LEVELS)
    order = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[order], np.arange(-1, COLOUR_LEVELS + 1))
    traces = []
    for k in range(-1, COLOUR_LEVELS):
        idx = order[bounds[k + 1]:bounds[k + 2]]
        if len(idx):
            colour, label = (NAMED_COLOURS["unknown"], "no value") if k < 0 else \
                (colours[k], f"{edges[k]:.3g} to {edges[k + 1]:.3g}")
            traces.append(_points(c, idx, mask=mask, ids=ids, colour=colour, hover=f"{color_label}: {label}",
                                  showlegend=False, text=text))
    # the colour bar: an empty trace that carries the scale
    traces.append({"type": "scattergl", "x": [None], "y": [None], "mode": "markers", "showlegend": False,
                   "hoverinfo": "skip", "marker": {"color": [lo, hi], "colorscale": colorscale, "cmin": lo, "cmax": hi,
                                                   "showscale": True,
                                                   "colorbar": _colour_bar(color_label)}})
    return traces


def embedding_layout(*, title: str, uirevision, height: int) -> dict:
    axis = {"showticklabels": False, "title": None, "showgrid": False, "zeroline": False}
    return {"title": {"text": title, "x": 0.01, "font": {"size": 14}}, "height": height, "dragmode": "lasso",
            "margin": {"l": 10, "r": 10, "t": 36, "b": 10}, "uirevision": uirevision, **PLAIN_WHITE,
            "legend": {"itemsizing": "constant"}, "xaxis": axis, "yaxis": {**axis, "scaleanchor": "x"}}


def embedding_figure(coords, values, *, categorical: bool, selected=None, title: str = "",
                     color_label: str = "", uirevision=None, colorscale=SCORE_SCALE,
                     cmin: float | None = None, cmax: float | None = None, customdata=None,
                     hover_text=None) -> go.Figure:
    """WebGL scatter of ``coords`` (n x 2) coloured by ``values`` (n).

    ``selected`` (bool mask of n) dims the other points; optional ``customdata`` (n values) travels with each point;
    optional ``hover_text`` (n strings) leads each point's hover.
    """
    c = as_coords(coords)
    n = len(c)
    values = np.asarray(values)
    same_length(n, values=values, customdata=customdata, hover_text=hover_text)
    mask = as_mask(selected, n)
    ids = None if customdata is None else np.asarray(customdata)
    text = None if hover_text is None else np.asarray(hover_text, dtype=object)
    if categorical:
        traces = _categorical(c, values, mask=mask, ids=ids, color_label=color_label, text=text)
    else:
        traces = _continuous(c, values.astype(np.float32), mask=mask, ids=ids, colorscale=colorscale, cmin=cmin,
                             cmax=cmax, color_label=color_label, text=text)
    return go.Figure(data=traces, layout=embedding_layout(title=title, uirevision=uirevision, height=420),
                     _validate=False)
