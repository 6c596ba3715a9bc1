"""The paths that keep large runs within memory give the answers of the one-shot computations they replace:
standardisation a block of cells at a time, forward passes in batches, the DEG-correlation null accumulated over
blocks, and attributions on a stated, stratified sample above a size."""

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.preprocess import standardize
from engine.tools.attribution import attribute, attribution_sample
from engine.tools.signatures import null_correlations


def _one_shot_standardize(X, eps=1e-6):
    X = np.asarray(X, dtype=np.float64)
    X = (X - X.mean(1, keepdims=True)) / (X.std(1, keepdims=True) + eps)
    sd = X.std(0, keepdims=True)
    return (X - X.mean(0, keepdims=True)) / np.where(sd > eps, sd, 1.0)


def test_scale_001_standardize_in_blocks_equals_one_shot_dense_and_sparse():
    rng = np.random.default_rng(0)
    X = rng.poisson(0.7, (257, 40)).astype(np.float32)
    want = _one_shot_standardize(X)
    for given in (X, sp.csr_matrix(X)):
        got = standardize(given, chunk=50)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, atol=2e-5)


def test_scale_001b_scaled_rows_on_the_fly_equal_one_shot_for_any_row_selection():
    from engine.preprocess import ScaledRows, gene_moments, scaled_matrix, set_scaled

    rng = np.random.default_rng(2)
    X = rng.poisson(0.7, (300, 30)).astype(np.float32)
    X[:, 3] = 0  # a constant gene stays 0, not NaN
    want = _one_shot_standardize(X)
    for given in (X, sp.csr_matrix(X)):
        rows = ScaledRows(given, *gene_moments(given, chunk=64))
        idx = rng.permutation(300)[:77]  # unsorted, as a minibatch draws them
        for sel, expect in ((idx, want[idx]), (slice(10, 20), want[10:20]), (np.arange(300) % 3 == 0, want[::3]),
                            (5, want[5])):
            got = rows[sel]
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, expect, atol=2e-5)
        np.testing.assert_allclose(np.asarray(rows), want, atol=2e-5)
    cells = ad.AnnData(sp.csr_matrix(X), var=pd.DataFrame(index=[f"g{i}" for i in range(30)]))
    set_scaled(cells)
    assert "scaled" not in cells.layers and cells.uns["preprocess"]["scaled_from"] == "X"
    np.testing.assert_allclose(scaled_matrix(cells)[idx], want[idx], atol=2e-5)


def test_scale_002_null_correlations_over_blocks_equal_the_full_score_matrix():
    rng = np.random.default_rng(1)
    X = np.log1p(rng.poisson(1.0, (40_000, 60))).astype(np.float32)  # > one block of 16,384 cells
    adata = ad.AnnData(X, var=pd.DataFrame(index=[f"g{i}" for i in range(60)]))
    target = X[:, :5].mean(1) + rng.normal(0, 0.5, len(X))
    genes = [f"g{i}" for i in range(5)]
    got = null_correlations(adata, genes, target, n_null=20, ctrl_size=5, n_bins=5, seed=3)
    again = null_correlations(ad.AnnData(sp.csr_matrix(X), var=adata.var), genes, target, n_null=20, ctrl_size=5,
                              n_bins=5, seed=3)
    np.testing.assert_allclose(got, again, atol=1e-6)  # sparse input: the same null
    assert got.shape == (20,) and np.all(np.abs(got) <= 1)


def test_scale_003_attribution_sample_keeps_group_shares_and_says_so(plx_run):
    groups = np.r_[np.ones(300, bool), np.zeros(700, bool)]
    rows = attribution_sample(groups, max_cells=100, seed=0)
    assert len(rows) == 100 and np.all(np.diff(rows) > 0) and groups[rows].sum() == 30
    assert np.array_equal(attribution_sample(groups, max_cells=None), np.arange(1000))

    from engine.model import load_networks

    a = ad.read_h5ad(plx_run)
    nets = [load_networks(p)[3]["transferred"] for p in sorted(plx_run.with_name(f"{plx_run.stem}.models").glob("seed_*"))]
    attribute(a, nets, max_cells=40, n_steps=8)
    params = a.uns["critical_genes"]["params"]
    assert params["n_cells"] == 40 and params["cells"].startswith(f"a random sample of 40 of {a.n_obs} cells")
    top = a.obsm["attribution_top"].to_numpy()
    assert np.isfinite(top).all(1).sum() == 40 and np.isnan(top).all(1).sum() == a.n_obs - 40


def test_scale_004_batched_forward_passes_equal_one_pass(plx_run):
    import torch

    from engine.model import DrugResponseModel, load_networks

    a = ad.read_h5ad(plx_run)
    nets = load_networks(sorted(plx_run.with_name(f"{plx_run.stem}.models").glob("seed_*"))[0])[3]
    bulk = ad.AnnData(np.zeros((2, a.n_vars), np.float32), obs=pd.DataFrame({"response": [0, 1]}, index=["a", "b"]), var=a.var)
    model = DrugResponseModel(bulk, a)
    model.result = type("R", (), {"transferred": nets["transferred"], "pretrained": nets["pretrained"]})()
    z, logit, rec = model._forward(None, True, decode=True, batch_size=7)
    with torch.no_grad():
        from engine.preprocess import scaled_matrix

        x = torch.as_tensor(np.asarray(scaled_matrix(a), np.float32))
        z1, _ = nets["transferred"].encode(x)
        np.testing.assert_allclose(z, z1.numpy(), atol=1e-5)
        np.testing.assert_allclose(logit, nets["transferred"].predictor(z1).numpy(), atol=1e-5)
        np.testing.assert_allclose(rec, nets["transferred"].decoders["sc"](z1).numpy(), atol=1e-5)
