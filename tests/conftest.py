"""Shared fixtures: real public data (installed from $SCRESPONSE_DATA_MIRROR), small real slices, one real run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser import dash_duo, dash_thread_server, two_browsers  # noqa: F401  (browser fixtures)
from engine.data.install import MIRROR_ENV, is_installed

DEMO_IDS = ["gdsc", "scdeal_bulk_labels", "scad_plx4720"]
FAST_TRAIN = dict(pretrain_epochs=30, patience=5, transfer_epochs=10)


def pytest_sessionstart(session):
    from engine.data import install

    if os.environ.get(MIRROR_ENV) or all(is_installed(i) for i in DEMO_IDS):
        install(DEMO_IDS)


@pytest.fixture(scope="session")
def mirror() -> Path:
    value = os.environ.get(MIRROR_ENV)
    if not value:
        pytest.skip(f"{MIRROR_ENV} is not set: tests on the raw mirror files need it")
    return Path(value)


@pytest.fixture(scope="session")
def plx_pair():
    """Real GDSC bulk (scDEAL PLX-4720 labels) and A375 cells, harmonised."""
    from engine.data import load_bulk, read_single_cell
    from engine.preprocess import harmonize

    return harmonize(load_bulk("gdsc", drug="PLX-4720"), read_single_cell("scad_plx4720"))


@pytest.fixture(scope="session")
def plx_run(tmp_path_factory) -> Path:
    """One real end-to-end PLX4720 run (2 seeds, short training) with the analysis."""
    from engine.pipeline import RunConfig, run
    from engine.tools.analysis import analyse_run
    from engine.train import TrainConfig

    out = tmp_path_factory.mktemp("precomputed")
    cfg = RunConfig(drug="PLX-4720", sc="scad_plx4720", seeds=2, out=str(out), train=TrainConfig(**FAST_TRAIN))
    return run(cfg, analyse=lambda result, models: analyse_run(result, models=models, n_null=1000))


@pytest.fixture
def results_dir(plx_run, tmp_path) -> Path:
    """A results folder with the real PLX4720 run and one corrupt file."""
    import shutil

    folder = tmp_path / "precomputed"
    folder.mkdir()
    shutil.copy(plx_run, folder / plx_run.name)
    shutil.copytree(plx_run.with_name(f"{plx_run.stem}.models"), folder / f"{plx_run.stem}.models")
    (folder / "corrupt.h5ad").write_bytes(b"\x89HDF\r\n\x1a\n truncated")
    return folder


@pytest.fixture
def explore_app(results_dir, tmp_path):
    from dashboard.app import create_app

    return create_app({"RESULTS_DIR": str(results_dir), "CACHE_DIR": str(tmp_path / "cache")})


@pytest.fixture(scope="session")
def bbbc021_run(tmp_path_factory):
    """One real BBBC021 run on the Broad's feature-selected profiles, with fast settings (3 compound folds,
    30 epochs, one seed): checks the plumbing, not the figures (bench/morphology.py measures those)."""
    from engine.kinds import run_kind

    out = tmp_path_factory.mktemp("precomputed")
    return run_kind("morphology", {"source": "bbbc021:broad", "out": str(out), "seeds": 1, "n_folds": 3,
                                   "epochs": 30, "null_size": 100, "name": "moa-test"})


@pytest.fixture(scope="session")
def image_qc_run(tmp_path_factory):
    from engine.kinds import run_kind

    out = tmp_path_factory.mktemp("precomputed")
    return run_kind("image_qc", {"source": "microscopy_small", "out": str(out), "tile": 256, "name": "fields"})


@pytest.fixture(scope="session")
def integration_run(tmp_path_factory):
    """One real GDSC + CCLE integration with fast settings (3 line folds, 30 epochs, one seed)."""
    from engine.kinds import run_kind

    out = tmp_path_factory.mktemp("precomputed")
    return run_kind("integration", {"out": str(out), "seeds": 1, "n_folds": 3, "epochs": 30, "pinch": 8,
                                    "name": "bulk-test"})


@pytest.fixture(scope="session")
def imputation_run(tmp_path_factory):
    """One real PC9 imputation with fast settings (500 genes, one seed, one masked share, 30 autoencoder epochs):
    checks the plumbing, not the figures (bench/imputation.py measures those)."""
    from engine.kinds import run_kind

    out = tmp_path_factory.mktemp("precomputed")
    return run_kind("imputation", {"sc": "pc9_erlotinib", "methods": ["autoencoder", "knn"], "n_top_genes": 500,
                                   "seeds": 1, "rates": [0.2], "ae_epochs": 30, "groupby": "sample",
                                   "out": str(out), "name": "pc9-imputation"})

