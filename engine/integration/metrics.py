"""How well an embedding of cell lines from several studies clusters by tissue and not by study, measured on
the held-out lines: silhouette, Calinski-Harabasz and Davies-Bouldin on tissue, silhouette on study (lower is
better), same-line retrieval across studies, cross-study tissue 1-NN accuracy, and scIB's biology-conservation
and batch-correction scores (scib-metrics: tissue is the label, study the batch)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# which way is better, for tables and goals
HIGHER_IS_BETTER = {"tissue_silhouette": True, "study_silhouette": False, "calinski_harabasz": True,
                    "davies_bouldin": False, "same_line_top1": True, "cross_study_tissue_1nn": True,
                    "scib_bio_conservation": True, "scib_batch_correction": True, "scib_total": True}
LABELS = {"tissue_silhouette": "tissue silhouette", "study_silhouette": "study silhouette (lower is better)",
          "calinski_harabasz": "Calinski-Harabasz", "davies_bouldin": "Davies-Bouldin (lower is better)",
          "same_line_top1": "same-line retrieval (top-1)", "cross_study_tissue_1nn": "cross-study tissue 1-NN",
          "scib_bio_conservation": "scIB bio conservation", "scib_batch_correction": "scIB batch correction",
          "scib_total": "scIB total (0.6 bio + 0.4 batch)"}
SCIB_NEIGHBORS = 15


def scib_scores(Z: np.ndarray, tissue: np.ndarray, study: np.ndarray, *, n_neighbors: int = SCIB_NEIGHBORS) -> dict:
    """scIB's aggregate scores with scib-metrics (Luecken et al. 2022), tissue as the label and study as the batch:
    bio conservation = mean of tissue silhouette (rescaled), NMI and ARI of k-means clusters, and cLISI; batch
    correction = mean of study silhouette per tissue, iLISI and graph connectivity (kBET is left out: its
    diffusion map needs more rows than held-out folds have); total = 0.6 bio + 0.4 batch, as scIB weighs them.
    The kNN graph is exact (scikit-learn)."""
    import scib_metrics
    from scib_metrics.nearest_neighbors import NeighborsResults
    from sklearn.neighbors import NearestNeighbors

    Z = np.asarray(Z, np.float32)
    k = min(n_neighbors, len(Z) - 1)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z)
    graph = NeighborsResults(indices=idx, distances=dist)
    clusters = scib_metrics.nmi_ari_cluster_labels_kmeans(Z, tissue)
    bio = [scib_metrics.silhouette_label(Z, tissue), clusters["nmi"], clusters["ari"],
           scib_metrics.clisi_knn(graph, tissue)]
    batch = [scib_metrics.silhouette_batch(Z, tissue, study), scib_metrics.ilisi_knn(graph, study),
             scib_metrics.graph_connectivity(graph, tissue)]
    bio_score, batch_score = float(np.mean(bio)), float(np.mean(batch))
    return {"scib_bio_conservation": bio_score, "scib_batch_correction": batch_score,
            "scib_total": 0.6 * bio_score + 0.4 * batch_score}


def _nearest_other_study(Z: np.ndarray, study: np.ndarray, line: np.ndarray, *, exclude_same_line: bool) -> np.ndarray:
    """For each row, the index of its nearest (Euclidean) row from another study (-1 if none)."""
    from sklearn.metrics import pairwise_distances

    D = pairwise_distances(Z)
    D[study[:, None] == study[None, :]] = np.inf
    if exclude_same_line:
        D[line[:, None] == line[None, :]] = np.inf
    out = D.argmin(1)
    out[~np.isfinite(D.min(1))] = -1
    return out


def integration_metrics(Z: np.ndarray, obs: pd.DataFrame) -> dict[str, float]:
    """Every metric of :data:`HIGHER_IS_BETTER` for embedding ``Z`` of the rows of ``obs`` (``study``,
    ``tissue``, ``line``). Tissues with a single row are left out of the cluster scores."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    Z = np.nan_to_num(np.asarray(Z, np.float64))
    tissue, study, line = (obs[c].astype(str).to_numpy() for c in ("tissue", "study", "line"))
    counts = pd.Series(tissue).value_counts()
    keep = np.isin(tissue, counts.index[counts >= 2])
    out = {"tissue_silhouette": float(silhouette_score(Z[keep], tissue[keep])),
           "study_silhouette": float(silhouette_score(Z, study)) if len(set(study)) > 1 else float("nan"),
           "calinski_harabasz": float(calinski_harabasz_score(Z[keep], tissue[keep])),
           "davies_bouldin": float(davies_bouldin_score(Z[keep], tissue[keep]))}
    paired = pd.Series(line).map(pd.Series(study).groupby(line).nunique()).to_numpy() > 1
    nn = _nearest_other_study(Z, study, line, exclude_same_line=False)
    out["same_line_top1"] = float((line[nn[paired]] == line[paired]).mean()) if paired.any() else float("nan")
    nn = _nearest_other_study(Z, study, line, exclude_same_line=True)
    ok = nn >= 0
    out["cross_study_tissue_1nn"] = float((tissue[nn[ok]] == tissue[ok]).mean()) if ok.any() else float("nan")
    if len(set(study)) > 1:
        out.update(scib_scores(Z[keep], tissue[keep], study[keep]))
    return out
