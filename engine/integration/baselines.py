"""The baselines every integration result carries, on the same genes and lines: raw concatenation, per-study
standardisation, ComBat (scanpy) and Harmony (harmonypy). None sees a tissue label."""

from __future__ import annotations

import anndata as ad
import numpy as np

N_PCS = 50


def raw(adata: ad.AnnData) -> np.ndarray:
    """The values as each study gave them, side by side."""
    return np.asarray(adata.layers["raw"], np.float32)


def per_study_zscore(adata: ad.AnnData) -> np.ndarray:
    """Each gene standardised within each study (``combine_sources`` did this: ``X``)."""
    return np.asarray(adata.X, np.float32)


def combat(adata: ad.AnnData) -> np.ndarray:
    """scanpy's ComBat on the raw values, batch = study (no covariates: the tissue is what is measured)."""
    import scanpy as sc

    tmp = ad.AnnData(raw(adata).copy(), obs=adata.obs[["study"]].copy())
    sc.pp.combat(tmp, key="study")
    return np.asarray(tmp.X, np.float32)


def harmony(adata: ad.AnnData, *, seed: int = 0) -> np.ndarray:
    """harmonypy on the first PCs of the per-study standardised values, batch = study."""
    import harmonypy
    from sklearn.decomposition import PCA

    X = per_study_zscore(adata)
    pcs = PCA(n_components=min(N_PCS, X.shape[1] - 1, X.shape[0] - 1), random_state=seed).fit_transform(X)
    ho = harmonypy.run_harmony(pcs, adata.obs[["study"]].astype(str), ["study"], random_state=seed, verbose=False)
    Z = np.asarray(ho.Z_corr)
    return (Z.T if Z.shape[0] != X.shape[0] else Z).astype(np.float32)


BASELINES = {"raw": raw, "per_study_zscore": per_study_zscore, "combat": combat, "harmony": harmony}
