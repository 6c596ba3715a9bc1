"""Simple baselines on the same genes, trained on bulk only and applied to the cells unchanged: an L2 logistic
regression and gradient boosting (scikit-learn's HistGradientBoostingClassifier), each with its settings chosen by
k-fold cross-validated AUROC on the bulk lines (folds grouped by line: see :mod:`engine.folds`)."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from ..folds import stratified_folds

C_GRID = np.logspace(-6, 1, 8)
# boosting reads the bulk's top principal components (fitted once on the bulk rows, without labels, so the CV
# folds share it without leaking): on ~1,000 lines x thousands of genes the trees otherwise take minutes per fit
BOOSTING_PCS = 50
BOOSTING_GRID = {"learning_rate": [0.05, 0.1], "max_depth": [2, 4]}
BOOSTING_ITER = 100


def choose_c(bulk_x: np.ndarray, bulk_y: np.ndarray, *, n_folds: int = 5,
             lines: np.ndarray | None = None) -> tuple[float, float]:
    """Inverse regularisation strength by k-fold cross-validated AUROC on bulk only; returns (C, CV AUROC).
    ``lines`` (a code per row, :func:`engine.folds.line_groups`) keeps each line's rows in one fold.

    liblinear: on GDSC-sized sets (~900 lines x ~1,400 genes) it walks the 8 x 5 grid in ~3 s, where lbfgs takes
    ~13 s, and ~9 s along scikit-learn's regularisation path (LogisticRegressionCV); both chose the same C on PLX4720.
    """
    search = GridSearchCV(LogisticRegression(class_weight="balanced", solver="liblinear", max_iter=2000),
                          {"C": C_GRID}, scoring="roc_auc", cv=stratified_folds(bulk_y, n_folds=n_folds, groups=lines),
                          n_jobs=1)
    search.fit(bulk_x, bulk_y)
    return float(search.best_params_["C"]), float(search.best_score_)


def logistic_regression(bulk_x: np.ndarray, bulk_y: np.ndarray, cells_x: np.ndarray, *, C: float) -> np.ndarray:
    """L2, class-balanced logistic regression fitted on bulk; the probability of 'sensitive' for each cell."""
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    clf.fit(bulk_x, bulk_y)
    return _sensitive_probability(clf, cells_x)


PREDICT_ROWS = 65_536  # cells scored at a time (the cells may be standardised on the fly, see ScaledRows)


def _sensitive_probability(clf, cells_x, transform=None) -> np.ndarray:
    """P('sensitive') of every row of ``cells_x`` (an array or :class:`engine.preprocess.ScaledRows`), in chunks."""
    parts = []
    for start in range(0, cells_x.shape[0], PREDICT_ROWS):
        block = np.asarray(cells_x[start:start + PREDICT_ROWS])
        parts.append(clf.predict_proba(block if transform is None else transform(block))[:, 1])
    return np.concatenate(parts) if parts else np.zeros(0)


def _components(bulk_x: np.ndarray) -> PCA:
    return PCA(n_components=max(1, min(BOOSTING_PCS, *bulk_x.shape)), random_state=0).fit(bulk_x)


def _booster(**params) -> HistGradientBoostingClassifier:
    # no class weights: with them scikit-learn 1.x fits ~20x slower here; AUROC and AP are rank-based
    return HistGradientBoostingClassifier(early_stopping=False, random_state=0, max_iter=BOOSTING_ITER, **params)


def choose_boosting(bulk_x: np.ndarray, bulk_y: np.ndarray, *, n_folds: int = 5,
                    lines: np.ndarray | None = None) -> tuple[dict, float, list[dict]]:
    """Gradient-boosting settings by k-fold cross-validated AUROC on bulk only (``lines`` as for :func:`choose_c`).

    Returns
    -------
    (the chosen settings, their CV AUROC, every grid point with its mean and per-fold AUROC)
    """
    Z = _components(bulk_x).transform(bulk_x)
    search = GridSearchCV(_booster(), BOOSTING_GRID, scoring="roc_auc",
                          cv=stratified_folds(bulk_y, n_folds=n_folds, groups=lines), n_jobs=1)
    search.fit(Z, bulk_y)
    cv = search.cv_results_
    grid = [{"settings": dict(p), "cv_auroc": float(cv["mean_test_score"][i]),
             "folds": [float(cv[f"split{k}_test_score"][i]) for k in range(n_folds)]}
            for i, p in enumerate(cv["params"])]
    return dict(search.best_params_), float(search.best_score_), grid


def gradient_boosting(bulk_x: np.ndarray, bulk_y: np.ndarray, cells_x: np.ndarray, *, settings: dict) -> np.ndarray:
    """Gradient boosting on the bulk's top principal components, fitted on bulk; P('sensitive') for each cell."""
    pca = _components(bulk_x)
    clf = _booster(**settings).fit(pca.transform(bulk_x), bulk_y)
    return _sensitive_probability(clf, cells_x, pca.transform)
