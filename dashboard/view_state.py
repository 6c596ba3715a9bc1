"""The explore page's view as a link: run, colouring, gene, threshold, the cell set selected and the UMAP's zoom in
the URL query, read back checked.

A link holds names and numbers only (no cell data); a value that is not one the page offers is dropped, so a
hand-edited link opens the page's defaults for that part instead of failing.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlencode

from engine.cellsets import NAME as _SET

VIEW_KEYS = ("run", "color", "gene", "threshold", "set", "zoom")
_GENE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,49}$")


def _zoom(text: str | None) -> tuple[float, float, float, float] | None:
    """Four finite numbers x0 < x1, y0 < y1, or None."""
    try:
        v = tuple(float(x) for x in (text or "").split(","))
    except ValueError:
        return None
    if len(v) != 4 or not all(math.isfinite(x) for x in v) or not (v[0] < v[1] and v[2] < v[3]):
        return None
    return v


def zoom_from_relayout(relayout: dict | None) -> tuple[float, float, float, float] | None:
    """The UMAP's zoom from plotly's ``relayoutData`` (None when it shows everything)."""
    r = relayout or {}
    keys = ("xaxis.range[0]", "xaxis.range[1]", "yaxis.range[0]", "yaxis.range[1]")
    if all(k in r for k in keys):
        return _zoom(",".join(str(r[k]) for k in keys))
    if "xaxis.range" in r and "yaxis.range" in r:
        return _zoom(",".join(str(v) for v in (*r["xaxis.range"], *r["yaxis.range"])))
    return None


def encode_view(*, run: str | None, color: str | None, gene: str | None, threshold, cell_set: str | None = None,
                zoom: tuple[float, float, float, float] | None = None) -> str:
    """The query string (``?run=...&color=...``) of a view; empty parts are left out. ``cell_set`` names the
    selected cell set; ``zoom`` is the UMAP's (x0, x1, y0, y1)."""
    parts = {"run": run, "color": color, "gene": gene if str(color or "").startswith("gene") else None,
             "threshold": None if threshold is None else f"{float(threshold):.2f}", "set": cell_set,
             "zoom": None if zoom is None else ",".join(f"{float(v):.4g}" for v in zoom)}
    return "?" + urlencode({k: v for k, v in parts.items() if v not in (None, "")})


def decode_view(search: str | None, *, colours: list[str]) -> dict:
    """The view a query string asks for, each part checked: ``colours`` are the colourings the page offers."""
    q = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}
    view = {}
    if q.get("run"):
        view["run"] = q["run"][:200]
    if q.get("color") in colours or re.match(r"^(obs:|gene@imputed_)[A-Za-z0-9_.-]{1,64}$", q.get("color") or ""):
        view["color"] = q["color"]
    if q.get("gene") and _GENE.match(q["gene"]):
        view["gene"] = q["gene"]
    try:
        t = float(q.get("threshold", "nan"))
    except ValueError:
        t = math.nan
    if math.isfinite(t) and 0.0 <= t <= 1.0:
        view["threshold"] = round(t, 2)
    if q.get("set") and _SET.match(q["set"]):
        view["set"] = q["set"]
    zoom = _zoom(q.get("zoom"))
    if zoom is not None:
        view["zoom"] = zoom
    return view
