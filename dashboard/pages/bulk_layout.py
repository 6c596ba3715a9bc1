"""Layout of the Bulk sources page: every integration method side by side (metrics on held-out lines), UMAPs of
the lines by study and by tissue, a line picker, and a launcher."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..tables import data_grid
from ..export import export_group
from .explore_layout import _card, _graph

FIGURES = {"bulk-umap-study": "lines coloured by study", "bulk-umap-tissue": "lines coloured by tissue"}
from .launch import launch_panel

METHODS = {"raw": "raw concatenation", "per_study_zscore": "per-study z-score", "combat": "ComBat",
           "harmony": "Harmony", "center_loss": "center-loss autoencoder"}
RUN_FIELDS = ["pinch", "epochs", "n_folds", "seeds", "lambda_center", "lambda_cls"]


def layout(runs: list[str], *, run: str | None = None) -> html.Div:
    picked = run if run in runs else (runs[0] if runs else None)
    controls = dbc.Row([
        dbc.Col([dbc.Label("Integration result"), dcc.Dropdown(id="bulk-run", options=runs, value=picked,
                                                               clearable=False, placeholder="none yet: start one below")], lg=4),
        dbc.Col([dbc.Label("Method"), dcc.Dropdown(id="bulk-method", value="center_loss", clearable=False,
                                                   options=[{"label": v, "value": k} for k, v in METHODS.items()])], lg=3),
        dbc.Col([dbc.Label("Highlight a cell line (in every study)"), dcc.Dropdown(id="bulk-line", clearable=True,
                                                                                  placeholder="type a line name")], lg=4),
    ], className="mb-2")
    return html.Div([
        controls,
        html.Div(id="bulk-notes", className="small mb-2"),
        export_group("bulk-", FIGURES),
        dbc.Row([_card("Metrics on held-out cell lines (every method, same genes and lines)", data_grid("bulk-metrics"),
                       width=12)], className="g-3"),
        dbc.Row([_card("Lines coloured by study", _graph("bulk-umap-study")),
                 _card("Lines coloured by tissue", _graph("bulk-umap-tissue"))], className="g-3 mt-1"),
        dbc.Row([_card("Run an integration in the background", launch_panel("bulk-launch", "integration", RUN_FIELDS),
                       width=12)], className="g-3 mt-1 mb-3"),
    ])
