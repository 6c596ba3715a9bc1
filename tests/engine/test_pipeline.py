import subprocess
import sys

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc

from engine.results import metrics_table, missing_parts, read_result
from engine.tools.metrics import METRICS


def test_result_file_holds_what_the_issue_asks(plx_run):
    a = ad.read_h5ad(plx_run)  # opens with anndata as it is
    for key in ("sensitivity_score", "sensitivity_score_pretransfer", "predicted", "label", "leiden"):
        assert key in a.obs, key
    assert a.obs.sensitivity_score.between(0, 1).all()
    assert set(a.obs.predicted.cat.categories) == {"sensitive", "resistant"}
    assert a.obsm["X_latent"].shape[0] == a.n_obs and a.obsm["X_umap"].shape == (a.n_obs, 2)
    m = a.uns["metrics"]
    for model in ("transfer", "no_transfer", "logistic_regression"):
        for metric in METRICS:
            assert set(m[model][metric]) >= {"mean", "sd"}
            assert len(m[model][metric]["per_seed"]) == 2
    assert m["threshold"] == 0.5
    prov = a.uns["provenance"]
    assert list(prov["seeds"]) == [0, 1]
    assert prov["versions"]["torch"].startswith("2.13")
    assert prov["device"]["device"] in ("cpu", "cuda")
    assert len(prov["data_checksums"]["scad_plx4720"]["Target_expr_resp_z.PLX4720_tp4k.tsv.gz"]) == 64
    assert set(prov["seconds_per_stage"]) >= {"load", "preprocess", "train", "baseline", "embed", "analyse", "save_models"}
    assert a.uns["config"]["drug"] == "PLX-4720"
    assert missing_parts(a) == []


def test_transfer_is_better_than_chance_on_plx4720(plx_run):
    """Sanity check only (not a tuning target): real labels, the transferred score ranks sensitive cells higher."""
    a = read_result(plx_run)
    assert a.uns["metrics"]["transfer"]["auroc"]["mean"] > 0.5
    table = metrics_table(a)
    assert list(table.index) == ["transfer", "no_transfer", "logistic_regression", "gradient_boosting"]
    boosting = a.uns["baseline"]["gradient_boosting"]
    assert boosting["bulk_cv_auroc"] > 0.5 and set(boosting["settings"]) == {"learning_rate", "max_depth"}
    assert len(boosting["grid"]) == 4  # every grid point with its bulk CV score is kept
    assert a.obsm["boosting_score_per_seed"].shape == (a.n_obs, 2)


# X in a result is z-scored (see engine/preprocess.py), so scanpy's log2 fold changes are undefined there: scanpy
# says so with this warning, and the test checks the ranking itself
@pytest.mark.filterwarnings("ignore:invalid value encountered in log2:RuntimeWarning")
def test_result_works_in_scanpy(plx_run):
    a = ad.read_h5ad(plx_run)
    sc.pp.neighbors(a, use_rep="X_latent")
    assert a.obsp["connectivities"].shape == (a.n_obs, a.n_obs) and a.obsp["connectivities"].nnz > a.n_obs
    sc.tl.rank_genes_groups(a, "leiden", method="wilcoxon")
    names = pd.DataFrame(a.uns["rank_genes_groups"]["names"])
    assert list(names.columns) == list(a.obs["leiden"].cat.categories)
    assert set(names.iloc[0]) <= set(a.raw.var_names)  # scanpy ranks on .raw, the input's every gene, when present
    # what cellxgene needs: an embedding named X_*, categorical annotations, unique names
    assert a.obsm["X_umap"].shape == (a.n_obs, 2) and np.isfinite(a.obsm["X_umap"]).all()
    assert a.obs["predicted"].dtype == "category" and a.obs_names.is_unique and a.var_names.is_unique


def test_no_temporary_files_left_and_models_saved(plx_run):
    assert not list(plx_run.parent.glob("*.part"))
    seeds = sorted(p.name for p in plx_run.with_name(f"{plx_run.stem}.models").iterdir())
    assert seeds == ["seed_0", "seed_1"]


def test_cli_help_documents_every_option():
    out = subprocess.run([sys.executable, "-m", "engine", "run", "--help"], capture_output=True, text=True, check=True)
    for opt in ("--drug", "--sc", "--bulk", "--seeds", "--out", "--encoder", "--aligner", "--device", "--response"):
        assert opt in out.stdout


def test_cli_bad_drug_is_one_clear_line_and_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "engine", "run", "--drug", "NotADrug123", "--sc", "scad_plx4720",
                          "--out", str(tmp_path), "-q"], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and "Unknown drug 'NotADrug123' in scDEAL bulk labels" in out.stderr
    assert "Unknown drug 'NotADrug123' in GDSC1_IC50" in out.stderr  # both sources named
    assert "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())


def test_cli_run_writes_and_prints_the_result_path(tmp_path):
    out = subprocess.run([sys.executable, "-m", "engine", "run", "--drug", "plx_4720", "--sc", "scad_plx4720",
                          "--seeds", "1", "--pretrain-epochs", "3", "--transfer-epochs", "2", "--no-analysis",
                          "--out", str(tmp_path), "-q"], capture_output=True, text=True, check=True)
    path = out.stdout.strip().splitlines()[-1]
    a = ad.read_h5ad(path)
    assert a.uns["metrics"]["n_seeds"] == 1


def test_file_inputs_are_recorded_with_checksum_and_the_result_reads_back(tmp_path):
    """A run on a file (not a catalog id) records the file's path and sha256 and still writes a readable result."""
    from engine.pipeline import RunConfig, run
    from engine.train import TrainConfig

    from engine.data import read_single_cell

    src = read_single_cell("scad_plx4720")
    del src.uns["sc_input"]
    path = tmp_path / "cells.h5ad"
    src.write_h5ad(path)
    out = run(RunConfig(drug="PLX-4720", sc=str(path), seeds=1, out=str(tmp_path / "out"), save_models=False,
                        train=TrainConfig(pretrain_epochs=2, transfer_epochs=1)))
    a = ad.read_h5ad(out)
    rec = a.uns["provenance"]["data_checksums"]["file:cells.h5ad"]
    assert rec["path"] == str(path) and len(rec["sha256"]) == 64


def test_single_cell_labels_never_reach_training(tmp_path):
    """The cells' labels are for evaluation only: shuffling them changes the metrics, never a score."""
    from engine.data import read_single_cell
    from engine.pipeline import RunConfig, run
    from engine.train import TrainConfig

    cells = read_single_cell("scad_plx4720")
    cells.uns.pop("cache_key", None)
    shuffled = cells.copy()
    shuffled.obs["label"] = np.random.default_rng(0).permutation(cells.obs["label"].to_numpy())
    scores, aurocs = [], []
    for name, data in (("true", cells), ("shuffled", shuffled)):
        path = tmp_path / f"{name}.h5ad"
        obs = data.obs[["label"]].rename(columns={"label": "response"})
        ad.AnnData(data.X, obs=obs, var=data.var[[]]).write_h5ad(path)
        cfg = RunConfig(drug="PLX-4720", sc=str(path), seeds=1, out=str(tmp_path / name), save_models=False,
                        train=TrainConfig(pretrain_epochs=10, patience=3, transfer_epochs=3))
        result = ad.read_h5ad(run(cfg))
        scores.append(result.obs[["sensitivity_score", "sensitivity_score_pretransfer", "logreg_score"]].to_numpy())
        aurocs.append(result.uns["metrics"]["transfer"]["auroc"]["mean"])
    np.testing.assert_array_equal(scores[0], scores[1])
    assert aurocs[0] != aurocs[1]  # the labels did change, and only the evaluation saw it
