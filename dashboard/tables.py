"""Tables on the pages: dash-ag-grid (the maintained successor of ``dash_table.DataTable``).

One place sets how every table looks and pages; callbacks fill ``rowData`` and ``columnDefs`` from
:func:`grid_columns` and :func:`grid_rows`.
"""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, html

DEFAULT_COLUMN = {"sortable": True, "resizable": True, "minWidth": 70, "flex": 1}


def csv_params(name: str, table: str) -> dict:
    """``csvExportParams`` naming a table's CSV for what it shows (a run's name) and the table."""
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{name}_{table}")
    return {"fileName": f"{stem}.csv"}


def data_grid(grid_id: str, *, page_size: int = 10, filterable: bool = False, selectable: bool = False,
              row_id: str | None = None, columns: list[dict] | None = None) -> html.Div:
    """An AG Grid with the app's defaults: sortable, paged, compact; optionally filterable and single-row
    selectable; under it a "CSV" button that downloads every row (as filtered and sorted), named by the grid's
    ``csvExportParams`` (a page sets it to the run's name with :func:`csv_params`).

    ``row_id`` names the field that identifies a row (clicks and selections then report it as ``rowId``).
    """
    options = {"pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": False,
               "domLayout": "autoHeight", "rowHeight": 28, "headerHeight": 30, "suppressCellFocus": not selectable}
    if selectable:
        options["rowSelection"] = {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True}
    kwargs = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    grid = dag.AgGrid(id=grid_id, rowData=[], columnDefs=columns or [], dashGridOptions=options,
                      defaultColDef={**DEFAULT_COLUMN, "filter": filterable}, style={"fontSize": 12},
                      csvExportParams=csv_params("scresponse", grid_id), **kwargs)
    button = dbc.Button("CSV", id={"type": "grid-csv", "grid": grid_id}, size="sm", color="link",
                        className="p-0 small", title="download this table (every row) as CSV")
    return html.Div([grid, button])


def register(app) -> None:
    """One callback, in the browser, for every table's CSV button: the grid exports itself."""
    app.clientside_callback(
        """
        function(clicks) {
            const trig = dash_clientside.callback_context.triggered_id;
            if (!trig || !clicks.some(Boolean)) { return dash_clientside.no_update; }
            dash_clientside.set_props(trig.grid, {exportDataAsCsv: true});
            return dash_clientside.no_update;
        }
        """,
        Output({"type": "grid-csv", "grid": ALL}, "title"), Input({"type": "grid-csv", "grid": ALL}, "n_clicks"),
        prevent_initial_call=True)


def grid_columns(names, *, labels: dict | None = None, markdown: tuple[str, ...] = ()) -> list[dict]:
    """Column definitions for fields ``names``: header from ``labels`` or the name with spaces; markdown cells
    (links) for the fields in ``markdown``."""
    labels = labels or {}
    cols = []
    for name in names:
        col = {"field": name, "headerName": labels.get(name, name.replace("_", " "))}
        if name in markdown:
            col["cellRenderer"] = "markdown"
        cols.append(col)
    return cols


def grid_rows(df: pd.DataFrame) -> list[dict]:
    """Records for ``rowData`` (plain Python values)."""
    return df.to_dict("records")
