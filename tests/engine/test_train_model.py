import os
import subprocess
import sys

import numpy as np
import pytest

from engine.data import DataError
from engine.model import DrugResponseModel
from engine.train import Cancelled, TrainConfig, resolve_device, train

SMALL = TrainConfig(pretrain_epochs=8, patience=3, transfer_epochs=3, hidden=(64,), n_latent=16)


@pytest.fixture(scope="module")
def small(plx_pair):
    """A real slice: 300 GDSC lines (all sensitive ones kept) x 400 shared genes, all 108 A375 cells."""
    bulk, cells = plx_pair
    rng = np.random.default_rng(0)
    sens = np.flatnonzero(bulk.obs.response == 1)
    res = rng.choice(np.flatnonzero(bulk.obs.response == 0), 300 - len(sens), replace=False)
    rows = np.sort(np.concatenate([sens, res]))
    genes = bulk.var_names[:400]
    return bulk[rows, genes].copy(), cells[:, genes].copy()


def test_training_reports_progress_and_uses_bulk_validation_only(small):
    bulk, cells = small
    seen = []
    cells_no_labels = cells.copy()
    del cells_no_labels.obs["label"]
    m = DrugResponseModel(bulk, cells_no_labels, SMALL).fit(seed=0, progress=seen.append)
    stages = {r["stage"] for r in seen}
    assert stages == {"pretrain", "transfer"}
    assert all({"val_bce", "val_auroc", "cls"} <= set(r) for r in seen)
    assert {"align", "rec_sc"} <= set(next(r for r in seen if r["stage"] == "transfer"))
    p = m.predict()
    assert p.shape == (cells.n_obs,) and ((p >= 0) & (p <= 1)).all()
    assert m.get_latent().shape == (cells.n_obs, 16)


def test_same_seed_same_result(small):
    bulk, cells = small
    a = DrugResponseModel(bulk, cells, SMALL).fit(seed=3).predict()
    b = DrugResponseModel(bulk, cells, SMALL).fit(seed=3).predict()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_cancel_stops_training(small):
    bulk, cells = small
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 5

    with pytest.raises(Cancelled):
        DrugResponseModel(bulk, cells, SMALL).fit(seed=0, cancel=cancel)


def test_single_class_bulk_is_refused(small):
    bulk, cells = small
    with pytest.raises(ValueError, match="single class"):
        train(bulk.layers["scaled"], np.zeros(bulk.n_obs), cells.layers["scaled"], config=SMALL, seed=0)


def test_save_load_round_trip(small, tmp_path):
    bulk, cells = small
    m = DrugResponseModel(bulk, cells, SMALL).fit(seed=1)
    m.save(tmp_path / "m")
    m2 = DrugResponseModel.load(tmp_path / "m", bulk, cells)
    np.testing.assert_allclose(m.predict(), m2.predict(), rtol=1e-6)
    np.testing.assert_allclose(m.predict(transferred=False), m2.predict(transferred=False), rtol=1e-6)
    rec = m2.get_reconstruction()
    assert rec.shape == cells.shape and np.isfinite(rec).all()
    np.testing.assert_allclose(rec, m.get_reconstruction(), rtol=1e-5, atol=1e-6)


def test_device_auto_is_cpu_when_no_cuda_device_is_visible():
    # a fresh interpreter that sees no CUDA device (as on this CPU machine, or a GPU machine with none visible)
    code = ("from engine.train import resolve_device; from engine.data import DataError\n"
            "print(resolve_device('auto').type)\n"
            "try:\n    resolve_device('cuda')\nexcept DataError as e:\n    print('refused:', e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}).stdout.splitlines()
    assert out[0] == "cpu"
    assert out[1].startswith("refused: device 'cuda' was asked for") and "Traceback" not in out[1]


def test_unknown_device_is_a_plain_error():
    with pytest.raises(DataError, match="Unknown device 'tpu'"):
        resolve_device("tpu")


def test_transfer_weight_averaging_is_an_option_that_changes_the_network(small):
    from dataclasses import replace

    bulk, cells = small
    plain = DrugResponseModel(bulk, cells, SMALL).fit(seed=2).predict()
    averaged = DrugResponseModel(bulk, cells, replace(SMALL, average_transfer=True)).fit(seed=2).predict()
    assert np.isfinite(averaged).all() and averaged.shape == plain.shape
    assert not np.allclose(plain, averaged)
