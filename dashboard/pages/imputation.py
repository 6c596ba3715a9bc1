"""Imputation page callbacks: thin, over named functions that take a result and return what a panel shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Input, Output, State, html

from engine.data import catalog
from engine.imputation.evaluate import HARM_RATIO_GOAL, PEARSON_GOAL

from .. import export
from ..auth import current_user
from ..figures import embedding_figure, message_figure
from ..figures.imputation import recovery_scatter
from ..kind_results import KindResults
from ..tables import grid_columns, grid_rows
from .imputation_layout import METHOD_LABELS, RUN_FIELDS, layout
from .launch import register_launch

MEASURED = "X"


def label(method: str) -> str:
    return METHOD_LABELS.get(method, method.replace("_", " "))


def masking_rows(adata) -> pd.DataFrame:
    """One row per method and masked share: RMSE, L1, Pearson (mean ± sd, worst seed) and seconds."""
    t = pd.DataFrame(adata.uns["masking_table"])
    return pd.DataFrame({
        "method": [label(m) for m in t["method"]], "masked": [f"{r:.0%}" for r in t["rate"]],
        "RMSE": [f"{a:.3f} ± {b:.3f}" for a, b in zip(t["rmse"], t["rmse_sd"])],
        "RMSE worst": t["rmse_worst"].round(3), "L1": t["l1"].round(3),
        "Pearson": ["" if not np.isfinite(p) else f"{p:.3f}" for p in t["pearson"]],
        "Pearson worst": ["" if not np.isfinite(p) else f"{p:.3f}" for p in t["pearson_worst"]],
        "Pearson goal": [f">= {PEARSON_GOAL[round(r, 2)]}" if round(r, 2) in PEARSON_GOAL and m not in ("none", "gene_mean")
                         else "" for m, r in zip(t["method"], t["rate"])],
        "seconds": t["seconds"].round(2)})


def harm_rows(adata) -> pd.DataFrame:
    """One row per method: false-correlation rate on the permuted null (and its ratio to the measured rate),
    and DE genes found only after imputation per grouping."""
    rows = []
    for method, h in adata.uns["harm"].items():
        fc = h["false_correlations"]
        row = {"method": label(method), "false pairs, measured": f"{float(fc['null_rate']):.2%}",
               "false pairs, imputed": f"{float(fc['imputed_rate']):.2%}",
               "ratio (goal <= 1.5)": f"{float(fc['ratio']):.1f}x" + (" ✓" if float(fc.get("worst_ratio", fc["ratio"]))
                                                                      <= HARM_RATIO_GOAL else " ✗")}
        for grouping, d in h["new_de"].items():
            row[f"new DE genes ({grouping.replace('_', ' ')})"] = f"{int(d['n_only_imputed'])} (of {int(d['n_imputed'])})"
        rows.append(row)
    return pd.DataFrame(rows)


def notes(adata) -> list:
    pre = adata.uns["preprocessing"]
    out = [f"{int(pre['n_cells']):,} of {int(pre['n_cells_read']):,} cells (at least {int(pre['min_genes'])} genes), "
           f"{int(pre['n_genes']):,} genes, {float(pre['share_nonzero']):.1%} non-zero; {pre['normalization']}.",
           str(adata.uns["evaluation"]["protocol"]) + ".", str(adata.uns["evaluation"]["harm"]) + "."]
    return [html.Div(t) for t in out]


def layer_options(adata) -> list[dict]:
    """The toggle's options: the measured values, then each imputed layer, labelled by what they are."""
    return ([{"label": "measured (log-normalised)", "value": MEASURED}]
            + [{"label": f"imputed: {label(k[len('imputed_'):])}", "value": k}
               for k in adata.layers if k.startswith("imputed_")])


def gene_umap(adata, gene: str | None, layer: str | None):
    """The UMAP coloured by ``gene`` on ``layer`` (``X`` = measured); the title says which values are shown."""
    if not gene or gene not in adata.var_names:
        return message_figure("pick a gene to colour the cells by its expression")
    j = adata.var_names.get_loc(gene)
    layer = layer if layer in adata.layers else MEASURED
    M = adata.X if layer == MEASURED else adata.layers[layer]
    v = np.asarray(M[:, j].toarray() if hasattr(M, "toarray") else M[:, j]).ravel()
    shown = "measured" if layer == MEASURED else f"imputed ({label(layer[len('imputed_'):])})"
    measured = np.asarray(adata.X[:, j].toarray()).ravel() if hasattr(adata.X, "toarray") else adata.X[:, j]
    return embedding_figure(adata.obsm["X_umap"], v, categorical=False, color_label=gene, uirevision="imp-umap",
                            colorscale="Viridis", cmin=0.0, cmax=float(max(v.max(), 1e-6)),
                            customdata=np.asarray(adata.obs_names),
                            title=f"{gene}: {shown} values · {int((measured > 0).sum()):,} cells measured non-zero")


def stores(cfg: dict) -> KindResults:
    return KindResults(cfg["RESULTS_DIR"], "imputation")


def sc_options() -> list[str]:
    return [d.id for d in catalog.datasets() if d.kind == "single_cell"]


def page(results: KindResults):
    return lambda run=None: layout(results.names(current_user()), run=run, sc_options=sc_options())


def register(app, registry, cfg: dict, results: KindResults) -> None:
    export.register(app, "imp-", State("imp-run", "value"))
    def opened(name):
        return results.open_for(current_user(), name)

    register_launch(app, registry, cfg, prefix="imp-launch", kind="imputation", names=RUN_FIELDS,
                    result_href=lambda name: f"/imputation?run={name}")

    @app.callback(Output("imp-notes", "children"), Output("imp-table", "rowData"), Output("imp-table", "columnDefs"),
                  Output("imp-harm", "rowData"), Output("imp-harm", "columnDefs"), Output("imp-rate", "options"),
                  Output("imp-rate", "value"), Output("imp-method", "options"), Output("imp-method", "value"),
                  Output("imp-gene", "options"), Output("imp-values", "options"), Output("imp-values", "value"),
                  Input("imp-run", "value"))
    def overview(name):
        adata = opened(name)
        if adata is None:
            return ("No imputation result yet: start one below.", [], [], [], [], [], None, [], None, [], [], None)
        table, harm = masking_rows(adata), harm_rows(adata)
        t = pd.DataFrame(adata.uns["masking_table"])
        rates = [{"label": f"{r:.0%}", "value": float(r)} for r in sorted(t["rate"].unique())]
        methods = [{"label": label(m), "value": m} for m in t["method"].unique()]
        imputed = [o["value"] for o in methods if o["value"] not in ("none", "gene_mean")]
        return (notes(adata), grid_rows(table), grid_columns(table.columns), grid_rows(harm),
                grid_columns(harm.columns), rates, rates[0]["value"], methods, (imputed or ["gene_mean"])[0],
                list(adata.var_names), layer_options(adata), MEASURED)

    @app.callback(Output("imp-scatter", "figure"), Input("imp-run", "value"), Input("imp-rate", "value"),
                  Input("imp-method", "value"))
    def scatter(name, rate, method):
        adata = opened(name)
        if adata is None or rate is None or not method:
            return message_figure("no imputation result")
        return recovery_scatter(pd.DataFrame(adata.uns["masking_points"]), method=method, rate=float(rate),
                                title=f"{label(method)}, {float(rate):.0%} masked")

    @app.callback(Output("imp-umap", "figure"), Input("imp-run", "value"), Input("imp-gene", "value"),
                  Input("imp-values", "value"))
    def umap(name, gene, layer):
        adata = opened(name)
        if adata is None:
            return message_figure("no imputation result")
        return gene_umap(adata, gene, layer)
