"""Layout of the explore page: run picker, linked panels, selection summary."""

from __future__ import annotations

import uuid
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import dcc, html

from engine.data import DataError

from ..auth import current_user
from ..export import export_controls
from ..tables import data_grid
from ..view_state import decode_view
from .explore_genesets import panel as explore_genesets_panel
from .explore_sets import panel as explore_sets_panel
from .explore_umap import COLOR_BY
from .explore_umap_draw import umap_cells, umap_colour


# nothing on a graph's toolbar sends data to an outside service
# the camera saves SVG (vector, for papers) at 1200 x 800; the HTML report's figures save PNG
GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": True, "showSendToCloud": False, "showEditInChartStudio": False,
                "plotlyServerURL": "", "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio"],
                "toImageButtonOptions": {"format": "svg", "filename": "scresponse", "width": 1200, "height": 800}}


# the scatters whose points are cells (each carries its cells' rows): a selection is highlighted in all of them
LINKED_SCATTERS = ("umap", "mis-umap", "scores-scatter", "deg-scatter", "pre-umap", "post-umap")

# the figures the export control offers (graph id -> what a person calls it)
EXPORTABLE = {"umap": "UMAP", "mis-umap": "mispredictions UMAP", "confusion": "confusion matrix",
              "roc-pr": "ROC and precision-recall", "scores-scatter": "signature scores", "scores-violin":
              "signature score distributions", "deg-scatter": "DEG correlation", "deg-null": "DEG correlation null",
              "pre-umap": "pre-transfer UMAP", "post-umap": "post-transfer UMAP", "training-curves": "training curves"}


def _card(title: str, body, *, width: int = 6) -> dbc.Col:
    return dbc.Col(dbc.Card([dbc.CardHeader(title), dbc.CardBody(body)], className="mb-3 h-100"), lg=width)


def _graph(id_: str, *, height: int | None = None) -> dcc.Loading:
    graph = dcc.Graph(id=id_, config=GRAPH_CONFIG, style=None if height is None else {"height": f"{height}px"})
    return dcc.Loading(graph, type="dot", delay_show=300)


def _first_umap(store, path: str | None, view: dict | None = None) -> tuple[dict | None, dict | None]:
    """The main UMAP's cells and colouring for the first response (as a shared link's view asks): the browser
    draws it from these without waiting for a callback (assets/umap_draw.js)."""
    if store is None or not path:
        return None, None
    view = view or {}
    try:
        run = store.open(path, user=current_user())
    except DataError:
        return None, None  # the status line says why
    try:
        colour = umap_colour(run, color_by=view.get("color", "sensitivity_score"), gene=view.get("gene"),
                             threshold=view.get("threshold"), zoom=view.get("zoom"))
    except KeyError:  # a shared link names a gene this run does not hold
        colour = umap_colour(run)
    return umap_cells(run), colour


def _first_threshold(store, path: str | None, view: dict) -> float:
    """A shared link's threshold, else the run's own (the one its metrics were computed at)."""
    if "threshold" in view:
        return view["threshold"]
    if store is None or not path:
        return 0.5
    try:
        return float(store.open(path, user=current_user()).uns("metrics", "threshold", default=0.5))
    except (DataError, AttributeError, TypeError, ValueError):
        return 0.5


def index_alerts(entries: list[dict]) -> list:
    """What the run index says above the picker: unreadable files, or that there is no result yet."""
    alerts = [dbc.Alert(f"{e['name']}.h5ad is listed as unreadable: {e['error']}", color="warning",
                        className="py-1 mb-1") for e in entries if e["error"]]
    if not any(not e["error"] for e in entries):
        alerts.append(dbc.Alert("No readable result in the results folder yet. Run `python -m engine demo` or "
                                "launch a training run.", color="info"))
    return alerts


def run_options(entries: list[dict]) -> list[dict]:
    def label(e):
        when = e.get("started", "")[:16].replace("T", " ")
        seeds = e.get("n_seeds")
        parts = [e["name"], e.get("drug", "?"), e.get("dataset", "?"), when]
        if seeds:
            parts.append(f"{seeds} seed{'s' if seeds != 1 else ''}")
        if e.get("auroc") is not None:
            parts.append(f"AUROC {e['auroc']:.2f}")
        return " · ".join(parts)

    return [{"label": label(e), "value": e["path"]} for e in entries if not e["error"]]


def layout(store=None, *, refresh_ms: int = 15_000, run: str | None = None, search: str | None = None) -> html.Div:
    """Built per page load (each browser session gets its own id), with ``run`` (a name) or the newest run picked;
    ``search`` (a shared link's query) sets the colouring, gene and threshold too."""
    view = decode_view(search, colours=[o["value"] for o in COLOR_BY])
    entries = store.index(user=current_user()) if store is not None else []
    options = run_options(entries)
    wanted = [o["value"] for o in options if run and Path(o["value"]).stem == run]
    missing = bool(run) and not wanted
    path = None if missing else (wanted or [o["value"] for o in options] or [None])[0]
    controls = dbc.Row([
        dbc.Col([dbc.Label("Run"), dcc.Dropdown(id="run-picker", clearable=False, placeholder="No result yet",
                                                options=options,
                                                value=path)],
                lg=6),
        dbc.Col([dbc.Label("Score threshold for 'sensitive'"),
                 dcc.Slider(id="threshold", min=0, max=1, step=0.01, value=_first_threshold(store, path, view),
                            marks={i / 4: f"{i / 4:g}" for i in range(5)},
                            tooltip={"placement": "bottom", "always_visible": True})], lg=4),
        dbc.Col([dbc.Label("Selection"), html.Div([
            html.Span(id="selection-info", children="no selection", className="me-2"),
            dbc.Button("Clear selection", id="clear-selection", size="sm", color="secondary", outline=True)])], lg=2),
    ], className="mb-2")
    umap_panel = [
        dbc.Row([dbc.Col(dcc.Dropdown(id="color-by", options=COLOR_BY, value=view.get("color", "sensitivity_score"),
                                      clearable=False), width=6),
                 dbc.Col(dcc.Dropdown(id="gene", placeholder="search a gene...", searchable=True,
                                      value=view.get("gene"),
                                      options=[view["gene"]] if view.get("gene") else []), width=6)],
                className="mb-1"),
        _graph("umap", height=420),
    ]
    cells, colour = _first_umap(store, path, view)
    return html.Div([
        dcc.Store(id="session-id", data=uuid.uuid4().hex),
        dcc.Store(id="umap-cells", data=cells),  # the drawn cells' positions, once per run
        dcc.Store(id="umap-colour", data=colour),  # the colouring shown, as one code per drawn cell
        dcc.Store(id="selection"),
        dcc.Store(id="selection-bits"),  # the selected cells as packed bits, for the browser's highlighting
        dcc.Store(id="selection-shown"),
        dcc.Store(id="selection-listening"),
        dcc.Store(id="selection-graphs", data=list(LINKED_SCATTERS)),
        dcc.Store(id="raw-selection"),
        dcc.Store(id="pending-set", data=view.get("set")),
        dcc.Store(id="link-zoom", data=view.get("zoom")),
        dcc.Store(id="geneset-names", data=None),
        dcc.Store(id="panels-run"),
        dcc.Store(id="legend-hook"),
        dcc.Store(id="deg-list-shown", data="sensitive"),
        dcc.Interval(id="index-refresh", interval=refresh_ms),
        dcc.Store(id="run-missing", data=str(run)[:100] if missing else None),
        html.Div(dbc.Alert(f"No run called {str(run)[:100]!r} that you may open: it was removed, renamed, or is "
                           "private to another user. Pick a run below.", color="warning", id="run-missing-alert")
                 if missing else None),
        html.Div(index_alerts(entries), id="index-alerts"),
        controls,
        html.Div(id="run-status"),
        dbc.InputGroup([dbc.Button("Link to this view", id="view-link-make", size="sm", color="secondary", outline=True),
                        dbc.Input(id="view-link", readonly=True, size="sm", placeholder="a link that reopens this run, "
                                  "colouring, gene and threshold for any signed-in user who may see the run"),
                        dcc.Clipboard(target_id="view-link", className="btn btn-sm btn-outline-secondary",
                                      title="copy the link"),
                        dbc.Button("Report (HTML)", id="report-make", size="sm", color="secondary", outline=True,
                                   title="one self-contained file of this view: figures, metrics with baselines, "
                                         "clusters, the selection, settings and provenance (opens offline)"),
                        *export_controls("", EXPORTABLE)],
                       className="mb-2", size="sm"),
        dcc.Download(id="download-report"),
        dcc.Store(id="run-name"),
        dbc.Row([_card("UMAP", umap_panel), _card("Mispredictions", html.Div(id="mis-body"))], className="g-3"),
        html.Div(id="linked-panels"),
    ])


def linked_panels() -> tuple[list, list]:
    """The panels linked to the UMAP (the body of the mispredictions card, and the rows below it).

    They are mounted once the main UMAP has been drawn: each graph costs the browser an empty plot when it
    mounts, which would otherwise delay the first view of the UMAP.
    """
    mis_panel = [
        _graph("mis-umap"),
        dbc.Row([dbc.Col(_graph("confusion"), width=6), dbc.Col(html.Div(id="class-metrics"), width=6)]),
    ]
    deg_panel = [
        dbc.RadioItems(id="deg-list", options=[{"label": "sensitive list", "value": "sensitive"},
                                               {"label": "resistant list", "value": "resistant"}],
                       value="sensitive", inline=True),
        dbc.Row([dbc.Col(_graph("deg-scatter"), width=6), dbc.Col(_graph("deg-null"), width=6)]),
    ]
    selection_panel = [
        html.Div(id="selection-metrics", className="mb-2"),
        dbc.Button("Download selection vs rest DEGs (CSV)", id="download-deg-button", size="sm", className="mb-2"),
        dcc.Download(id="download-deg"),
        html.Small(id="sel-deg-note", className="text-muted"),
        dcc.Loading(data_grid("sel-deg-table")),
    ]
    attribution_panel = [
        html.Small("Integrated gradients of the sensitivity output, mean over seeds. Click a gene to colour the UMAP."),
        data_grid("attr-table", page_size=12, filterable=True, row_id="gene"),
    ]
    below = [
        dbc.Row([_card("Clusters: which are sensitive (click a row to select its cells)",
                       data_grid("cluster-table", selectable=True, row_id="cluster"), width=12)], className="g-3 mt-1"),
        dbc.Row([_card("Gene-signature scores", [dbc.Row([dbc.Col(_graph("scores-scatter"), width=6),
                                                          dbc.Col(_graph("scores-violin"), width=6)]),
                                                 html.Div(id="signature-genes", className="small")], width=12)],
                className="g-3 mt-1"),
        dbc.Row([_card("DEG correlation", deg_panel, width=12)], className="g-3 mt-1"),
        dbc.Row([_card("Pre- vs post-transfer", [
            dbc.Row([dbc.Col(_graph("pre-umap"), width=6), dbc.Col(_graph("post-umap"), width=6)]),
            html.Div(id="metrics-table")], width=12)], className="g-3 mt-1"),
        dbc.Row([_card("Selection vs rest", selection_panel), _card("Attribution browser", attribution_panel)],
                className="g-3 mt-1"),
        dbc.Row([_card("Cell sets: save, share, select, compare two groups", explore_sets_panel(), width=12)],
                className="g-3 mt-1"),
        dbc.Row([_card("Gene sets: score your own per cell (scanpy) and colour the UMAP by them",
                       explore_genesets_panel(), width=12)], className="g-3 mt-1"),
        dbc.Row([_card("ROC and precision-recall: the shown score and the baselines (labelled cells)", _graph("roc-pr")),
                 _card("Run details: training, settings, provenance", [
                     _graph("training-curves"), html.Div(id="run-details", className="small")])],
                className="g-3 mt-1 mb-4"),
    ]
    return mis_panel, below
