"""Bulk integration: sources combined on shared genes, the center-loss module's terms reach the weights they
should, folds never split a line, bad inputs are plain errors, and a real GDSC + CCLE run."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import torch

from engine.data.errors import DataError
from engine.integration.metrics import integration_metrics
from engine.integration.model import line_folds, permuted_by_line
from engine.integration.module import CenterLossAE
from engine.integration.sources import combine_sources


def _source(tmp_path, name, *, genes, lines, tissue=True, seed=0):
    rng = np.random.default_rng(seed)
    obs = pd.DataFrame({"line": lines, "study": name}, index=[f"{name}{i}" for i in range(len(lines))])
    if tissue:
        obs["tissue"] = ["lung" if i % 2 else "skin" for i in range(len(lines))]
    path = tmp_path / f"{name}.h5ad"
    ad.AnnData(rng.normal(size=(len(lines), len(genes))).astype(np.float32), obs=obs,
               var=pd.DataFrame(index=genes)).write_h5ad(path)
    return str(path)


def test_integration_001_loss_terms_reach_only_their_weights():
    torch.manual_seed(0)
    x, y = torch.randn(16, 20), torch.randint(0, 3, (16,))
    for switched_off, param in (("lambda_center", "centers"), ("lambda_cls", "classifier.weight")):
        model = CenterLossAE(20, 3, hidden=16, pinch=4, **{switched_off: 0.0})
        model.loss(x, y)["loss"].backward()
        grads = dict(model.named_parameters())
        assert grads[param].grad is None or torch.all(grads[param].grad == 0)
        assert grads["encoder.0.weight"].grad.abs().sum() > 0
    model = CenterLossAE(20, 3, hidden=16, pinch=4)
    terms = model.loss(x, torch.full((16,), -1))  # no labels: only reconstruction
    assert terms["classification"] == 0 and terms["center"] == 0 and terms["reconstruction"] > 0


def test_integration_002_folds_hold_out_whole_lines():
    lines = np.array(["a", "a", "b", "b", "c", "d", "d", "e"])
    folds = line_folds(lines, 3)
    assert sum(f.sum() for f in folds) == len(lines)
    for held in folds:
        assert not set(lines[held]) & set(lines[~held])
    shuffled = permuted_by_line(np.array([0, 0, 1, 1, 2, 3, 3, 4]), lines, seed=0)
    assert shuffled[0] == shuffled[1] and shuffled[5] == shuffled[6]  # a line keeps one label across studies


def test_integration_003_metrics_see_perfect_integration():
    obs = pd.DataFrame({"study": ["s1"] * 4 + ["s2"] * 4, "line": list("abcd") * 2,
                        "tissue": ["lung", "lung", "skin", "skin"] * 2})
    Z = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1]] * 2, float) + np.r_[np.zeros((4, 2)), np.full((4, 2), 0.01)]
    m = integration_metrics(Z, obs)
    assert m["same_line_top1"] == 1.0 and m["cross_study_tissue_1nn"] == 1.0 and m["tissue_silhouette"] > 0.9


def test_integration_003b_scib_scores_see_a_study_offset():
    """scib-metrics' aggregate scores (tissue = label, study = batch): a study offset lowers batch correction."""
    from engine.integration.metrics import scib_scores

    rng = np.random.default_rng(0)
    tissue = np.repeat(np.array(list("abcd")), 50)
    study = np.tile(["s1", "s2"], 100)
    Z = rng.normal(size=(200, 8))
    Z[:, 0] += 4 * pd.factorize(tissue)[0]
    mixed = scib_scores(Z, tissue, study)
    offset = Z.copy()
    offset[:, 1] += 5 * (study == "s1")
    apart = scib_scores(offset, tissue, study)
    assert mixed["scib_batch_correction"] > apart["scib_batch_correction"] + 0.2
    assert all(0 <= v <= 1 for v in mixed.values())
    assert np.isclose(mixed["scib_total"], 0.6 * mixed["scib_bio_conservation"] + 0.4 * mixed["scib_batch_correction"])


def test_integration_004_bad_inputs_are_plain_errors(tmp_path):
    a = _source(tmp_path, "s1", genes=[f"g{i}" for i in range(30)], lines=list("abcdef"))
    with pytest.raises(DataError, match="at least two"):
        combine_sources([a])
    no_tissue = _source(tmp_path, "s2", genes=[f"g{i}" for i in range(30)], lines=list("abcdef"), tissue=False)
    with pytest.raises(DataError, match="no obs column tissue"):
        combine_sources([a, no_tissue])
    other_genes = _source(tmp_path, "s3", genes=[f"h{i}" for i in range(30)], lines=list("abcdef"))
    with pytest.raises(DataError, match="share only 0 genes"):
        combine_sources([a, other_genes])
    with pytest.raises(DataError, match="not a bulk expression source"):
        combine_sources(["scad_plx4720", a])


def test_integration_005_real_gdsc_ccle_run_scores_every_method_on_held_out_lines(integration_run):
    a = ad.read_h5ad(integration_run)
    assert a.uns["kind"] == "integration" and set(a.obs["study"]) == {"gdsc", "ccle"}
    assert (a.obs.groupby("line", observed=True)["study"].nunique() == 2).sum() == 514  # the paired lines
    m = a.uns["metrics"]
    assert {"raw", "per_study_zscore", "combat", "harmony", "center_loss", "permuted_labels"} <= set(m)
    assert m["raw"]["study_silhouette"] > 0.1 > abs(m["combat"]["study_silhouette"])  # ComBat removes the study
    # the control: shuffled tissues must not cluster held-out lines by tissue better than no training at all
    assert float(m["permuted_labels"]["tissue_silhouette"]["mean"]) <= m["per_study_zscore"]["tissue_silhouette"] + 0.01
    assert a.obsm["X_center_loss"].shape == (a.n_obs, 8) and "X_umap_harmony" in a.obsm
    assert "harmonypy" in a.uns["provenance"]["versions"]


def test_integration_006_cli_takes_several_sources_and_refuses_one(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    genes = [f"g{i}" for i in range(30)]
    a = _source(tmp_path, "s1", genes=genes, lines=list("abcdefgh"))
    b = _source(tmp_path, "s2", genes=genes, lines=list("abcdefgh"), seed=1)
    done = subprocess.run([sys.executable, "-m", "engine", "integration", "--sources", a, b, "--epochs", "5",
                           "--n-folds", "2", "--seeds", "1", "--no-permutation-control", "--out", str(tmp_path), "-q"],
                          capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
    result = ad.read_h5ad(done.stdout.strip().splitlines()[-1])
    assert set(result.obs["study"]) == {"s1", "s2"} and "permuted_labels" not in result.uns["metrics"]
    one = subprocess.run([sys.executable, "-m", "engine", "integration", "--sources", a, "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=root)
    assert one.returncode == 2 and "at least two" in one.stderr and "Traceback" not in one.stderr
