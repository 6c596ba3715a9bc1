"""NSC / NSCB, copairs mAP and the classification report on cases whose answers are known."""

import numpy as np
import pandas as pd

from engine.morphology.evaluate import (classification_report, moa_average_precision, moa_map, nearest_moa,
                                        nn_accuracy)


def _info():
    return pd.DataFrame({"Metadata_Compound": ["a", "a", "b", "c", "d"], "Metadata_Batch": ["w1", "w1", "w1", "w2", "w2"],
                         "Metadata_moa": ["X", "X", "X", "Y", "Y"]}, index=list("12345"))


def test_evaluate_001_nsc_never_uses_the_same_compound_and_nscb_not_the_same_batch():
    info = _info()
    P = np.array([[1, 0], [1, 0.01], [1, 0.02], [0.99, 0.05], [0, 1.0]])
    nsc = nearest_moa(P, info, same_batch=True)
    nscb = nearest_moa(P, info, same_batch=False)
    # treatment 1's closest is 2, but that is the same compound: 3 (compound b, X) is the nearest allowed
    assert nsc["1"] == "X" and nsc["3"] == "X"
    assert nscb["1"] == "Y" and nscb["3"] == "Y"  # their only other-batch neighbours are Y
    assert nn_accuracy(pd.Series(["X", np.nan], index=["1", "2"]), info["Metadata_moa"]) == 1.0


def test_evaluate_002_map_is_one_when_moas_are_separated():
    rng = np.random.default_rng(0)
    info = pd.DataFrame({"Metadata_Compound": [f"c{i}" for i in range(12)], "Metadata_moa": ["X"] * 6 + ["Y"] * 6,
                         "Metadata_Batch": "w"}, index=[str(i) for i in range(12)])
    P = np.r_[rng.normal([5, 0], 0.1, (6, 2)), rng.normal([0, 5], 0.1, (6, 2))]
    per_moa = moa_map(moa_average_precision(P, info), null_size=200)
    assert np.allclose(per_moa["mAP"], 1.0) and (per_moa["p_value"] < 0.05).all()


def test_evaluate_003_report_and_confusion_count_what_was_right():
    truth = pd.Series(["X", "X", "Y", "Y"])
    report, cm = classification_report(truth, pd.Series(["X", "Y", "Y", "Y"]))
    assert cm.loc["X", "Y"] == 1 and cm.loc["Y", "Y"] == 2
    assert report.loc["X", "precision"] == 1.0 and report.loc["X", "recall"] == 0.5
