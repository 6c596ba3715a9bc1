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
# parses a per-point colour array point by point (about 0.6 s for 100k points in a browser without a GPU). 32
# levels show a score's gradient without visible steps on a scatter, and each level's trace costs plotly.js ~1.4 ms
# to set up (100k points: 342 ms as 64 levels, 296 ms as 32, median of eight draws each). Hover then shows the
# level's range.
EXACT_COLOUR_MAX = 5_000
COLOUR_LEVELS = 32
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


def as_text(values) -> np.ndarray:
    """``values`` as an object array of str: kept as they are when they are str already (a categorical column
    of 100k cells: 1 ms, against 6 ms to make fixed-width text, which then factorizes in 13 ms instead of 2)."""
    a = np.asarray(values, dtype=object)
    return a if pd.api.types.infer_dtype(a, skipna=False) == "string" else a.astype(str).astype(object)


def colour_groups(values, *, categorical: bool, color_label: str, colorscale=SCORE_SCALE,
                  cmin: float | None = None, cmax: float | None = None) -> dict:
    """Each point's group and the groups' looks, the way the embedding draws them: one trace per group.

    Categories in legend order (numbers as numbers), or, for a continuous value, ``COLOUR_LEVELS`` levels between
    ``cmin`` and ``cmax`` (the values' range when None) after a "no value" group.

    Returns
    -------
    ``{"codes": int16 array (each point's group), "groups": [{"name", "colour", "hover", "legend"}],
    "range": (lo, hi) or None}``; ``range`` is the colour bar's, for a continuous value.
    """
    if categorical:
        codes, cats = pd.factorize(as_text(values), sort=False)
        order = sorted(range(len(cats)), key=lambda i: (not cats[i].isdigit(), int(cats[i]) if cats[i].isdigit() else cats[i]))
        rank = np.empty(len(cats), dtype=np.int16)
        rank[order] = np.arange(len(cats))
        groups = [{"name": cats[i], "colour": NAMED_COLOURS.get(cats[i], PALETTE[r % len(PALETTE)]),
                   "hover": f"{color_label}: {cats[i]}", "legend": True} for r, i in enumerate(order)]
        return {"codes": rank[codes], "groups": groups, "range": None}
    v = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(v)
    lo = float(cmin) if cmin is not None else (float(v[finite].min()) if finite.any() else 0.0)
    hi = float(cmax) if cmax is not None else (float(v[finite].max()) if finite.any() else 1.0)
    hi = hi if hi > lo else lo + 1.0
    codes = np.zeros(len(v), dtype=np.int16)  # 0: no value, 1 + k: level k
    codes[finite] = 1 + np.clip(((v[finite] - lo) / (hi - lo) * COLOUR_LEVELS).astype(int), 0, COLOUR_LEVELS - 1)
    edges = np.linspace(lo, hi, COLOUR_LEVELS + 1)
    colours = sample_colorscale(colorscale, (np.arange(COLOUR_LEVELS) + 0.5) / COLOUR_LEVELS)
    groups = [{"name": "no value", "colour": NAMED_COLOURS["unknown"], "hover": f"{color_label}: no value", "legend": False}]
    groups += [{"name": f"{edges[k]:.3g} to {edges[k + 1]:.3g}", "colour": colours[k], "legend": False,
                "hover": f"{color_label}: {edges[k]:.3g} to {edges[k + 1]:.3g}"} for k in range(COLOUR_LEVELS)]
    return {"codes": codes, "groups": groups, "range": (lo, hi)}


def colour_bar_trace(lo: float, hi: float, *, colorscale, color_label: str) -> dict:
    """An empty trace that carries a continuous colouring's scale (the points are drawn in level traces)."""
    return {"type": "scattergl", "x": [None], "y": [None], "mode": "markers", "showlegend": False,
            "hoverinfo": "skip", "marker": {"color": [lo, hi], "colorscale": colorscale, "cmin": lo, "cmax": hi,
                                            "showscale": True, "colorbar": colour_bar(color_label)}}


def colour_bar(color_label: str) -> dict:
    """A colour bar titled ``color_label``, as every continuous colouring shows it."""
    return {"title": {"text": color_label}, "thickness": 12}


def exact_colours(n: int, categorical: bool) -> bool:
    """Whether ``n`` points of a continuous colouring get each its own colour (one trace) rather than levels."""
    return not categorical and n <= EXACT_COLOUR_MAX


def _grouped(c, spec: dict, *, mask, ids, text=None) -> list[dict]:
    codes = spec["codes"]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(spec["groups"]) + 1))
    return [_points(c, order[bounds[k]:bounds[k + 1]], mask=mask, ids=ids, colour=g["colour"], hover=g["hover"],
                    text=text, name=g["name"], **({} if g["legend"] else {"showlegend": False}))
            for k, g in enumerate(spec["groups"]) if bounds[k + 1] > bounds[k]]


def _exact(c, v, *, mask, ids, colorscale, cmin, cmax, color_label: str, text=None) -> list[dict]:
    marker_colour = {"color": v, "colorscale": colorscale, "cmin": cmin, "cmax": cmax,
                     "colorbar": colour_bar(color_label)}
    trace = _points(c, None, mask=mask, ids=ids, colour=None, hover=f"{color_label}: %{{marker.color:.3f}}",
                    showlegend=False, text=text)
    trace["marker"].update(marker_colour)
    return [trace]


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
    if exact_colours(n, categorical):
        traces = _exact(c, values.astype(np.float32), mask=mask, ids=ids, colorscale=colorscale, cmin=cmin,
                        cmax=cmax, color_label=color_label, text=text)
    else:
        spec = colour_groups(values, categorical=categorical, color_label=color_label, colorscale=colorscale,
                             cmin=cmin, cmax=cmax)
        traces = _grouped(c, spec, mask=mask, ids=ids, text=text)
        if spec["range"] is not None:
            traces.append(colour_bar_trace(*spec["range"], colorscale=colorscale, color_label=color_label))
    return go.Figure(data=traces, layout=embedding_layout(title=title, uirevision=uirevision, height=420),
                     _validate=False)
