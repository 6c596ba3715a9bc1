"""Compare page callbacks: two runs on the same cells (metrics, per-cell scores, label agreement, signatures,
settings that differ); the logic lives in named functions below."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, html

from engine.data import DataError
from engine.results import MODELS

from .. import export, figures as fig
from ..auth import current_user
from ..tables import grid_columns, grid_rows
from .compare_layout import layout  # noqa: F401  (the page's layout lives beside its callbacks)
from .explore_umap import predicted_labels


def matched(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Indices into A and B of the cells both runs hold (by cell id), in A's order."""
    names_b = pd.Index(b.cell_names)
    pos = names_b.get_indexer(a.cell_names)
    keep = np.flatnonzero(pos >= 0)
    return keep, pos[keep]


def metrics_side_by_side(a, b) -> pd.DataFrame:
    """Each model's AUROC and AP (mean over seeds) in A and in B, and the seed counts."""
    rows = []
    for model in MODELS:
        for metric in ("auroc", "ap", "f1"):
            va, vb = (r.uns("metrics", model, metric, "mean") for r in (a, b))
            if va is None and vb is None:
                continue
            rows.append({"model": model.replace("_", " "), "metric": {"ap": "AP", "auroc": "AUROC"}.get(metric, metric),
                         "A": None if va is None else round(float(va), 3), "B": None if vb is None else round(float(vb), 3)})
    for k in ("n_seeds",):
        rows.append({"model": "run", "metric": "seeds", "A": a.uns("metrics", k), "B": b.uns("metrics", k)})
    return pd.DataFrame(rows)


def _flat(d, prefix="") -> dict:
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = str(list(v) if isinstance(v, np.ndarray) else v)
    return out


def settings_diff(a, b) -> pd.DataFrame:
    """The settings whose values differ between the runs (the output folder and owner left out)."""
    fa, fb = _flat(a.uns("config", default={})), _flat(b.uns("config", default={}))
    keys = sorted((set(fa) | set(fb)) - {"out", "owner", "name"})
    rows = [{"setting": k, "A": fa.get(k, "(not set)"), "B": fb.get(k, "(not set)")} for k in keys if fa.get(k) != fb.get(k)]
    return pd.DataFrame(rows, columns=["setting", "A", "B"])


def signature_overlap(a, b) -> pd.DataFrame:
    la, lb = (r.uns("signature_genes", default={}) or {} for r in (a, b))
    rows = []
    for k in sorted(set(la) & set(lb)):
        ga, gb = set(map(str, la[k])), set(map(str, lb[k]))
        union = ga | gb
        rows.append({"list": k.replace("_", " "), "A": len(ga), "B": len(gb), "shared": len(ga & gb),
                     "jaccard": round(len(ga & gb) / len(union), 3) if union else None})
    return pd.DataFrame(rows, columns=["list", "A", "B", "shared", "jaccard"])


def agreement(a, b, ia, ib, *, threshold_a: float, threshold_b: float) -> dict:
    """How alike the two runs' answers are on the shared cells: score rank correlation, same predicted label."""
    from scipy.stats import spearmanr

    sa, sb = a.obs("sensitivity_score")[ia], b.obs("sensitivity_score")[ib]
    la, lb = predicted_labels(a, threshold_a)[ia], predicted_labels(b, threshold_b)[ib]
    return {"cells": len(ia), "spearman": float(spearmanr(sa, sb)[0]) if len(ia) > 2 else float("nan"),
            "same_label": float((la == lb).mean()) if len(ia) else float("nan")}


def score_scatter(a, b, ia, ib) -> go.Figure:
    sa, sb = a.obs("sensitivity_score")[ia], b.obs("sensitivity_score")[ib]
    labels = a.labels
    colour = (np.where(np.isnan(labels[ia]), "unknown", np.where(labels[ia] == 1, "sensitive", "resistant"))
              if labels is not None else np.full(len(ia), "unknown"))
    out = go.Figure()
    for name in ("sensitive", "resistant", "unknown"):
        m = colour == name
        if m.any():
            out.add_trace(go.Scattergl(x=sa[m], y=sb[m], mode="markers", name=f"true {name}" if name != "unknown" else "no label",
                                       marker={"size": 5, "color": fig.LABEL_COLOURS[name], "opacity": 0.7}))
    out.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#999"}, name="A = B"))
    out.update_layout(height=380, template="plotly_white", xaxis_title="A: sensitivity score",
                      yaxis_title="B: sensitivity score", margin={"l": 50, "r": 10, "t": 20, "b": 40})
    return out


def register(app, store) -> None:
    export.register(app, "cmp-", State("cmp-a", "value"))
    @app.callback(Output("cmp-summary", "children"), Output("cmp-metrics", "rowData"), Output("cmp-metrics", "columnDefs"),
                  Output("cmp-scatter", "figure"), Output("cmp-settings", "rowData"), Output("cmp-settings", "columnDefs"),
                  Output("cmp-signatures", "rowData"), Output("cmp-signatures", "columnDefs"),
                  Input("cmp-a", "value"), Input("cmp-b", "value"))
    def compare(path_a, path_b):
        empty = fig.message_figure("pick two runs")
        if not path_a or not path_b:
            return "Pick two runs (they need at least two results).", [], [], empty, [], [], [], []
        try:
            a, b = (store.open(p, user=current_user()) for p in (path_a, path_b))
        except DataError as exc:
            return html.Div(str(exc.public)), [], [], empty, [], [], [], []
        ia, ib = matched(a, b)
        if not len(ia):
            return ("These runs share no cells: compare runs on the same cells.", [], [], fig.message_figure("no shared cells"),
                    [], [], [], [])
        ag = agreement(a, b, ia, ib, threshold_a=float(a.uns("metrics", "threshold", default=0.5)),
                       threshold_b=float(b.uns("metrics", "threshold", default=0.5)))
        summary = (f"{ag['cells']:,} shared cells; score rank correlation {ag['spearman']:.3f}; the same predicted label "
                   f"on {ag['same_label']:.0%} of them (each at its run's threshold).")
        m, st, sig = metrics_side_by_side(a, b), settings_diff(a, b), signature_overlap(a, b)
        return (summary, grid_rows(m), grid_columns(m.columns), score_scatter(a, b, ia, ib), grid_rows(st),
                grid_columns(st.columns), grid_rows(sig), grid_columns(sig.columns))
