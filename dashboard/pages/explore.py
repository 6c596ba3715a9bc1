"""Explore page callbacks: the run, the main UMAP's colourings and the linked panels.

Arrays stay on the server (``ResultStore``); callbacks send figures of the drawn cells and small tables. The one
selection every cell-level panel answers to has its own module (``explore_selection``).
"""

from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from engine.data import DataError
from engine.data.errors import public_message
from engine.results import MODELS

from .. import export, figures as fig
from ..auth import current_user
from .. import selection as sel
from ..stats import confusion_from_scores, counts_report, selection_vs_rest
from ..tables import csv_params, grid_columns, grid_rows
from ..view_state import encode_view, zoom_from_relayout
from .explore_layout import index_alerts, layout, linked_panels, run_options  # noqa: F401  (the layout lives beside its callbacks)
from . import explore_genesets, explore_selection, explore_sets, explore_umap_draw
from .explore_selection import summary_table
from .explore_report import roc_pr, run_detail_rows, seed_summary, training, view_report
from .explore_umap import (COLOR_BY, GENE_SET, IMPUTED, cell_rows, cluster_table, colour_options,
                           predicted_labels)

MAX_GENE_OPTIONS = 30
VIOLIN_POINTS = 5_000  # a violin is drawn from at most this many random cells per group (said in its title)
NO_SIGNATURES = "No signature scores in this file (run `python -m engine analyse` on it)"


SIGNATURE_NAMES = {"sensitive_predicted": "sensitive signature (predicted groups)",
                   "resistant_predicted": "resistant signature (predicted groups)",
                   "sensitive_true": "sensitive signature (true labels)", "resistant_true": "resistant signature (true labels)"}


def signature_lists(run) -> list:
    """The signature gene lists the scores are made of (DEGs of the predicted groups, and of the true labels)."""
    lists = run.uns("signature_genes", default={}) or {}
    out = [html.Div([html.Strong(f"{SIGNATURE_NAMES.get(k, k)} ({len(v)} genes): "), ", ".join(map(str, v))],
                    className="mb-1") for k, v in lists.items() if len(v)]
    return out or [html.Div("No signature gene lists in this file (run `python -m engine analyse` on it).")]


def run_details(run) -> list:
    """Settings and provenance as a reader checks them (see :func:`explore_report.run_detail_rows`)."""
    return [html.Div([html.Strong(f"{k}: "), v]) for k, v in run_detail_rows(run)]


def run_notes(run) -> list:
    """What the page says about a run above its panels: a seed-stability warning, no labels, missing parts,
    analyses skipped, and how many cells each scatter draws."""
    notes = []
    stability = run.uns("seed_agreement", default={}) or {}
    warning = ([dbc.Alert(stability["warning"], color="warning", className="py-1 mb-1", id="seed-warning")]
               if stability.get("warning") else [])
    if run.labels is None:
        notes.append("This run has no single-cell labels: true-label colouring, mispredictions, metrics and "
                     "ground-truth signatures are absent (labels are used for evaluation only).")
    if run.missing:
        notes.append("Parts missing from this file: " + ", ".join(run.missing) + ".")
    skipped = run.uns("analysis", "skipped", default={}) or {}
    notes += [f"{k.replace('_', ' ')}: {v}" for k, v in dict(skipped).items()]
    sample = (run.uns("critical_genes", "params", default={}) or {}).get("cells", "all cells")
    if sample != "all cells":
        notes.append(f"Attributions (the attribution browser and critical genes) were computed on {sample}.")
    if len(run.secondary_index) < run.n:
        notes.append(f"The UMAP draws {len(run.display_index):,} and the other scatter panels "
                     f"{len(run.secondary_index):,} of {run.n:,} cells; every statistic uses all cells.")
    return warning + [dbc.Alert(n, color="secondary", className="py-1 mb-1") for n in notes]


def signature_scores(run) -> tuple[np.ndarray, np.ndarray] | None:
    """Each cell's sensitive- and resistant-signature score, or None where the run has none."""
    s, r = run.obs("sensitive_score_predicted"), run.obs("resistant_score_predicted")
    return None if s is None or r is None else (s, r)


def register(app, store, cache) -> None:
    def open_run(path):
        """The run for a panel; a missing or broken file leaves panels as they are (the status line says why)."""
        if not path:
            raise PreventUpdate
        try:
            return store.open(path, user=current_user())
        except DataError:
            raise PreventUpdate from None

    def current_mask(run, session, selection):
        return sel.load(cache, session, selection, run.path, run.n)

    @app.callback(Output("run-picker", "options"), Output("run-picker", "value"), Output("index-alerts", "children"),
                  Input("index-refresh", "n_intervals"), State("run-picker", "value"), State("run-picker", "options"),
                  State("run-missing", "data"), prevent_initial_call=True)  # the layout holds the first index
    def refresh_index(_, current, current_options, missing):
        """New or removed results show up; nothing is sent (and nothing downstream re-runs) when none changed.

        Not called on a first load: a first call that left the picker as it was would hold back every callback
        that listens to the picker (the run's status line among them) until the picker next changed."""
        entries = store.index(user=current_user())
        options = run_options(entries)
        alerts = index_alerts(entries)
        values = {o["value"] for o in options}
        if missing and current is None:  # a link named a run this user cannot open: say so, pick none
            value = no_update
        else:
            value = no_update if current in values else (options[0]["value"] if options else None)
        return (no_update if options == current_options else options), value, alerts

    @app.callback(Output("run-status", "children"), Output("run-name", "data"), Input("run-picker", "value"))
    def run_status(path):
        if not path:
            raise PreventUpdate
        try:
            run = store.open(path, user=current_user())
        except DataError as exc:
            return dbc.Alert(public_message(exc), color="danger"), None
        return run_notes(run), run.name

    # the export control draws the chosen figure in the browser (assets/figure_export.js)
    export.register(app, "", State("run-name", "data"))

    # the layout sets the first threshold (a shared link's, or the run's); picking another run sets that run's
    @app.callback(Output("threshold", "value"), Input("run-picker", "value"), prevent_initial_call=True)
    def run_threshold(path):
        return float(open_run(path).uns("metrics", "threshold", default=0.5))

    @app.callback(Output("view-link", "value"), Input("view-link-make", "n_clicks"), State("run-picker", "value"),
                  State("color-by", "value"), State("gene", "value"), State("threshold", "value"),
                  State("selection", "data"), State("umap", "relayoutData"), prevent_initial_call=True)
    def view_link(_, path, color, gene, threshold, selection, relayout):
        """An absolute link to this view (names and numbers only: the run's name, never its server path; a
        selection travels as the name of a saved cell set, the zoom as the UMAP's axis ranges)."""
        from flask import request

        if not path:
            raise PreventUpdate
        cell_set = selection.get("name") if isinstance(selection, dict) and selection.get("source") == "cellset" else None
        query = encode_view(run=Path(path).stem, color=color, gene=gene, threshold=threshold, cell_set=cell_set,
                            zoom=zoom_from_relayout(relayout))
        return request.host_url.rstrip("/") + "/" + query

    @app.callback(Output("gene", "options"), Input("gene", "search_value"), Input("run-picker", "value"),
                  State("gene", "value"))
    def gene_options(search, path, current):
        run = open_run(path)
        genes = run.all_genes
        if search:
            s = search.upper()
            hits = [g for g in genes if g.upper().startswith(s)]
            hits += [g for g in genes if s in g.upper() and g not in hits]
        else:
            table = run.uns("attribution")
            hits = list(table.index[:MAX_GENE_OPTIONS]) if isinstance(table, pd.DataFrame) else genes
        hits = hits[:MAX_GENE_OPTIONS]
        if current and current not in hits and current in genes:
            hits = [current, *hits]
        return [{"label": g, "value": g} for g in hits]

    # on panels-run (set once the run's UMAP is drawn): the picker's value is not re-sent on a first load
    @app.callback(Output("color-by", "options"), Input("panels-run", "data"), Input("geneset-names", "data"))
    def colourings(path, gene_sets):
        """The fixed colourings, every annotation column of the picked run, and the gene sets scored on it."""
        return (colour_options(open_run(path)) if path else COLOR_BY) + explore_genesets.colour_entries(gene_sets, path)

    @app.callback(Output("color-by", "value"), Output("gene", "value"),
                  Input("attr-table", "cellClicked"), Input("gene", "value"), State("color-by", "value"),
                  prevent_initial_call=True)
    def colour_by_gene(clicked, gene, colour):
        """A gene picked (in the search box or the attribution table) colours the UMAP by it: by its imputed
        values if those are shown, else by the measured ones."""
        keep = colour if str(colour or "").startswith(IMPUTED) else "gene"
        if ctx.triggered_id == "attr-table":
            if not clicked or not clicked.get("rowId"):
                raise PreventUpdate
            return keep, clicked["rowId"]
        return (keep, no_update) if gene else (no_update, no_update)

    @app.callback(Output("roc-pr", "figure"), Output("training-curves", "figure"), Output("run-details", "children"),
                  Input("panels-run", "data"))
    def details(path):
        run = open_run(path)
        return roc_pr(run), training(run), run_details(run)

    @app.callback(Output("signature-genes", "children"), Input("panels-run", "data"))
    def signatures(path):
        return signature_lists(open_run(path))

    @app.callback(Output("cluster-table", "rowData"), Output("cluster-table", "columnDefs"),
                  Output("cluster-table", "csvExportParams"),
                  Input("panels-run", "data"), Input("threshold", "value"))
    def clusters(path, threshold):
        run = open_run(path)
        table = cluster_table(run, threshold)
        name = f"{run.name}_clusters_at_{float(threshold or 0.5):.2f}"
        return grid_rows(table), grid_columns(table.columns), csv_params(name, "table")

    @app.callback(Output("umap-cells", "data"), Input("run-picker", "value"),
                  prevent_initial_call=True)  # the layout holds the first run's
    def umap_cells(path):
        return explore_umap_draw.umap_cells(open_run(path))

    @app.callback(Output("umap-colour", "data"), Input("run-picker", "value"), Input("color-by", "value"),
                  Input("gene", "value"), Input("threshold", "value"),
                  State("session-id", "data"), State("link-zoom", "data"),
                  prevent_initial_call=True)  # the layout holds the first colouring
    def umap_colour(path, color_by, gene, threshold, session, zoom):
        """A colouring of the main UMAP, as codes the browser draws on the cells it holds (assets/umap_draw.js)."""
        run = open_run(path)
        custom = None
        if str(color_by).startswith(GENE_SET):
            name = color_by[len(GENE_SET):]
            values = explore_genesets.scored_values(cache, session, run.path, name)
            custom = None if values is None else (f"gene set {name} (score)", values)
        return explore_umap_draw.umap_colour(run, color_by=color_by, gene=gene, threshold=threshold, custom=custom,
                                             zoom=zoom)

    app.clientside_callback(ClientsideFunction("umap", "draw"), Output("umap", "figure"),
                            Input("umap-cells", "data"), Input("umap-colour", "data"), State("selection-bits", "data"))

    # Runs in the browser: the other panels get the run only once the main UMAP has been drawn, so that on a
    # first view the UMAP does not share the browser's (and the server's) time with six more figures.
    app.clientside_callback(
        """
        function(figure, path, shown) {
            if (!path || path === shown) { return dash_clientside.no_update; }
            return new Promise(function(resolve) {
                const t0 = Date.now();
                (function wait() {
                    const g = document.querySelector('#umap .js-plotly-plot');
                    if ((g && g._fullData && g._fullData.length) || Date.now() - t0 > 4000) {
                        setTimeout(function() { resolve(path); }, 0);
                    } else { requestAnimationFrame(wait); }
                })();
            });
        }
        """,
        Output("panels-run", "data"), Input("umap", "figure"), State("run-picker", "value"), State("panels-run", "data"),
    )

    @app.callback(Output("mis-body", "children"), Output("linked-panels", "children"), Input("panels-run", "data"),
                  State("linked-panels", "children"))
    def mount_linked_panels(path, mounted):
        if not path:
            raise PreventUpdate
        open_run(path).build_expression_in_background()  # the run's UMAP is drawn: DEGs and gene colours come next
        if mounted:
            raise PreventUpdate
        return linked_panels()

    @app.callback(Output("mis-umap", "figure"), Input("panels-run", "data"), Input("threshold", "value"),
                  State("selection", "data"), State("session-id", "data"))
    def mispredictions(path, threshold, selection, session):
        run = open_run(path)
        if run.labels is None:
            return fig.message_figure("No single-cell labels: mispredictions need labels")
        d = run.secondary_index
        classes = fig.outcome_classes(run.labels[d], run.obs("sensitivity_score")[d], threshold=threshold)  # drawn cells
        mask = current_mask(run, session, selection)
        return fig.embedding_figure(run.obsm("X_umap")[d], classes, categorical=True, customdata=cell_rows(d),
                                    selected=None if mask is None else mask[d], color_label="outcome",
                                    uirevision=path, title=f"TP / TN / FP / FN at threshold {threshold:.2f}")

    @app.callback(Output("confusion", "figure"), Output("class-metrics", "children"), Input("panels-run", "data"),
                  Input("threshold", "value"), Input("selection", "data"), State("session-id", "data"))
    def confusion(path, threshold, selection, session):
        run = open_run(path)
        if run.labels is None:
            return fig.message_figure("—", height=260), html.Small("no labels")
        scores = run.obs("sensitivity_score")
        mask = current_mask(run, session, selection)
        title = "Confusion matrix" + ("" if mask is None else f" (selection, {int(mask.sum())} cells)")
        counts = confusion_from_scores(run.labels, scores, threshold=threshold, mask=mask)
        return fig.confusion_figure(counts, title=title), summary_table(counts_report(counts))

    @app.callback(Output("scores-scatter", "figure"), Input("panels-run", "data"), Input("threshold", "value"),
                  State("selection", "data"), State("session-id", "data"))
    def score_scatter(path, threshold, selection, session):
        run = open_run(path)
        if (scores := signature_scores(run)) is None:
            return fig.message_figure(NO_SIGNATURES)
        s, r = scores
        mask = current_mask(run, session, selection)
        d = run.secondary_index
        return fig.score_scatter(s[d], r[d], predicted_labels(run, threshold)[d], customdata=cell_rows(d),
                                 selected=None if mask is None else mask[d], uirevision=path,
                                 title=f"Signature scores per cell (colour: predicted at {float(threshold or 0.5):.2f})")

    @app.callback(Output("scores-violin", "figure"), Input("panels-run", "data"), Input("selection", "data"),
                  Input("threshold", "value"), State("session-id", "data"))
    def score_violins(path, selection, threshold, session):
        run = open_run(path)
        if (scores := signature_scores(run)) is None:
            return fig.message_figure(NO_SIGNATURES)
        s, r = scores
        mask = current_mask(run, session, selection)
        groups = predicted_labels(run, threshold)
        keep = np.ones(run.n, bool) if mask is None else mask
        values = {"sensitive score": {}, "resistant score": {}}
        rng = np.random.default_rng(0)
        sampled = False
        for g in ("sensitive", "resistant"):
            m = np.flatnonzero(keep & (groups == g))
            if len(m) > VIOLIN_POINTS:  # the violin's shape from a random subsample; the eye cannot tell
                m, sampled = np.sort(rng.choice(m, VIOLIN_POINTS, replace=False)), True
            values["sensitive score"][f"{g} (pred.)"] = s[m]
            values["resistant score"][f"{g} (pred.)"] = r[m]
        title = "Distributions by predicted group" + (" (selection)" if mask is not None else "") + \
            (f"<br><sup>each from {VIOLIN_POINTS:,} random cells of its group</sup>" if sampled else "")
        return fig.score_distributions(values, title=title)

    @app.callback(Output("deg-scatter", "figure"), Output("deg-null", "figure"),
                  Input("panels-run", "data"), Input("deg-list", "value"), State("selection", "data"),
                  State("session-id", "data"))
    def deg_correlation(path, which, selection, session):
        run = open_run(path)
        corr = run.uns("deg_correlation", which)
        if corr is None:
            skipped = run.uns("analysis", "skipped", default={}) or {}
            why = skipped.get("deg_correlation") or skipped.get(f"deg_correlation_{which}") or "not computed for this run"
            msg = fig.message_figure(f"DEG correlation absent: {why}")
            return msg, msg
        x, y = run.obs(f"{which}_score_predicted"), run.obs(f"{which}_score_true")
        mask = current_mask(run, session, selection)
        d = run.secondary_index
        scatter = fig.deg_scatter(x[d], y[d], r=float(corr["r"]), r2=float(corr["r2"]), uirevision=path,
                                  customdata=cell_rows(d),
                                  selected=None if mask is None else mask[d], title=f"{which.capitalize()} list:")
        null = fig.null_histogram(corr["null"], observed=float(corr["r"]), p_value=float(corr["p_value"]))
        return scatter, null

    @app.callback(Output("pre-umap", "figure"), Output("post-umap", "figure"), Output("metrics-table", "children"),
                  Input("panels-run", "data"), State("selection", "data"), State("session-id", "data"))
    def pre_post(path, selection, session):
        run = open_run(path)
        mask = current_mask(run, session, selection)
        d = run.secondary_index
        figs = []
        for key, score, title in (("X_umap_pretransfer", "sensitivity_score_pretransfer", "Pre-transfer (bulk only)"),
                                  ("X_umap", "sensitivity_score", "Post-transfer")):
            coords, values = run.obsm(key), run.obs(score)
            if coords is None or values is None:
                figs.append(fig.message_figure(f"{key} or {score} missing"))
                continue
            figs.append(fig.embedding_figure(coords[d], values[d], categorical=False, cmin=0.0, cmax=1.0,
                                             customdata=cell_rows(d),
                                             selected=None if mask is None else mask[d], uirevision=f"{path}:{key}",
                                             color_label="score", title=title))
        m = run.uns("metrics", default={}) or {}
        if "skipped" in m:
            table = dbc.Alert(f"Metrics absent: {m['skipped']}", color="secondary")
        else:
            n_seeds = int(m.get("n_seeds", 1))
            rows = {model: {k: seed_summary(v, n_seeds) for k, v in m[model].items()}
                    for model in MODELS if model in m}
            over = f"Mean ± sd over {n_seeds} seeds" if n_seeds > 1 else "One seed (no spread to show)"
            table = html.Div([html.Small(f"{over}; F1, MCC and balanced "
                                         f"accuracy at threshold {float(m.get('threshold', 0.5)):g}."),
                              summary_table(pd.DataFrame.from_dict(rows, orient="index"), index_name="model")])
        return figs[0], figs[1], table

    @app.callback(Output("attr-table", "rowData"), Output("attr-table", "columnDefs"),
                  Output("attr-table", "csvExportParams"), Input("panels-run", "data"))
    def attribution_table(path):
        run = open_run(path)
        table = run.uns("attribution")
        if not isinstance(table, pd.DataFrame):
            return [], grid_columns(["gene"], labels={"gene": "attribution absent for this run"}), no_update
        cols = ["rank", "gene", "mean_abs_ig", "mean_abs_ig_sensitive", "mean_abs_ig_resistant", "log2_ratio", "pval_adj"]
        df = table.reset_index(names="gene")[cols].head(500)
        df[cols[2:]] = df[cols[2:]].astype(float).map(lambda v: float(f"{v:.4g}"))
        return grid_rows(df), grid_columns(cols), csv_params(run.name, "attribution_top500")

    explore_selection.register(app, store, cache, open_run, current_mask)
    explore_sets.register(app, store.results_dir, open_run, current_mask)
    explore_genesets.register(app, cache, open_run)

    @app.callback(Output("download-report", "data"), Input("report-make", "n_clicks"), State("run-picker", "value"),
                  State("color-by", "value"), State("gene", "value"), State("threshold", "value"),
                  State("selection", "data"), State("session-id", "data"), prevent_initial_call=True)
    def report(_, path, color_by, gene, threshold, selection, session):
        """The current view as one self-contained HTML file for a meeting."""
        run = open_run(path)
        mask = current_mask(run, session, selection)
        deg = None
        if mask is not None:
            try:
                deg = selection_vs_rest(run.expression, mask, genes=run.genes)
            except ValueError:
                deg = None
        text = view_report(run, color_by=color_by or "sensitivity_score", gene=gene, threshold=threshold, mask=mask,
                           selection_deg=deg, user=current_user())
        return {"content": text, "filename": f"{run.name}_report.html", "type": "text/html"}
