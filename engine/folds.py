"""Cross-validation folds over the bulk cell lines, grouped when a line has several rows.

A bulk set joined from several studies (``gdsc+ccle``) holds one row per line and study: folds and validation
splits over rows would put a line's GDSC row in training and its CCLE row in validation, and score the model on
a line it has seen. Every split of bulk rows in the engine goes through here, grouped by ``obs['line']``.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

Split = tuple[np.ndarray, np.ndarray]


def line_groups(bulk: ad.AnnData) -> np.ndarray | None:
    """An integer code per bulk row naming its cell line (``obs['line']``), or None when every row is its own
    line (no ``line`` column, or no line with two rows): the plain stratified splits are then grouped already."""
    if "line" not in bulk.obs:
        return None
    codes = pd.factorize(bulk.obs["line"].astype(str))[0]
    return codes if len(np.unique(codes)) < len(codes) else None


def stratified_folds(y: np.ndarray, *, n_folds: int, groups: np.ndarray | None = None,
                     seed: int | None = None) -> list[Split]:
    """(training rows, held-out rows) of ``n_folds`` folds stratified by ``y``; with ``groups``, no group is on
    both sides of any fold. ``seed`` None keeps the rows' order (no shuffle)."""
    shuffle = dict(shuffle=True, random_state=seed) if seed is not None else {}
    rows = np.zeros((len(y), 1))
    if groups is None:
        return list(StratifiedKFold(n_folds, **shuffle).split(rows, y))
    return list(StratifiedGroupKFold(n_folds, **shuffle).split(rows, y, groups))


def validation_split(y: np.ndarray, *, fraction: float, seed: int, groups: np.ndarray | None = None) -> Split:
    """(training rows, validation rows): a stratified random ``fraction`` held out; with ``groups``, whole groups
    (the first of ``round(1 / fraction)`` grouped folds)."""
    if groups is None:
        train, val = train_test_split(np.arange(len(y)), test_size=fraction, stratify=y, random_state=seed)
        return train, val
    return stratified_folds(y, n_folds=max(2, round(1 / fraction)), groups=groups, seed=seed)[0]
