"""Per-cluster summaries of predictions."""

from __future__ import annotations

import anndata as ad
import pandas as pd


def cluster_summary(adata: ad.AnnData, *, groupby: str = "leiden", score: str = "sensitivity_score",
                    predicted: str = "predicted", label: str = "label", key_added: str = "cluster_summary") -> None:
    """Per cluster: cells, fraction predicted sensitive, mean score and, with labels, accuracy."""
    obs = adata.obs
    sens = obs[predicted] == "sensitive"
    df = pd.DataFrame({"n_cells": obs.groupby(groupby, observed=True).size(),
                       "fraction_predicted_sensitive": sens.groupby(obs[groupby], observed=True).mean(),
                       "mean_score": obs[score].groupby(obs[groupby], observed=True).mean()})
    if label in obs and obs[label].notna().any():
        correct = (sens.astype(float) == obs[label]).where(obs[label].notna())
        df["fraction_true_sensitive"] = obs[label].groupby(obs[groupby], observed=True).mean()
        df["accuracy"] = correct.groupby(obs[groupby], observed=True).mean()
    df.index = df.index.astype(str)
    df.index.name = groupby
    adata.uns[key_added] = df
