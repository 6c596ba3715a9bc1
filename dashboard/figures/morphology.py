"""Morphology figures: model metrics, mAP per MoA, the MoA confusion matrix, per-channel distributions against
the control, channel rankings, and microscopy images (greyscale channels and a colour merge)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .embedding import PALETTE

MODEL_COLOURS = {"cosine": "#7f7f7f", "tvn": "#bcbd22", "learned": "#1f77b4", "learned_seed_ensemble": "#17becf"}
CONTROL_COLOUR, TREATED_COLOUR = "#9e9e9e", "#d62728"
# merge colours by channel name (Cell Painting conventions); others take the palette in order
MERGE_COLOURS = {"DNA": (0, 0, 1), "DAPI": (0, 0, 1), "AGP": (1, 0, 0), "Actin": (1, 0, 0), "RNA": (0, 1, 0),
                 "Tubulin": (0, 1, 0), "Tub": (0, 1, 0), "ER": (0, 1, 1), "Mito": (1, 0, 1)}


def _layout(fig: go.Figure, *, title: str, height: int, **layout) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 14}}, height=height, template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, **layout)
    return fig


def metrics_figure(metrics: dict, *, title: str = "Nearest-neighbour accuracy and MoA retrieval", **layout) -> go.Figure:
    """Grouped bars: NSC, NSCB and mean mAP per model; the learned model's bar is its mean over seeds with the
    worst seed as a marker."""
    if not metrics:
        raise ValueError("metrics must name at least one model")
    names = {"nsc": "NSC", "nscb": "NSCB", "map_mean": "mAP (mean over MoA)", "map_worst_moa": "worst MoA mAP"}
    fig = go.Figure()
    for model, m in metrics.items():
        means = [None if k not in m else float(m[k]["mean"]) if isinstance(m[k], dict) else float(m[k])
                 for k in names]
        worst = [float(m[k]["worst"]) if isinstance(m.get(k), dict) else None for k in names]
        fig.add_trace(go.Bar(name=model, x=list(names.values()), y=means, marker_color=MODEL_COLOURS.get(model),
                             text=["" if v is None else f"{v:.2f}" for v in means], textposition="outside",
                             hovertemplate=f"{model}: %{{x}} %{{y:.3f}}<extra></extra>"))
        if any(w is not None for w in worst):
            fig.add_trace(go.Scatter(x=list(names.values()), y=worst, mode="markers", name=f"{model}, worst seed",
                                     marker={"symbol": "line-ew-open", "size": 18, "color": "black"}))
    fig.update_yaxes(range=[0, 1.1], title="")
    return _layout(fig, title=title, height=320, barmode="group", **layout)


def map_per_moa_figure(table: pd.DataFrame, *, title: str = "MoA retrieval mAP per MoA", **layout) -> go.Figure:
    """Horizontal bars per MoA, one per model (columns ``mAP_<model>``)."""
    cols = [c for c in table.columns if str(c).startswith("mAP_")]
    if not cols:
        raise ValueError("table has no mAP_<model> columns")
    fig = go.Figure()
    for c in cols:
        model = c[4:]
        fig.add_trace(go.Bar(name=model, y=list(table.index), x=table[c].to_numpy(float), orientation="h",
                             marker_color=MODEL_COLOURS.get(model),
                             hovertemplate=f"{model}: %{{y}} mAP %{{x:.2f}}<extra></extra>"))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title=title, height=60 + 26 * len(table) * max(1, len(cols)) // 2, barmode="group", **layout)


def moa_confusion_figure(confusion: pd.DataFrame, *, title: str = "Confusion matrix (rows: true MoA)",
                         **layout) -> go.Figure:
    """Heatmap of counts, true MoA in rows, predicted in columns; the diagonal is what is right."""
    m = confusion.to_numpy()
    if m.ndim != 2 or m.shape[0] != m.shape[1] or (m < 0).any():
        raise ValueError("confusion must be a square table of non-negative counts")
    fig = go.Figure(go.Heatmap(z=m, x=list(confusion.columns), y=list(confusion.index), text=m,
                               texttemplate="%{text}", colorscale="Blues", showscale=False,
                               hovertemplate="true %{y}<br>predicted %{x}: %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=40)
    return _layout(fig, title=title, height=160 + 28 * len(m), **layout)


def channel_features(wells: pd.DataFrame, channel: str) -> list[str]:
    """Up to two intensity features of ``channel`` to show: summed (IntegratedIntensity) and mean intensity of
    the cells when present, else the first intensity features of that channel."""
    own = [c for c in wells.columns if "_Intensity_" in c and (f"_{channel}" in c or f"Corr{channel}" in c)]
    preferred = [c for c in own if "IntegratedIntensity_" in c and c.startswith("Cells")][:1] + \
                [c for c in own if "MeanIntensity_" in c and c.startswith("Cells")][:1]
    return preferred or own[:2]


def channel_violins(wells: pd.DataFrame, *, group: str, control: str, channels: list[str], by: str = "Metadata_moa",
                    max_points: int = 2000, title: str = "", style: str = "violin", **layout) -> go.Figure:
    """For each channel, the distributions of its intensity features, ``group`` wells against ``control``
    wells: violins (``style='violin'``) or overlaid histograms (``'histogram'``)."""
    if style not in ("violin", "histogram"):
        raise ValueError("style must be violin or histogram")
    if by not in wells:
        raise ValueError(f"wells have no {by} column")
    panels = [(ch, f) for ch in channels for f in channel_features(wells, ch)]
    if not panels:
        raise ValueError("no intensity features for these channels")
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[f"{ch}: {f.split('_Intensity_')[1].split('_')[0]}"
                                                                   for ch, f in panels])
    sets = {control: wells[wells["Metadata_Compound"].str.lower() == control.lower()],
            group: wells[wells[by] == group]}
    for i, (ch, f) in enumerate(panels):
        for name, rows in sets.items():
            v = rows[f].dropna().to_numpy(float)[:max_points]
            colour = CONTROL_COLOUR if name == control else TREATED_COLOUR
            if style == "violin":
                trace = go.Violin(y=v, x0=name, name=name, legendgroup=name, showlegend=i == 0, box_visible=True,
                                  points=False, line_color=colour, hoverinfo="y")
            else:
                trace = go.Histogram(x=v, name=name, legendgroup=name, showlegend=i == 0, marker_color=colour,
                                     opacity=0.6, histnorm="probability", nbinsx=30)
            fig.add_trace(trace, row=1, col=i + 1)
    fig.update_annotations(font_size=11)
    return _layout(fig, title=title or f"{group} vs {control}: intensity per well (normalised)", height=320,
                   violinmode="group", barmode="overlay", **layout)


def channel_ranking_figure(ranking: pd.DataFrame, *, group: str, title: str = "", **layout) -> go.Figure:
    """Bars of |Cohen's d| per channel for ``group`` (largest over the channel's features), sign in the hover."""
    rows = ranking[ranking["group"] == group]
    if rows.empty:
        raise ValueError(f"no ranking for {group!r}")
    fig = go.Figure(go.Bar(x=rows["abs_d"], y=rows["channel"], orientation="h",
                           marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(rows))],
                           customdata=np.c_[rows["d"], rows["feature"]],
                           hovertemplate="%{y}: |d| %{x:.2f} (d %{customdata[0]:.2f})<br>%{customdata[1]}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="largest |Cohen's d| against the control")
    return _layout(fig, title=title or f"Channels ranked for {group}", height=120 + 30 * len(rows), **layout)


def png_data_uri(pixels: np.ndarray) -> str:
    """A uint8 greyscale (h, w) or RGB (h, w, 3) array as a PNG data URI (small payloads for images)."""
    from PIL import Image

    a = np.asarray(pixels)
    if a.dtype != np.uint8 or a.ndim not in (2, 3):
        raise ValueError("pixels must be a uint8 (h, w) or (h, w, 3) array")
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def scale_contrast(img: np.ndarray, low: float, high: float) -> np.ndarray:
    """``img`` mapped to uint8 with ``low``..``high`` as black..white."""
    return (np.clip((img.astype(np.float32) - low) / max(high - low, 1e-9), 0, 1) * 255).astype(np.uint8)


def merge(channels: dict[str, np.ndarray]) -> np.ndarray:
    """A colour merge of uint8 channels (Cell Painting colours by name, else the palette)."""
    if not channels:
        raise ValueError("no channels to merge")
    shape = next(iter(channels.values())).shape
    rgb = np.zeros((*shape, 3), np.float32)
    for i, (name, img) in enumerate(channels.items()):
        colour = MERGE_COLOURS.get(name) or tuple(int(PALETTE[i][k:k + 2], 16) / 255 for k in (1, 3, 5))
        rgb += img.astype(np.float32)[..., None] * np.asarray(colour, np.float32)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def image_figure(channels: dict[str, np.ndarray], *, title: str = "", flags: dict[str, str] | None = None,
                 **layout) -> go.Figure:
    """One panel per channel (greyscale) and a colour merge; ``channels`` are uint8 images, contrast applied."""
    if not channels:
        raise ValueError("no channels to show")
    shapes = {c.shape for c in channels.values()}
    if len(shapes) != 1:
        raise ValueError(f"channels differ in shape: {sorted(shapes)}")
    panels = dict(channels)
    if len(channels) > 1:
        panels["merge"] = merge(channels)
    flags = flags or {}
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[f"{k}{' · ' + flags[k] if k in flags else ''}"
                                                                   for k in panels], horizontal_spacing=0.01)
    for i, (name, img) in enumerate(panels.items()):
        fig.add_trace(go.Image(source=png_data_uri(img), hoverinfo="skip"), row=1, col=i + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title=title, height=340, **layout)
