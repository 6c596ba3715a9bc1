"""A run: a config in, one result ``.h5ad`` out (atomic write, full provenance).

The dashboard, background jobs, the CLI and the benchmarks all call :func:`run`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import anndata as ad
import numpy as np
import pandas as pd

from . import provenance
from .data import load_bulk, read_single_cell
from .data.install import checksums, source_checksums
from .folds import line_groups
from .model import DrugResponseModel
from .preprocess import harmonize, scaled_matrix
from .results import h5_safe, write_atomic
from .tools.baselines import BOOSTING_ITER, BOOSTING_PCS, choose_boosting, choose_c, gradient_boosting, logistic_regression
from .tools.metrics import binary_metrics, summarize
from .tools.embedding import neighbors_umap, reduce_representation, umap_start
from .tools.stability import seed_uncertainty
from .config import RunConfig, config_from_dict, run_name
from .train import Cancelled, resolve_device

Progress = Callable[[dict], None]


def load_bulk_sources(bulk: str, *, drug: str, response: str, screen: str) -> ad.AnnData:
    """The labelled bulk set of a run: one source (a catalog id or an .h5ad), or several joined by '+'
    (e.g. ``gdsc+ccle``: every study's rows of the lines GDSC screened, see
    :func:`engine.integration.sources.labelled_sources`)."""
    if "+" in bulk:
        from .integration.sources import labelled_sources

        return labelled_sources([s for s in bulk.split("+") if s], drug=drug, response=response, screen=screen)
    return load_bulk(bulk, drug=drug, response=response, screen=screen)


def _data_checksums(cfg: RunConfig) -> dict:
    out = source_checksums([*cfg.bulk.split("+"), cfg.sc, cfg.sc_labels])
    if "gdsc" in cfg.bulk.split("+") and cfg.response in ("binary", "auto"):  # auto reads scDEAL's labels to decide
        out.update(checksums(["scdeal_bulk_labels"]))
    return out


def _embed(adata: ad.AnnData, latent: np.ndarray, *, seed: int, cluster: bool,
           n_components: int) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """UMAP (and Leiden clusters) of the cells from a latent code, its kNN graph on the code's top
    ``n_components`` principal components; with a record of how."""
    import scanpy as sc

    rep, kept = reduce_representation(latent, n_components=n_components, seed=seed)
    tmp = ad.AnnData(np.zeros((latent.shape[0], 1), dtype=np.float32), obs=pd.DataFrame(index=adata.obs_names))
    tmp.obsm["rep"] = rep
    neighbors_umap(tmp, use_rep="rep", seed=seed)
    leiden = None
    if cluster:
        sc.tl.leiden(tmp, flavor="igraph", n_iterations=2, random_state=seed, directed=False)
        leiden = tmp.obs["leiden"].to_numpy()
    how = {"latent_columns": int(latent.shape[1]), "knn_on": f"top {rep.shape[1]} principal components"
           if rep.shape[1] < latent.shape[1] else "the latent code", "variance_kept": round(kept, 4),
           "umap_start": umap_start(len(rep)), "n_neighbors": 15, "seed": seed}
    return tmp.obsm["X_umap"], leiden, how


def _label_names(score: np.ndarray, threshold: float) -> pd.Categorical:
    return pd.Categorical(np.where(score >= threshold, "sensitive", "resistant"), categories=["resistant", "sensitive"])


def run(cfg: RunConfig, *, progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
        analyse: Callable[[ad.AnnData, list], None] | None = None) -> Path:
    """Train ``cfg.seeds`` seeds, evaluate against both baselines, write the result; returns its path.

    ``progress`` receives dicts with ``stage``, ``fraction`` (0..1) and ``message``; ``cancel`` is polled
    during training and raises :class:`engine.train.Cancelled`. ``analyse(result, models)`` may add
    analysis keys before the file is written.
    """
    cfg.validate()  # every setting, and a writable output folder, before any data are read
    report = progress or (lambda e: None)

    def checkpoint(stage: str) -> None:
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled before {stage}")

    timer = provenance.StageTimer()
    started = provenance.utc_now()
    name = run_name(cfg, started)
    seeds = list(range(cfg.first_seed, cfg.first_seed + cfg.seeds))
    device = resolve_device(cfg.train.device)

    report({"stage": "load", "fraction": 0.0, "message": f"loading {cfg.bulk} ({cfg.drug}) and {cfg.sc}"})
    with timer.stage("load"):
        bulk = load_bulk_sources(cfg.bulk, drug=cfg.drug, response=cfg.response, screen=cfg.screen)
        cells = read_single_cell(cfg.sc, label_table=cfg.sc_labels, label_column=cfg.label_column)
        qc_record = None
        if cfg.qc:
            from .qc import apply_decision

            cells, qc_record = apply_decision(cells, cfg.qc, source=cfg.sc)
    with timer.stage("preprocess"):
        bulk, cells = harmonize(bulk, cells, n_top_genes=cfg.n_top_genes, impute=cfg.impute, seed=seeds[0],
                                device=cfg.train.device)
    report({"stage": "preprocess", "fraction": 0.05,
            "message": f"{bulk.n_obs} cell lines, {cells.n_obs} cells, {cells.n_vars} shared genes"})

    train_cfg, bulk_cv, lines = cfg.train, None, line_groups(bulk)  # lines: each row's cell line, if any repeats
    if cfg.bulk_cv:
        from .tools.bulk_cv import choose_by_bulk_cv

        report({"stage": "bulk_cv", "fraction": 0.05, "message": "choosing settings by 5-fold CV on the bulk lines"})
        with timer.stage("bulk_cv"):
            train_cfg, bulk_cv = choose_by_bulk_cv(bulk.layers["scaled"], bulk.obs["response"].to_numpy(), cfg.train,
                                                   seed=seeds[0], cancel=cancel, lines=lines)
    models, history = [], []
    with timer.stage("train"):
        for i, seed in enumerate(seeds):
            def hook(row, i=i):
                k, n = row.get("member", 0), train_cfg.members
                within = (0.5 if row["stage"] == "transfer" else 0.0) + 0.5 * row["epoch"] / row["epochs"]
                done = (i + (k + within) / n) / len(seeds)
                network = f" network {k + 1}/{n}" if n > 1 else ""
                report({"stage": "train", "fraction": 0.05 + 0.75 * min(done, 1.0), "seed": row["seed"],
                        "epoch": row["epoch"], "epochs": row["epochs"], "phase": row["stage"],
                        "message": f"seed {row['seed']}{network} {row['stage']} epoch {row['epoch']}/{row['epochs']}",
                        "losses": {k: round(float(v), 4) for k, v in row.items()
                                   if k in ("cls", "rec_bulk", "rec_sc", "align", "kl", "val_bce", "val_auroc")}})
            model = DrugResponseModel(bulk, cells, train_cfg).fit(seed=seed, progress=hook, cancel=cancel)
            models.append(model)
            history.extend(model.result.history)

    checkpoint("evaluation")
    report({"stage": "evaluate", "fraction": 0.82, "message": "baselines and metrics"})
    result = cells
    post = np.stack([m.predict() for m in models], axis=1)
    pre = np.stack([m.predict(transferred=False) for m in models], axis=1)
    with timer.stage("baseline"):
        bx, by, cx = bulk.layers["scaled"], bulk.obs["response"].to_numpy(), scaled_matrix(cells)
        C, cv_auroc = choose_c(bx, by, lines=lines)
        boost, boost_cv, boost_grid = choose_boosting(bx, by, lines=lines)
        # each seed's baselines see the same bulk training rows as that seed's network (all of them when the seed's
        # members are cross-fitted: every line trains all members but one); both fits are deterministic, so seeds
        # that share their rows share one fit
        fits: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        for m in models:
            held = m.result.val_index
            if held.tobytes() not in fits:
                x, y = np.delete(bx, held, 0), np.delete(by, held)
                fits[held.tobytes()] = (logistic_regression(x, y, cx, C=C),
                                        gradient_boosting(x, y, cx, settings=boost))
        lr, gb = (np.stack([fits[m.result.val_index.tobytes()][k] for m in models], axis=1) for k in (0, 1))
    result.obs["sensitivity_score"] = post.mean(1)
    result.obs["sensitivity_score_pretransfer"] = pre.mean(1)
    result.obs["logreg_score"] = lr.mean(1)
    result.obs["boosting_score"] = gb.mean(1)
    result.obs["predicted"] = _label_names(result.obs["sensitivity_score"].to_numpy(), cfg.threshold)
    result.obs["predicted_pretransfer"] = _label_names(result.obs["sensitivity_score_pretransfer"].to_numpy(), cfg.threshold)
    result.obsm["sensitivity_score_per_seed"] = post
    result.obsm["sensitivity_score_pretransfer_per_seed"] = pre
    result.obsm["logreg_score_per_seed"] = lr
    result.obsm["boosting_score_per_seed"] = gb
    seed_uncertainty(result, threshold=cfg.threshold)  # label-free: the seeds compared with one another
    result.uns["metrics"] = _metrics(result, {"transfer": post, "no_transfer": pre, "logistic_regression": lr,
                                              "gradient_boosting": gb}, cfg.threshold, models, seeds)
    result.uns["baseline"] = h5_safe({
        "model": "logistic regression (L2, class-balanced, C by 5-fold bulk AUROC)", "C": C, "bulk_cv_auroc": cv_auroc,
        "folds": "stratified, each cell line's rows in one fold" if lines is not None else "stratified",
        "gradient_boosting": {"model": f"HistGradientBoostingClassifier on the bulk's top {BOOSTING_PCS} principal "
                                       f"components ({BOOSTING_ITER} trees), settings by 5-fold bulk AUROC",
                              "settings": boost, "bulk_cv_auroc": boost_cv, "grid": boost_grid}})

    checkpoint("embedding")
    report({"stage": "embed", "fraction": 0.88, "message": "latent space, UMAP, Leiden"})
    with timer.stage("embed"):
        result.obsm["X_latent"] = models[0].get_latent()
        result.obsm["X_latent_pretransfer"] = models[0].get_latent(transferred=False)
        width = train_cfg.n_latent
        result.obsm["X_umap"], leiden, how = _embed(result, result.obsm["X_latent"], seed=seeds[0], cluster=True,
                                                    n_components=width)
        result.obs["leiden"] = pd.Categorical(leiden)
        result.obsm["X_umap_pretransfer"], _, how_pre = _embed(result, result.obsm["X_latent_pretransfer"],
                                                               seed=seeds[0], cluster=False, n_components=width)
        result.uns["embedding"] = h5_safe({"X_umap": how, "X_umap_pretransfer": how_pre})
    if analyse is not None:
        checkpoint("analysis")
        report({"stage": "analyse", "fraction": 0.92, "message": "attributions, signatures, DEG correlation"})
        with timer.stage("analyse"):
            analyse(result, models)

    checkpoint("writing the result")
    out_dir = Path(cfg.out)
    result.uns["run_id"] = name
    result.uns["config"] = h5_safe(cfg.to_dict())
    result.uns["access"] = {"owner": cfg.owner, "visibility": cfg.visibility}
    result.uns["bulk"] = h5_safe(bulk.uns["bulk"])
    result.uns["sc_input"] = h5_safe(cells.uns["sc_input"])
    if qc_record is not None:
        result.uns["qc_decision"] = h5_safe(qc_record)
    if bulk_cv is not None:
        result.uns["bulk_cv"] = h5_safe(bulk_cv)
    result.uns["training_history"] = pd.DataFrame(history).astype({"stage": str})
    if cfg.save_models:
        with timer.stage("save_models"):
            for m in models:
                m.save(out_dir / f"{name}.models" / f"seed_{m.seed}")
    result.uns["provenance"] = h5_safe({
        "started": started, "finished": provenance.utc_now(), "seeds": seeds, "argv": " ".join(sys.argv),
        "versions": provenance.versions(), "device": provenance.device_info(device),
        "data_checksums": _data_checksums(cfg), "seconds_per_stage": dict(timer.seconds),
        "models_folder": f"{name}.models" if cfg.save_models else ""})
    path = write_atomic(result, out_dir / f"{name}.h5ad")  # the file write itself is timed by bench/speed.py
    report({"stage": "done", "fraction": 1.0, "message": str(path), "path": str(path)})
    return path


def run_job(cfg: RunConfig, *, progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
            analyse: bool = True) -> Path:
    """:func:`run` as the ``transfer`` kind (see :mod:`engine.kinds`): ``analyse`` adds attributions and DEGs."""
    analysis = None
    if analyse:
        from .tools.analysis import analyse_run

        analysis = lambda result, models: analyse_run(result, models=models)
    return run(cfg, progress=progress, cancel=cancel, analyse=analysis)


def _metrics(result, scores: dict[str, np.ndarray], threshold, models, seeds) -> dict:
    """Per-seed metrics (mean, sd, worst) of each model in ``scores`` (cells x seeds), and of the seed ensemble."""
    base = {"threshold": threshold, "positive_class": "sensitive", "n_seeds": len(seeds),
            "bulk_validation_auroc": {"transfer": [m.result.bulk_val_auroc.get("transfer", np.nan) for m in models],
                                      "no_transfer": [m.result.bulk_val_auroc.get("pretransfer", np.nan) for m in models]}}
    y = result.obs["label"].to_numpy(dtype=float) if "label" in result.obs else None
    if y is None or np.isfinite(y).sum() == 0:
        return h5_safe({**base, "skipped": "no single-cell labels: metrics need labels (evaluation only)"})
    if len(np.unique(y[np.isfinite(y)])) < 2:
        return h5_safe({**base, "skipped": "single-cell labels hold one class only: AUROC and MCC are undefined"})
    per = lambda S: summarize([binary_metrics(y, S[:, k], threshold=threshold) for k in range(S.shape[1])])
    return h5_safe({**base, **{name: per(S) for name, S in scores.items()},
                    "transfer_seed_ensemble": binary_metrics(y, scores["transfer"].mean(1), threshold=threshold),
                    "n_labelled_cells": int(np.isfinite(y).sum())})


__all__ = ["Cancelled", "RunConfig", "config_from_dict", "run"]
