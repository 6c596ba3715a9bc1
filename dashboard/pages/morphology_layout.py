"""Layout of the Morphology page: MoA results, per-channel comparison with people's feedback, the image viewer,
image QC with a person's threshold, and launchers for both kinds."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from engine.data import catalog
from engine.morphology.profiles import SOURCES

from ..tables import data_grid
from ..export import export_group
from .explore_layout import _card, _graph
from .launch import launch_panel

FIGURES = {"morph-metrics": "models against the baselines", "morph-map": "MoA retrieval per MoA",
           "morph-confusion": "confusion matrix", "morph-umap": "treatment UMAP", "morph-violins": "channels vs DMSO",
           "morph-ranking": "channels ranked by |d|"}
QC_FIGURES = {"imgqc-hist": "image QC score", "imgqc-metrics": "image QC metrics", "img-view": "field viewer"}

MORPH_FIELDS = ["source", "seeds", "n_folds", "epochs", "model_input", "normalize"]
IMAGE_QC_FIELDS = ["source", "tile", "contamination", "seed"]
COLOUR_BY = {"moa": "MoA", "predicted_moa": "predicted MoA (compound held out)", "correct": "correct / wrong",
             "compound": "compound", "batch": "batch (plate week)", "seed_agreement": "seed agreement",
             "activity_map": "phenotypic activity (mAP)"}


def layout(runs: list[str], qc_runs: list[str], *, run: str | None = None) -> html.Div:
    picked = run if run in runs else (runs[0] if runs else None)
    pickers = dbc.Row([
        dbc.Col([dbc.Label("MoA result"), dcc.Dropdown(id="morph-run", options=runs, value=picked, clearable=False,
                                                       placeholder="none yet: start one under 'Run'")], lg=5),
        dbc.Col([dbc.Label("Image QC result"), dcc.Dropdown(id="imgqc-run", options=qc_runs,
                                                            value=qc_runs[0] if qc_runs else None, clearable=False,
                                                            placeholder="none yet: start one under 'Run'")], lg=4),
    ], className="mb-2")
    unknown = (dbc.Alert(f"No MoA result called {run!r} that you may open; showing the newest instead.",
                         color="warning", id="morph-unknown-run") if run and run not in runs else None)
    moa = html.Div([
        html.Div(id="morph-notes", className="small mb-2"),
        dbc.Row([_card("Models against the baselines (same inputs)", _graph("morph-metrics")),
                 _card("MoA retrieval per MoA", _graph("morph-map"))], className="g-3"),
        dbc.Row([
            _card("Treatments (UMAP of controls-whitened profiles)", [
                dcc.Dropdown(id="morph-colour", options=[{"label": v, "value": k} for k, v in COLOUR_BY.items()],
                             value="moa", clearable=False, className="mb-1"),
                _graph("morph-umap")]),
            _card("Confusion matrix of the held-out predictions", [html.Div(id="morph-selection-note", className="small"),
                                                                    _graph("morph-confusion")])], className="g-3 mt-1"),
        dbc.Row([_card("Per-class precision / recall / F1", data_grid("morph-report")),
                 _card("Treatments (the selection, or all)", data_grid("morph-treatments"))], className="g-3 mt-1 mb-3"),
    ])
    channels = html.Div([
        dbc.Row([dbc.Col([dbc.Label("MoA"), dcc.Dropdown(id="morph-group", clearable=False)], lg=4),
                 dbc.Col([dbc.Label("Show"), dbc.RadioItems(id="morph-style", value="violin", inline=True, options=[
                     {"label": "violins", "value": "violin"}, {"label": "histograms", "value": "histogram"}])], lg=3)],
                className="mb-2"),
        dbc.Row([_card("Intensity per channel against the control", _graph("morph-violins"), width=8),
                 _card("Channels ranked by effect size", _graph("morph-ranking"), width=4)], className="g-3"),
        dbc.Row([_card("Which channels differ most? (your answer is saved with your name)", [
            dcc.Checklist(id="morph-feedback-channels", inline=True, inputClassName="me-1", labelClassName="me-3"),
            dbc.Button("Save my answer", id="morph-feedback-save", size="sm", color="primary", className="mt-2"),
            html.Div(id="morph-feedback-message", className="mt-2")]),
            _card("Answers so far, beside the computed ranking", data_grid("morph-feedback-summary"))],
            className="g-3 mt-1 mb-3"),
    ])
    images = html.Div([
        dbc.Row([dbc.Col([dbc.Label("Field"), dcc.Dropdown(id="img-field", clearable=False)], lg=5),
                 dbc.Col([dbc.Label("Contrast limits (percentiles of the field)"),
                          dcc.RangeSlider(id="img-contrast", min=0, max=100, step=0.5, value=[0.5, 99.5], marks=None,
                                          tooltip={"placement": "bottom", "always_visible": True})], lg=5)]),
        html.Div(id="img-flags", className="small my-1"),
        _graph("img-view"),
    ])
    image_qc = html.Div([
        dcc.Store(id="imgqc-save-confirm"),
        dbc.Row([
            dbc.Col([dbc.Label("Outlier-score threshold (tiles above it are flagged)"),
                     dcc.Slider(id="imgqc-threshold", min=0, max=1, step=0.001, value=0.5, marks=None,
                                tooltip={"placement": "bottom", "always_visible": True})], lg=7),
            dbc.Col(dbc.Button("Automatic threshold", id="imgqc-auto", size="sm", color="secondary", outline=True,
                               className="mt-4"), lg=2),
            dbc.Col(html.Div(id="imgqc-counts", className="small mt-3"), lg=3)]),
        dbc.Row([_card("Outlier score", _graph("imgqc-hist")), _card("QC metrics: kept vs flagged", _graph("imgqc-metrics"))],
                className="g-3"),
        dbc.Row([dbc.Col([html.H6(title), html.Div(id=f"imgqc-list-{key}", className="d-flex flex-wrap gap-1")], lg=4)
                 for key, title in (("flagged", "Flagged (most unusual)"), ("borderline", "Borderline"),
                                    ("best", "Best (most typical)"))], className="mt-2"),
        dbc.Row([dbc.Col(dbc.InputGroup([dbc.Input(id="imgqc-decision-name", placeholder="decision name, e.g. fields-qc-v1",
                                                   maxLength=80),
                                         dbc.Button("Save decision", id="imgqc-save", color="success")]), lg=5),
                 dbc.Col(html.Div(id="imgqc-save-message"), lg=7)], className="mt-3 mb-3"),
    ])
    image_sources = [d.id for d in catalog.datasets() if d.kind == "images"]
    run_tab = html.Div([
        html.H6("MoA from profiles", className="mt-2"),
        launch_panel("morph-launch", "morphology", MORPH_FIELDS, options={"source": list(SOURCES)},
                     values={"source": "bbbc021:broad"}),
        html.Hr(),
        html.H6("Image QC"),
        launch_panel("imgqc-launch", "image_qc", IMAGE_QC_FIELDS,
                     options={"source": image_sources, "contamination": ["auto", "0.02", "0.05", "0.1"]}),
    ])
    tabs = dbc.Tabs([dbc.Tab(moa, label="MoA", tab_id="moa"), dbc.Tab(channels, label="Channels", tab_id="channels"),
                     dbc.Tab(images, label="Images", tab_id="images"),
                     dbc.Tab(image_qc, label="Image QC", tab_id="imageqc"), dbc.Tab(run_tab, label="Run", tab_id="run")],
                    id="morph-tabs", active_tab="moa" if runs else "run")
    exports = dbc.Row([dbc.Col(export_group("morph-", FIGURES), lg=6), dbc.Col(export_group("imgqc-", QC_FIGURES), lg=6)])
    return html.Div([dcc.Store(id="morph-selected"), unknown, pickers, exports, tabs])
