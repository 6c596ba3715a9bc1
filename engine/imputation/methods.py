"""Imputation methods on a dense, log-normalised cells x genes array (zeros are dropouts or true zeros).

Each method takes ``X`` and keyword options and returns an array of the same shape; none modifies ``X``.
``engine.tools.imputation.impute`` is the AnnData-facing entry point.

- ``gene_mean``: every zero becomes its gene's mean over the cells that express it (a reference row).
- ``knn``: every zero becomes the mean of the gene's non-zero values among the cell's ``k`` nearest
  neighbours in PCA space (the gene's non-zero mean where no neighbour expresses it).
- ``diffusion``: MAGIC-style: an adaptive Gaussian kernel on a kNN graph in PCA space, row-normalised to a
  Markov matrix, applied ``t`` times to every value (zeros and non-zeros alike).
- ``autoencoder``: the masked autoencoder (:class:`engine.imputation.module.MaskedAutoencoder`); zeros
  become its prediction, non-zero values stay as measured.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.sparse as sp

# defaults: the one source for the tool, the kind's settings and the CLI
KNN_K = 30
N_PCS = 50
DIFFUSION_KNN = 5
DIFFUSION_T = 3
DIFFUSION_DECAY = 1.0
AE_EPOCHS = 300
AE_HIDDEN = 256
AE_LATENT = 64
AE_HIDE_RATE = 0.25
AE_PATIENCE = 20


def gene_nonzero_mean(X: np.ndarray) -> np.ndarray:
    """Each gene's mean over the cells where it is non-zero (0 for a gene that is never seen)."""
    n = (X > 0).sum(0)
    return np.where(n > 0, X.sum(0) / np.maximum(n, 1), 0.0).astype(np.float32)


def fill_zeros(X: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``X`` with its zeros replaced by ``values`` (same shape, or one row per gene); non-zeros stay."""
    return np.where(X > 0, X, np.broadcast_to(values, X.shape)).astype(np.float32)


def pca_space(X: np.ndarray, *, n_pcs: int = N_PCS, seed: int = 0) -> np.ndarray:
    """PCA of the genes scaled to unit variance and clipped at 10 (scanpy's ``pp.scale`` then ``pp.pca``)."""
    from sklearn.decomposition import PCA

    sd = X.std(0)
    Z = np.clip((X - X.mean(0)) / np.where(sd > 0, sd, 1.0), -10, 10)
    n = max(1, min(n_pcs, X.shape[0] - 1, X.shape[1] - 1))
    return PCA(n_components=n, random_state=seed, svd_solver="randomized").fit_transform(Z).astype(np.float32)


def knn_graph(rep: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of each row's ``k`` nearest other rows."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(rep) - 1)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(rep).kneighbors(rep)
    return dist[:, 1:], idx[:, 1:]


def _adjacency(idx: np.ndarray, weights: np.ndarray | None = None) -> sp.csr_matrix:
    n, k = idx.shape
    w = np.ones(n * k, np.float32) if weights is None else weights.ravel().astype(np.float32)
    return sp.csr_matrix((w, (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))


def impute_gene_mean(X: np.ndarray, **_) -> np.ndarray:
    return fill_zeros(X, gene_nonzero_mean(X))


def impute_knn(X: np.ndarray, *, k: int = KNN_K, n_pcs: int = N_PCS, seed: int = 0, rep: np.ndarray | None = None,
               **_) -> np.ndarray:
    """Zeros -> the mean of the gene's non-zero values among the ``k`` nearest cells (in ``rep``, else PCA)."""
    _, idx = knn_graph(pca_space(X, n_pcs=n_pcs, seed=seed) if rep is None else rep, k)
    A = _adjacency(idx)
    total, count = A @ X, A @ (X > 0).astype(np.float32)
    mean = np.where(count > 0, total / np.maximum(count, 1), gene_nonzero_mean(X)[None, :])
    return fill_zeros(X, mean)


def impute_diffusion(X: np.ndarray, *, knn: int = DIFFUSION_KNN, t: int = DIFFUSION_T,
                     decay: float = DIFFUSION_DECAY, n_pcs: int = 100, seed: int = 0, **_) -> np.ndarray:
    """MAGIC-style diffusion: bandwidth = distance to the ``knn``-th neighbour, kernel exp(-(d/bw)^decay) on
    3 x ``knn`` neighbours, symmetrised, row-normalised, applied ``t`` times."""
    dist, idx = knn_graph(pca_space(X, n_pcs=n_pcs, seed=seed), 3 * knn)
    bandwidth = np.maximum(dist[:, min(knn, dist.shape[1]) - 1], 1e-12)
    K = _adjacency(idx, np.exp(-(dist / bandwidth[:, None]) ** decay))
    K = K + K.T + sp.identity(len(X), dtype=np.float32, format="csr")  # each cell keeps itself
    P = sp.diags(1.0 / np.asarray(K.sum(1)).ravel()) @ K
    out = X.astype(np.float32)
    for _ in range(t):
        out = P @ out
    return np.asarray(out, np.float32)


def impute_autoencoder(X: np.ndarray, *, seed: int = 0, device: str = "auto", epochs: int = AE_EPOCHS,
                       hidden: int = AE_HIDDEN, n_latent: int = AE_LATENT, hide_rate: float = AE_HIDE_RATE,
                       patience: int = AE_PATIENCE, batch_size: int = 128, lr: float = 1e-3,
                       cancel: Callable[[], bool] | None = None, **_) -> np.ndarray:
    """Train :class:`MaskedAutoencoder` on ``X`` (early stopping on 10 % of the cells' own hidden values) and
    fill the zeros with its predictions."""
    from .model import fit_masked_autoencoder, predict

    net, _ = fit_masked_autoencoder(X, seed=seed, device=device, epochs=epochs, hidden=hidden, n_latent=n_latent,
                                    hide_rate=hide_rate, patience=patience, batch_size=batch_size, lr=lr,
                                    cancel=cancel)
    return fill_zeros(X, predict(net, X))


IMPUTERS: dict[str, Callable[..., np.ndarray]] = {
    "autoencoder": impute_autoencoder, "knn": impute_knn, "diffusion": impute_diffusion,
    "gene_mean": impute_gene_mean}
METHODS = tuple(IMPUTERS)
