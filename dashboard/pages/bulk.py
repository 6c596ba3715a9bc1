"""Bulk sources page callbacks: thin, over named functions that take a result and return what a panel shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Input, Output, State, html

from engine.integration.metrics import HIGHER_IS_BETTER, LABELS

from .. import export
from ..auth import current_user
from ..figures import embedding_figure, message_figure
from ..kind_results import KindResults
from ..tables import grid_columns, grid_rows
from .bulk_layout import METHODS, RUN_FIELDS, layout
from .launch import register_launch

GOALS = {"tissue_silhouette": 0.10, "davies_bouldin": 3.0, "cross_study_tissue_1nn": 0.75, "same_line_top1": 0.98}


def metrics_rows(adata) -> pd.DataFrame:
    """One row per method: the metrics (the autoencoder's: mean over seeds, ± sd), best per column marked."""
    m = adata.uns["metrics"]
    rows = []
    for method, values in m.items():
        row = {"method": METHODS.get(method, method.replace("_", " "))}
        for k in HIGHER_IS_BETTER:
            v = values[k]
            row[k] = (f"{float(v['mean']):.3f} ± {float(v['sd']):.3f}" if isinstance(v, dict) else f"{float(v):.3f}")
        rows.append(row)
    rows.append({"method": "goal", **{k: (f">= {g}" if HIGHER_IS_BETTER[k] else f"< {g}") for k, g in GOALS.items()}})
    return pd.DataFrame(rows)


def notes(adata) -> list:
    """Protocol, goals met or not, whether the method beats ComBat and Harmony, and the permutation control."""
    m = adata.uns["metrics"]

    def value(method, k):
        v = m[method][k]
        return float(v["mean"]) if isinstance(v, dict) else float(v)

    out = [str(adata.uns["evaluation"]["protocol"]) + "."]
    if "center_loss" in m:
        unmet = [LABELS[k] for k, g in GOALS.items()
                 if (value("center_loss", k) < g if HIGHER_IS_BETTER[k] else value("center_loss", k) >= g)]
        out.append("Goals not met: " + ", ".join(unmet) + "." if unmet else "All goals met.")
        behind = [LABELS[k] for k in HIGHER_IS_BETTER if k != "study_silhouette" and any(
            (value("center_loss", k) < value(b, k)) if HIGHER_IS_BETTER[k] else (value("center_loss", k) > value(b, k))
            for b in ("combat", "harmony") if b in m)]
        if behind:
            out.append("Behind ComBat or Harmony on: " + ", ".join(behind) + ".")
    if "permuted_labels" in m:
        gain = value("permuted_labels", "tissue_silhouette") - value("per_study_zscore", "tissue_silhouette")
        out.append(f"Permutation control (tissues shuffled): tissue silhouette {value('permuted_labels', 'tissue_silhouette'):.3f}"
                   f" ({'a gain: something leaks' if gain > 0.01 else 'no gain, as it should be'}).")
    out.append(str(adata.uns["evaluation"]["display"]) + ".")
    return [html.Div(t) for t in out]


def line_options(adata) -> list[dict]:
    obs = adata.obs
    names = obs.groupby("line", observed=True)["name"].first()
    studies = obs.groupby("line", observed=True)["study"].agg(lambda s: ", ".join(sorted(map(str, s))))
    return [{"label": f"{names[line]} ({studies[line]})", "value": line} for line in sorted(names.index, key=lambda l: names[l])]


def umap(adata, method: str, colour: str, line: str | None):
    key = f"X_umap_{method}"
    if key not in adata.obsm:
        return message_figure(f"this result has no {METHODS.get(method, method)} embedding")
    selected = None if not line else (adata.obs["line"].astype(str) == line).to_numpy()
    return embedding_figure(adata.obsm[key], adata.obs[colour].astype(str).to_numpy(), categorical=True,
                            selected=selected, color_label=colour, uirevision=f"{method}",
                            customdata=np.asarray(adata.obs_names),
                            title=f"{METHODS.get(method, method)}" + (f" · {int(selected.sum())} rows of the picked line"
                                                                      if selected is not None else ""))


def stores(cfg: dict) -> KindResults:
    return KindResults(cfg["RESULTS_DIR"], "integration")


def page(results: KindResults):
    return lambda run=None: layout(results.names(current_user()), run=run)


def register(app, registry, cfg: dict, results: KindResults) -> None:
    export.register(app, "bulk-", State("bulk-run", "value"))
    def opened(name):
        return results.open_for(current_user(), name)

    register_launch(app, registry, cfg, prefix="bulk-launch", kind="integration", names=RUN_FIELDS,
                    result_href=lambda name: f"/bulk?run={name}")

    @app.callback(Output("bulk-notes", "children"), Output("bulk-metrics", "rowData"),
                  Output("bulk-metrics", "columnDefs"), Output("bulk-line", "options"), Input("bulk-run", "value"))
    def overview(name):
        adata = opened(name)
        if adata is None:
            return "No integration result yet: start one below.", [], [], []
        table = metrics_rows(adata)
        return notes(adata), grid_rows(table), grid_columns(table.columns, labels=LABELS), line_options(adata)

    @app.callback(Output("bulk-umap-study", "figure"), Output("bulk-umap-tissue", "figure"), Input("bulk-run", "value"),
                  Input("bulk-method", "value"), Input("bulk-line", "value"))
    def umaps(name, method, line):
        adata = opened(name)
        if adata is None:
            empty = message_figure("no integration result")
            return empty, empty
        return umap(adata, method, "study", line), umap(adata, method, "tissue", line)
