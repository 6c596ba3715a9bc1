"""MoA evaluation the way the field does it: nearest-neighbour accuracy not-same-compound (NSC) and
not-same-compound-or-batch (NSCB), MoA retrieval mAP with copairs (permutation p-values), per-class
precision / recall / F1, and phenotypic activity (replicates against controls).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.errors import DataError


def cosine_similarity(P: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(P, axis=1, keepdims=True)
    Pn = P / np.where(norm == 0, 1, norm)
    return Pn @ Pn.T


def nearest_moa(P: np.ndarray, info: pd.DataFrame, *, queries: np.ndarray | None = None,
                same_batch: bool = False) -> pd.Series:
    """For each query treatment, the MoA of its most similar (cosine) treatment of another compound, and of
    another batch unless ``same_batch`` (NSC: ``same_batch=True``; NSCB: ``False``).

    Parameters
    ----------
    P
        Treatment profiles (rows of ``info``).
    info
        ``Metadata_Compound``, ``Metadata_Batch``, ``Metadata_moa`` per treatment.
    queries
        Boolean mask of the treatments to predict (default: all).
    same_batch
        False excludes neighbours of the same batch (NSCB); True allows them (NSC).

    Returns
    -------
    The neighbour's MoA per query treatment (NaN where no neighbour qualifies).
    """
    return nearest_moa_by_similarity(cosine_similarity(P), info, queries=queries, same_batch=same_batch)


def nearest_moa_by_similarity(S: np.ndarray, info: pd.DataFrame, *, queries: np.ndarray | None = None,
                              same_batch: bool = False) -> pd.Series:
    """:func:`nearest_moa` from a similarity matrix (row i: treatment i against every treatment), e.g. the
    mean over seeds of each query's similarities in the model that did not see its compound."""
    compound, batch = info["Metadata_Compound"].to_numpy(), info["Metadata_Batch"].to_numpy()
    moa = info["Metadata_moa"].to_numpy()
    queries = np.ones(len(info), bool) if queries is None else queries
    out = pd.Series(np.nan, index=info.index, dtype=object)
    for i in np.flatnonzero(queries):
        ok = compound != compound[i]
        if not same_batch:
            ok &= batch != batch[i]
        if ok.any():
            out.iloc[i] = moa[np.flatnonzero(ok)[np.argmax(S[i, ok])]]
    return out


def nn_accuracy(predicted: pd.Series, truth: pd.Series) -> float:
    """Share of treatments whose neighbour's MoA is theirs (treatments without a neighbour are left out)."""
    truth = truth.reindex(predicted.index)
    ok = predicted.notna().to_numpy()
    return float((predicted[ok] == truth[ok]).mean()) if ok.any() else float("nan")


def moa_average_precision(P: np.ndarray, info: pd.DataFrame, *, queries: np.ndarray | None = None) -> pd.DataFrame:
    """Each (query) treatment's average precision for retrieving the treatments of its MoA made with other
    compounds, ranked by cosine similarity among the treatments of other MoAs (copairs)."""
    from copairs.map import average_precision

    meta = info[["Metadata_Compound", "Metadata_moa"]].reset_index(drop=True)
    meta["treatment"] = np.asarray(info.index)
    ap = average_precision(meta, np.asarray(P, float), pos_sameby=["Metadata_moa"], pos_diffby=["Metadata_Compound"],
                           neg_sameby=[], neg_diffby=["Metadata_moa"], progress_bar=False)
    if queries is not None:
        ap = ap[ap["treatment"].isin(np.asarray(info.index)[queries])]
    return ap.dropna(subset=["average_precision"])


def moa_map(ap: pd.DataFrame, *, null_size: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Mean average precision per MoA (rows of :func:`moa_average_precision`) with permutation p-values,
    BH-corrected (copairs).

    Returns
    -------
    One row per MoA: ``mAP``, ``p_value``, ``corrected_p_value``, ``significant`` (corrected p < 0.05).
    """
    from copairs.map import mean_average_precision

    m = mean_average_precision(ap.reset_index(drop=True), sameby=["Metadata_moa"], null_size=null_size,
                               threshold=0.05, seed=seed, progress_bar=False, max_workers=1)
    m = m.rename(columns={"mean_average_precision": "mAP", "below_corrected_p": "significant"})
    return m.set_index("Metadata_moa")[["mAP", "p_value", "corrected_p_value", "significant"]].sort_index()


def phenotypic_activity(wells: pd.DataFrame, X: np.ndarray, *, control: np.ndarray, null_size: int = 2000,
                        seed: int = 0) -> pd.DataFrame:
    """Per treatment: how well its replicate wells retrieve one another against the control wells (copairs mAP,
    permutation p-values); ``active`` where the corrected p is below 0.05."""
    from copairs.map import average_precision, mean_average_precision

    meta = pd.DataFrame({"treatment": (wells["Metadata_Compound"].astype(str) + " @ "
                                       + wells["Metadata_Concentration"].map("{:g}".format)).to_numpy(),
                         "is_control": control})
    # controls get an index each, so that they never pair as replicates of one another
    meta["control_index"] = np.where(control, np.arange(len(meta)), -1)
    ap = average_precision(meta, np.nan_to_num(X), pos_sameby=["treatment", "control_index"],
                           pos_diffby=[], neg_sameby=[], neg_diffby=["is_control"], progress_bar=False)
    ap = ap[~ap["is_control"]].dropna(subset=["average_precision"])
    if ap.empty:
        raise DataError("No treatment has two or more replicate wells: phenotypic activity needs replicates")
    m = mean_average_precision(ap, sameby=["treatment"], null_size=null_size, threshold=0.05, seed=seed,
                               progress_bar=False, max_workers=1)
    m = m.rename(columns={"mean_average_precision": "mAP", "below_corrected_p": "active"})
    return m.set_index("treatment")[["mAP", "p_value", "corrected_p_value", "active"]]


def classification_report(truth: pd.Series, predicted: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-class precision / recall / F1 / support, and the confusion matrix (rows = true MoA)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    ok = predicted.notna()
    labels = sorted(set(truth[ok]) | set(predicted[ok]))
    p, r, f, s = precision_recall_fscore_support(truth[ok], predicted[ok], labels=labels, zero_division=0)
    report = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=pd.Index(labels, name="moa"))
    cm = pd.DataFrame(confusion_matrix(truth[ok], predicted[ok], labels=labels), index=labels, columns=labels)
    return report, cm
