"""The main UMAP of the explore page, built from an opened run: used by the page's layout (so a first view
draws it without waiting for a callback) and by the callback that recolours it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import figures as fig
from ..figures.embedding import as_text

COLOR_BY = [{"label": "sensitivity score", "value": "sensitivity_score"},
            {"label": "predicted label", "value": "predicted"},
            {"label": "true label", "value": "label"},
            {"label": "Leiden cluster", "value": "leiden"},
            {"label": "seed agreement (uncertain cells)", "value": "seed_agreement"},
            {"label": "gene expression", "value": "gene"}]


ANNOTATION = "obs:"  # colour by any annotation column of the result: "obs:<column>"
_SHOWN = {o["value"] for o in COLOR_BY} | {"label"}


IMPUTED = "gene@"  # colour by a gene's imputed values: "gene@<layer>"


def colour_options(run) -> list[dict]:
    """The page's colourings, a gene's imputed values where the run imputed its cells, then every other
    annotation column of this run."""
    imputed = [{"label": f"gene expression, imputed ({layer[len('imputed_'):]})", "value": f"{IMPUTED}{layer}"}
               for layer in getattr(run, "imputed_layers", [])]
    extra = [{"label": f"annotation: {k}", "value": f"{ANNOTATION}{k}"} for k in run.obs_keys if k not in _SHOWN]
    return COLOR_BY + imputed + extra


def gene_values(run, gene: str, color_by: str) -> tuple[np.ndarray, str]:
    """A gene's values and their label: measured, or imputed when ``color_by`` is ``gene@<layer>``; where the
    run holds imputed values, the label always says which are shown."""
    if hasattr(run, "is_model_gene") and not run.is_model_gene(gene):
        return run.gene(gene), f"{gene} (input expression; not a model gene)"
    layer = color_by[len(IMPUTED):] if color_by.startswith(IMPUTED) else None
    if layer and layer not in getattr(run, "imputed_layers", []):
        layer = None
    if layer:
        return run.gene(gene, layer=layer), f"{gene}, imputed ({layer[len('imputed_'):]})"
    return run.gene(gene), f"{gene}, measured" if getattr(run, "imputed_layers", []) else gene


_LABELS = np.array(["resistant", "sensitive", "unknown"], dtype=object)  # labels as str objects, by code


def predicted_labels(run, threshold: float | None, *, rows=None) -> np.ndarray | None:
    """'sensitive' where the shown score is at or above ``threshold`` (the page's one threshold; the run's own
    when None), else 'resistant', for the cells ``rows`` (all when None): every panel that shows a predicted
    label reads it from here."""
    score = run.obs("sensitivity_score")
    if score is None:
        return None
    t = float(run.uns("metrics", "threshold", default=0.5)) if threshold is None else float(threshold)
    return _LABELS[(np.asarray(score if rows is None else score[rows]) >= t).astype(np.int8)]


def cluster_table(run, threshold: float | None) -> pd.DataFrame:
    """Per Leiden cluster: cells, mean score, share predicted sensitive at ``threshold`` and, where the cells
    have labels, the share truly sensitive and the accuracy; most sensitive first."""
    leiden, score = run.obs("leiden"), run.obs("sensitivity_score")
    if leiden is None or score is None:
        return pd.DataFrame()
    df = pd.DataFrame({"cluster": np.asarray(leiden).astype(str), "score": np.asarray(score, float),
                       "predicted": predicted_labels(run, threshold) == "sensitive"})
    g = df.groupby("cluster")
    out = pd.DataFrame({"cells": g.size(), "mean_score": g["score"].mean(),
                        "predicted_sensitive": g["predicted"].mean()})
    if run.labels is not None and np.isfinite(run.labels).any():
        df["label"] = run.labels
        known = df.dropna(subset=["label"])
        kg = known.groupby("cluster")
        out["truly_sensitive"] = kg["label"].mean()
        out["accuracy"] = (known["predicted"] == (known["label"] == 1)).groupby(known["cluster"]).mean()
    return out.sort_values("mean_score", ascending=False).round(3).reset_index()


CATEGORICAL = ("predicted", "label", "leiden")  # besides categorical annotation columns ("obs:<column>")


def _numeric_annotation(run, column: str) -> bool:
    """Whether an annotation column is drawn on a colour scale (numbers, except integer codes with <= 30 values)."""
    values = run.obs(column) if column in run.obs_keys else None
    if values is None or values.dtype.kind not in "fiu":
        return False
    return not (values.dtype.kind in "iu" and len(np.unique(values)) <= 30)


def category_values(run, color_by: str, *, threshold: float | None = None, rows=None) -> tuple[np.ndarray | None, str]:
    """Each cell's category (as text; the cells ``rows``, all when None) and the colouring's name, for a
    categorical colouring of the UMAP: the predicted label at ``threshold`` (the run's own when None), the true
    label, the Leiden cluster or a categorical annotation column ("obs:<column>"). ``None`` values where the run
    lacks them. A legend entry's cells are those whose value equals its name."""
    if color_by == "label":
        if run.labels is None:
            return None, "true label"
        y = run.labels if rows is None else run.labels[rows]
        return _LABELS[np.where(np.isnan(y), 2, y == 1).astype(np.int8)], "true label"
    if color_by == "predicted":
        t = float(run.uns("metrics", "threshold", default=0.5)) if threshold is None else float(threshold)
        return predicted_labels(run, t, rows=rows), f"predicted label at threshold {t:.2f}"
    column = color_by[len(ANNOTATION):] if color_by.startswith(ANNOTATION) else color_by
    if column not in CATEGORICAL and column not in run.obs_keys:
        return None, column
    values = run.obs(column)
    if values is None:
        return None, column
    return as_text(values if rows is None else values[rows]), column


def cell_rows(drawn: np.ndarray) -> np.ndarray:
    """The run rows of the drawn cells, as each linked scatter's points carry them (``customdata``): the browser
    highlights a selection's cells by them, and a selection of points without geometry names cells by them."""
    return np.asarray(drawn, dtype=np.int32)


HOVER_MAX = 50_000  # above this many drawn cells the hover shows the colour only (each line costs ~80 bytes)


def cell_hover(run, rows: np.ndarray, threshold: float | None) -> np.ndarray | None:
    """Per drawn cell: its id, cluster, predicted (at ``threshold``) and true label, score and seed agreement."""
    if len(rows) > HOVER_MAX:
        return None
    parts = [np.char.add("cell ", run.cell_names[rows].astype(str))]
    leiden = run.obs("leiden")
    if leiden is not None:
        parts.append(np.char.add("cluster ", np.asarray(leiden)[rows].astype(str)))
    predicted = predicted_labels(run, threshold, rows=rows)
    if predicted is not None:
        parts.append(np.char.add("predicted ", predicted.astype(str)))
    truth, _ = category_values(run, "label", rows=rows)
    if truth is not None:
        parts.append(np.char.add("true ", truth))
    score = run.obs("sensitivity_score")
    if score is not None:
        parts.append(np.char.add("score ", np.char.mod("%.3f", np.asarray(score, float)[rows])))
    agreement = run.obs("seed_agreement")
    if agreement is not None:
        parts.append(np.char.add("seeds agreeing ", np.char.mod("%.0f%%", 100 * np.asarray(agreement, float)[rows])))
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(np.char.add(out, "<br>"), p)
    return out


def zoomed_axes(zoom) -> dict:
    """Layout axes showing the ranges ``zoom`` = (x0, x1, y0, y1) of a shared link ({} when None)."""
    if not zoom:
        return {}
    x0, x1, y0, y1 = zoom
    return {"xaxis": {"range": [x0, x1], "autorange": False}, "yaxis": {"range": [y0, y1], "autorange": False}}


def with_zoom(figure, zoom):
    """``figure`` showing the axis ranges ``zoom`` = (x0, x1, y0, y1) of a shared link (as it is when None). The
    figure's uirevision keeps a zoom the viewer makes afterwards over these ranges."""
    if zoom:
        figure.update_layout(**zoomed_axes(zoom))
    return figure


GENE_SET = "geneset:"  # colour by a person's scored gene set: "geneset:<name>"


LEIDEN_TEXT = {"mode": "text", "showlegend": False, "hoverinfo": "skip", "textfont": {"size": 13, "color": "black"}}
LEGEND = {"itemsizing": "constant", "title": {"text": "click one to select", "font": {"size": 11}}}


def umap_colouring(run, *, color_by: str, gene: str | None = None, threshold: float | None = None,
                   custom: tuple[str, np.ndarray] | None = None, rows=None) -> str | tuple[np.ndarray, str, dict]:
    """What the main UMAP shows for ``color_by``: (values of the cells ``rows``, all when None; their label; the
    colouring's options for ``embedding_figure``), or a message saying why there is nothing to draw."""
    if run.obsm("X_umap") is None:
        return "No UMAP in this file (obsm['X_umap'] missing)"
    kw = {"categorical": False, "colorscale": fig.SCORE_SCALE, "cmin": 0.0, "cmax": 1.0}
    if color_by.startswith(GENE_SET):
        if custom is None:
            return "Score this gene set again below (scores are kept for this browser session)"
        label, values = custom
        kw = {"categorical": False, "colorscale": "Viridis"}
    elif color_by == "gene" or color_by.startswith(IMPUTED):
        if not gene:
            return "Pick a gene in the search box to colour by its expression"
        values, label = gene_values(run, gene, color_by)
        kw = {"categorical": False, "colorscale": "Viridis"}
    elif color_by == "label" and run.labels is None:
        return "This run has no single-cell labels"
    elif color_by == "seed_agreement":
        values, label = run.obs("seed_agreement"), "share of seeds agreeing"
        kw = {"categorical": False, "colorscale": "Viridis", "cmin": 0.5, "cmax": 1.0}
    elif color_by.startswith(ANNOTATION) and _numeric_annotation(run, color_by[len(ANNOTATION):]):
        label = color_by[len(ANNOTATION):]
        values, kw = run.obs(label), {"categorical": False, "colorscale": "Viridis"}
    elif color_by in CATEGORICAL or color_by.startswith(ANNOTATION):
        values, label = category_values(run, color_by, threshold=threshold, rows=rows)  # text, of ``rows`` already
        if values is None:
            return f"obs['{color_by}'] is missing from this file"
        return values, label, {"categorical": True}
    else:
        values, label = run.obs("sensitivity_score"), "sensitivity score"
    if values is None:
        return f"obs['{color_by}'] is missing from this file"
    return np.asarray(values if rows is None else np.asarray(values)[rows]), label, kw


def cluster_names(coords: np.ndarray, clusters: np.ndarray, *, codes: np.ndarray | None = None,
                  names: list[str] | None = None) -> dict:
    """Each Leiden cluster's name at its drawn cells' median position (a text trace); ``codes`` (each cell's
    cluster as an index into ``names``) when the caller has factorized ``clusters`` already."""
    if codes is None:
        codes, names = pd.factorize(as_text(clusters), sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    xy = np.asarray(coords)[order]
    keep = [k for k in range(len(names)) if bounds[k + 1] > bounds[k]]
    centres = np.array([np.median(xy[bounds[k]:bounds[k + 1]], axis=0) for k in keep]).reshape(-1, 2)
    return {"type": "scatter", "x": centres[:, 0], "y": centres[:, 1], "text": [str(names[k]) for k in keep],
            **LEIDEN_TEXT}


def umap_figure(run, *, color_by: str = "sensitivity_score", gene: str | None = None, mask=None,
                threshold: float | None = None, custom: tuple[str, np.ndarray] | None = None):
    """The UMAP of ``run`` (a ``RunData``) coloured by ``color_by``; ``mask`` (all cells) highlights a selection;
    predicted labels follow ``threshold``. (The page draws it in the browser from ``explore_umap_draw``; this
    figure is the report's and the tests'.)"""
    d = run.display_index
    colouring = umap_colouring(run, color_by=color_by, gene=gene, threshold=threshold, custom=custom, rows=d)
    if isinstance(colouring, str):
        return fig.message_figure(colouring)
    values, label, kw = colouring  # of the drawn cells
    out = fig.embedding_figure(run.obsm("X_umap")[d], values, selected=None if mask is None else mask[d],
                               customdata=cell_rows(d),
                               color_label=label, uirevision=run.path, title=f"UMAP: {label}",
                               hover_text=cell_hover(run, d, threshold), **kw)
    if kw.get("categorical"):  # a legend entry's click selects its cells (assets/legend_select.js)
        out.update_layout(legend=LEGEND)
    if color_by == "leiden":  # each cluster's name at its centre
        out.add_trace(cluster_names(run.obsm("X_umap")[d], values))
    return out
