"""The explore page's view as a link: run, colouring, gene and threshold in the URL query, read back checked.

A link holds names and numbers only (no cell data); a value that is not one the page offers is dropped, so a
hand-edited link opens the page's defaults for that part instead of failing.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlencode

VIEW_KEYS = ("run", "color", "gene", "threshold")
_GENE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,49}$")


def encode_view(*, run: str | None, color: str | None, gene: str | None, threshold) -> str:
    """The query string (``?run=...&color=...``) of a view; empty parts are left out."""
    parts = {"run": run, "color": color, "gene": gene if str(color or "").startswith("gene") else None,
             "threshold": None if threshold is None else f"{float(threshold):.2f}"}
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
    return view
