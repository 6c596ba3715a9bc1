"""What the Explore page shows about one run beyond the UMAP, as plain parts that both the page and the report
use: curves of the shown score and the baselines, training curves, run details, and a self-contained HTML report
of the current view (opens offline: plotly.js is inside the file)."""

from __future__ import annotations

import datetime as dt
import html as html_text

import numpy as np
import pandas as pd

from engine.data.errors import without_paths
from engine.results import MODELS, SCORE_COLUMNS

from .. import figures as fig
from .explore_umap import cluster_table, umap_figure


def roc_pr(run):
    """ROC and PR curves of the shown score and the baselines, or why there are none."""
    names = {**MODELS, "transfer": "transfer (shown score)"}
    scores = {names[model]: run.obs(key) for model, key in SCORE_COLUMNS.items()}
    scores = {k: v for k, v in scores.items() if v is not None}
    try:
        return fig.roc_pr_figure(run.labels, scores)
    except (ValueError, TypeError):
        return fig.message_figure("No curves: these cells have no labels of both classes (evaluation needs them)")


def training(run):
    history = run.uns("training_history")
    try:
        return fig.training_curves(history)
    except (ValueError, TypeError):
        return fig.message_figure("No training history in this file")


def run_detail_rows(run) -> list[tuple[str, str]]:
    """Settings and provenance as a reader checks them: what was run, on what, with which versions, where."""
    config, prov = run.uns("config", default={}) or {}, run.uns("provenance", default={}) or {}
    train = config.get("train", {}) if isinstance(config, dict) else {}
    settings = {k: v for k, v in config.items() if k != "train"} if isinstance(config, dict) else {}
    rows = [("settings", ", ".join(f"{k}={v}" for k, v in settings.items() if k not in ("out", "owner"))),
            ("training", ", ".join(f"{k}={v}" for k, v in train.items())),
            ("seeds", ", ".join(map(str, np.asarray(prov.get("seeds", [])).astype(int).tolist()))),
            ("device", ", ".join(f"{k} {v}" for k, v in dict(prov.get("device", {})).items() if k != "host")),
            ("versions", ", ".join(f"{k} {v}" for k, v in dict(prov.get("versions", {})).items())),
            ("data (sha256 recorded)", ", ".join(
                f"{name} {v['sha256'][:12]}" if isinstance(v, dict) and "sha256" in v else
                f"{name} ({len(v)} files)" if isinstance(v, dict) else str(name)
                for name, v in dict(prov.get("data_checksums", {})).items())),
            ("seconds per stage", ", ".join(f"{k} {float(v):.0f}" for k, v in dict(prov.get("seconds_per_stage", {})).items())),
            ("started / finished", f"{prov.get('started', '')} / {prov.get('finished', '')}")]
    return [(k, without_paths(str(v))) for k, v in rows if v]


def seed_summary(value: dict, n_seeds: int) -> str:
    """'0.905 ± 0.073' over several seeds; the bare value for one seed (a zero sd would claim a certainty)."""
    mean = float(value["mean"])
    return f"{mean:.3f} ± {float(value['sd']):.3f}" if n_seeds > 1 else f"{mean:.3f}"


def metrics_frame(run) -> pd.DataFrame | None:
    """Each model's metrics, 'mean ± sd' over seeds (the bare value for one seed), or None without labels."""
    m = run.uns("metrics", default={}) or {}
    if "skipped" in m or not m:
        return None
    n = int(m.get("n_seeds", 1))
    rows = {MODELS[model]: {k: seed_summary(v, n) for k, v in m[model].items()} for model in MODELS if model in m}
    if "transfer_seed_ensemble" in m:
        rows["seed ensemble (shown score)"] = {k: f"{float(v):.3f}" for k, v in m["transfer_seed_ensemble"].items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def _figure_html(figure, div_id: str, name: str) -> str:
    import plotly.io as pio

    config = {"displaylogo": False, "showSendToCloud": False,
              "toImageButtonOptions": {"format": "png", "filename": name, "width": 1200, "height": 800, "scale": 3}}
    return pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=div_id, config=config)


def view_report(run, *, color_by: str, gene: str | None, threshold: float | None, mask=None,
                selection_deg: pd.DataFrame | None = None, user: str = "") -> str:
    """A self-contained HTML report of the view: the UMAP as coloured, the curves with the baselines, the
    metrics, the clusters at the threshold, the selection (and its DEGs), settings and provenance."""
    from plotly.offline import get_plotlyjs

    name = run.name
    esc = lambda s: html_text.escape(str(s))
    t = float(run.uns("metrics", "threshold", default=0.5)) if threshold is None else float(threshold)
    umap = umap_figure(run, color_by=color_by, gene=gene, mask=mask, threshold=t)
    umap.update_layout(title=f"{name}: {umap.layout.title.text or ''}")
    curves = roc_pr(run)
    curves.update_layout(title=f"{name}: ROC and precision-recall")
    parts = [f"<h1>{esc(name)}</h1>",
             f"<p class='meta'>scResponse report made {esc(dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))}"
             f"{' by ' + esc(user) if user else ''}. View: colour {esc(color_by)}{', gene ' + esc(gene) if gene else ''}, "
             f"threshold for 'sensitive' {t:.2f}.</p>",
             "<h2>Cells</h2>", _figure_html(umap, "umap", f"{name}_umap"),
             "<h2>The shown score and the baselines</h2>", _figure_html(curves, "roc-pr", f"{name}_roc_pr")]
    metrics = metrics_frame(run)
    parts.append("<h2>Metrics</h2>" + (metrics.to_html(classes="table") if metrics is not None else
                                       f"<p>{esc((run.uns('metrics', default={}) or {}).get('skipped', 'no metrics'))}</p>"))
    clusters = cluster_table(run, t)
    if clusters is not None and len(clusters):
        parts.append(f"<h2>Clusters at threshold {t:.2f}</h2>" + clusters.to_html(index=False, classes="table"))
    if mask is not None:
        parts.append(f"<h2>Selection</h2><p>{int(np.sum(mask)):,} of {run.n:,} cells selected.</p>")
        if selection_deg is not None and len(selection_deg):
            parts.append("<p>Top genes, selection vs the rest:</p>" + selection_deg.head(20).to_html(index=False, classes="table"))
    parts.append("<h2>Settings and provenance</h2><dl>" + "".join(
        f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in run_detail_rows(run)) + "</dl>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1300px} .meta{color:#555} "
             "table.table{border-collapse:collapse;font-size:13px} table.table td,table.table th{padding:3px 8px;"
             "border-bottom:1px solid #ddd} dt{font-weight:bold;margin-top:.5em}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>scResponse: {esc(name)}</title>"
            f"<style>{style}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            + "\n".join(parts) + "</body></html>")
