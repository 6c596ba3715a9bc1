"""Morphology page callbacks: thin, over named functions that take a result and return what a panel shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Input, Output, State, html
import dash_bootstrap_components as dbc

from engine.data.errors import DataError, public_message
from engine.imageqc.feedback import feedback_summary, load_feedback, record_feedback
from engine.qc import QCDecision
from engine.tools.qc import flagged_mask, main_metric, qc_lists

from .. import export
from ..auth import current_user
from ..figures import embedding_figure, message_figure, metric_histograms, outlier_histogram
from ..figures.morphology import (channel_ranking_figure, channel_violins, image_figure, map_per_moa_figure,
                                  metrics_figure, moa_confusion_figure, png_data_uri, scale_contrast)
from ..kind_results import KindResults
from ..tables import grid_columns, grid_rows
from .launch import register_launch
from .morphology_layout import COLOUR_BY, IMAGE_QC_FIELDS, MORPH_FIELDS, layout  # noqa: F401

CONTINUOUS = {"seed_agreement", "activity_map"}
GOALS = {"nsc": 0.95, "nscb": 0.80, "map_mean": 0.90, "map_worst_moa": 0.70}
METRIC_NAMES = {"nsc": "NSC", "nscb": "NSCB", "map_mean": "mean mAP", "map_worst_moa": "worst-MoA mAP"}


def _value(v) -> float:
    return float(v["mean"]) if isinstance(v, dict) else float(v)


def notes(adata) -> list:
    """What a reader must know first: preprocessing, hold-out, goals met or not, seeds that disagree."""
    pre, m = adata.uns.get("preprocessing", {}), adata.uns.get("metrics", {})
    steps = (f"Normalisation and feature selection: {pre.get('normalize', '?')}."
             if pre.get("normalize") == pre.get("feature_select") else
             f"Normalisation: {pre.get('normalize', '?')}. Feature selection: {pre.get('feature_select', '?')}.")
    lines = [f"{adata.n_obs} treatments x {adata.n_vars} features from {pre.get('n_wells', '?')} wells "
             f"({pre.get('n_control_wells', '?')} controls, {pre.get('n_plates', '?')} plates). {steps}"]
    if "learned" in m:
        learned = m["learned"]
        unmet = [f"{METRIC_NAMES[k]} {_value(learned[k]):.2f} (goal {g:g})"
                 for k, g in GOALS.items() if k in learned and _value(learned[k]) < g]
        lines.append(f"Learned model: {learned.get('holdout', '')}, never trained on the compound it predicts. "
                     + ("Goals not met: " + "; ".join(unmet) + "." if unmet else "All goals met."))
        below = [k.upper() for k in ("nsc", "nscb") if "cosine" in m and _value(learned[k]) < _value(m["cosine"][k])]
        if below:
            lines.append(html.Strong(f"The learned model is below the plain cosine baseline on {', '.join(below)} "
                                     "here: trust the baseline's neighbours for these profiles.",
                                     className="text-danger"))
    if "seed_agreement" in adata.obs:
        unsure = int((adata.obs["seed_agreement"] < 1).sum())
        if unsure:
            lines.append(f"{unsure} treatment(s) get different MoAs from different seeds: colour by 'seed "
                         "agreement' to see them.")
    return [html.Div(t) for t in lines]


def umap_figure(adata, colour: str, selected: list[str] | None, *, uirevision=None):
    if colour not in adata.obs:
        return message_figure(f"this result has no {COLOUR_BY.get(colour, colour)}")
    mask = None if not selected else adata.obs_names.isin(selected)
    values = adata.obs[colour].to_numpy()
    return embedding_figure(adata.obsm["X_umap"], values if colour in CONTINUOUS else values.astype(str),
                            categorical=colour not in CONTINUOUS, selected=mask, title="",
                            color_label=COLOUR_BY.get(colour, colour), uirevision=uirevision,
                            colorscale="Viridis", customdata=np.asarray(adata.obs_names))


def selection_from(selected_data, names) -> list[str]:
    """Treatment names from a plotly selection (points carry their name as customdata)."""
    if not selected_data or not selected_data.get("points"):
        return []
    known = set(names)
    return sorted({p["customdata"] for p in selected_data["points"]
                   if isinstance(p.get("customdata"), str) and p["customdata"] in known})


def confusion_for(adata, selected: list[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Confusion matrix and per-class report of the held-out predictions, over the selection (or all)."""
    from engine.morphology.evaluate import classification_report

    obs = adata.obs if not selected else adata.obs.loc[adata.obs_names.isin(selected)]
    report, cm = classification_report(obs["moa"].astype(str), obs["predicted_moa"].astype(str))
    return cm, report


def treatment_table(adata, selected: list[str] | None) -> pd.DataFrame:
    cols = [c for c in ("compound", "concentration", "moa", "predicted_moa", "seed_agreement", "nn_moa_cosine",
                        "activity_map", "active") if c in adata.obs]
    obs = adata.obs if not selected else adata.obs.loc[adata.obs_names.isin(selected)]
    df = obs[cols].copy()
    for c in df.select_dtypes("category").columns:
        df[c] = df[c].astype(str)
    return df.round(3).reset_index(names="treatment")


def channels_of(adata) -> list[str]:
    ranking = adata.uns.get("channel_ranking")
    return sorted(set(ranking["channel"])) if ranking is not None and len(ranking) else []


def field_table(adata) -> pd.DataFrame:
    """One row per field of an image-QC result: its channels, tiles and flagged tiles."""
    obs = adata.obs
    g = obs.groupby("field", observed=True)
    return pd.DataFrame({"channels": g["channel"].agg(lambda s: ", ".join(sorted(set(map(str, s))))),
                         "tiles": g.size(), "flagged": g["qc_flagged"].sum().astype(int)})


def field_images(source: str, field: str, *, low_pct: float, high_pct: float, size: int = 512) -> dict:
    """The channels of one field as uint8 previews (at most ``size`` pixels a side), contrast by percentile."""
    from skimage.transform import resize

    from engine.imageqc.images import list_images, read_image

    out = {}
    for f in list_images(source):
        if f.field != field:
            continue
        img = read_image(f.path)
        scale = min(1.0, size / max(img.shape))
        if scale < 1:
            img = resize(img, (round(img.shape[0] * scale), round(img.shape[1] * scale)), preserve_range=True,
                         anti_aliasing=True)
        lo, hi = np.percentile(img, [low_pct, high_pct])
        out[f.channel] = scale_contrast(img, lo, hi)
    return out


def thumbnails(adata, rows: pd.DataFrame, size: int) -> list:
    out = []
    index = {name: i for i, name in enumerate(adata.obs_names)}
    for name, r in rows.iterrows():
        pixels = np.asarray(adata.obsm["thumbnail"][index[name]]).reshape(size, size)
        out.append(html.Img(src=png_data_uri(pixels.astype(np.uint8)), title=f"{name}\nscore {r['qc_outlier_score']:.3f}",
                            width=size, height=size, className="border", **{"data-tile": name}))
    return out


def stores(cfg: dict) -> tuple[KindResults, KindResults]:
    """The page's two result folders: MoA results and image-QC results."""
    return KindResults(cfg["RESULTS_DIR"], "morphology"), KindResults(cfg["RESULTS_DIR"], "image_qc")


def page(morph: KindResults, imgqc: KindResults):
    """The page's layout for the signed-in user (only results they may open are listed)."""
    return lambda run=None: layout(morph.names(current_user()), imgqc.names(current_user()), run=run)


def register(app, registry, cfg: dict, morph: KindResults, imgqc: KindResults) -> None:
    export.register(app, "morph-", State("morph-run", "value"))
    export.register(app, "imgqc-", State("imgqc-run", "value"))
    decisions = imgqc.folder / "decisions"

    def opened(store, name):
        return store.open_for(current_user(), name)

    register_launch(app, registry, cfg, prefix="morph-launch", kind="morphology", names=MORPH_FIELDS,
                    result_href=lambda name: f"/morphology?run={name}")
    register_launch(app, registry, cfg, prefix="imgqc-launch", kind="image_qc", names=IMAGE_QC_FIELDS,
                    result_href=lambda name: "/morphology")

    @app.callback(Output("morph-notes", "children"), Output("morph-metrics", "figure"), Output("morph-map", "figure"),
                  Output("morph-group", "options"), Output("morph-group", "value"), Input("morph-run", "value"))
    def overview(name):
        adata = opened(morph, name)
        if adata is None:
            empty = message_figure("no MoA result yet: start one under 'Run'")
            return None, empty, empty, [], None
        m = dict(adata.uns.get("metrics", {}))
        if not m:
            empty = message_figure("these profiles have no MoA labels: phenotypic activity only")
            return notes(adata), empty, empty, [], None
        groups = sorted(set(adata.uns["channel_ranking"]["group"])) if "channel_ranking" in adata.uns else []
        return (notes(adata), metrics_figure(m), map_per_moa_figure(adata.uns["map_per_moa"]), groups,
                groups[0] if groups else None)

    @app.callback(Output("morph-selected", "data"), Input("morph-umap", "selectedData"), State("morph-run", "value"),
                  prevent_initial_call=True)
    def select(selected_data, name):
        adata = opened(morph, name)
        return selection_from(selected_data, adata.obs_names) if adata is not None else []

    # the selection is drawn by plotly itself (a redrawn figure would clear it and emit a deselect)
    @app.callback(Output("morph-umap", "figure"), Input("morph-run", "value"), Input("morph-colour", "value"))
    def umap(name, colour):
        adata = opened(morph, name)
        if adata is None:
            return message_figure("no MoA result")
        return umap_figure(adata, colour, None, uirevision=name)

    @app.callback(Output("morph-confusion", "figure"), Output("morph-selection-note", "children"),
                  Output("morph-report", "rowData"), Output("morph-report", "columnDefs"),
                  Output("morph-treatments", "rowData"), Output("morph-treatments", "columnDefs"),
                  Input("morph-run", "value"), Input("morph-selected", "data"))
    def confusion(name, selected):
        adata = opened(morph, name)
        if adata is None or "predicted_moa" not in adata.obs:
            return message_figure("no predictions"), None, [], [], [], []
        cm, report = confusion_for(adata, selected)
        note = (f"{len(selected)} selected treatments (lasso on the UMAP; double-click it to clear)" if selected
                else "all treatments")
        rep = report.round(3).reset_index()
        table = treatment_table(adata, selected)
        return (moa_confusion_figure(cm), note, grid_rows(rep), grid_columns(rep.columns), grid_rows(table),
                grid_columns(table.columns))

    @app.callback(Output("morph-violins", "figure"), Output("morph-ranking", "figure"),
                  Output("morph-feedback-channels", "options"), Output("morph-feedback-summary", "rowData"),
                  Output("morph-feedback-summary", "columnDefs"), Input("morph-group", "value"),
                  Input("morph-style", "value"), Input("morph-feedback-message", "children"), State("morph-run", "value"))
    def channel_panels(group, style, _, name):
        adata = opened(morph, name)
        if adata is None or not group:
            empty = message_figure("choose a MoA")
            return empty, empty, [], [], []
        control = _control(adata)
        chans = channels_of(adata)
        try:
            violins = channel_violins(adata.uns["wells"], group=group, control=control, channels=chans,
                                      style="histogram" if style == "histogram" else "violin")
        except ValueError as exc:
            violins = message_figure(str(exc))
        summary = feedback_summary(load_feedback(imgqc.folder), adata.uns["channel_ranking"], group=group).round(3)
        return (violins, channel_ranking_figure(adata.uns["channel_ranking"], group=group), chans,
                grid_rows(summary), grid_columns(summary.columns))

    @app.callback(Output("morph-feedback-message", "children"), Input("morph-feedback-save", "n_clicks"),
                  State("morph-feedback-channels", "value"), State("morph-group", "value"), State("morph-run", "value"),
                  State("img-field", "value"), prevent_initial_call=True)
    def save_feedback(_, channels, group, name, field):
        adata = opened(morph, name)
        try:
            if adata is None:
                raise DataError("Open a MoA result first")
            record_feedback(imgqc.folder, user=current_user(), group=group, channels=channels or [],
                            image=field or "", known_channels=channels_of(adata))
        except DataError as exc:
            return dbc.Alert(public_message(exc), color="warning", className="py-1", id="morph-feedback-error")
        return dbc.Alert(f"Saved: {', '.join(channels)} for {group}", color="success", className="py-1",
                         id="morph-feedback-ok")

    @app.callback(Output("img-field", "options"), Output("img-field", "value"), Input("imgqc-run", "value"))
    def fields(name):
        adata = opened(imgqc, name)
        if adata is None:
            return [], None
        table = field_table(adata)
        options = [{"label": f"{f} ({r.channels}; {r.flagged} of {r.tiles} tiles flagged)", "value": f}
                   for f, r in table.iterrows()]
        return options, options[0]["value"] if options else None

    @app.callback(Output("img-view", "figure"), Output("img-flags", "children"), Input("img-field", "value"),
                  Input("img-contrast", "value"), State("imgqc-run", "value"))
    def view(field, contrast, name):
        adata = opened(imgqc, name)
        if adata is None or not field:
            return message_figure("no image QC result: start one under 'Run'"), None
        low, high = (contrast or [0.5, 99.5])[:2]
        chans = field_images(str(adata.uns["qc"]["input"]), field, low_pct=low, high_pct=high)
        obs = adata.obs[adata.obs["field"] == field]
        flags = {ch: f"{int(g['qc_flagged'].sum())} of {len(g)} tiles flagged"
                 for ch, g in obs.groupby("channel", observed=True)}
        return image_figure(chans, title=field, flags=flags), f"QC (threshold {float(adata.uns['qc']['threshold']):.3f}): " + \
            "; ".join(f"{k}: {v}" for k, v in flags.items())

    @app.callback(Output("imgqc-threshold", "min"), Output("imgqc-threshold", "max"),
                  Output("imgqc-threshold", "value"), Output("imgqc-threshold", "marks"),
                  Input("imgqc-run", "value"), Input("imgqc-auto", "n_clicks"))
    def slider(name, _):
        adata = opened(imgqc, name)
        if adata is None:
            return 0, 1, 0.5, None
        s = adata.obs["qc_outlier_score"].to_numpy()
        auto = float(adata.uns["qc"]["auto_threshold"])
        return float(np.floor(s.min() * 100) / 100), float(np.ceil(s.max() * 100) / 100), auto, {auto: {"label": "auto"}}

    @app.callback(Output("imgqc-counts", "children"), Output("imgqc-hist", "figure"), Output("imgqc-metrics", "figure"),
                  *[Output(f"imgqc-list-{k}", "children") for k in ("flagged", "borderline", "best")],
                  Input("imgqc-threshold", "value"), State("imgqc-run", "value"))
    def review(threshold, name):
        adata = opened(imgqc, name)
        if adata is None:
            empty = message_figure("no image QC result")
            return None, empty, empty, None, None, None
        obs, qc = adata.obs, adata.uns["qc"]
        flagged = flagged_mask(obs, threshold)
        metrics = list(qc["metrics"])
        why = main_metric(obs[flagged], metrics).value_counts() if flagged.any() else pd.Series(dtype=int)
        counts = [html.Div(f"flagged {int(flagged.sum())} / kept {int((~flagged).sum())} of {len(obs)} tiles",
                           id="imgqc-flag-count")] + [html.Div(f"{k.replace('_', ' ')}: {v}") for k, v in why.items()]
        size = int(round(np.sqrt(adata.obsm["thumbnail"].shape[1])))
        lists = qc_lists(obs, threshold=threshold, n=12)
        status = np.where(flagged, "flagged", "kept").astype(object)
        hist = outlier_histogram(obs["qc_outlier_score"].to_numpy(), threshold)
        hist.update_layout(title={"text": f"{len(obs)} tiles"}, yaxis_title="tiles")
        return (counts, hist, metric_histograms(obs, metrics, status),
                *[thumbnails(adata, lists[k], size) for k in ("flagged", "borderline", "best")])

    @app.callback(Output("imgqc-save-message", "children"), Output("imgqc-save-confirm", "data"),
                  Input("imgqc-save", "n_clicks"), State("imgqc-run", "value"), State("imgqc-decision-name", "value"),
                  State("imgqc-threshold", "value"), State("imgqc-save-confirm", "data"), prevent_initial_call=True)
    def save(_, name, decision_name, threshold, confirmed):
        adata = opened(imgqc, name)
        if adata is None:
            return dbc.Alert("Run image QC first", color="warning", className="py-1"), None
        try:
            decision = QCDecision.from_result(adata, name=(decision_name or "").strip(), threshold=threshold,
                                              created_by=current_user())
        except DataError as exc:
            return dbc.Alert(public_message(exc), color="danger", className="py-1", id="imgqc-save-error"), None
        if (decisions / f"{decision.name}.json").exists() and confirmed != decision.name:
            return dbc.Alert(f"A decision called {decision.name!r} exists. Press Save decision again to replace it.",
                             color="warning", className="py-1", id="imgqc-save-exists"), decision.name
        decision.save(decisions)
        return dbc.Alert(f"Saved {decision.name}: {len(decision.excluded)} of {decision.n_cells} tiles flagged "
                         f"(by {decision.created_by})", color="success", className="py-1", id="imgqc-save-ok"), None


def _control(adata) -> str:
    import json

    try:
        return json.loads(adata.uns["settings"])["control"]
    except (KeyError, ValueError):
        return "DMSO"
