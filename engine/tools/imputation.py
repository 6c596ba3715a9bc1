"""Dropout imputation on AnnData (scanpy ``tl`` style): imputed values go to a named layer, never over ``X``.

The methods are in :mod:`engine.imputation.methods` (autoencoder, kNN, MAGIC-style diffusion, gene mean); the
masking evaluation and harm checks are the ``imputation`` kind (:mod:`engine.imputation.run`).
"""

from __future__ import annotations

from typing import Callable

import anndata as ad
import numpy as np
import scipy.sparse as sp

from ..data.errors import DataError


def check_log_expression(X, *, what: str = "the expression") -> np.ndarray:
    """``X`` as a dense float32 array if it looks like log-normalised expression (non-negative, finite, zeros for
    dropouts, not whole-number counts); a plain DataError saying what it looks like otherwise."""
    from ..data.single_cell import is_counts

    dense = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float32)
    if dense.size == 0:
        raise DataError(f"{what} is empty: no cells or no genes to impute")
    if not np.isfinite(dense).all():
        raise DataError(f"{what} holds missing (NaN) or infinite values; imputation needs measured expression")
    if dense.min() < 0:
        raise DataError(f"{what} holds negative values: it looks scaled or z-scored, where a zero is not a dropout. "
                        "Imputation needs raw counts or log-normalised expression (log1p of counts per 10k)")
    if not (dense == 0).any():
        raise DataError(f"{what} holds no zeros: there are no dropouts to impute")
    if is_counts(dense):
        raise DataError(f"{what} looks like raw counts (whole numbers), not log-normalised values: choose 'counts' "
                        "as the input so they are normalised first (counts per 10k, then log1p)")
    if dense.max() > 30:
        raise DataError(f"{what} reaches {dense.max():.0f}, too high for log-normalised expression: normalise first "
                        "(counts per 10k, then log1p)")
    return dense


def check_counts(X, *, what: str = "the data") -> None:
    """A plain DataError unless ``X`` holds raw counts (non-negative whole numbers)."""
    from ..data.single_cell import is_counts

    if not is_counts(X):
        values = X.data if sp.issparse(X) else np.asarray(X)
        kind = "negative (scaled or z-scored) values" if values.size and values.min() < 0 else "non-whole numbers"
        raise DataError(f"{what} were given as counts but hold {kind}: they look normalised already. Choose "
                        "'log_normalized' as the input for log1p-normalised values; z-scored data cannot be imputed")


def impute(adata: ad.AnnData, *, method: str = "autoencoder", layer: str | None = None, key_added: str | None = None,
           seed: int = 0, cancel: Callable[[], bool] | None = None, **options) -> str:
    """Impute dropouts in log-normalised expression.

    Parameters
    ----------
    adata
        Cells x genes; ``X`` (or ``layers[layer]``) holds log-normalised expression. Left untouched.
    method
        One of :data:`engine.imputation.methods.METHODS`.
    layer
        Read this layer instead of ``X``.
    key_added
        The layer to write (default ``imputed_<method>``).
    seed
        Seed of the PCA and of the autoencoder.
    options
        The method's keyword options (see :mod:`engine.imputation.methods`).

    Returns
    -------
    The layer name written. ``uns['imputation'][key]`` records the method, options and seed.
    """
    from ..imputation.methods import IMPUTERS, METHODS

    if method not in IMPUTERS:
        raise DataError(f"unknown imputation method {method!r}; choose from {', '.join(METHODS)}")
    X = check_log_expression(adata.layers[layer] if layer else adata.X)
    key = key_added or f"imputed_{method}"
    extra = {"cancel": cancel} if method == "autoencoder" else {}
    adata.layers[key] = IMPUTERS[method](X, seed=seed, **options, **extra)
    record = {"method": method, "seed": seed, "input": layer or "X",
              **{k: v for k, v in options.items() if isinstance(v, (int, float, str))}}
    adata.uns.setdefault("imputation", {})[key] = record
    return key
