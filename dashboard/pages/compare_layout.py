"""Layout of the Compare page: two runs on the same cells side by side."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..auth import current_user
from ..tables import data_grid
from ..export import export_group
from .explore_layout import _card, _graph, run_options

FIGURES = {"cmp-scatter": "per-cell score, A against B"}


def layout(store, *, run: str | None = None) -> html.Div:
    options = run_options(store.index(user=current_user()))
    values = [o["value"] for o in options]
    first = next((v for v in values if run and v.endswith(f"/{run}.h5ad")), values[0] if values else None)
    second = next((v for v in values if v != first), None)
    return html.Div([
        dbc.Row([dbc.Col([dbc.Label("Run A"), dcc.Dropdown(id="cmp-a", options=options, value=first, clearable=False)], lg=6),
                 dbc.Col([dbc.Label("Run B"), dcc.Dropdown(id="cmp-b", options=options, value=second, clearable=False)],
                         lg=6)], className="mb-2"),
        html.Div(id="cmp-summary", className="small mb-2"),
        export_group("cmp-", FIGURES),
        dbc.Row([_card("Metrics side by side", data_grid("cmp-metrics", page_size=20)),
                 _card("Per-cell score: A against B", _graph("cmp-scatter"))], className="g-3"),
        dbc.Row([_card("Settings that differ", data_grid("cmp-settings", page_size=20)),
                 _card("Signature genes shared", data_grid("cmp-signatures"))], className="g-3 mt-1 mb-3"),
    ])
