"""kNN graph and UMAP (scanpy), shared by result embeddings and QC review embeddings."""

from __future__ import annotations

import anndata as ad

# exact kNN (scikit-learn) up to this many cells: fast at these sizes, and it avoids pynndescent's first-use
# numba compilation, which takes many minutes on 2 cores
EXACT_KNN_MAX = 50_000
# up to this many cells UMAP starts from the graph's spectral layout (scanpy's default); above it from the
# representation's first two principal components (umap's 'pca' start): at a million cells the spectral start's
# eigensolver ran for over ten minutes on a graph of many components, and had not finished
SPECTRAL_INIT_MAX = 100_000


def _approximate_knn(n_obs: int, n_neighbors: int, seed: int):
    """pynndescent's transformer with UMAP's defaults for ``n_obs`` points, returning the ``scipy.sparse.csr_matrix``
    that scanpy 1.11 expects (pynndescent 0.7 returns a ``csr_array``, on which scanpy calls ``getnnz``)."""
    import numpy as np
    import scipy.sparse as sp
    from pynndescent import PyNNDescentTransformer

    class CSRNNDescent(PyNNDescentTransformer):
        def fit_transform(self, X, y=None, **kw):
            return sp.csr_matrix(super().fit_transform(X, y, **kw))

        def transform(self, X, y=None):
            return sp.csr_matrix(super().transform(X, y))

    return CSRNNDescent(n_neighbors=n_neighbors, metric="euclidean", random_state=seed,
                        n_trees=min(64, 5 + round(n_obs ** 0.5 / 20.0)), n_iters=max(5, round(np.log2(n_obs))))


def neighbors_umap(adata: ad.AnnData, *, use_rep: str, seed: int, n_neighbors: int = 15) -> None:
    """``sc.pp.neighbors`` on ``obsm[use_rep]`` then ``sc.tl.umap``; writes ``obsm['X_umap']`` (scanpy's keys)."""
    import scanpy as sc

    n_neighbors = min(n_neighbors, max(2, adata.n_obs - 1))
    transformer = "sklearn" if adata.n_obs <= EXACT_KNN_MAX else _approximate_knn(adata.n_obs, n_neighbors, seed)
    sc.pp.neighbors(adata, use_rep=use_rep, n_neighbors=n_neighbors, random_state=seed, transformer=transformer)
    sc.tl.umap(adata, random_state=seed, init_pos=umap_start(adata.n_obs))


def umap_start(n_obs: int) -> str:
    """Where UMAP starts for ``n_obs`` points: 'spectral' up to :data:`SPECTRAL_INIT_MAX`, else 'pca'."""
    return "spectral" if n_obs <= SPECTRAL_INIT_MAX else "pca"


def reduce_representation(rep, *, n_components: int, seed: int = 0):
    """The top ``n_components`` principal components of ``rep`` (cells x d) when it is wider, else ``rep``
    itself; with the share of its variance they keep (1.0 when not reduced).

    A seed's latent code is its members' codes side by side (members x n_latent columns, largely redundant):
    the kNN graph is built on its principal components as scanpy builds it on PCs of expression (at 100k cells
    with 5 members, 320 -> 64 columns: the run's embedding stage 204 -> 130 s).
    """
    import numpy as np

    rep = np.asarray(rep, dtype=np.float32)
    if rep.shape[1] <= n_components or rep.shape[0] <= n_components:
        return rep, 1.0
    from sklearn.decomposition import PCA

    pca = PCA(n_components=n_components, svd_solver="randomized", random_state=seed)
    return pca.fit_transform(rep).astype(np.float32), float(pca.explained_variance_ratio_.sum())


def umap_coords(rep, *, seed: int, n_neighbors: int = 15):
    """UMAP coordinates (n x 2) of the rows of a representation (any n x d array), as :func:`neighbors_umap`."""
    import numpy as np

    tmp = ad.AnnData(np.zeros((len(rep), 1), np.float32), obsm={"rep": np.nan_to_num(np.asarray(rep, np.float32))})
    neighbors_umap(tmp, use_rep="rep", seed=seed, n_neighbors=n_neighbors)
    return tmp.obsm["X_umap"]
