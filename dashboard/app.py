"""``create_app(config)``: the Dash app, its server-side cache, background-callback manager, identity and pages.

Embedded defaults: local files, a filesystem cache, SQLite, background work in local processes. With
``REDIS_URL`` set, background callbacks (training) run on Celery workers and the cache lives in Redis.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update, set_props
from flask_caching import Cache

from engine.jobs import JobRegistry, recover_dead_jobs

from . import auth, limits, preload, tables
from .background import flask_cache_config, make_manager
from .expression import clean_stores
from .pages import bulk, compare, explore, imputation, morphology, qc, train
from .qc_store import QCStore
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
        "DB_PATH": os.environ.get("SCRESPONSE_DB", str(PROJECT_ROOT / "jobs" / "scresponse.sqlite")),
        "UPLOAD_DIR": os.environ.get("SCRESPONSE_UPLOAD_DIR", str(PROJECT_ROOT / "jobs" / "uploads")),
        "MAX_UPLOAD_MB": float(os.environ.get("SCRESPONSE_MAX_UPLOAD_MB", 500)),
        # the largest expression matrix (estimated in memory) an upload may hold; checked in a separate process
        "MAX_MATRIX_MB": float(os.environ.get("SCRESPONSE_MAX_MATRIX_MB", 4000)),
        "MAX_CALLBACK_MB": float(os.environ.get("SCRESPONSE_MAX_CALLBACK_MB", 2)),  # any other request body
        "MAX_CONCURRENT_JOBS": int(os.environ.get("SCRESPONSE_MAX_CONCURRENT_JOBS", 1)),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "TRAIN_QUEUE": os.environ.get("SCRESPONSE_TRAIN_QUEUE", "train"),
        "AUTH": os.environ.get("SCRESPONSE_AUTH", "local"),
        "AUTH_HEADER": os.environ.get("SCRESPONSE_AUTH_HEADER", "X-Forwarded-User"),
    }


def callback_failed(err: Exception) -> None:
    """Any callback that fails leaves its outputs as they were and says so in plain words on the page; the
    details go to the server log, never to the browser."""
    import logging

    from engine.data.errors import DataError, public_message

    logging.getLogger("scresponse").error("callback failed", exc_info=err)
    text = (public_message(err) if isinstance(err, DataError)
            else "That request could not be handled (an input was not what this page sends); nothing was changed.")
    set_props("app-error", {"children": dbc.Alert(text, color="warning", dismissable=True, className="py-1 mb-2",
                                                  id="app-error-alert")})
    return None


def create_app(config: dict | None = None) -> dash.Dash:
    cfg = {**default_config(), **(config or {})}
    cache_dir = Path(cfg["CACHE_DIR"])
    cache_dir.mkdir(parents=True, exist_ok=True)
    manager, celery_app = make_manager(cfg)
    app = dash.Dash(__name__, title="scResponse", external_stylesheets=[],
                    assets_folder=str(PROJECT_ROOT / "assets"), assets_path_ignore=preload.ASSETS_PATH_IGNORE,
                    suppress_callback_exceptions=True,
                    background_callback_manager=manager, on_error=callback_failed)
    preload.install(app)
    cache = Cache(app.server, config=flask_cache_config(cfg))
    # a body may carry one upload (base64: 4/3 of its size) plus the callback's other inputs; others stay small
    limits.install(app.server, callback_bytes=int(cfg["MAX_CALLBACK_MB"] * 1e6),
                   upload_bytes=int(cfg["MAX_UPLOAD_MB"] * 1e6 * 4 / 3) + 1_000_000,
                   upload_outputs=train.UPLOAD_OUTPUTS)
    auth.install(app.server, cfg)
    registry = JobRegistry(cfg["DB_PATH"])
    # a job that was running when the server (or its worker) died is failed now, its partial output removed
    recover_dead_jobs(registry, results_dir=cfg["RESULTS_DIR"])
    store = ResultStore(cfg["RESULTS_DIR"], cache, max_open=cfg["MAX_OPEN_RUNS"], max_display=cfg["MAX_DISPLAY_POINTS"],
                        max_secondary=cfg["MAX_SECONDARY_POINTS"], expression_dir=cache_dir / "expression")
    clean_stores(cache_dir / "expression", Path(cfg["RESULTS_DIR"]))
    qc_store = QCStore(cfg["RESULTS_DIR"])
    app.server.config["SCRESPONSE"] = cfg
    morph_results, image_qc_results = morphology.stores(cfg)
    bulk_results = bulk.stores(cfg)
    imputation_results = imputation.stores(cfg)
    pages = {"/": ("Explore", lambda run=None, search=None: explore.layout(store, refresh_ms=cfg["INDEX_REFRESH_MS"],
                                                                           run=run, search=search)),
             "/compare": ("Compare", lambda run=None: compare.layout(store, run=run)),
             "/qc": ("QC", lambda run=None: qc.layout(qc_store.names())),
             "/morphology": ("Morphology", morphology.page(morph_results, image_qc_results)),
             "/bulk": ("Bulk sources", bulk.page(bulk_results)),
             "/imputation": ("Imputation", imputation.page(imputation_results)),
             "/train": ("Train", lambda run=None: train.layout(max_upload_mb=cfg["MAX_UPLOAD_MB"]))}

    def shell():
        items = [dbc.NavItem(dbc.NavLink(name, href=href, active="exact")) for href, (name, _) in pages.items()]
        items.append(dbc.NavItem(html.Span(f"signed in as {auth.current_user()}", id="current-user",
                                           className="navbar-text ms-3 small")))
        if cfg["AUTH"] == "login":
            items.append(dbc.NavItem(html.Form([
                dcc.Input(type="hidden", name="csrf_token", value=auth.csrf_token()),
                html.Button("sign out", type="submit", id="sign-out", className="btn btn-link nav-link")],
                action="/logout", method="POST", className="mb-0")))
        navbar = dbc.NavbarSimple(items, brand="scResponse", brand_href="/", color="primary", dark=True, fluid=True,
                                  className="mb-3")
        # the default page is in the first response; the router acts when the path or the query differs
        return html.Div([dcc.Location(id="url"), dcc.Store(id="page-path", data="/"), navbar,
                         dbc.Container([html.Div(id="app-error"), html.Div(pages["/"][1](), id="page")], fluid=True)])

    app.layout = shell

    # the query is an input too: a link from a page to itself with another ?run= changes only the query
    @app.callback(Output("page", "children"), Output("page-path", "data"), Input("url", "pathname"),
                  Input("url", "search"), State("page-path", "data"))
    def route(pathname, search, shown):
        pathname = pathname or "/"
        run = parse_qs((search or "").lstrip("?")).get("run", [None])[0]
        if pathname == shown and not run:
            return no_update, no_update
        name_layout = pages.get(pathname)
        if name_layout is None:
            return dbc.Alert(f"No page at {pathname}", color="warning"), pathname
        if pathname == "/":  # the explore page takes the whole view from the link
            return name_layout[1](run=run, search=search), pathname
        return name_layout[1](run=run), pathname

    if cfg.get("CALLBACK_LOG"):
        from . import timing

        timing.install(app.server, cfg["CALLBACK_LOG"])
    tables.register(app)
    explore.register(app, store, cache)
    compare.register(app, store)
    train.register(app, registry, cfg, qc_store)
    qc.register(app, qc_store, cfg, registry)
    morphology.register(app, registry, cfg, morph_results, image_qc_results)
    bulk.register(app, registry, cfg, bulk_results)
    imputation.register(app, registry, cfg, imputation_results)
    app.server.extensions["scresponse_store"] = store
    app.server.extensions["scresponse_jobs"] = registry
    app.server.extensions["scresponse_celery"] = celery_app
    # Dash registers script paths when it renders the index; do it now, so that under several gunicorn
    # workers a worker whose first request is a script can serve it.
    app.server.test_client().get(app.config.requests_pathname_prefix, environ_base={auth.WARMUP: True})
    return app
