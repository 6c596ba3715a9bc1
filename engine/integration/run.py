"""The ``integration`` kind's run: bulk sources in, one result ``.h5ad`` out (study x line rows, shared genes)
with every method's embedding and UMAP, metrics on held-out cell lines, and provenance.
Schema: ``engine/schema.md``, section "integration".
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..config import _slug
from ..data.install import checksums, source_checksums
from ..kinds import finish_run, start_run
from ..tools.metrics import seed_summary
from ..results import h5_safe
from .baselines import BASELINES
from .metrics import HIGHER_IS_BETTER, integration_metrics
from .settings import IntegrationSettings
from .sources import combine_sources

SUBFOLDER = "integration"


def _checksums(sources) -> dict:
    out = source_checksums(sources)
    if "gdsc" in sources:
        out.update(checksums(["ccle"]))  # the lineage of every line comes from DepMap's sample info
    return out


def run(settings: IntegrationSettings, *, progress: Callable[[dict], None] | None = None,
        cancel: Callable[[], bool] | None = None) -> Path:
    from ..tools.embedding import umap_coords
    from .model import embed, fit_center_loss_ae, line_folds, permuted_by_line, tissue_ids

    run_ = start_run(settings, progress=progress, cancel=cancel)
    say, timer, device = run_.say, run_.timer, run_.device
    say("load", 0.0, f"reading {', '.join(settings.sources)}")
    with timer.stage("load"):
        adata = combine_sources(list(settings.sources))
    obs = adata.obs
    lines = obs["line"].astype(str).to_numpy()
    classes = sorted(obs["tissue"].astype(str).unique())
    tissue = tissue_ids(obs["tissue"], classes)
    folds = line_folds(lines, settings.n_folds, seed=0)
    X = np.asarray(adata.X, np.float32)

    say("baselines", 0.05, "raw, per-study z-score, ComBat, Harmony")
    with timer.stage("baselines"):
        embeddings = {name: f(adata) for name, f in BASELINES.items()}
    per_fold = {name: [integration_metrics(Z[held], obs[held]) for held in folds] for name, Z in embeddings.items()}
    metrics = {name: {k: float(np.mean([f[k] for f in rows])) for k in HIGHER_IS_BETTER}
               for name, rows in per_fold.items()}

    seeds = list(range(settings.seeds))
    variants = {"center_loss": tissue}
    if settings.permutation_control:
        variants["permuted_labels"] = permuted_by_line(tissue, lines, seed=12345)
    runs = {v: [] for v in variants}
    n_steps, step = len(variants) * len(seeds) * len(folds), 0
    with timer.stage("train"):
        for variant, labels in variants.items():
            for seed in seeds:
                fold_metrics = []
                for k, held in enumerate(folds):
                    step += 1
                    say("train", 0.1 + 0.7 * step / n_steps, f"{variant}, seed {seed}, fold {k + 1}/{len(folds)}")
                    model = fit_center_loss_ae(X[~held], labels[~held], settings=settings, seed=seed, device=device,
                                               cancel=cancel)
                    fold_metrics.append(integration_metrics(embed(model, X[held], device), obs[held]))
                runs[variant].append({k: float(np.mean([f[k] for f in fold_metrics])) for k in HIGHER_IS_BETTER})
    for variant, rows in runs.items():
        metrics[variant] = {k: seed_summary([r[k] for r in rows], higher_is_better=better)
                            for k, better in HIGHER_IS_BETTER.items()}

    say("display", 0.85, "a display model on every line, and UMAPs")
    with timer.stage("display"):
        final = fit_center_loss_ae(X, tissue, settings=settings, seed=0, device=device, cancel=cancel)
        embeddings["center_loss"] = embed(final, X, device)
        for name, Z in embeddings.items():
            adata.obsm[f"X_umap_{name}"] = umap_coords(Z, seed=0)
        adata.obsm["X_center_loss"] = embeddings["center_loss"].astype(np.float32)
        adata.obsm["X_harmony"] = embeddings["harmony"]
        adata.layers["combat"] = embeddings["combat"]

    table = pd.DataFrame({name: {k: (v["mean"] if isinstance(v, dict) else v) for k, v in m.items()}
                          for name, m in metrics.items()}).T
    name = settings.name or f"integration__{'-'.join(map(_slug, settings.sources))}__{uuid.uuid4().hex[:6]}"
    adata.uns["metrics"] = h5_safe(metrics)
    adata.uns["metrics_table"] = table
    adata.uns["evaluation"] = {
        "protocol": f"{settings.n_folds} folds grouped by cell line (a line's rows from every study in one fold); "
                    "the autoencoder is trained on the other folds' lines; every method is scored on the held-out "
                    "lines only, mean over folds; baselines see no tissue labels",
        "display": "obsm['X_center_loss'] and its UMAP come from a model trained on every line (display only)",
        "permutation_control": "tissues shuffled among training lines" if settings.permutation_control else ""}
    adata.uns["training_history"] = final.history
    path = finish_run(adata, settings, run_, kind="integration", name=name, checksums=_checksums(settings.sources),
                      seeds=seeds, extra_versions=("harmonypy",))
    return path
