"""A person's own gene sets on the Explore page: pasted or from a GMT file, scored per cell with scanpy, offered as
colourings of the UMAP. Scores are kept on the server for the browser session (cache), never in the result."""

from __future__ import annotations

import base64

import dash_bootstrap_components as dbc
import numpy as np
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from engine.data.errors import DataError, public_message
from engine.tools.gene_sets import parse_gene_sets, score_gene_sets

from .explore_umap import GENE_SET

MAX_GMT_BYTES = 2 * 2**20


def panel() -> list:
    return [
        dbc.Row([dbc.Col(dbc.Textarea(id="geneset-text", placeholder="paste genes (one per line, or separated by "
                                      "commas), or the text of a GMT file", rows=3), lg=7),
                 dbc.Col([dbc.Input(id="geneset-name", placeholder="name of a pasted list", maxLength=60, size="sm",
                                    className="mb-1"),
                          dcc.Upload(id="geneset-upload", children=html.Small(["or drop a ", html.A(".gmt file")]),
                                     className="border rounded p-1 text-center mb-1", max_size=MAX_GMT_BYTES),
                          dbc.Button("Score per cell", id="geneset-score", size="sm", color="primary")], lg=5)]),
        html.Div(id="geneset-message", className="small mt-1"),
    ]  # the names scored so far live in the page's dcc.Store "geneset-names" (in the layout from the start)


def cache_key(session: str, path: str) -> str:
    return f"gs:{session}:{path}"


def scored_values(cache, session, path, name) -> np.ndarray | None:
    return (cache.get(cache_key(session, path)) or {}).get(name)


def score_text(run, text: str, *, name: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """Scores of every set in ``text`` over ``run``'s cells, and one line of what happened per set."""
    sets = parse_gene_sets(text, name=name)
    adata = run.input_expression()
    info = score_gene_sets(adata, sets)
    scores, lines = {}, []
    for set_name, i in info.items():
        if "skipped" in i:
            lines.append(f"{set_name}: not scored ({i['skipped']})")
            continue
        scores[set_name] = adata.obs[i["key"]].to_numpy(np.float32)
        missing = f"; not in these cells: {', '.join(i['missing'])}" if i["missing"] else ""
        lines.append(f"{set_name}: scored on {i['n_used']} of {i['n_genes']} genes{missing}")
    return scores, lines


def register(app, cache, open_run) -> None:
    @app.callback(Output("geneset-text", "value"), Input("geneset-upload", "contents"), prevent_initial_call=True)
    def gmt_upload(contents):
        if not contents:
            raise PreventUpdate
        try:
            return base64.b64decode(contents.split(",", 1)[1]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return "That file is not a text (GMT) file"

    @app.callback(Output("geneset-message", "children"), Output("geneset-names", "data"),
                  Input("geneset-score", "n_clicks"), State("panels-run", "data"), State("geneset-text", "value"),
                  State("geneset-name", "value"), State("session-id", "data"), prevent_initial_call=True)
    def score(_, path, text, name, session):
        run = open_run(path)
        try:
            scores, lines = score_text(run, text, name=name or "my gene set")
        except DataError as exc:
            return dbc.Alert(public_message(exc), color="warning", className="py-1", id="geneset-refused"), \
                {"run": path, "names": list(cache.get(cache_key(session, path)) or {})}
        kept = {**(cache.get(cache_key(session, path)) or {}), **scores}
        cache.set(cache_key(session, path), kept)
        return html.Div([html.Div(l) for l in lines], id="geneset-done"), {"run": path, "names": list(kept)}


def colour_entries(scored: dict | None, path: str | None) -> list[dict]:
    """Colourings for the gene sets scored on the run ``path`` (none for another run)."""
    if not isinstance(scored, dict) or scored.get("run") != path:
        return []
    return [{"label": f"gene set: {n}", "value": f"{GENE_SET}{n}"} for n in scored.get("names", [])]
