"""The morphology kind end to end: a real BBBC021 run, a user's table by path, the CLI and the job runner."""

import subprocess
import sys
from pathlib import Path

import anndata as ad
import pytest

from engine.data.errors import DataError
from engine.kinds import run_kind

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_morphology_001_real_run_reports_baselines_learned_model_and_provenance(bbbc021_run):
    a = ad.read_h5ad(bbbc021_run)
    assert a.uns["kind"] == "morphology" and a.n_obs == 103 and a.n_vars == 189
    m = a.uns["metrics"]
    assert {"cosine", "tvn", "learned"} <= set(m)
    assert 0.85 < m["cosine"]["nsc"] <= 1  # the cosine baseline is a fixed computation: 0.913 on these features
    assert 0 <= float(m["learned"]["nsc"]["mean"]) <= 1 and "folds by compound" in m["learned"]["holdout"]
    assert set(a.obs["correct"].unique()) <= {"correct", "wrong"}
    assert a.uns["confusion"].shape[0] == a.uns["confusion"].shape[1] == 12
    assert {"Actin", "Tub", "DAPI"} <= set(a.uns["channel_ranking"]["channel"])
    assert "copairs" in a.uns["provenance"]["versions"] and a.uns["provenance"]["data_checksums"]
    assert "Broad" in a.uns["preprocessing"]["normalize"]  # said in the result: normalised by its authors


def test_morphology_002_a_users_table_by_path_without_moa_gets_activity_only(tmp_path):
    from synthetic import synthetic_profiles

    path = tmp_path / "screen.csv"
    synthetic_profiles().drop(columns="Metadata_moa").to_csv(path, index=False)
    out = run_kind("morphology", {"source": str(path), "out": str(tmp_path), "null_size": 100,
                                  "normalize": "standardize", "feature_select": "none", "name": "screen"})
    a = ad.read_h5ad(out)
    assert "metrics" not in a.uns or not dict(a.uns["metrics"])
    assert a.obs["active"].dtype == bool and a.obs["active"].any()


def test_morphology_003_learned_model_finds_moas_of_held_out_compounds_in_synthetic_data(tmp_path):
    from synthetic import synthetic_profiles

    path = tmp_path / "p.csv"
    synthetic_profiles(n_moa=3, compounds_per_moa=3, n_features=40).to_csv(path, index=False)
    out = run_kind("morphology", {"source": str(path), "out": str(tmp_path), "null_size": 100, "epochs": 100,
                                  "normalize": "standardize", "feature_select": "none", "seeds": 2})
    m = ad.read_h5ad(out).uns["metrics"]["learned"]
    assert float(m["nsc"]["worst"]) >= 0.8  # the MoAs are well separated: every seed must find them


def test_morphology_004_bad_settings_and_inputs_are_plain_errors(tmp_path):
    with pytest.raises(DataError, match="not one of"):
        run_kind("morphology", {"normalize": "zscore", "out": str(tmp_path)})
    with pytest.raises(DataError, match="No such profile file"):
        run_kind("morphology", {"source": str(tmp_path / "missing.csv"), "out": str(tmp_path)})
    with pytest.raises(DataError, match="not a table of morphological profiles"):
        run_kind("morphology", {"source": "gdsc", "out": str(tmp_path)})


def test_morphology_005_cli_flags_come_from_the_settings(tmp_path):
    from synthetic import synthetic_profiles

    path = tmp_path / "p.csv"
    synthetic_profiles().to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-m", "engine", "morphology", "--source", str(path), "--out", str(tmp_path),
                           "--seeds", "1", "--epochs", "20", "--n-folds", "2", "--null-size", "100",
                           "--normalize", "standardize", "--feature-select", "none", "-q"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip().splitlines()[-1]).exists()
    bad = subprocess.run([sys.executable, "-m", "engine", "morphology", "--normalize", "zscore"],
                         capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr and "Traceback" not in bad.stderr


def test_morphology_006_job_runner_dispatches_on_kind(tmp_path):
    from engine.jobs import JobRegistry, execute
    from synthetic import synthetic_profiles

    path = tmp_path / "p.csv"
    synthetic_profiles().to_csv(path, index=False)
    registry = JobRegistry(tmp_path / "jobs.sqlite")
    settings = {"source": str(path), "seeds": 1, "epochs": 10, "n_folds": 2, "null_size": 100,
                "normalize": "standardize", "feature_select": "none", "owner": "alice"}
    job_id = registry.submit(owner="alice", name="moa-job", config=settings, kind="morphology")
    final = execute(registry, job_id, results_dir=tmp_path / "results")
    assert final["status"] == "done", final["error"]
    assert final["kind"] == "morphology" and Path(final["result"]).parent.name == "morphology"
    bad = registry.submit(owner="alice", name="bad-job", config={**settings, "control": "vehicle"}, kind="morphology")
    failed = execute(registry, bad, results_dir=tmp_path / "results")
    assert failed["status"] == "failed" and "No control wells" in failed["error"]
    with pytest.raises(DataError, match="unknown kind"):
        registry.submit(owner="alice", name="x", config={}, kind="nonsense")


def test_morphology_007_an_image_qc_decision_leaves_its_wells_out(tmp_path):
    from engine.qc import QCDecision
    from synthetic import synthetic_profiles

    path = tmp_path / "p.csv"
    synthetic_profiles().to_csv(path, index=False)
    decision = QCDecision(name="wells", input="plate images", input_sha256="x", metrics=["focus_score"],
                          threshold=0.6, contamination="auto", n_cells=10, excluded=["P0/T000", "P0/T001"],
                          created_by="alice", created_at="2026-12-02T00:00:00Z").save(tmp_path / "decisions")
    out = run_kind("morphology", {"source": str(path), "out": str(tmp_path), "null_size": 100, "epochs": 10,
                                  "n_folds": 2, "seeds": 1, "normalize": "standardize", "feature_select": "none",
                                  "exclude": str(decision)})
    record = ad.read_h5ad(out).uns["preprocessing"]["image_qc_exclusion"]
    assert record["n_wells_left_out"] == 2 and record["created_by"] == "alice"
