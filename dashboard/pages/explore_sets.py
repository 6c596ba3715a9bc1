"""Named cell sets on the Explore page: save the selection under a name (private or shared), select a set again,
download its cell ids, and compare any two groups (two sets, or a set and the rest) by differential expression.
Logic in named functions; the callbacks only wire them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from engine.cellsets import list_cell_sets, load_cell_set, save_cell_set
from engine.data.errors import DataError, public_message

from ..auth import current_user
from ..stats import groups_de
from ..tables import data_grid, grid_columns, grid_rows

REST = "__rest__"


def panel() -> list:
    """The Cell sets card's body."""
    return [
        dbc.InputGroup([dbc.Input(id="cellset-name", placeholder="name the current selection", maxLength=60),
                        dbc.Button("Save as cell set", id="cellset-save", color="primary")], size="sm", className="mb-1"),
        dbc.Row([dbc.Col(dbc.Checkbox(id="cellset-share", label="share with everyone signed in", value=False)),
                 dbc.Col(dbc.Checkbox(id="cellset-replace", label="replace my set of that name", value=False))]),
        html.Div(id="cellset-message", className="small my-1"),
        dbc.Row([dbc.Col([dbc.Label("Group A", className="small mb-0"), dcc.Dropdown(id="cellset-a", placeholder="a cell set")]),
                 dbc.Col([dbc.Label("Group B", className="small mb-0"), dcc.Dropdown(id="cellset-b", value=REST,
                                                                                    clearable=False)])],
                className="mb-1"),
        html.Div([dbc.Button("Select group A's cells", id="cellset-select", size="sm", outline=True, className="me-2"),
                  dbc.Button("Download A's cell ids (CSV)", id="cellset-download-button", size="sm", outline=True),
                  dcc.Download(id="cellset-download")], className="mb-1"),
        html.Small(id="cellset-deg-note", className="text-muted"),
        dcc.Loading(data_grid("cellset-deg")),
    ]


def set_options(sets, *, user: str) -> list[dict]:
    return [{"label": f"{cs.name} ({len(cs.cells):,} cells, {'mine' if cs.created_by == user else cs.created_by}"
                      f"{', shared' if cs.visibility == 'everyone' else ''})", "value": cs.name} for cs in sets]


def set_mask(run, cells) -> np.ndarray:
    """The cells of ``run`` named in ``cells`` (ids)."""
    return np.isin(run.cell_names, np.asarray(list(cells), dtype=str))


def fold_change_note(run) -> str:
    """Why log2 fold changes are blank, where they are."""
    counts = bool((run.uns("sc_input", default={}) or {}).get("counts", False))
    return "" if counts else ("log2 fold changes need log-normalised counts; this run's expression is as the input "
                              "gave it (z-scored), so they are left blank. t and adjusted p are valid.")


def compare_groups(run, a_cells, b_cells=None) -> pd.DataFrame:
    """DE of group A against group B (the rest of the cells when None), top 200 by t."""
    a = set_mask(run, a_cells)
    b = None if b_cells is None else set_mask(run, b_cells)
    df = groups_de(run.expression, a, b, genes=run.genes).head(200)
    return df.round({"t": 3, "log2fc": 3}).assign(pval_adj=lambda t: t.pval_adj.map(lambda v: float(f"{v:.3g}")))


def register(app, root, open_run, current_mask) -> None:
    """Callbacks of the Cell sets card; ``root`` is the results folder (sets live under ``root/cellsets``)."""

    def run_id(run) -> str:
        return str(run.uns("run_id", default=""))

    @app.callback(Output("cellset-message", "children"), Output("cellset-a", "options"), Output("cellset-b", "options"),
                  Input("cellset-save", "n_clicks"), Input("panels-run", "data"), State("selection", "data"),
                  State("session-id", "data"), State("cellset-name", "value"), State("cellset-share", "value"),
                  State("cellset-replace", "value"))
    def save_and_list(clicked, path, selection, session, name, share, replace):
        run = open_run(path)
        user, message = current_user(), ""
        if clicked and path:
            mask = current_mask(run, session, selection)
            try:
                if mask is None:
                    raise DataError("Select some cells first (box, lasso, a cluster row or a set)")
                cs = save_cell_set(root, run=run_id(run), name=name, cells=run.cell_names[mask], user=user,
                                   visibility="everyone" if share else "private", replace=bool(replace))
                message = dbc.Alert(f"Saved {cs.name!r}: {len(cs.cells):,} cells", color="success", className="py-1",
                                    id="cellset-saved")
            except DataError as exc:
                message = dbc.Alert(public_message(exc), color="warning", className="py-1", id="cellset-refused")
        options = set_options(list_cell_sets(root, run=run_id(run), user=user), user=user)
        return message, options, options + [{"label": "the rest of the cells", "value": REST}]

    @app.callback(Output("raw-selection", "data", allow_duplicate=True), Input("cellset-select", "n_clicks"),
                  State("cellset-a", "value"), prevent_initial_call=True)
    def select_set(clicks, name):
        if not name:
            raise PreventUpdate
        return {"source": "cellset", "name": name, "click": clicks}  # a new value each time: picked again, it fires

    @app.callback(Output("cellset-download", "data"), Input("cellset-download-button", "n_clicks"),
                  State("panels-run", "data"), State("cellset-a", "value"), prevent_initial_call=True)
    def download(_, path, name):
        run = open_run(path)
        if not name:
            raise PreventUpdate
        cs = load_cell_set(root, run=run_id(run), name=name, user=current_user())
        frame = pd.DataFrame({"cell": cs.cells})
        return dcc.send_data_frame(frame.to_csv, f"{run_id(run)}_{cs.name.replace(' ', '_')}_cells.csv", index=False)

    @app.callback(Output("cellset-deg", "rowData"), Output("cellset-deg", "columnDefs"),
                  Output("cellset-deg-note", "children"), Input("cellset-a", "value"), Input("cellset-b", "value"),
                  State("panels-run", "data"))
    def compare(a, b, path):
        if not a:
            return [], [], ""
        run = open_run(path)
        user = current_user()
        try:
            a_cells = load_cell_set(root, run=run_id(run), name=a, user=user).cells
            b_cells = None if b in (None, REST) else load_cell_set(root, run=run_id(run), name=b, user=user).cells
            df = compare_groups(run, a_cells, b_cells)
        except (DataError, ValueError) as exc:
            return [], [], public_message(exc)
        cols = ["gene", "t", "log2fc", "pval_adj"]
        note = f"{a} vs {'the rest' if b in (None, REST) else b}: Welch's t per gene, BH-adjusted. "
        return grid_rows(df[cols]), grid_columns(cols), note + fold_change_note(run)


def mask_for_selection(root, run, name: str) -> np.ndarray | None:
    """The cells of a set picked as the selection (None when the set is gone or not visible)."""
    try:
        cs = load_cell_set(root, run=str(run.uns("run_id", default="")), name=name, user=current_user())
    except DataError:
        return None
    return set_mask(run, cs.cells)


