"""Which channels and feature groups separate a MoA from the controls: an effect size per feature, then the
largest per channel and per (compartment, category) group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .profiles import feature_annotation, feature_columns


def effect_sizes(wells: pd.DataFrame, *, control: np.ndarray, by: str = "Metadata_moa") -> pd.DataFrame:
    """Cohen's d (pooled sd) of every feature, each group of ``by`` against the control wells.

    Returns
    -------
    Rows = groups (MoAs), columns = features.
    """
    features = feature_columns(wells)
    X = wells[features].to_numpy(np.float64)
    ctrl = X[control]
    m0, v0, n0 = np.nanmean(ctrl, 0), np.nanvar(ctrl, 0, ddof=1), np.isfinite(ctrl).sum(0)
    rows = {}
    for group, idx in wells[~control].groupby(by).indices.items():
        Xg = X[~control][idx]
        m1, v1, n1 = np.nanmean(Xg, 0), np.nanvar(Xg, 0, ddof=1) if len(Xg) > 1 else np.zeros(X.shape[1]), np.isfinite(Xg).sum(0)
        pooled = np.sqrt(((n0 - 1) * v0 + np.maximum(n1 - 1, 0) * v1) / np.maximum(n0 + n1 - 2, 1))
        rows[group] = np.where(pooled > 0, (m1 - m0) / np.where(pooled > 0, pooled, 1), 0.0)
    return pd.DataFrame(rows, index=features).T


def channel_ranking(d: pd.DataFrame, *, category: str | None = None) -> pd.DataFrame:
    """Per group and channel, the largest |d| over the channel's features (optionally of one category, e.g.
    ``Intensity``) and the feature that reaches it; sorted by |d| within each group.

    Returns
    -------
    Columns ``group``, ``channel``, ``abs_d``, ``d``, ``feature``, ``n_features``.
    """
    ann = feature_annotation(list(d.columns))
    keep = ~ann["channel"].isin(["none", "multi"])
    if category is not None:
        keep &= ann["category"] == category
    rows = []
    for group, values in d.iterrows():
        for channel, feats in ann[keep].groupby("channel").groups.items():
            v = values[list(feats)]
            best = v.abs().idxmax()
            rows.append({"group": group, "channel": channel, "abs_d": float(abs(v[best])), "d": float(v[best]),
                         "feature": best, "n_features": len(feats)})
    out = pd.DataFrame(rows, columns=["group", "channel", "abs_d", "d", "feature", "n_features"])
    return out.sort_values(["group", "abs_d"], ascending=[True, False]).reset_index(drop=True)


def group_ranking(d: pd.DataFrame) -> pd.DataFrame:
    """Per group, the largest |d| per (compartment, category, channel) feature group."""
    ann = feature_annotation(list(d.columns))
    label = ann["compartment"] + " " + ann["category"] + " " + ann["channel"].replace({"none": "", "multi": "(channels)"})
    rows = []
    for group, values in d.iterrows():
        best = values.abs().groupby(label.to_numpy()).max()
        rows += [{"group": group, "feature_group": k.strip(), "abs_d": float(v)} for k, v in best.items()]
    out = pd.DataFrame(rows, columns=["group", "feature_group", "abs_d"])
    return out.sort_values(["group", "abs_d"], ascending=[True, False]).reset_index(drop=True)
