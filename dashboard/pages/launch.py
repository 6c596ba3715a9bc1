"""A launcher for any kind of analysis (see engine.kinds): controls built from the kind's settings dataclass
(defaults, choices and ranges read from it, never copied), a background run with progress and cancel through
the same job registry and runner as training, and the outcome with a link to the result.
"""

from __future__ import annotations

import uuid
from dataclasses import fields

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from engine.config import field_default
from engine.data.errors import DataError, public_message, without_paths
from engine.kinds import get_kind

from ..auth import current_user
from ..jobs_ui import alert as _alert, bar_progress, follow_ticket, job_from_ticket, job_ticket


def setting_control(prefix: str, cls, name: str, *, value=None, options=None) -> dbc.Col:
    """One labelled control for field ``name`` of ``cls``: a dropdown for choices, a number input with the
    field's range otherwise. ``options`` may narrow the choices (e.g. the catalog's datasets of a kind)."""
    f = next(x for x in fields(cls) if x.name == name)
    meta = f.metadata or {}
    label = meta.get("help") or name.replace("_", " ")
    value = field_default(f) if value is None else value
    cid = f"{prefix}-{name.replace('_', '-')}"
    choices = options or meta.get("choices")
    if choices:
        control = dcc.Dropdown(id=cid, options=list(choices), value=value, clearable=False)
    else:
        whole = "int" in str(f.type) and "float" not in str(f.type)
        control = dbc.Input(id=cid, type="number", value=value, min=meta.get("low"), max=meta.get("high"),
                            step=1 if whole else "any")
    return dbc.Col([dbc.Label(label, html_for=cid, className="small mb-0"), control], lg=3, className="mb-2")


def launch_panel(prefix: str, kind: str, names: list[str], *, values: dict | None = None,
                 options: dict | None = None, button: str = "Run in the background") -> html.Div:
    """Controls for ``names`` of the kind's settings, a launch and a cancel button, progress and the outcome."""
    cls = get_kind(kind).settings_class()
    values, options = values or {}, options or {}
    controls = [setting_control(prefix, cls, n, value=values.get(n), options=options.get(n)) for n in names]
    return html.Div([
        dbc.Row(controls, className="g-2"),
        dbc.Row([dbc.Col(dbc.Input(id=f"{prefix}-run-name", placeholder="result name (optional)", maxLength=60), lg=3),
                 dbc.Col([dbc.Button(button, id=f"{prefix}-launch", color="primary", className="me-2"),
                          dbc.Button("Cancel", id=f"{prefix}-cancel", color="danger", outline=True)], lg=6)],
                className="g-2 mb-2"),
        dbc.Progress(id=f"{prefix}-progress", value=0, label="", striped=True, animated=True, className="my-2",
                     style={"height": "1.4rem"}),
        html.Div(id=f"{prefix}-progress-text", className="small text-muted"),
        html.Div(id=f"{prefix}-message"), html.Div(id=f"{prefix}-result"),
        dcc.Store(id=f"{prefix}-job-id"), dcc.Store(id=f"{prefix}-job-final"),
    ])


def settings_from_controls(kind: str, names: list[str], values: list, **given):
    """The kind's settings from the controls' values plus ``given`` (owner, out, ...), validated."""
    cls = get_kind(kind).settings_class()
    if any(v is None or v == "" for v in values):
        missing = [n.replace("_", " ") for n, v in zip(names, values) if v is None or v == ""]
        raise DataError(f"Fill in: {', '.join(missing)}")
    return cls(**dict(zip(names, values)), **given).validate()


def register_launch(app, registry, cfg: dict, *, prefix: str, kind: str, names: list[str], result_href) -> None:
    """Callbacks of one launch panel: queue the job (in the request: it knows the user), run it in a background
    callback (a fresh interpreter that this process follows), cancel it, show the outcome."""
    results_dir = cfg["RESULTS_DIR"]
    secret = app.server.secret_key

    @app.callback(Output(f"{prefix}-job-id", "data"), Output(f"{prefix}-message", "children"),
                  Input(f"{prefix}-launch", "n_clicks"),
                  [State(f"{prefix}-{n.replace('_', '-')}", "value") for n in names],
                  State(f"{prefix}-run-name", "value"), prevent_initial_call=True)
    def launch(_, *values):
        *settings_values, run_name = values
        user = current_user()
        try:
            settings = settings_from_controls(kind, names, settings_values, owner=user, out=results_dir)
        except (DataError, TypeError, ValueError) as exc:
            return no_update, _alert(public_message(exc), id_=f"{prefix}-launch-error")
        stem = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in (run_name or kind))[:40].strip("-.")
        name = f"{stem or kind}__{uuid.uuid4().hex[:6]}"
        config = settings.to_dict()
        config.pop("out", None)
        job_id = registry.submit(owner=user, name=name, config={**config, "name": name}, kind=kind)
        return job_ticket(secret, job_id), _alert(f"Job {name} queued", "info", f"{prefix}-launch-ok")

    @app.callback(Output(f"{prefix}-job-final", "data"), Input(f"{prefix}-job-id", "data"), background=True,
                  progress=[Output(f"{prefix}-progress", "value"), Output(f"{prefix}-progress", "label"),
                            Output(f"{prefix}-progress-text", "children")],
                  running=[(Output(f"{prefix}-launch", "disabled"), True, False)], prevent_initial_call=True)
    def run_job(set_progress, ticket):
        return follow_ticket(registry, cfg, secret, ticket, on_progress=bar_progress(set_progress))

    @app.callback(Output(f"{prefix}-result", "children"), Output(f"{prefix}-message", "children", allow_duplicate=True),
                  Input(f"{prefix}-job-final", "data"), prevent_initial_call=True)
    def show_result(final):
        if not final:
            return None, no_update
        if final["status"] == "done":
            return _alert(["Done: ", dcc.Link(f"open {final['name']}", href=result_href(final["name"]),
                                              id=f"{prefix}-open-result")], "success", f"{prefix}-done"), None
        error = without_paths(final["error"].splitlines()[0]) if final["error"] else ""
        return _alert(f"{final['status']}: {error}", "warning" if final["status"] == "cancelled" else "danger",
                      f"{prefix}-{final['status']}"), None

    @app.callback(Output(f"{prefix}-message", "children", allow_duplicate=True), Input(f"{prefix}-cancel", "n_clicks"),
                  State(f"{prefix}-job-id", "data"), prevent_initial_call=True)
    def cancel(_, ticket):
        target = job_from_ticket(secret, ticket)
        if target and registry.request_cancel(target, owner=current_user()):
            return _alert("Cancel requested: the job stops at its next step", "warning", f"{prefix}-cancel-ok")
        return _alert("No job of yours to cancel", "secondary")
