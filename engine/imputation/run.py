"""The ``imputation`` kind's run: single-cell data in, one result ``.h5ad`` out (cells x highly variable genes,
``X`` the log-normalised values as measured, one ``imputed_<method>`` layer per method) with the masking
evaluation, the harm checks and provenance. Schema: ``engine/schema.md``, section "imputation".
"""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path
from typing import Callable

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..config import _slug
from ..data import catalog, read_single_cell
from ..data.errors import DataError
from ..data.install import source_checksums
from ..kinds import finish_run, start_run
from ..results import h5_safe
from .evaluate import masking_evaluation, summary_table
from .harm import false_correlations, new_de_genes, random_halves
from .methods import IMPUTERS, pca_space
from .settings import ImputationSettings

SUBFOLDER = "imputation"
MIN_CELLS = 20


def prepare(settings: ImputationSettings) -> ad.AnnData:
    """Read, check, normalise (counts), keep cells with ``min_genes`` detected genes and the highly variable
    genes; ``X`` becomes a dense float32 log-normalised matrix."""
    import scanpy as sc

    from ..preprocess import normalize_counts
    from ..tools.imputation import check_counts, check_log_expression

    adata = read_single_cell(settings.sc, label_column=None)
    if settings.input == "counts":
        check_counts(adata.X, what="the cells")
    else:
        check_log_expression(adata.X, what="the cells")
    n_read = adata.n_obs
    sc.pp.filter_cells(adata, min_genes=settings.min_genes)
    if adata.n_obs < MIN_CELLS:
        raise DataError(f"{adata.n_obs} of {n_read} cells have at least {settings.min_genes} detected genes; at least "
                        f"{MIN_CELLS} are needed (lower the minimum)")
    if settings.input == "counts":
        normalize_counts(adata)
    sc.pp.filter_genes(adata, min_cells=3)
    n_top = min(settings.n_top_genes, adata.n_vars)
    sc.pp.highly_variable_genes(adata, n_top_genes=n_top, flavor="seurat")
    adata = adata[:, adata.var["highly_variable"]].copy()
    adata.X = check_log_expression(adata.X, what="the cells")
    adata.uns["preprocessing"] = {
        "n_cells_read": n_read, "min_genes": settings.min_genes, "n_cells": adata.n_obs, "n_genes": adata.n_vars,
        "normalization": "counts per 10k, log1p" if settings.input == "counts" else "given log-normalised",
        "genes": f"{n_top} highly variable genes (scanpy, seurat flavour) on all cells, chosen before masking",
        "share_nonzero": float((adata.X > 0).mean())}
    return adata


def run(settings: ImputationSettings, *, progress: Callable[[dict], None] | None = None,
        cancel: Callable[[], bool] | None = None) -> Path:
    from ..tools.embedding import umap_coords
    from ..tools.imputation import impute

    run_ = start_run(settings, progress=progress, cancel=cancel)
    say, timer = run_.say, run_.timer
    say("load", 0.0, f"reading {settings.sc}")
    with timer.stage("load"):
        adata = prepare(settings)
    X = adata.X
    methods = [m for m in settings.methods if m != "gene_mean"]  # gene_mean is always a reference row
    imputer = {m: partial(IMPUTERS[m], **settings.method_options(m),
                          **({"cancel": cancel} if m == "autoencoder" else {})) for m in settings.methods}
    seeds = list(range(settings.seeds))
    n_steps = len(settings.rates) * len(seeds) * (len(methods) + 2)
    done = iter(range(1, n_steps + 1))
    with timer.stage("masking"):
        rows, points = masking_evaluation(
            X, {m: imputer[m] for m in methods}, rates=settings.rates, seeds=seeds,
            on_step=lambda msg: say("masking", 0.05 + 0.6 * next(done) / n_steps, msg))

    harm = {}
    groups = {"random_halves": random_halves(adata.n_obs, seed=0)}
    if settings.groupby:
        if settings.groupby not in adata.obs:
            raise DataError(f"no column {settings.groupby!r} in the cells' annotations for the DE check")
        values = adata.obs[settings.groupby].astype(str)
        top = values.value_counts().index[:2]
        if len(top) < 2:
            raise DataError(f"column {settings.groupby!r} holds one group only; the DE check needs two")
        groups[settings.groupby] = np.where(values == top[0], str(top[0]), str(top[1]))
    with timer.stage("impute_and_harm"):
        for k, m in enumerate(settings.methods):
            say("harm", 0.65 + 0.25 * k / len(settings.methods), f"{m}: full data and harm checks")
            key = impute(adata, method=m, seed=0, cancel=cancel if m == "autoencoder" else None,
                         **settings.method_options(m))
            imputed = adata.layers[key]
            per_seed = [false_correlations(X, partial(imputer[m], seed=s), seed=s) for s in seeds]
            harm[m] = {"false_correlations": {
                           "null_rate": float(np.mean([f["null_rate"] for f in per_seed])),
                           "imputed_rate": float(np.mean([f["imputed_rate"] for f in per_seed])),
                           "ratio": float(np.mean([f["ratio"] for f in per_seed])),
                           "worst_ratio": float(np.max([f["ratio"] for f in per_seed])),
                           "per_seed": [f["ratio"] for f in per_seed]},
                       "new_de": {g: new_de_genes(X, imputed, labels, adata.var_names)
                                  for g, labels in groups.items()}}
    say("display", 0.92, "UMAP")
    with timer.stage("display"):
        adata.obsm["X_pca"] = pca_space(X)
        adata.obsm["X_umap"] = umap_coords(adata.obsm["X_pca"], seed=0)
        adata.X = sp.csr_matrix(X)

    name = settings.name or f"imputation__{_slug(settings.sc if catalog.is_dataset_id(settings.sc) else Path(settings.sc).stem)}__{uuid.uuid4().hex[:6]}"
    adata.uns["masking"] = pd.DataFrame(rows)
    adata.uns["masking_table"] = summary_table(rows)
    adata.uns["masking_points"] = pd.DataFrame(points)
    adata.uns["harm"] = h5_safe(harm)
    adata.uns["evaluation"] = {
        "protocol": "a share of the non-zero log-normalised entries is set to 0 (seeded); each method sees only the "
                    "masked matrix; RMSE, L1 and Pearson r are computed on the hidden entries; mean, sd and worst "
                    "over seeds",
        "harm": "false gene-gene correlations: share of gene pairs with two-sided p < 0.01 on a gene-permuted null "
                "(one per seed), measured vs imputed (goal: within 1.5x); DE genes (Wilcoxon, BH < 0.05, |log2FC| >= 0.5) found "
                "only after imputation, between random halves of the cells (a null) and any given grouping"}
    path = finish_run(adata, settings, run_, kind="imputation", name=name, checksums=source_checksums([settings.sc]),
                      seeds=seeds)
    return path
