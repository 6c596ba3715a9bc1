import subprocess
import sys

import anndata as ad
import numpy as np

from engine.results import missing_parts, read_result
from engine.tools.analysis import analyse_run


def test_analysis_keys_shapes_and_pvalues(plx_run):
    a = ad.read_h5ad(plx_run)
    for key in ("sensitive_score_predicted", "resistant_score_predicted", "sensitive_score_true", "resistant_score_true"):
        assert key in a.obs and np.isfinite(a.obs[key]).all(), key
    table = a.uns["attribution"]
    assert len(table) == a.n_vars and {"mean_abs_ig_sensitive", "mean_abs_ig_resistant", "pval_adj"} <= set(table)
    assert a.obsm["attribution_top"].shape == (a.n_obs, 50)
    for group in ("sensitive", "resistant"):
        d = a.uns["deg_correlation"][group]
        assert 0 <= d["p_value"] <= 1 and -1 <= d["r"] <= 1 and np.isclose(d["r2"], d["r"] ** 2)
        assert len(d["null"]) == 1000
    summary = a.uns["cluster_summary"]
    assert summary.n_cells.sum() == a.n_obs and "accuracy" in summary
    assert isinstance(a.uns["critical_genes"]["genes"], np.ndarray)
    assert dict(a.uns["analysis"]["skipped"]) == {}


def test_integrated_gradients_complete_the_output(plx_run):
    """IG attributions sum to f(x) - f(baseline) for each cell (completeness), averaged over seeds."""
    import torch

    from engine.model import load_networks
    from engine.tools.attribution import integrated_gradients

    a = ad.read_h5ad(plx_run)
    folder = plx_run.with_name(f"{plx_run.stem}.models")
    nets = [load_networks(p)[3]["transferred"] for p in sorted(folder.glob("seed_*"))]
    from engine.preprocess import scaled_matrix

    X = np.asarray(scaled_matrix(a)[:6], dtype=np.float32)
    A = integrated_gradients(X, nets, n_steps=600)
    with torch.no_grad():
        f = lambda x: np.mean([torch.sigmoid(n.predictor(n.encode(torch.as_tensor(x))[0])).numpy() for n in nets], 0)
        expected = f(X) - f(np.zeros_like(X))
    np.testing.assert_allclose(A.sum(1), expected, atol=2e-3)


def test_result_without_labels_skips_ground_truth_with_reason(plx_run, tmp_path):
    a = read_result(plx_run)
    for k in [k for k in a.obs if k.endswith("_true") or k in ("label", "label_name")]:
        del a.obs[k]
    for k in ("deg_correlation", "rank_genes_true"):
        a.uns.pop(k, None)
    analyse_run(a, models_folder=plx_run.with_name(f"{plx_run.stem}.models"), n_null=50)
    skipped = a.uns["analysis"]["skipped"]
    assert "labels" in skipped["deg_true"] and "deg_correlation" in skipped
    assert "deg_correlation" not in a.uns and "sensitive_score_predicted" in a.obs
    a.uns.pop("missing_parts")
    a.write_h5ad(tmp_path / "nolabels.h5ad")


def test_old_result_opens_with_missing_parts_reported(plx_run, tmp_path):
    a = ad.read_h5ad(plx_run)
    del a.obs["leiden"]
    del a.obsm["X_umap"]
    a.write_h5ad(tmp_path / "old.h5ad")
    b = read_result(tmp_path / "old.h5ad")
    assert set(b.uns["missing_parts"]) == {"obs['leiden']", "obsm['X_umap']"}
    assert missing_parts(b) == ["obs['leiden']", "obsm['X_umap']"]


def test_cli_analyse_updates_a_result_atomically(plx_run, tmp_path):
    out = tmp_path / "again.h5ad"
    res = subprocess.run([sys.executable, "-m", "engine", "analyse", str(plx_run), "--out", str(out), "--n-null", "100"],
                         capture_output=True, text=True, check=True)
    assert res.stdout.strip().endswith("again.h5ad")
    assert len(ad.read_h5ad(out).uns["deg_correlation"]["sensitive"]["null"]) == 100
