"""Layout of the training page: data, model settings, launch / cancel, live progress, the jobs table."""

from __future__ import annotations

from dataclasses import fields

import dash_bootstrap_components as dbc
from dash import dcc, html

from engine.config import BULK_SOURCES, SCREENS, RunConfig, TrainConfig, field_default, limits
from engine.data import catalog

from ..tables import data_grid, grid_columns

UPLOAD = "upload"
NO_LABELS = ""
RESPONSES = [{"label": "found for the drug (scDEAL labels, else GDSC LN_IC50)", "value": "auto"},
             {"label": "binary labels (scDEAL waterfall)", "value": "binary"},
             {"label": "GDSC LN_IC50 (waterfall cut)", "value": "ln_ic50"},
             {"label": "GDSC AUC (waterfall cut)", "value": "auc"}]
JOB_COLUMNS = [("name", "run"), ("kind", "kind"), ("status", "status"), ("progress", "progress"), ("owner", "owner"),
               ("started", "started"), ("duration", "duration"), ("device", "device"), ("error", "message"),
               ("open", "open")]


IMPUTE_LABELS = {"none": "no imputation", "autoencoder": "masked autoencoder", "knn": "kNN average",
                 "diffusion": "diffusion (MAGIC-style)", "gene_mean": "gene's non-zero mean"}
ENCODER_LABELS = {"ae": "autoencoder", "dae": "denoising autoencoder", "vae": "variational autoencoder"}
ALIGNER_LABELS = {"mmd": "MMD", "coral": "CORAL"}  # "none" (no alignment) is the no-transfer model every run has


def single_cell_options() -> list[dict]:
    sets = [d for d in catalog.datasets() if d.kind == "single_cell"]
    return ([{"label": f"{d.id} ({d.drug})" if d.drug else d.id, "value": d.id} for d in sets]
            + [{"label": "uploaded .h5ad file", "value": UPLOAD}])


def _field(label: str, component, *, width: int = 6, help_: str = "") -> dbc.Col:
    return dbc.Col([dbc.Label(label), component, dbc.FormText(help_) if help_ else None], md=width, className="mb-2")


def _default(settings, name: str):
    """A field's default in the settings dataclass (engine/config.py)."""
    return next(field_default(f) for f in fields(settings) if f.name == name)


def _whole_number(input_id: str, settings, name: str, *, value=None) -> dbc.Input:
    """A number input whose range and default come from the settings dataclass (engine/config.py)."""
    meta = limits(settings, name)
    default = value if value is not None else _default(settings, name)
    return dbc.Input(id=input_id, type="number", min=meta["low"], max=meta["high"], step=1, value=default)


def layout(*, max_upload_mb: float) -> html.Div:
    data_card = dbc.Card([dbc.CardHeader("Data"), dbc.CardBody([
        dbc.Row([_field("Bulk response (GDSC cell lines)", dcc.Dropdown(id="train-response", options=RESPONSES,
                                                                       value=_default(RunConfig, "response"),
                                                                       clearable=False)),
                 _field("GDSC screen", dcc.Dropdown(id="train-screen", options=list(SCREENS),
                                                    value=_default(RunConfig, "screen"), clearable=False), help_="for LN_IC50 and AUC")]),
        dbc.Row([_field("Drug", dcc.Dropdown(id="train-drug", placeholder="type to search drugs...")),
                 _field("Single-cell data", dcc.Dropdown(id="train-sc", options=single_cell_options(),
                                                         value="scad_plx4720", clearable=False))]),
        html.Div(id="train-upload-box", children=[
            dcc.Upload(id="train-upload", children=html.Div(["Drop an .h5ad here or ", html.A("choose a file")]),
                       className="border rounded p-3 text-center mb-2", multiple=False),
            dbc.FormText(f"AnnData .h5ad, at most {max_upload_mb:g} MB; var_names human gene symbols, Entrez or "
                         "Ensembl ids; labels (optional) in an obs column as 1/0 or sensitive/resistant."),
            dbc.Row([_field("Label column (evaluation only)", dcc.Dropdown(id="train-label-column",
                                                                          placeholder="no labels"))]),
        ], style={"display": "none"}),
        html.Div(id="train-upload-status"),
        dbc.Row([_field("QC decision (its flagged cells are left out)", dcc.Dropdown(id="train-qc", placeholder="none"),
                        help_="made on the QC page for this dataset"),
                 _field("Impute dropouts first", dbc.Select(
                     id="train-impute", value=_default(RunConfig, "impute"),
                     options=[{"label": IMPUTE_LABELS.get(m, m), "value": m}
                              for m in limits(RunConfig, "impute")["choices"]]),
                        help_="counts or log-normalised cells only; see the Imputation page for what each method "
                              "recovers and invents")]),
    ])], className="mb-3")
    model_card = dbc.Card([dbc.CardHeader("Model"), dbc.CardBody([
        dbc.Row([_field("Encoder", dbc.Select(id="train-encoder", value=_default(TrainConfig, "encoder_type"), options=[
                     {"label": ENCODER_LABELS.get(e, e), "value": e}
                     for e in limits(TrainConfig, "encoder_type")["choices"]]), width=4),
                 _field("Aligner", dbc.Select(id="train-aligner", value=_default(TrainConfig, "aligner"), options=[
                     {"label": ALIGNER_LABELS[a], "value": a}
                     for a in limits(TrainConfig, "aligner")["choices"] if a in ALIGNER_LABELS]), width=4),
                 _field("Device", dbc.Select(id="train-device", value=_default(TrainConfig, "device"), options=[
                     {"label": "auto (GPU if the worker has one)", "value": "auto"}, {"label": "CPU", "value": "cpu"},
                     {"label": "CUDA", "value": "cuda"}]), width=4)]),
        dbc.Row([_field("Bulk epochs", _whole_number("train-pretrain-epochs", TrainConfig, "pretrain_epochs"), width=4),
                 _field("Transfer epochs", _whole_number("train-transfer-epochs", TrainConfig, "transfer_epochs"),
                        width=4),
                 _field("Seeds", _whole_number("train-seeds", RunConfig, "seeds", value=3), width=4)]),
        dbc.Row([_field("Networks per seed", _whole_number("train-members", TrainConfig, "members"), width=4,
                        help_=limits(TrainConfig, "members")["help"])]),
        dbc.Row([_field("Run name (optional)", dbc.Input(id="train-name", placeholder="made from drug, data and time",
                                                         maxLength=60), width=4),
                 _field("Visible to", dbc.Select(id="train-visibility", value="private", options=[
                     {"label": "only me", "value": "private"}, {"label": "everyone signed in", "value": "everyone"}]),
                        width=4),
                 dbc.Col(dbc.Checkbox(id="train-analyse", label="attributions and DEG analysis", value=True),
                         md=4, className="mt-4")]),
        dbc.Row([_field("Bulk training set", dbc.Select(id="train-bulk", value="gdsc", options=[
                     {"label": v, "value": k} for k, v in BULK_SOURCES.items()]), width=8),
                 dbc.Col(html.Div(dbc.Checkbox(id="train-center-loss", label="tissue center loss",
                                                value=_default(TrainConfig, "lambda_center") > 0),
                                  title="pulls each tissue's lines together in the latent space, whatever study "
                                        "they come from"), md=4, className="mt-4")]),
        dbc.Row([dbc.Col(dbc.Checkbox(id="train-bulk-cv", label=limits(RunConfig, "bulk_cv")["help"],
                                      value=_default(RunConfig, "bulk_cv")), md=12)]),
        dbc.FormText("Settings are fixed before training; single-cell labels are used only to evaluate."),
    ])], className="mb-3")
    run_card = dbc.Card([dbc.CardHeader("Run"), dbc.CardBody([
        dbc.Button("Launch training", id="train-launch", color="primary", className="me-2"),
        dbc.Button("Cancel", id="train-cancel", color="danger", outline=True),
        html.Div(id="train-message", className="mt-2"),
        dbc.Progress(id="train-progress", value=0, label="", striped=True, animated=True, className="my-2",
                     style={"height": "22px"}),
        html.Div(id="train-progress-text", className="small text-muted"),
        html.Div(id="train-result", className="mt-2"),
    ])], className="mb-3")
    jobs_card = dbc.Card([dbc.CardHeader("Your jobs"), dbc.CardBody([
        html.Small("Select a row and press Cancel to stop a queued or running job."),
        data_grid("jobs-table", selectable=True, row_id="id",
                  columns=grid_columns([c for c, _ in JOB_COLUMNS], labels=dict(JOB_COLUMNS), markdown=("open",))),
        html.Small(id="jobs-updated", className="text-muted"),
    ])])
    return html.Div([
        dcc.Store(id="train-upload-payload"),
        dcc.Store(id="train-upload-token"),
        dcc.Store(id="train-job-id"),
        dcc.Store(id="train-job-final"),
        dcc.Interval(id="jobs-refresh", interval=2000),
        dbc.Row([dbc.Col([data_card, model_card], lg=7), dbc.Col(run_card, lg=5)]),
        jobs_card,
    ])
