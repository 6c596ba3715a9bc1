"""The analysis run after training, or on an existing result (``python -m engine analyse``)."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc

from .attribution import MAX_CELLS, attribute
from .clusters import cluster_summary
from .signatures import GROUPS, deg_correlation, rank_groups, signature_genes


def _label_groups(labels: pd.Series) -> pd.Categorical:
    names = labels.map({1.0: "sensitive", 0.0: "resistant"})
    return pd.Categorical(names, categories=list(GROUPS)[::-1])


def _networks(adata: ad.AnnData, models, models_folder) -> tuple[list, str]:
    if models is not None:
        return [m.result.transferred for m in models], ""
    from ..model import load_networks

    folder = Path(models_folder) if models_folder else None
    if folder is None or not folder.exists():
        return [], f"model weights not found ({folder}); attributions need the run's saved models"
    nets = []
    for seed_dir in sorted(folder.glob("seed_*")):
        _, genes, _, n = load_networks(seed_dir)
        if genes != list(adata.var_names):
            return [], f"saved models in {folder} use other genes than this result"
        nets.append(n["transferred"])
    return nets, "" if nets else f"no seed_* models in {folder}"


def analyse_run(adata: ad.AnnData, *, models=None, models_folder: str | Path | None = None, n_steps: int = 32,
                n_top_genes: int = 50, n_signature_genes: int = 50, pval_cutoff: float = 0.05, lfc_cutoff: float = 0.5,
                n_null: int = 1000, seed: int = 0, attribution_max_cells: int | None = MAX_CELLS) -> ad.AnnData:
    """Attributions, critical genes, DEGs and signature scores, DEG correlation, cluster summaries, in place.

    Parts that cannot be computed are listed with their reason in ``uns['analysis']['skipped']``.
    """
    skipped: dict[str, str] = {}
    nets, why = _networks(adata, models, models_folder)
    if nets:
        attribute(adata, nets, n_steps=n_steps, n_top=n_top_genes, pval_cutoff=pval_cutoff, lfc_cutoff=lfc_cutoff,
                  max_cells=attribution_max_cells, seed=seed)
    else:
        skipped["attribution"] = why

    lists: dict[str, list[str]] = {}
    why = rank_groups(adata, groupby="predicted", key_added="rank_genes_predicted")
    if why:
        skipped["deg_predicted"] = why
    else:
        for g in GROUPS:
            lists[f"{g}_predicted"] = signature_genes(adata, key="rank_genes_predicted", group=g,
                                                      n_genes=n_signature_genes, pval_cutoff=pval_cutoff)
    has_labels = "label" in adata.obs and adata.obs["label"].notna().any()
    if has_labels:
        adata.obs["label_name"] = _label_groups(adata.obs["label"])
        labelled = adata[adata.obs["label"].notna()].copy()
        why = rank_groups(labelled, groupby="label_name", key_added="rank_genes_true")
        if why:
            skipped["deg_true"] = why
        else:
            adata.uns["rank_genes_true"] = labelled.uns["rank_genes_true"]
            for g in GROUPS:
                lists[f"{g}_true"] = signature_genes(adata, key="rank_genes_true", group=g,
                                                     n_genes=n_signature_genes, pval_cutoff=pval_cutoff)
    else:
        skipped["deg_true"] = skipped["deg_correlation"] = "no single-cell labels (ground-truth parts need labels)"

    for name, genes in lists.items():
        if len(genes) < 2:
            skipped[f"score_{name}"] = f"{len(genes)} significant genes (adjusted p <= {pval_cutoff})"
            continue
        group, kind = name.split("_")
        sc.tl.score_genes(adata, genes, score_name=f"{group}_score_{kind}", random_state=seed, use_raw=False)

    corr = {}
    for g in GROUPS:
        pred, true = f"{g}_score_predicted", f"{g}_score_true"
        if pred in adata.obs and true in adata.obs:
            corr[g] = deg_correlation(adata, pred, true, lists[f"{g}_predicted"], n_null=n_null, seed=seed)
        elif has_labels:
            skipped[f"deg_correlation_{g}"] = "a predicted or ground-truth signature score is missing"
    if corr:
        adata.uns["deg_correlation"] = corr
    adata.uns["signature_genes"] = {k: np.asarray(v, dtype=object) for k, v in lists.items()}

    if "leiden" in adata.obs:
        cluster_summary(adata)
    else:
        skipped["cluster_summary"] = "no obs['leiden']"
    adata.uns["analysis"] = {"skipped": skipped, "params": {
        "n_steps": n_steps, "n_signature_genes": n_signature_genes, "pval_cutoff": pval_cutoff,
        "lfc_cutoff": lfc_cutoff, "n_null": n_null, "seed": seed, "attribution_max_cells": attribution_max_cells or 0, "deg_method": "wilcoxon (sc.tl.rank_genes_groups)",
        "signature_score": "sc.tl.score_genes"}}
    return adata
