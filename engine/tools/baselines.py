"""A simple baseline on the same genes: logistic regression trained on bulk, applied to cells unchanged."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

C_GRID = np.logspace(-6, 1, 8)


def choose_c(bulk_x: np.ndarray, bulk_y: np.ndarray, *, n_folds: int = 5) -> tuple[float, float]:
    """Inverse regularisation strength by k-fold cross-validated AUROC on bulk only; returns (C, CV AUROC)."""
    cv = LogisticRegressionCV(Cs=C_GRID, cv=n_folds, scoring="roc_auc", class_weight="balanced", solver="liblinear",
                              max_iter=2000)
    cv.fit(bulk_x, bulk_y)
    return float(cv.C_[0]), float(cv.scores_[1].mean(0).max())


def logistic_regression(bulk_x: np.ndarray, bulk_y: np.ndarray, cells_x: np.ndarray, *, C: float) -> np.ndarray:
    """L2, class-balanced logistic regression fitted on bulk; the probability of 'sensitive' for each cell."""
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    clf.fit(bulk_x, bulk_y)
    return clf.predict_proba(cells_x)[:, 1]
