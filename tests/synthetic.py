"""Small synthetic data for unit tests (in the spirit of scvi-tools' ``synthetic_iid``)."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp


def synthetic_droplets(*, n_cells: int = 300, n_empty: int = 900, n_genes: int = 400, seed: int = 0,
                       gene_names: list[str] | None = None) -> ad.AnnData:
    """Unfiltered droplet counts: ``n_cells`` real cells (two groups, negative-binomial UMI counts with a few
    hundred to a few thousand UMI each) and ``n_empty`` near-empty barcodes; float32 CSR as the readers give.
    Gene names include ribosomal (``RPS*``) and mitochondrial (``MT-*``) genes; the rest are ``gene_names``
    (real symbols, for tests that go through the readers' id mapping) or made up."""
    rng = np.random.default_rng(seed)
    rest = list(gene_names or [f"GENE{i}" for i in range(n_genes)])[: n_genes - 15]
    genes = ["MT-ND1", "MT-ND2", "MT-CO1", "MT-CO2", "MT-ATP6"] + [f"RPS{i}" for i in range(3, 13)] + rest
    n_genes = len(genes)
    base = rng.gamma(0.6, 1.0, size=(2, n_genes))
    group = rng.integers(0, 2, n_cells)
    depth = rng.lognormal(np.log(1500), 0.4, n_cells)
    mu = base[group] / base[group].sum(1, keepdims=True) * depth[:, None]
    cells = rng.negative_binomial(2, 2 / (2 + mu))
    empty = rng.poisson(base.mean(0) / base.mean(0).sum() * rng.uniform(5, 60, (n_empty, 1)))
    X = sp.csr_matrix(np.vstack([cells, empty]).astype(np.float32))
    obs = pd.DataFrame({"truth": ["cell"] * n_cells + ["empty"] * n_empty},
                       index=[f"bc{i}" for i in range(n_cells + n_empty)])
    adata = ad.AnnData(X, obs=obs, var=pd.DataFrame(index=genes))
    adata.layers["counts"] = X.copy()
    return adata


def synthetic_profiles(*, n_plates: int = 3, n_moa: int = 3, compounds_per_moa: int = 2, wells: int = 3,
                       n_controls: int = 8, n_features: int = 30, seed: int = 0) -> pd.DataFrame:
    """Per-well profiles in pycytominer style: each MoA shifts its own features; plates add an offset."""
    rng = np.random.default_rng(seed)
    rows, X = [], []
    shifts = {m: rng.normal(0, 3, n_features) * (rng.random(n_features) < 0.3) for m in range(n_moa)}
    channels = ["DNA", "RNA", "AGP"]
    names = [f"Cells_Intensity_MeanIntensity_{channels[i % 3]}_{i}" if i % 2 else
             f"Nuclei_AreaShape_Feature{i}" for i in range(n_features)]
    for p in range(n_plates):
        offset = rng.normal(0, 1, n_features)
        for c in range(n_controls):
            rows.append((f"P{p}", f"C{c:02d}", "DMSO", 0.0, "DMSO"))
            X.append(offset + rng.normal(0, 1, n_features))
        for m in range(n_moa):
            for k in range(compounds_per_moa):
                for w in range(wells if p == k % n_plates or p == 0 else 0):
                    rows.append((f"P{p}", f"T{m}{k}{w}", f"cpd{m}_{k}", 1.0, f"moa{m}"))
                    X.append(offset + shifts[m] + rng.normal(0, 1, n_features))
    meta = pd.DataFrame(rows, columns=["Metadata_Plate", "Metadata_Well", "Metadata_Compound",
                                       "Metadata_Concentration", "Metadata_moa"])
    return pd.concat([meta, pd.DataFrame(np.array(X), columns=names)], axis=1)


def synthetic_expression(*, n_cells: int = 240, n_genes: int = 120, n_groups: int = 3, seed: int = 0,
                         gene_names: list[str] | None = None) -> ad.AnnData:
    """Sparse UMI counts of ``n_groups`` cell states (each with its own gene programme) at a few hundred UMI per
    cell, so many expressed genes read 0 (dropouts); ``obs['group']`` names each cell's state. Genes are
    ``gene_names`` (real symbols, for tests that go through the readers) or made up."""
    rng = np.random.default_rng(seed)
    programmes = rng.gamma(0.5, 1.0, size=(n_groups, n_genes)) * (rng.random((n_groups, n_genes)) < 0.6)
    group = rng.integers(0, n_groups, n_cells)
    depth = rng.lognormal(np.log(600), 0.3, n_cells)
    mu = (programmes[group] + 0.02) / (programmes[group] + 0.02).sum(1, keepdims=True) * depth[:, None]
    X = sp.csr_matrix(rng.poisson(mu).astype(np.float32))
    obs = pd.DataFrame({"group": pd.Categorical([f"state{g}" for g in group])}, index=[f"cell{i}" for i in range(n_cells)])
    genes = list(gene_names)[:n_genes] if gene_names else [f"GENE{i}" for i in range(n_genes)]
    return ad.AnnData(X, obs=obs, var=pd.DataFrame(index=genes))
