"""binary_metrics (one sort and four counts) equals scikit-learn's metrics, ties and missing values included."""

import numpy as np
import pytest
from sklearn import metrics as skm

from engine.tools.metrics import METRICS, binary_metrics


@pytest.mark.parametrize("seed", range(6))
def test_binary_metrics_equal_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 3000))
    y = rng.integers(0, 2, n).astype(float)
    s = np.round(rng.random(n) * 0.6 + 0.4 * y, int(rng.integers(1, 4)))  # rounding makes tied scores
    y[rng.random(n) < 0.05] = np.nan
    s[rng.random(n) < 0.05] = np.nan
    threshold = float(rng.choice([0.3, 0.5, 0.7]))
    got = binary_metrics(y, s, threshold=threshold)
    keep = np.isfinite(y) & np.isfinite(s)
    yk, sk = y[keep].astype(int), s[keep]
    pred = (sk >= threshold).astype(int)
    want = {"auroc": skm.roc_auc_score(yk, sk), "ap": skm.average_precision_score(yk, sk),
            "f1": skm.f1_score(yk, pred, zero_division=0), "mcc": skm.matthews_corrcoef(yk, pred),
            "balanced_accuracy": skm.balanced_accuracy_score(yk, pred)}
    for m in METRICS:
        assert got[m] == pytest.approx(want[m], abs=1e-12), m


def test_binary_metrics_at_a_threshold_no_cell_reaches_and_with_one_class():
    y = np.array([0, 1, 0, 1, 1.0])
    got = binary_metrics(y, np.array([0.1, 0.2, 0.3, 0.4, 0.45]), threshold=0.9)
    assert got["f1"] == 0.0 and got["mcc"] == 0.0 and got["balanced_accuracy"] == 0.5
    assert all(np.isnan(v) for v in binary_metrics(np.ones(4), np.arange(4.0)).values())


def test_score_curves_are_scikit_learns_points():
    from engine.tools.metrics import score_curves

    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.random(400) + 0.3 * y, 2)
    c = score_curves(y, s)
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(c["fpr"], fpr)
    np.testing.assert_allclose(c["tpr"], tpr)
    precision, recall, _ = skm.precision_recall_curve(y, s)
    np.testing.assert_allclose(c["precision"], precision[::-1])
    np.testing.assert_allclose(c["recall"], recall[::-1])
    with pytest.raises(ValueError, match="both classes"):
        score_curves(np.ones(5), np.arange(5.0))
