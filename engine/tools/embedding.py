"""kNN graph and UMAP (scanpy), shared by result embeddings and QC review embeddings."""

from __future__ import annotations

import anndata as ad

# exact kNN (scikit-learn) up to this many cells: fast at these sizes, and it avoids pynndescent's first-use
# numba compilation, which takes many minutes on 2 cores
EXACT_KNN_MAX = 50_000


def neighbors_umap(adata: ad.AnnData, *, use_rep: str, seed: int, n_neighbors: int = 15) -> None:
    """``sc.pp.neighbors`` on ``obsm[use_rep]`` then ``sc.tl.umap``; writes ``obsm['X_umap']`` (scanpy's keys)."""
    import scanpy as sc

    transformer = "sklearn" if adata.n_obs <= EXACT_KNN_MAX else "pynndescent"
    sc.pp.neighbors(adata, use_rep=use_rep, n_neighbors=min(n_neighbors, max(2, adata.n_obs - 1)),
                    random_state=seed, transformer=transformer)
    sc.tl.umap(adata, random_state=seed)


def umap_coords(rep, *, seed: int, n_neighbors: int = 15):
    """UMAP coordinates (n x 2) of the rows of a representation (any n x d array), as :func:`neighbors_umap`."""
    import numpy as np

    tmp = ad.AnnData(np.zeros((len(rep), 1), np.float32), obsm={"rep": np.nan_to_num(np.asarray(rep, np.float32))})
    neighbors_umap(tmp, use_rep="rep", seed=seed, n_neighbors=n_neighbors)
    return tmp.obsm["X_umap"]
