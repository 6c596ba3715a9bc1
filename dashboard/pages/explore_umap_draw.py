"""The main UMAP as the browser draws it (assets/umap_draw.js): the drawn cells' positions once per run, then
each colouring as one small code per cell.

A recolour at 100k cells then sends ~0.2 MB (each cell's group as int16, the groups' looks, the layout) instead of
a 1.7 MB figure that repeats every position, and the server builds no figure. Both payloads carry base64 of
little-endian typed arrays, which the browser reads without parsing numbers.
"""

from __future__ import annotations

import base64

import numpy as np

from .. import figures as fig
from ..figures.embedding import (MARKER, UNSELECTED, colour_bar, colour_bar_trace, colour_groups, embedding_layout,
                                 exact_colours, point_size)
from .explore_umap import IMPUTED, LEGEND, cell_hover, cell_rows, cluster_names, umap_colouring, zoomed_axes


def _b64(a: np.ndarray, dtype) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()).decode("ascii")


# A position is sent as a uint16 step of its axis's range: 1/65,535 of the range, a 1,000-pixel panel zoomed in 60
# times still draws it within a pixel; the browser rebuilds float32 (assets/umap_draw.js). At 100k cells the first
# response carries 0.53 MB of positions instead of 1.07 MB, and no rows where every cell is drawn in order.
POSITION_STEPS = 65_535


def _positions(v: np.ndarray) -> dict:
    """One axis of the drawn cells: ``{"q": base64 uint16, "lo", "step"}`` (value = lo + q * step), or
    ``{"f": base64 float32}`` where a position is missing or not finite."""
    v = np.asarray(v, dtype=np.float64)
    if not np.isfinite(v).all() or not len(v):
        return {"f": _b64(v, np.float32)}
    lo, hi = float(v.min()), float(v.max())
    step = (hi - lo) / POSITION_STEPS if hi > lo else 1.0
    return {"q": _b64(np.rint((v - lo) / step), np.uint16), "lo": lo, "step": step}


def umap_cells(run) -> dict | None:
    """The drawn cells (``run.display_index``) for the browser: x and y (``_positions``), and their rows in the
    run (int32, the ``customdata`` a selection is highlighted by), None where every cell is drawn in order (the
    browser counts them); None where the run has no UMAP."""
    coords = run.obsm("X_umap")
    if coords is None:
        return None
    d = run.display_index
    every = len(d) == run.n and bool((d == np.arange(len(d))).all())
    return {"run": run.path, "n": int(len(d)), "x": _positions(coords[d, 0]), "y": _positions(coords[d, 1]),
            "rows": None if every else _b64(cell_rows(d), np.int32)}


def umap_colour(run, *, color_by: str = "sensitivity_score", gene: str | None = None,
                threshold: float | None = None, custom: tuple[str, np.ndarray] | None = None, zoom=None) -> dict:
    """One colouring of the main UMAP for the browser to draw on ``umap_cells``.

    Returns
    -------
    ``{"figure": ...}`` (a message figure) where there is nothing to draw; else ``run``, ``n``, ``trace`` (what
    every point trace shares), ``groups`` (one trace each: name, colour, hovertemplate, showlegend), ``codes``
    (each drawn cell's group, uint8 or int16 as ``codes_type`` says) or ``values`` (each cell's own colour value, float32, one group),
    ``text`` (hover lines, or None above ``HOVER_MAX`` cells), ``extra`` (colour bar, cluster names) and
    ``layout`` (with ``zoom`` = (x0, x1, y0, y1) applied).
    """
    d = run.display_index
    if custom is None:  # kept on the run: a second recolour by the same thing only adds the layout
        by_gene = color_by == "gene" or color_by.startswith(IMPUTED)
        key = ("umap-colour", color_by, gene if by_gene else None, threshold if color_by == "predicted" else None)
        colour = run.derived(key, lambda: _colour(run, d, color_by=color_by, gene=gene, threshold=threshold))
    else:
        colour = _colour(run, d, color_by=color_by, threshold=threshold, custom=custom)
    if "figure" in colour:
        return colour
    label, categorical = colour["label"], colour["categorical"]
    text = cell_hover(run, d, threshold)
    lead = "%{text}<br>" if text is not None else ""
    layout = embedding_layout(title=f"UMAP: {label}", uirevision=run.path, height=420)
    if categorical:
        layout["legend"] = LEGEND
    for axis, ranges in zoomed_axes(zoom).items():
        layout[axis] = {**layout[axis], **ranges}
    groups = [{k: v for k, v in g.items() if k != "hover"} | {"hovertemplate": f"{lead}{g['hover']}<extra></extra>"}
              for g in colour["groups"]]
    out = {"run": run.path, "n": int(len(d)), "layout": layout, "extra": list(colour["extra"]),
           "text": None if text is None else [str(t) for t in text], "groups": groups,
           "trace": {"type": "scattergl", "mode": "markers", "marker": {**MARKER, "size": point_size(len(d))},
                     "unselected": UNSELECTED}}
    out.update({k: colour[k] for k in ("values", "codes", "codes_type") if k in colour})
    return out


def _colour(run, d, *, color_by: str, gene: str | None = None, threshold: float | None = None,
            custom: tuple[str, np.ndarray] | None = None) -> dict:
    """The part of :func:`umap_colour` that depends on the colouring only (not on zoom or hover text): ``label``,
    ``categorical``, ``groups`` (with ``hover``, the text after the cell's own hover lines), ``values`` or
    ``codes`` and ``codes_type``, ``extra``; or ``{"figure": ...}``."""
    colouring = umap_colouring(run, color_by=color_by, gene=gene, threshold=threshold, custom=custom, rows=d)
    if isinstance(colouring, str):
        return {"figure": fig.message_figure(colouring).to_plotly_json()}
    shown, label, kw = colouring  # of the drawn cells
    out = {"label": label, "categorical": kw["categorical"], "extra": []}
    colorscale = kw.get("colorscale", fig.SCORE_SCALE)
    if exact_colours(len(d), kw["categorical"]):
        out["values"] = _b64(shown, np.float32)
        out["groups"] = [{"name": label, "showlegend": False, "hover": f"{label}: %{{marker.color:.3f}}",
                          "marker": {"colorscale": colorscale, "cmin": kw.get("cmin"), "cmax": kw.get("cmax"),
                                     "colorbar": colour_bar(label)}}]
        return out
    spec = colour_groups(shown, categorical=kw["categorical"], color_label=label, colorscale=colorscale,
                         cmin=kw.get("cmin"), cmax=kw.get("cmax"))
    small = len(spec["groups"]) <= 256  # a byte per cell where it holds every group
    out["codes"], out["codes_type"] = _b64(spec["codes"], np.uint8 if small else np.int16), "u1" if small else "i2"
    out["groups"] = [{"name": g["name"], "colour": g["colour"], "showlegend": g["legend"], "hover": g["hover"]}
                     for g in spec["groups"]]
    if spec["range"] is not None:
        out["extra"].append(colour_bar_trace(*spec["range"], colorscale=colorscale, color_label=label))
    if color_by == "leiden":
        out["extra"].append(cluster_names(run.obsm("X_umap")[d], shown, codes=spec["codes"],
                                          names=[g["name"] for g in spec["groups"]]))
    return out
