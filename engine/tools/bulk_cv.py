"""Model settings chosen on bulk data only: k-fold cross-validation over the cell lines (one row per line, so the
folds are grouped by line), scoring the pre-transfer network's AUROC on each held-out fold. Single-cell data take
no part: the choice is made before any cell is seen."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from ..config import TrainConfig
from ..folds import stratified_folds
from .metrics import binary_metrics

# the grid, fixed in advance: encoder width and regularisation
SETTINGS_GRID: tuple[dict, ...] = ({"n_latent": 64, "dropout": 0.3}, {"n_latent": 32, "dropout": 0.3},
                                   {"n_latent": 64, "dropout": 0.1}, {"n_latent": 128, "dropout": 0.5})


def choose_by_bulk_cv(bulk_x: np.ndarray, bulk_y: np.ndarray, config: TrainConfig, *,
                      grid: tuple[dict, ...] = SETTINGS_GRID, n_folds: int = 5, seed: int = 0,
                      cancel: Callable[[], bool] | None = None,
                      lines: np.ndarray | None = None) -> tuple[TrainConfig, dict]:
    """The grid point with the best mean held-out AUROC of the bulk-only (pre-transfer) network.

    Parameters
    ----------
    bulk_x, bulk_y
        The bulk lines (scaled) and their binary response.
    config
        The run's training settings; each grid point overrides some of them.
    grid
        The candidate overrides.
    n_folds, seed
        Stratified folds over the lines and their seed.
    lines
        A cell-line code per row when lines have several rows (:func:`engine.folds.line_groups`): each line's rows
        stay in one fold, and on one side of each network's own validation split.

    Returns
    -------
    (the chosen settings, a record: the grid with each point's per-fold and mean AUROC, and the choice)
    """
    import torch

    from ..train import train

    folds = stratified_folds(bulk_y, n_folds=n_folds, groups=lines, seed=seed)
    rows = []
    for point in grid:
        cfg = replace(config, **point, transfer_epochs=0, members=1)  # one network per fold: the grid's width and dropout
        scores = []
        for train_idx, test_idx in folds:
            x, y = bulk_x[train_idx], bulk_y[train_idx]
            net = train(x, y, x[:2], config=cfg, seed=seed, cancel=cancel,
                        bulk_lines=None if lines is None else lines[train_idx]).pretrained  # no cells: bulk only
            with torch.no_grad():
                device = next(net.parameters()).device
                z, _ = net.encode(torch.as_tensor(bulk_x[test_idx], dtype=torch.float32, device=device))
                logit = net.predictor(z).cpu().numpy()
            scores.append(binary_metrics(bulk_y[test_idx], 1 / (1 + np.exp(-logit)))["auroc"])
        rows.append({"settings": point, "fold_auroc": [float(s) for s in scores], "mean_auroc": float(np.mean(scores))})
    best = max(range(len(rows)), key=lambda i: rows[i]["mean_auroc"])
    record = {"protocol": f"{n_folds}-fold stratified CV over bulk lines (seed {seed}"
                          f"{'; rows grouped by line' if lines is not None else ''}); pre-transfer network's AUROC "
                          "on each held-out fold; no single-cell data", "grid": rows, "chosen": dict(grid[best])}
    return replace(config, **grid[best]), record
