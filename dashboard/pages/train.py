"""Training page callbacks: validate inputs, register a job, run it in a background callback, show every job.

The launch callback runs in the web request (it knows the user) and only writes a queued job to the registry;
the background callback (a local process, or a Celery worker) executes it and streams progress. Cancelling
asks the registry, and the job stops at its next epoch, removing its partial output.
"""

from __future__ import annotations

import time
import uuid

from dash import Input, Output, State, dcc, html, no_update

from engine import provenance
from engine.data import DataError, catalog, drug_names
from engine.data.drugs import match_drug
from engine.data.errors import public_message, without_paths
from engine.data.validate import label_candidates
from engine.jobs import recover_dead_jobs
from engine.config import BULK_SOURCES, CENTER_LOSS_ON, RunConfig, TrainConfig, _slug, run_name
from engine.qc import list_decisions

from ..auth import current_user
from ..jobs_ui import alert as _alert, follow_ticket, bar_progress, job_from_ticket, job_ticket  # noqa: F401
from ..uploads import UploadError, resolve_upload, save_upload, validate_isolated
from .train_layout import JOB_COLUMNS, UPLOAD, layout  # noqa: F401  (the page's layout lives beside its callbacks)


def _duration(job: dict) -> str:
    if not job["started"]:
        return ""
    s = (job["finished"] or time.time()) - job["started"]
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def job_rows(jobs: list[dict]) -> list[dict]:
    rows = []
    for j in jobs:
        p = j["progress"] or {}
        pct = f"{100 * p.get('fraction', 0):.0f}% {p.get('stage', '')}" if j["status"] == "running" else ""
        rows.append({"id": j["id"], "name": j["name"], "status": j["status"], "progress": pct, "owner": j["owner"],
                     "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(j["started"] or j["created"])),
                     "duration": _duration(j), "device": j["device"], "error": (j["error"] or "").split("\n")[0][:200],
                     "kind": j.get("kind", "transfer"),
                     "open": f"[open]({_result_href(j)})" if j["status"] == "done" else ""})
    return rows


def _result_href(job: dict) -> str:
    """Where a finished job's result opens: its kind's page (transfer runs: the explorer)."""
    from engine.kinds import KINDS

    kind = KINDS.get(job.get("kind") or "transfer") or KINDS["transfer"]
    return f"{kind.page}?run={job['name']}" if kind.name in ("transfer", "morphology", "integration") else kind.page


UPLOAD_OUTPUTS = ("..train-upload-status.children",)  # the one callback whose body may carry a file


def register(app, registry, cfg: dict, qc_store) -> None:
    results_dir, upload_root = cfg["RESULTS_DIR"], cfg["UPLOAD_DIR"]
    secret = app.server.secret_key  # set by auth.install; signs job tickets
    max_bytes = int(cfg["MAX_UPLOAD_MB"] * 1e6)

    @app.callback(Output("train-drug", "options"), Output("train-drug", "value"),
                  Input("train-response", "value"), Input("train-screen", "value"), Input("train-sc", "value"),
                  State("train-drug", "value"))
    def drugs(response, screen, sc, current):
        try:
            names = list(drug_names(response, screen))
        except DataError:
            return [], None
        wanted = current
        if sc != UPLOAD and catalog.get(sc).drug:
            wanted = catalog.get(sc).drug
        try:
            value = match_drug(wanted, names, where="")[0] if wanted else None
        except DataError:
            value = current if current in names else None
        return names, value

    @app.callback(Output("train-qc", "options"), Output("train-qc", "value"), Input("train-sc", "value"))
    def qc_decisions(sc):
        found = list_decisions(qc_store.decisions, source=sc, user=current_user()) if sc != UPLOAD else []
        return [{"label": f"{d['name']} ({d['n_excluded']:,} of {d['n_cells']:,} cells out; {d['created_by']})",
                 "value": d["name"]} for d in found], None

    @app.callback(Output("train-upload-box", "style"), Input("train-sc", "value"))
    def upload_box(sc):
        return {"display": "block"} if sc == UPLOAD else {"display": "none"}

    # the size limit is checked in the browser first, so an oversized file never travels
    app.clientside_callback(
        f"""function(contents, filename) {{
            if (!contents) {{ return window.dash_clientside.no_update; }}
            const bytes = Math.floor((contents.length - contents.indexOf(',') - 1) * 3 / 4);
            if (bytes > {max_bytes}) {{
                return {{name: filename, error: filename + ' is ' + (bytes / 1e6).toFixed(1) +
                         ' MB, larger than the upload limit of {max_bytes / 1e6:g} MB'}};
            }}
            return {{name: filename, contents: contents}};
        }}""",
        Output("train-upload-payload", "data"), Input("train-upload", "contents"), State("train-upload", "filename"))

    @app.callback(Output("train-upload-status", "children"), Output("train-upload-token", "data"),
                  Output("train-label-column", "options"), Output("train-label-column", "value"),
                  Input("train-upload-payload", "data"), Input("train-label-column", "value"),
                  State("train-upload-token", "data"), prevent_initial_call=True)
    def upload(payload, label_column, token):
        from dash import ctx

        user = current_user()
        new_upload = ctx.triggered_id == "train-upload-payload"
        saved = None
        try:
            if new_upload:
                if payload.get("error"):
                    raise UploadError(payload["error"])
                path = saved = save_upload(payload["contents"], payload["name"], upload_root=upload_root, user=user,
                                           max_bytes=max_bytes)
                token, label_column = path.name, None
                options = label_candidates(path)
                if len(options) == 1:
                    label_column = options[0]
            else:
                path = resolve_upload(upload_root, user, token)
                options = no_update
            summary = validate_isolated(path, label_column=label_column, max_mb=cfg["MAX_MATRIX_MB"])
        except (UploadError, DataError) as exc:
            alert = _alert(public_message(exc), id_="upload-error")
            # a refused new upload is deleted; a failed label check keeps the upload and the chosen column
            if new_upload and saved is not None:
                saved.unlink(missing_ok=True)
            return (alert, None, [], None) if new_upload else (alert, no_update, no_update, no_update)
        text = (f"{path.name.split('_', 1)[1]}: {summary['cells']:,} cells, {summary['genes']:,} genes, "
                f"{summary['shared_genes']:,} shared with GDSC")
        if "labels" in summary:
            text += f"; labels: {summary['labels']['sensitive']} sensitive, {summary['labels']['resistant']} resistant"
        body = [html.Div(text)] + [html.Div(w, className="small") for w in summary["warnings"]]
        return _alert(body, "success" if not summary["warnings"] else "warning", "upload-ok"), token, options, label_column

    @app.callback(Output("train-job-id", "data"), Output("train-message", "children"),
                  Input("train-launch", "n_clicks"),
                  State("train-response", "value"), State("train-screen", "value"), State("train-drug", "value"),
                  State("train-sc", "value"), State("train-upload-token", "data"), State("train-label-column", "value"),
                  State("train-encoder", "value"), State("train-aligner", "value"), State("train-device", "value"),
                  State("train-pretrain-epochs", "value"), State("train-transfer-epochs", "value"),
                  State("train-seeds", "value"), State("train-members", "value"), State("train-name", "value"), State("train-analyse", "value"),
                  State("train-qc", "value"), State("train-visibility", "value"), State("train-impute", "value"),
                  State("train-bulk", "value"), State("train-center-loss", "value"), State("train-bulk-cv", "value"),
                  prevent_initial_call=True)
    def launch(_, response, screen, drug, sc, token, label_column, encoder, aligner, device, pre_epochs, tr_epochs,
               seeds, members, name, analyse, qc_name, visibility, impute, bulk, center_loss, bulk_cv):
        user = current_user()
        try:
            if not drug:
                raise DataError("Choose a drug")
            match_drug(drug, drug_names(response, screen), where="the GDSC response table")
            if None in (pre_epochs, tr_epochs, seeds, members):
                raise DataError("Epochs, seeds and networks per seed must be whole numbers in their ranges")
            sc_source, labels = sc, "response"
            if sc != UPLOAD and not catalog.is_single_cell_id(sc):
                raise DataError("Choose a single-cell dataset from the list, or upload your own")
            if sc == UPLOAD:
                if not token:
                    raise DataError("Upload a single-cell .h5ad first (or choose a catalog dataset)")
                path = resolve_upload(upload_root, user, token)
                validate_isolated(path, label_column=label_column, max_mb=cfg["MAX_MATRIX_MB"])
                sc_source, labels = str(path), label_column or None
            qc_path = None
            if qc_name:
                known = {d["name"]: d["path"]
                         for d in list_decisions(qc_store.decisions, source=sc_source, user=user)}
                if qc_name not in known:
                    raise DataError(f"QC decision {qc_name!r} was not made on this dataset")
                qc_path = known[qc_name]
            if (bulk or "gdsc") not in BULK_SOURCES:
                raise DataError("Choose a bulk training set from the list")
            train = TrainConfig(encoder_type=encoder, aligner=aligner, device=device, pretrain_epochs=pre_epochs,
                                transfer_epochs=tr_epochs, members=members, lambda_center=CENTER_LOSS_ON if center_loss else 0.0)
            cfg_run = RunConfig(drug=drug, sc=sc_source, bulk=bulk or "gdsc", response=response, screen=screen,
                                label_column=labels,
                                seeds=seeds, out=results_dir, qc=qc_path, owner=user, impute=impute or "none",
                                bulk_cv=bool(bulk_cv),
                                visibility=visibility or "private", train=train).validate()
        except (DataError, UploadError) as exc:
            return no_update, _alert(public_message(exc), id_="launch-error")
        run = f"{_slug(name)}__{uuid.uuid4().hex[:6]}" if name else run_name(cfg_run, provenance.utc_now())
        config = {**cfg_run.to_dict(), "analyse": bool(analyse)}
        job_id = registry.submit(owner=user, name=run, config=config)
        return job_ticket(secret, job_id), _alert(f"Job {run} queued", "info", "launch-ok")

    @app.callback(Output("train-job-final", "data"), Input("train-job-id", "data"), background=True,
                  progress=[Output("train-progress", "value"), Output("train-progress", "label"),
                            Output("train-progress-text", "children")],
                  running=[(Output("train-launch", "disabled"), True, False)], prevent_initial_call=True)
    def run_job(set_progress, ticket):
        return follow_ticket(registry, cfg, secret, ticket, on_progress=bar_progress(set_progress))

    @app.callback(Output("train-result", "children"), Output("train-message", "children", allow_duplicate=True),
                  Input("train-job-final", "data"), prevent_initial_call=True)
    def show_result(final):
        """The job's outcome replaces the launch message ("queued", "cancel requested"), which is then stale."""
        if not final:
            return None, no_update
        if final["status"] == "done":
            return _alert(["Done: ", dcc.Link(f"open {final['name']} in the explorer", href=f"/?run={final['name']}",
                                              id="train-open-run")], "success", "train-done"), None
        error = without_paths(final["error"].splitlines()[0]) if final["error"] else ""
        return _alert(f"{final['status']}: {error}", "warning" if final["status"] == "cancelled" else "danger",
                      f"train-{final['status']}"), None

    @app.callback(Output("train-message", "children", allow_duplicate=True), Input("train-cancel", "n_clicks"),
                  State("train-job-id", "data"), State("jobs-table", "selectedRows"), prevent_initial_call=True)
    def cancel(_, ticket, selected):
        target = selected[0]["id"] if selected else job_from_ticket(secret, ticket)
        if not target:
            return _alert("No job to cancel", "secondary")
        if registry.request_cancel(target, owner=current_user()):
            return _alert("Cancel requested: the job stops at its next epoch", "warning", "cancel-ok")
        return _alert("That job is not yours, or it has already finished", "secondary")

    def jobs_view():
        recover_dead_jobs(registry, results_dir=results_dir)
        rows = job_rows(registry.list(owner=current_user()))
        return rows, f"{len(rows)} job{'' if len(rows) == 1 else 's'} · updated {time.strftime('%H:%M:%S')}"

    # Two callbacks, not one with both inputs: the renderer holds back any callback whose input is the output of a
    # callback still running, so a table that also listened to the running job's result would freeze until the
    # job ended, and the user's own queued or running job would never show.
    @app.callback(Output("jobs-table", "rowData"), Output("jobs-updated", "children"),
                  Input("jobs-refresh", "n_intervals"))
    def jobs(_):
        return jobs_view()

    @app.callback(Output("jobs-table", "rowData", allow_duplicate=True),
                  Output("jobs-updated", "children", allow_duplicate=True),
                  Input("train-job-final", "data"), prevent_initial_call=True)
    def jobs_after_a_job(_):
        return jobs_view()
