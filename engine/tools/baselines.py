"""A simple baseline on the same genes: logistic regression trained on bulk, applied to cells unchanged."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

C_GRID = np.logspace(-6, 1, 8)


def choose_c(bulk_x: np.ndarray, bulk_y: np.ndarray, *, n_folds: int = 5) -> tuple[float, float]:
    """Inverse regularisation strength by k-fold cross-validated AUROC on bulk only; returns (C, CV AUROC)."""
    search = GridSearchCV(LogisticRegression(class_weight="balanced", solver="liblinear", max_iter=2000),
                          {"C": C_GRID}, scoring="roc_auc", cv=StratifiedKFold(n_folds), n_jobs=1)
    search.fit(bulk_x, bulk_y)
    return float(search.best_params_["C"]), float(search.best_score_)


def logistic_regression(bulk_x: np.ndarray, bulk_y: np.ndarray, cells_x: np.ndarray, *, C: float) -> np.ndarray:
    """L2, class-balanced logistic regression fitted on bulk; the probability of 'sensitive' for each cell."""
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    clf.fit(bulk_x, bulk_y)
    return clf.predict_proba(cells_x)[:, 1]
