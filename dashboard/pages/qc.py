"""QC page callbacks: a person moves the outlier threshold, sees exactly which cells it flags, and saves it.

QC results are computed by the engine as ``qc`` jobs (the job registry and runner that every kind uses, started
from a background callback here) or by hand (``python -m engine qc``), and read from ``<results>/qc``; the
threshold only re-reads cached columns.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from dash import Input, Output, State, html, no_update

from engine.data import DataError, catalog
from engine.data.errors import public_message, without_paths
from engine.qc import QCDecision, QCSettings
from engine.tools.qc import empty_mask, fixed_cutoff_flags, flagged_mask, main_metric, qc_lists

from .. import export
from ..auth import current_user
from ..jobs_ui import follow_ticket, job_ticket, progress_text
from ..qc_store import slug
from ..figures import embedding_figure, message_figure, metric_histograms, outlier_histogram
from ..tables import grid_columns, grid_rows
from .qc_layout import layout  # noqa: F401  (the page's layout lives beside its callbacks)


LIST_COLUMNS = ("qc_outlier_score", "total_counts", "n_genes_by_counts", "pct_counts_ribo", "pct_counts_mt",
                "pct_counts_in_top_50_genes", "n_genes_detected")


def counts_summary(obs: pd.DataFrame, qc: dict, flagged: np.ndarray) -> dict:
    """Live counts for a threshold's ``flagged`` mask: flagged, kept, empty droplets, and which metric each
    forest-flagged cell stands out on."""
    empty = empty_mask(obs)
    out = {"n_cells": len(obs), "flagged": int(flagged.sum()), "kept": int((~flagged).sum()), "empty": int(empty.sum())}
    forest = flagged & ~empty
    reasons = main_metric(obs, list(qc["metrics"]))[forest] if forest.any() else pd.Series(dtype=str)
    out["by_metric"] = {m: round(100 * n / max(1, forest.sum()), 1) for m, n in reasons.value_counts().items()}
    if qc.get("counts"):
        out["fixed_cutoffs"] = int(fixed_cutoff_flags(obs).sum())
    return out


def qc_umap(coords, status: np.ndarray, *, uirevision=None):
    """The QC UMAP of the embedded cells (empty droplets have no coordinates and are counted in the title)."""
    if coords is None:
        return message_figure("this QC result has no UMAP (run qc with --embed)")
    coords = np.asarray(coords)
    drawn = np.isfinite(coords).all(1)
    if not drawn.any():
        return message_figure("too few cells to embed")
    title = f"{int((~drawn).sum()):,} empty droplets not embedded" if not drawn.all() else ""
    return embedding_figure(coords[drawn], status[drawn], categorical=True, color_label="QC", title=title,
                            uirevision=uirevision)


def register(app, qc_store, cfg: dict, registry) -> None:
    export.register(app, "qc-", State("qc-source", "value"))
    def opened(name):
        adata = qc_store.open(name)
        return adata, dict(adata.uns["qc"])

    @app.callback(Output("qc-name", "options"), Output("qc-name", "value"), Input("qc-refresh", "data"),
                  prevent_initial_call=True)
    def refresh(new_name):
        names = qc_store.names()
        return names, new_name if new_name in names else (names[0] if names else None)

    secret = app.server.secret_key

    @app.callback(Output("qc-job", "data"), Output("qc-compute-status", "children"), Input("qc-compute", "n_clicks"),
                  State("qc-source", "value"), prevent_initial_call=True)
    def launch(_, source):
        """Queue a ``qc`` job (in the request: it knows the user); the background callback below runs it."""
        if not catalog.is_single_cell_id(source):
            return no_update, "error: choose a single-cell dataset from the list"
        settings = QCSettings(source=source, embed=True, owner=current_user(), out=cfg["RESULTS_DIR"]).validate()
        config = settings.to_dict()
        config.pop("out")
        job_id = registry.submit(owner=settings.owner, name=slug(source), config=config, kind="qc")
        return job_ticket(secret, job_id), f"QC of {source} queued"

    @app.callback(Output("qc-job-final", "data"), Input("qc-job", "data"), background=True,
                  running=[(Output("qc-compute", "disabled"), True, False)],
                  progress=[Output("qc-compute-status", "children")], prevent_initial_call=True)
    def compute(set_progress, ticket):
        started = time.monotonic()

        def progress(event):
            set_progress(f"{100 * event.get('fraction', 0):.0f}% · {progress_text(event)} · "
                         f"{time.monotonic() - started:.0f} s")

        # a fresh interpreter, like training: nothing (threads, locks) is inherited from the web process
        return follow_ticket(registry, cfg, secret, ticket, on_progress=progress)

    @app.callback(Output("qc-refresh", "data"), Output("qc-compute-status", "children", allow_duplicate=True),
                  Input("qc-job-final", "data"), prevent_initial_call=True)
    def computed(final):
        if not final:
            return no_update, no_update
        if final["status"] != "done":
            error = without_paths(final["error"].splitlines()[0]) if final["error"] else final["status"]
            return no_update, f"error: {error}"
        from engine.results import kind_summary_lines

        return final["name"], f"done: {kind_summary_lines(final['result'])[0]}"

    @app.callback(Output("qc-threshold", "min"), Output("qc-threshold", "max"), Output("qc-threshold", "value"),
                  Output("qc-threshold", "marks"), Output("qc-notes", "children"),
                  Input("qc-name", "value"), Input("qc-auto", "n_clicks"))
    def slider(name, _):
        if not name:
            return 0, 1, 0.5, None, html.Small("No QC result yet: pick a dataset and press Compute.")
        adata, qc = opened(name)
        s = adata.obs["qc_outlier_score"].to_numpy()
        lo, hi, auto = float(np.floor(s.min() * 100) / 100), float(np.ceil(s.max() * 100) / 100), qc["auto_threshold"]
        notes = [f"{qc['method']}; metrics: {', '.join(qc['metrics'])}; automatic threshold {auto:.3f}."]
        if qc.get("n_empty"):
            notes.append(f" {qc['n_empty']:,} barcodes below the barcode-rank inflection ({qc['empty_droplet_cut_counts']:.0f}"
                         " counts) are empty droplets: always flagged, and left out of the forest's fit.")
        if qc.get("limits"):
            notes.append(f" Limits: {qc['limits']}.")
        marks = {auto: {"label": "auto"}}
        return lo, hi, auto, marks, html.Small(notes)

    @app.callback(Output("qc-counts", "children"), Output("qc-score-hist", "figure"), Output("qc-umap", "figure"),
                  Output("qc-metric-hist", "figure"),
                  *[Output(f"qc-list-{k}", d) for k in ("flagged", "borderline", "best") for d in ("rowData", "columnDefs")],
                  Input("qc-threshold", "value"), Input("qc-show-empty", "value"), State("qc-name", "value"))
    def review(threshold, show_empty, name):
        if not name:
            empty = message_figure("no QC result")
            return "", empty, empty, empty, *([[]] * 6)
        adata, qc = opened(name)
        obs = adata.obs
        flagged, empty = flagged_mask(obs, threshold), empty_mask(obs)
        c = counts_summary(obs, qc, flagged)
        lines = [html.Div(f"flagged {c['flagged']:,} / kept {c['kept']:,} of {c['n_cells']:,}", id="qc-flag-count")]
        if c["empty"]:
            lines.append(html.Div(f"of the flagged, {c['empty']:,} are empty droplets"))
        lines += [html.Div(f"{m.replace('_', ' ')}: {p}% of forest flags") for m, p in c["by_metric"].items()]
        if "fixed_cutoffs" in c:
            lines.append(html.Div(f"scanpy's fixed cut-offs would flag {c['fixed_cutoffs']:,}"))
        status = np.where(flagged, "flagged", "kept").astype(object)
        status[empty] = "empty droplet"
        umap = qc_umap(adata.obsm.get("X_umap"), status, uirevision=name)
        lists = qc_lists(obs, threshold=threshold)
        cols = [k for k in LIST_COLUMNS if k in obs]
        tables = []
        for key in ("flagged", "borderline", "best"):
            df = lists[key][cols].round(3).reset_index(names="cell")
            tables += [grid_rows(df), grid_columns(df.columns)]
        scores = obs["qc_outlier_score"].to_numpy()[~empty]
        return (lines, outlier_histogram(scores, threshold, n_hidden=int(empty.sum())), umap,
                metric_histograms(obs if show_empty else obs[~empty], list(qc["metrics"]),
                                  status if show_empty else status[~empty]), *tables)

    @app.callback(Output("qc-save-message", "children"), Output("qc-save-confirm", "data"),
                  Input("qc-save", "n_clicks"), State("qc-name", "value"), State("qc-decision-name", "value"),
                  State("qc-threshold", "value"), State("qc-visibility", "value"), State("qc-save-confirm", "data"),
                  prevent_initial_call=True)
    def save(_, name, decision_name, threshold, visibility, confirmed):
        import dash_bootstrap_components as dbc

        if not name:
            return dbc.Alert("Compute a QC result first", color="warning", className="py-1"), None
        adata, _ = opened(name)
        try:
            if visibility not in ("everyone", "private"):
                raise DataError("Choose who may use the decision")
            decision = QCDecision.from_result(adata, name=(decision_name or "").strip(), threshold=threshold,
                                              created_by=current_user(), visibility=visibility)
        except DataError as exc:
            return dbc.Alert(public_message(exc), color="danger", className="py-1", id="qc-save-error"), None
        existing = qc_store.decisions / f"{decision.name}.json"
        if existing.exists() and confirmed != decision.name:  # ask once before replacing
            old = QCDecision.load(existing)
            return dbc.Alert(f"A decision called {decision.name!r} exists ({len(old.excluded):,} cells out, by "
                             f"{old.created_by}, {old.created_at[:16].replace('T', ' ')}). Press Save decision again "
                             "to replace it, or choose another name.", color="warning", className="py-1",
                             id="qc-save-exists"), decision.name
        decision.save(qc_store.decisions)
        return dbc.Alert(f"Saved {decision.name}: {len(decision.excluded):,} of {decision.n_cells:,} cells excluded "
                         "when training uses it", color="success", className="py-1", id="qc-save-ok"), None
