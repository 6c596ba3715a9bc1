"""Layout of the Imputation page: the masking table, recovered vs true values per masked share, the harm checks,
a UMAP coloured by a gene's measured or imputed expression (the toggle says which), and a launcher."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..tables import data_grid
from ..export import export_group
from .explore_layout import _card, _graph

FIGURES = {"imp-scatter": "recovered vs true values", "imp-umap": "cells, imputed or measured"}
from .launch import launch_panel

METHOD_LABELS = {"none": "no imputation", "gene_mean": "gene's non-zero mean", "knn": "kNN average",
                 "diffusion": "diffusion (MAGIC-style)", "autoencoder": "masked autoencoder"}
RUN_FIELDS = ["sc", "input", "min_genes", "n_top_genes", "seeds", "ae_epochs"]


def layout(runs: list[str], *, run: str | None = None, sc_options: list | None = None) -> html.Div:
    picked = run if run in runs else (runs[0] if runs else None)
    controls = dbc.Row([
        dbc.Col([dbc.Label("Imputation result"), dcc.Dropdown(id="imp-run", options=runs, value=picked,
                                                              clearable=False, placeholder="none yet: start one below")], lg=4),
        dbc.Col([dbc.Label("Masked share"), dcc.Dropdown(id="imp-rate", clearable=False)], lg=2),
        dbc.Col([dbc.Label("Method"), dcc.Dropdown(id="imp-method", clearable=False)], lg=3),
    ], className="mb-2")
    gene_controls = dbc.Row([
        dbc.Col([dbc.Label("Gene"), dcc.Dropdown(id="imp-gene", placeholder="type a gene")], lg=4),
        dbc.Col([dbc.Label("Show"), dbc.RadioItems(id="imp-values", inline=True)], lg=8),
    ], className="mb-1")
    return html.Div([
        controls,
        html.Div(id="imp-notes", className="small mb-2"),
        export_group("imp-", FIGURES),
        dbc.Row([_card("Recovery of hidden non-zero values (mean over seeds; worst seed beside)",
                       data_grid("imp-table"), width=12)], className="g-3"),
        dbc.Row([_card("Recovered vs true values", _graph("imp-scatter")),
                 _card("Harm checks: what imputation invents", data_grid("imp-harm"))], className="g-3 mt-1"),
        dbc.Row([_card("Cells coloured by a gene", html.Div([gene_controls, _graph("imp-umap")]), width=12)],
                className="g-3 mt-1"),
        dbc.Row([_card("Run an imputation evaluation in the background",
                       launch_panel("imp-launch", "imputation", RUN_FIELDS, options={"sc": sc_options}), width=12)],
                className="g-3 mt-1 mb-3"),
    ])
