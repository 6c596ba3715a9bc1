"""Layout of the QC page: input, threshold slider with live counts, distributions, three lists, UMAP, save."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from engine.data import catalog

from ..tables import data_grid
from ..export import export_group
from .explore_layout import _card, _graph

FIGURES = {"qc-score-hist": "outlier score", "qc-umap": "UMAP coloured by the flag",
           "qc-metric-hist": "QC metrics, kept vs flagged"}


def layout(names: list[str]) -> html.Div:
    sources = [d.id for d in catalog.datasets() if d.kind == "single_cell"]
    controls = dbc.Row([
        dbc.Col([dbc.Label("QC result"), dcc.Dropdown(id="qc-name", options=names, value=names[0] if names else None,
                                                      placeholder="none yet: compute one", clearable=False)], lg=4),
        dbc.Col([dbc.Label("Compute QC for"), dbc.InputGroup([
            dbc.Select(id="qc-source", options=sources, value="pc9_erlotinib" if "pc9_erlotinib" in sources else None),
            dbc.Button("Compute", id="qc-compute", color="primary")]),
            html.Small(id="qc-compute-status", className="text-muted")], lg=4),
        dbc.Col([dbc.Label("Save decision as"), dbc.InputGroup([
            dbc.Input(id="qc-decision-name", placeholder="e.g. pc9-qc-v1", maxLength=80),
            dbc.Select(id="qc-visibility", value="everyone", style={"maxWidth": "9em"}, options=[
                {"label": "for everyone", "value": "everyone"}, {"label": "only for me", "value": "private"}]),
            dbc.Button("Save decision", id="qc-save", color="success")]), html.Div(id="qc-save-message")], lg=4),
    ], className="mb-2")
    threshold = dbc.Row([
        dbc.Col([dbc.Label("Outlier-score threshold (cells above it are flagged)"),
                 dcc.Slider(id="qc-threshold", min=0, max=1, step=0.001, value=0.5, marks=None,
                            tooltip={"placement": "bottom", "always_visible": True})], lg=8),
        dbc.Col(dbc.Button("Automatic threshold", id="qc-auto", size="sm", color="secondary", outline=True,
                           className="mt-4"), lg=1),
        dbc.Col([html.Div(id="qc-counts", className="small"),
                 dbc.Checkbox(id="qc-show-empty", label="show empty droplets in the metric histograms", value=False,
                              className="small")], lg=3),
    ], className="mb-2")
    lists = dbc.Row([dbc.Col([html.H6(title), data_grid(f"qc-list-{key}")],
                             lg=4) for key, title in (("flagged", "Flagged by the forest (most unusual)"),
                                                      ("borderline", "Borderline (nearest the threshold)"),
                                                      ("best", "Best (most typical)"))])
    return html.Div([
        dcc.Store(id="qc-refresh"), dcc.Store(id="qc-job"), dcc.Store(id="qc-job-final"),
        dcc.Store(id="qc-save-confirm"),
        html.Div(id="qc-notes"),
        controls, threshold, export_group("qc-", FIGURES),
        dbc.Row([_card("Outlier score", _graph("qc-score-hist")), _card("UMAP coloured by the flag", _graph("qc-umap"))],
                 className="g-3"),
        dbc.Row([_card("QC metrics: kept vs flagged", _graph("qc-metric-hist"), width=12)], className="g-3 mt-1"),
        dbc.Row([_card("Cells to review", lists, width=12)], className="g-3 mt-1 mb-4"),
    ])
