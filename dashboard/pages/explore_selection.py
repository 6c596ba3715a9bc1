"""The explore page's one selection: a gesture in any panel (box, lasso, legend entry, cluster row, cell set)
becomes a set of cells on the server; the browser highlights it in every linked scatter (assets/
selection_highlight.js) and the summary panels (selection metrics, selection-vs-rest DEGs) answer to it."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from engine.data.errors import public_message

from .. import selection as sel
from ..stats import selection_metrics, selection_vs_rest
from ..tables import grid_columns, grid_rows
from . import explore_sets
from .explore_layout import LINKED_SCATTERS
from .explore_umap import category_values

SELECTABLE = {"umap": "X_umap", "mis-umap": "X_umap", "post-umap": "X_umap", "pre-umap": "X_umap_pretransfer",
              "scores-scatter": ("sensitive_score_predicted", "resistant_score_predicted")}


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


def xy_for(run, source: str, deg_list: str = "sensitive") -> np.ndarray | None:
    """Every cell's position (n x 2) in the selectable panel ``source``, as its box or lasso is read."""
    if source == "deg-scatter":
        cols = (f"{deg_list}_score_predicted", f"{deg_list}_score_true")
    else:
        cols = SELECTABLE[source]
    if isinstance(cols, str):
        return run.obsm(cols)
    a, b = run.obs(cols[0]), run.obs(cols[1])
    return None if a is None or b is None else np.column_stack([a, b])


def summary_table(df: pd.DataFrame, *, index_name: str = "") -> dbc.Table:
    """A small table of numbers as the page's cards show them."""
    return dbc.Table.from_dataframe(df.reset_index(names=index_name or " "), striped=True, bordered=False,
                                    hover=True, size="sm", className="mb-0")


def register(app, store, cache, open_run, current_mask) -> None:
    # the DEG list on show, in a store that exists before the linked panels are mounted
    app.clientside_callback("function(v) { return v; }", Output("deg-list-shown", "data"), Input("deg-list", "value"))

    # Runs in the browser: a box or lasso in any linked scatter sends only its geometry, never the list of
    # selected points; one callback per panel, since the linked panels mount after the first draw
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
        return summary_table(pd.DataFrame({k: [round(v, 3)] for k, v in m.items()}, index=["selection"]))

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

    @app.callback(Output("raw-selection", "data", allow_duplicate=True), Input("panels-run", "data"),
                  State("pending-set", "data"), prevent_initial_call=True)
    def select_linked_set(path, name):
        """A shared link's cell set is selected once the run is drawn."""
        if not path or not name:
            raise PreventUpdate
        return {"source": "cellset", "name": name, "click": "link"}

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
