"""Tables on the pages: dash-ag-grid (the maintained successor of ``dash_table.DataTable``).

One place sets how every table looks and pages; callbacks fill ``rowData`` and ``columnDefs`` from
:func:`grid_columns` and :func:`grid_rows`.
"""

from __future__ import annotations

import dash_ag_grid as dag
import pandas as pd

DEFAULT_COLUMN = {"sortable": True, "resizable": True, "minWidth": 70, "flex": 1}


def data_grid(grid_id: str, *, page_size: int = 10, filterable: bool = False, selectable: bool = False,
              row_id: str | None = None, columns: list[dict] | None = None) -> dag.AgGrid:
    """An AG Grid with the app's defaults: sortable, paged, compact; optionally filterable and single-row selectable.

    ``row_id`` names the field that identifies a row (clicks and selections then report it as ``rowId``).
    """
    options = {"pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": False,
               "domLayout": "autoHeight", "rowHeight": 28, "headerHeight": 30, "suppressCellFocus": not selectable}
    if selectable:
        options["rowSelection"] = {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True}
    kwargs = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    return dag.AgGrid(id=grid_id, rowData=[], columnDefs=columns or [], dashGridOptions=options,
                      defaultColDef={**DEFAULT_COLUMN, "filter": filterable}, style={"fontSize": 12},
                      **kwargs)


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
