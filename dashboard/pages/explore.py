"""Explore page callbacks: every cell-level panel answers to one shared selection.

Arrays stay on the server (``ResultStore``); callbacks send figures of the drawn cells and small tables.
"""

from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from engine.data import DataError
from engine.data.errors import public_message
from engine.results import MODELS

from .. import export, figures as fig
from ..auth import current_user
from .. import selection as sel
from ..stats import class_report, selection_metrics, selection_vs_rest
from ..tables import csv_params, grid_columns, grid_rows
from ..view_state import encode_view, zoom_from_relayout
from .explore_layout import LINKED_SCATTERS, index_alerts, layout, linked_panels, run_options  # noqa: F401  (the layout lives beside its callbacks)
from . import explore_genesets, explore_sets, explore_umap_draw
from .explore_report import roc_pr, run_detail_rows, seed_summary, training, view_report
from .explore_umap import (COLOR_BY, GENE_SET, IMPUTED, category_values, cell_rows, cluster_table, colour_options,
                           predicted_labels)

SELECTABLE = {"umap": "X_umap", "mis-umap": "X_umap", "post-umap": "X_umap", "pre-umap": "X_umap_pretransfer",
              "scores-scatter": ("sensitive_score_predicted", "resistant_score_predicted")}
MAX_GENE_OPTIONS = 30
VIOLIN_POINTS = 5_000  # a violin is drawn from at most this many random cells per group (said in its title)
NO_SIGNATURES = "No signature scores in this file (run `python -m engine analyse` on it)"


def _table(df: pd.DataFrame, *, index_name: str = "") -> dbc.Table:
    return dbc.Table.from_dataframe(df.reset_index(names=index_name or " "), striped=True, bordered=False,
                                    hover=True, size="sm", className="mb-0")


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


def legend_selection(cache, session: str, run, category: str, *, color_by: str, threshold: float | None,
                     current: dict | None) -> dict | None:
    """The selection a click on the UMAP legend entry ``category`` makes: that category's cells under the
    colouring shown (the predicted label at the page's threshold). Clicking the entry selected already clears
    it (None). Raises PreventUpdate where the colouring has no such category."""
    values, label = category_values(run, color_by, threshold=threshold)
    if values is None:
        raise PreventUpdate
    name = f"{label}: {category}"
    if current and current.get("source") == "legend" and current.get("name") == name and current.get("run") == run.path:
        return None
    mask = values == category
    if not mask.any():
        raise PreventUpdate
    return {**sel.save(cache, session, run.path, "legend", mask), "name": name}


def register(app, store, cache) -> None:
    def open_run(path):
        """The run for a panel; a missing or broken file leaves panels as they are (the status line says why)."""
        if not path:
            raise PreventUpdate
        try:
            return store.open(path, user=current_user())
        except DataError:
            raise PreventUpdate from None

    def xy_for(run, source: str, deg_list: str = "sensitive"):
        if source == "deg-scatter":
            cols = (f"{deg_list}_score_predicted", f"{deg_list}_score_true")
        else:
            cols = SELECTABLE[source]
        if isinstance(cols, str):
            return run.obsm(cols)
        a, b = run.obs(cols[0]), run.obs(cols[1])
        return None if a is None or b is None else np.column_stack([a, b])

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

    # Runs in the browser: a box or lasso in any linked scatter sends only its geometry (never the list of
    # selected points, which for 100k cells would cost the browser seconds to pass through the page's state)
    # (one callback per panel: the linked panels mount after the first draw, each listened to once drawn)
    for k in LINKED_SCATTERS:
        app.clientside_callback(ClientsideFunction("selection", "listen"),
                                Output("selection-listening", "data", allow_duplicate=k != "umap"),
                                Input(k, "figure"), State(k, "id"), prevent_initial_call=k != "umap")

    # a legend entry's click selects its category's cells (assets/legend_select.js)
    app.clientside_callback(ClientsideFunction("legend", "hook"), Output("legend-hook", "data"),
                            Input("umap", "figure"), State("umap", "id"))

    # a row of the cluster table selects that cluster's cells
    app.clientside_callback(
        """
        function(rows) {
            if (!rows || !rows.length) { return dash_clientside.no_update; }
            return {source: 'cluster', cluster: String(rows[0].cluster)};
        }
        """,
        Output("raw-selection", "data", allow_duplicate=True), Input("cluster-table", "selectedRows"),
        prevent_initial_call=True,
    )

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

    # the DEG list on show, in a store that exists before the linked panels are mounted
    app.clientside_callback("function(v) { return v; }", Output("deg-list-shown", "data"), Input("deg-list", "value"))

    def selection_for(raw, run, session, deg_list, color_by, threshold, current):
        """The selection a gesture ``raw`` makes (see ``raw-selection``), saved in the cache; PreventUpdate where
        it selects nothing."""
        if raw.get("source") == "cellset":
            mask = explore_sets.mask_for_selection(store.results_dir, run, str(raw.get("name")))
            if mask is None or not mask.any():
                raise PreventUpdate
            return {**sel.save(cache, session, run.path, "cellset", mask), "name": str(raw.get("name"))}
        if raw.get("source") == "legend":
            return legend_selection(cache, session, run, str(raw.get("category")), color_by=color_by or "",
                                    threshold=threshold, current=current)
        if raw.get("source") == "cluster":
            leiden = run.obs("leiden")
            if leiden is None:
                raise PreventUpdate
            cluster = str(raw.get("cluster"))
            return {**sel.save(cache, session, run.path, "cluster", np.asarray(leiden).astype(str) == cluster),
                    "name": f"cluster {cluster}"}
        xy = xy_for(run, raw["source"], deg_list)
        drawn = run.display_index if raw["source"] == "umap" else run.secondary_index
        mask = None if xy is None else sel.mask_from_selected_data(raw, xy, drawn=drawn)
        if mask is None:
            raise PreventUpdate
        return sel.save(cache, session, run.path, raw["source"], mask)

    @app.callback(Output("selection", "data"), Output("selection-bits", "data"),
                  Input("raw-selection", "data"), Input("clear-selection", "n_clicks"), Input("run-picker", "value"),
                  State("session-id", "data"), State("deg-list-shown", "data"), State("color-by", "value"),
                  State("threshold", "value"), State("selection", "data"), prevent_initial_call=True)
    def update_selection(raw, _, path, session, deg_list, color_by, threshold, current):
        """The selection (a token for the server's panels) and its cells as packed bits for the browser, which
        highlights them in every linked scatter itself (assets/selection_highlight.js): no figure is rebuilt.
        ``drawn_in`` names the panel where a box or lasso was drawn: Plotly highlights its points there already."""
        if ctx.triggered_id != "raw-selection" or not raw:
            return None, None  # the clear button, a new run, or the first load
        run = open_run(path)
        chosen = selection_for(raw, run, session, deg_list, color_by, threshold, current)
        bits = sel.packed_bits(current_mask(run, session, chosen))
        return chosen, None if bits is None else {"bits": bits, "drawn_in": chosen["source"]}

    # Runs in the browser: every linked scatter's points carry their cell's row (customdata); the selection's
    # bits dim the others there, in place.
    app.clientside_callback(ClientsideFunction("selection", "highlight"), Output("selection-shown", "data"),
                            Input("selection-bits", "data"), State("selection-graphs", "data"))

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
        if not path or mounted:
            raise PreventUpdate
        return linked_panels()

    @app.callback(Output("mis-umap", "figure"), Input("panels-run", "data"), Input("threshold", "value"),
                  State("selection", "data"), State("session-id", "data"))
    def mispredictions(path, threshold, selection, session):
        run = open_run(path)
        if run.labels is None:
            return fig.message_figure("No single-cell labels: mispredictions need labels")
        classes = fig.outcome_classes(run.labels, run.obs("sensitivity_score"), threshold=threshold)
        mask = current_mask(run, session, selection)
        d = run.secondary_index
        return fig.embedding_figure(run.obsm("X_umap")[d], classes[d], categorical=True, customdata=cell_rows(d),
                                    selected=None if mask is None else mask[d], color_label="outcome",
                                    uirevision=path, title=f"TP / TN / FP / FN at threshold {threshold:.2f}")

    @app.callback(Output("confusion", "figure"), Output("class-metrics", "children"), Input("panels-run", "data"),
                  Input("threshold", "value"), Input("selection", "data"), State("session-id", "data"))
    def confusion(path, threshold, selection, session):
        run = open_run(path)
        if run.labels is None:
            return fig.message_figure("—", height=260), html.Small("no labels")
        scores = run.obs("sensitivity_score")
        classes = fig.outcome_classes(run.labels, scores, threshold=threshold)
        mask = current_mask(run, session, selection)
        within = classes if mask is None else classes[mask]
        title = "Confusion matrix" + ("" if mask is None else f" (selection, {int(mask.sum())} cells)")
        report = class_report(run.labels, scores, threshold=threshold, mask=mask)
        return fig.confusion_figure(fig.confusion_counts(within), title=title), _table(report)

    @app.callback(Output("scores-scatter", "figure"), Input("panels-run", "data"), Input("threshold", "value"),
                  State("selection", "data"), State("session-id", "data"))
    def score_scatter(path, threshold, selection, session):
        run = open_run(path)
        s, r = run.obs("sensitive_score_predicted"), run.obs("resistant_score_predicted")
        if s is None or r is None:
            return fig.message_figure(NO_SIGNATURES)
        mask = current_mask(run, session, selection)
        d = run.secondary_index
        return fig.score_scatter(s[d], r[d], predicted_labels(run, threshold)[d], customdata=cell_rows(d),
                                 selected=None if mask is None else mask[d], uirevision=path,
                                 title=f"Signature scores per cell (colour: predicted at {float(threshold or 0.5):.2f})")

    @app.callback(Output("scores-violin", "figure"), Input("panels-run", "data"), Input("selection", "data"),
                  Input("threshold", "value"), State("session-id", "data"))
    def score_violins(path, selection, threshold, session):
        run = open_run(path)
        s, r = run.obs("sensitive_score_predicted"), run.obs("resistant_score_predicted")
        if s is None or r is None:
            return fig.message_figure(NO_SIGNATURES)
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
                              _table(pd.DataFrame.from_dict(rows, orient="index"), index_name="model")])
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

    @app.callback(Output("selection-info", "children"), Input("run-picker", "value"), Input("selection", "data"),
                  State("session-id", "data"))
    def selection_info(path, selection, session):
        run = open_run(path)
        mask = current_mask(run, session, selection)
        if mask is None:
            return "no selection"
        return f"{int(mask.sum()):,} of {run.n:,} cells" + (f" ({selection['name']})" if selection.get("name") else "")

    @app.callback(Output("selection-metrics", "children"), Input("panels-run", "data"), Input("selection", "data"),
                  Input("threshold", "value"), State("session-id", "data"))
    def selection_summary(path, selection, threshold, session):
        run = open_run(path)
        mask = current_mask(run, session, selection)
        if mask is None:
            return html.Small("Box- or lasso-select cells in any panel.")
        if run.labels is None:
            return html.Small("no labels: metrics need labels")
        m = selection_metrics(run.labels, run.obs("sensitivity_score"), threshold=threshold, mask=mask)
        return _table(pd.DataFrame({k: [round(v, 3)] for k, v in m.items()}, index=["selection"]))

    @app.callback(Output("sel-deg-table", "rowData"), Output("sel-deg-table", "columnDefs"), Output("sel-deg-note", "children"),
                  Input("panels-run", "data"), Input("selection", "data"), State("session-id", "data"))
    def selection_degs(path, selection, session):
        """Selection vs rest DEGs: its own callback, so the other panels do not wait for it."""
        run = open_run(path)
        mask = current_mask(run, session, selection)
        if mask is None:
            return [], [], ""
        try:
            df = selection_vs_rest(run.expression, mask, genes=run.genes).head(200)
        except ValueError as exc:
            return [], [], public_message(exc)
        df = df.round({"t": 3, "log2fc": 3}).assign(pval_adj=lambda t: t.pval_adj.map(lambda v: float(f"{v:.3g}")))
        cols = ["gene", "t", "log2fc", "pval_adj"]
        return grid_rows(df[cols]), grid_columns(cols), explore_sets.fold_change_note(run)

    explore_sets.register(app, store.results_dir, open_run, current_mask)
    explore_genesets.register(app, cache, open_run)

    @app.callback(Output("raw-selection", "data", allow_duplicate=True), Input("panels-run", "data"),
                  State("pending-set", "data"), prevent_initial_call=True)
    def select_linked_set(path, name):
        """A shared link's cell set is selected once the run is drawn."""
        if not path or not name:
            raise PreventUpdate
        return {"source": "cellset", "name": name, "click": "link"}

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

    @app.callback(Output("download-deg", "data"), Input("download-deg-button", "n_clicks"),
                  State("run-picker", "value"), State("selection", "data"), State("session-id", "data"),
                  prevent_initial_call=True)
    def download(_, path, selection, session):
        run = open_run(path)
        mask = current_mask(run, session, selection)
        if mask is None:
            raise PreventUpdate
        df = selection_vs_rest(run.expression, mask, genes=run.genes)
        return dcc.send_data_frame(df.to_csv, f"{run.name}_selection_vs_rest.csv", index=False)
