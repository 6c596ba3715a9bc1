"""``create_app(config)``: the Dash app, its server-side cache, background-callback manager and pages."""

from __future__ import annotations

import os
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_caching import Cache

from .pages import explore
from .results import ResultStore

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def default_config() -> dict:
    return {
        "RESULTS_DIR": os.environ.get("SCRESPONSE_RESULTS_DIR", str(PROJECT_ROOT / "precomputed")),
        "CACHE_DIR": os.environ.get("SCRESPONSE_CACHE_DIR", str(PROJECT_ROOT / ".cache")),
        "MAX_DISPLAY_POINTS": int(os.environ.get("SCRESPONSE_MAX_DISPLAY_POINTS", 100_000)),
        "MAX_SECONDARY_POINTS": int(os.environ.get("SCRESPONSE_MAX_SECONDARY_POINTS", 20_000)),
        "MAX_OPEN_RUNS": 4,
        "INDEX_REFRESH_MS": 15_000,
        "CALLBACK_LOG": os.environ.get("SCRESPONSE_CALLBACK_LOG", ""),
    }


def create_app(config: dict | None = None) -> dash.Dash:
    cfg = {**default_config(), **(config or {})}
    cache_dir = Path(cfg["CACHE_DIR"])
    cache_dir.mkdir(parents=True, exist_ok=True)
    app = dash.Dash(__name__, title="scResponse", external_stylesheets=[],
                    assets_folder=str(PROJECT_ROOT / "assets"), suppress_callback_exceptions=True)
    cache = Cache(app.server, config={"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(cache_dir / "flask"),
                                      "CACHE_THRESHOLD": 20_000, "CACHE_DEFAULT_TIMEOUT": 7 * 24 * 3600})
    store = ResultStore(cfg["RESULTS_DIR"], cache, max_open=cfg["MAX_OPEN_RUNS"], max_display=cfg["MAX_DISPLAY_POINTS"],
                        max_secondary=cfg["MAX_SECONDARY_POINTS"])
    app.server.config["SCRESPONSE"] = cfg
    pages = {"/": ("Explore", lambda: explore.layout(store, refresh_ms=cfg["INDEX_REFRESH_MS"]))}

    def shell():
        navbar = dbc.NavbarSimple([dbc.NavItem(dbc.NavLink(name, href=href, active="exact"))
                                   for href, (name, _) in pages.items()],
                                  brand="scResponse", brand_href="/", color="primary", dark=True, fluid=True,
                                  className="mb-3")
        # the default page is in the first response; the router only acts when the path changes
        return html.Div([dcc.Location(id="url"), navbar, dbc.Container(pages["/"][1](), id="page", fluid=True)])

    app.layout = shell

    @app.callback(Output("page", "children"), Input("url", "pathname"), prevent_initial_call=True)
    def route(pathname):
        name_layout = pages.get(pathname or "/")
        return name_layout[1]() if name_layout else dbc.Alert(f"No page at {pathname}", color="warning")

    if cfg.get("CALLBACK_LOG"):
        from . import timing

        timing.install(app.server, cfg["CALLBACK_LOG"])
    explore.register(app, store, cache)
    app.server.extensions["scresponse_store"] = store
    # Dash registers script paths when it renders the index; do it now, so that under several gunicorn
    # workers a worker whose first request is a script can serve it.
    app.server.test_client().get(app.config.requests_pathname_prefix)
    return app
