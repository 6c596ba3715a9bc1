"""Harmonise bulk and single-cell data onto one gene space and one scale (scanpy ``pp`` style).

Counts are normalised (``sc.pp.normalize_total`` + ``sc.pp.log1p``). Both sides are then restricted
to their shared genes and standardised the same way: each sample z-scored across the shared genes
(the bulk matrix is only available z-scored per sample), then each gene z-scored within its own
domain. The model reads ``scaled_matrix(adata)``: the bulk's dense ``layers['scaled']``, and for the cells
rows standardised on demand (:class:`ScaledRows`) from ``X``, which keeps the (log-normalised) expression.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import scanpy as sc
import scipy.sparse as sp

from .data.errors import DataError
from .data.genes import MIN_SHARED_GENES



def normalize_counts(adata: ad.AnnData, *, target_sum: float = 1e4) -> ad.AnnData:
    """Library-size normalise and log1p a count matrix in place (``layers['counts']`` kept)."""
    if "counts" not in adata.layers:
        adata.layers["counts"] = adata.X.copy()
    sc.pp.normalize_total(adata, target_sum=target_sum)
    sc.pp.log1p(adata)
    return adata


ROW_CHUNK = 8192  # rows standardised at a time


def _sample_z(block, eps: float) -> np.ndarray:
    """Rows of a dense or sparse block z-scored across their genes, as a new float32 array (each row's mean and sd
    from float64 sums; a sparse block's from its non-zeros, before it is made dense)."""
    g = block.shape[1]
    if sp.issparse(block):
        total = np.asarray(block.sum(axis=1, dtype=np.float64)).ravel()
        squares = np.asarray(block.multiply(block).sum(axis=1, dtype=np.float64)).ravel()
        z = block.toarray().astype(np.float32, copy=False)
    else:
        z = np.array(block, dtype=np.float32)  # a copy: the caller's matrix is never changed
        total, squares = z.sum(1, dtype=np.float64), np.square(z, dtype=np.float64).sum(1)
    mean = total / max(g, 1)
    sd = np.sqrt(np.maximum(squares / max(g, 1) - mean ** 2, 0.0))
    z -= mean[:, None].astype(np.float32)
    z *= (1.0 / (sd + eps))[:, None].astype(np.float32)
    return z


def gene_moments(X, *, eps: float = 1e-6, chunk: int = ROW_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean and scale (sd; 1 where a gene is constant) of ``X`` after the per-sample z-score, in two passes
    over ``chunk`` rows at a time (float64 sums): nothing of the input's size is ever held."""
    n, g = X.shape
    mean = np.zeros(g)
    for s in range(0, n, chunk):
        mean += _sample_z(X[s:s + chunk], eps).sum(0, dtype=np.float64)
    mean /= max(n, 1)
    var = np.zeros(g)
    for s in range(0, n, chunk):
        z = _sample_z(X[s:s + chunk], eps)
        z -= mean.astype(np.float32)
        var += np.square(z, out=z).sum(0, dtype=np.float64)
    sd = np.sqrt(var / max(n, 1))
    return mean, np.where(sd > eps, sd, 1.0)


class ScaledRows:
    """The standardised matrix (per-sample z-score across genes, then per-gene z-score) of ``source``, computed for
    the rows asked for: ``rows[idx]`` (an int array, a slice or a boolean mask) is a dense float32 block.

    A million cells x 2,000 genes standardised at once would take 8 GB; read through this, a model's minibatch or
    a forward pass's chunk is the only dense part. ``np.asarray(rows)`` builds the whole matrix (small data only).
    """

    ndim = 2
    dtype = np.dtype(np.float32)

    def __init__(self, source, mean: np.ndarray, scale: np.ndarray, *, eps: float = 1e-6):
        if source.shape[1] != len(mean) or len(mean) != len(scale):
            raise ValueError("source, mean and scale must have one entry per gene")
        self.source, self.mean, self.scale, self.eps = source, np.asarray(mean), np.asarray(scale), eps
        self._mean32, self._scale32 = self.mean.astype(np.float32), self.scale.astype(np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return self.source.shape

    def __len__(self) -> int:
        return self.source.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        if isinstance(rows, tuple):
            raise TypeError("ScaledRows takes rows only (index the columns of the result)")
        if isinstance(rows, (int, np.integer)):
            return self[[rows]][0]
        z = _sample_z(self.source[rows], self.eps)
        z -= self._mean32
        z /= self._scale32
        return z

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.empty(self.shape, dtype=np.float32)
        for s in range(0, len(self), ROW_CHUNK):
            out[s:s + ROW_CHUNK] = self[s:s + ROW_CHUNK]
        return out if dtype is None else out.astype(dtype, copy=False)


def standardize(X, *, eps: float = 1e-6, chunk: int = ROW_CHUNK) -> np.ndarray:
    """Per-sample z-score across genes, then per-gene z-score (constant genes become 0), as a dense float32 array
    (the bulk side; cells are read through :class:`ScaledRows`)."""
    mean, scale = gene_moments(X, eps=eps, chunk=chunk)
    return np.asarray(ScaledRows(X, mean, scale, eps=eps))


SCALED_STATS = ("scaled_mean", "scaled_sd")  # var columns: the per-gene moments ScaledRows applies


def scaled_matrix(adata: ad.AnnData, layer: str = "scaled"):
    """What a model reads from ``adata``: ``layers[layer]`` when stored (bulk, results written before cells were
    standardised on the fly), else for ``layer='scaled'`` the cells' :class:`ScaledRows` (from the matrix
    ``uns['preprocess']['scaled_from']`` names and the moments in ``var``), else ``X``."""
    if layer in adata.layers:
        return adata.layers[layer]
    if layer == "scaled" and all(k in adata.var for k in SCALED_STATS):
        source = adata.uns.get("preprocess", {}).get("scaled_from", "X")
        X = adata.X if source == "X" else adata.layers[source]
        return ScaledRows(X, adata.var[SCALED_STATS[0]].to_numpy(), adata.var[SCALED_STATS[1]].to_numpy())
    return adata.X


def set_scaled(adata: ad.AnnData, source: str = "X") -> None:
    """Store the per-gene moments that make ``scaled_matrix(adata)`` the standardised ``source`` (``'X'`` or a
    layer), in ``var`` and ``uns['preprocess']['scaled_from']``: the only full-size matrix stays ``source``."""
    X = adata.X if source == "X" else adata.layers[source]
    adata.var[SCALED_STATS[0]], adata.var[SCALED_STATS[1]] = gene_moments(X)
    adata.uns.setdefault("preprocess", {})["scaled_from"] = source


MIN_CELLS = 10  # fewer cells give no usable alignment, UMAP or metrics


def check_cells_usable(cells: ad.AnnData, *, min_cells: int = MIN_CELLS) -> None:
    """Refuse, in plain words, single-cell data that no model can learn from: too few cells, or no variation."""
    if cells.n_obs < min_cells:
        raise DataError(f"The single-cell data hold {cells.n_obs} cell(s); at least {min_cells} are needed")
    X = cells.X
    if sp.issparse(X):
        from sklearn.utils.sparsefuncs import mean_variance_axis

        var = mean_variance_axis(X.tocsr() if X.format not in ("csr", "csc") else X, axis=0)[1]
    else:
        var = np.asarray(X, dtype=np.float64).var(0)
    if not np.any(var > 1e-12):
        raise DataError("The single-cell expression does not vary between cells (all zero or constant): "
                        "there is nothing to score")


def shared_genes(bulk: ad.AnnData, cells: ad.AnnData, *, min_shared: int = MIN_SHARED_GENES) -> list[str]:
    shared = [g for g in bulk.var_names if g in set(cells.var_names)]
    if len(shared) < min_shared:
        raise DataError(f"Only {len(shared)} genes are shared by the bulk data ({bulk.n_vars} genes) and the "
                        f"single-cell data ({cells.n_vars} genes); at least {min_shared} are needed. "
                        "Check that both use human gene ids (symbols, Entrez or Ensembl).")
    return shared


def harmonize(bulk: ad.AnnData, cells: ad.AnnData, *, n_top_genes: int | None = None,
              min_shared: int = MIN_SHARED_GENES, impute: str = "none", seed: int = 0,
              device: str = "auto") -> tuple[ad.AnnData, ad.AnnData]:
    """Shared genes, counts normalised, both sides standardised: the bulk into ``layers['scaled']``, the cells as
    the moments in ``var`` that :func:`scaled_matrix` applies on the fly.

    With ``n_top_genes``, keep that many highly variable genes (scanpy, on the cells) among the shared ones.
    With ``impute`` (a method of :mod:`engine.imputation.methods`), the cells' dropouts are imputed on the
    shared genes (``layers['imputed_<method>']``; ``X`` stays as measured) and the model reads the imputed values.
    Writes ``uns['preprocess']`` on both objects.
    """
    cells = cells.copy()
    if cells.uns.get("sc_input", {}).get("counts"):
        normalize_counts(cells)
    cells.raw = cells  # every gene of the input, as scanpy keeps .raw: any gene can colour the cells later
    genes = shared_genes(bulk, cells, min_shared=min_shared)
    cells = cells[:, genes].copy()
    check_cells_usable(cells)  # on the genes the model will read
    if n_top_genes and n_top_genes < len(genes):
        sc.pp.highly_variable_genes(cells, n_top_genes=n_top_genes, flavor="seurat")
        genes = list(cells.var_names[cells.var["highly_variable"]])
        cells = cells[:, genes].copy()
    bulk = bulk[:, genes].copy()
    imputed = None
    if impute and impute != "none":
        from .tools.imputation import impute as impute_cells

        imputed = impute_cells(cells, method=impute, seed=seed, **({"device": device} if impute == "autoencoder" else {}))
    bulk.layers["scaled"] = standardize(bulk.X)
    info = {"n_shared_genes": len(genes), "n_top_genes": n_top_genes or 0,
            "counts_normalized": bool(cells.uns.get("sc_input", {}).get("counts")),
            "imputation": f"{impute} (layers['{imputed}']; the model reads it)" if imputed else "none",
            "standardization": "per-sample z-score across shared genes, then per-gene z-score within each domain "
                               "(cells: on the fly, from var['scaled_mean'] and var['scaled_sd'])"}
    bulk.uns["preprocess"], cells.uns["preprocess"] = dict(info), dict(info)
    set_scaled(cells, imputed or "X")
    return bulk, cells
