import os
import subprocess
import sys

import numpy as np
import pytest

from engine.data import DataError
from engine.model import DrugResponseModel
from engine.preprocess import scaled_matrix
from engine.train import Cancelled, TrainConfig, member_splits, resolve_device, train

SMALL = TrainConfig(pretrain_epochs=8, patience=3, transfer_epochs=3, hidden=(64,), n_latent=16, members=2)


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
    assert m.get_latent().shape == (cells.n_obs, 16 * 2)  # the two members' codes side by side
    assert {r["member"] for r in seen} == {0, 1}
    assert {r["seed"] for r in seen} == {0}  # every member's reports name the seed it belongs to
    # cross-fitted: every bulk line trains one member and validates the other; the bulk AUROC is out-of-fold
    assert len(m.result.val_index) == 0
    assert 0.5 < m.result.bulk_val_auroc["pretransfer"] <= 1 and 0.5 < m.result.bulk_val_auroc["transfer"] <= 1


def test_member_splits_cross_fit_every_line_once():

    y = np.array([0] * 30 + [1] * 12)
    splits = member_splits(y, members=4, val_fraction=0.2, seed=7)
    val = np.concatenate([va for _, va in splits])
    assert len(splits) == 4 and sorted(val) == list(range(len(y)))  # each line validates exactly one member
    for tr, va in splits:
        assert not set(tr) & set(va) and len(tr) + len(va) == len(y)
        assert 2 <= y[va].sum() <= 4  # stratified
    one = member_splits(y, members=1, val_fraction=0.2, seed=7)
    assert len(one) == 1 and len(one[0][1]) == int(np.ceil(0.2 * len(y)))  # scikit-learn rounds the test share up
    with pytest.raises(DataError, match="smaller class"):
        member_splits(np.array([0] * 30 + [1] * 3), members=5, val_fraction=0.2, seed=0)


def test_splits_keep_each_lines_rows_on_one_side():
    """Two studies' rows of the same lines (gdsc+ccle): no line trains a member and also validates it, in the
    members' splits, the single validation split and the baselines' CV folds."""
    from engine.folds import stratified_folds
    from engine.tools.baselines import choose_c

    rng = np.random.default_rng(0)
    line_y = np.array([0] * 40 + [1] * 15)
    lines = np.concatenate([np.arange(55), np.arange(0, 55, 2)])  # every line once, every other line twice
    y = line_y[lines]
    for members in (1, 5):
        for tr, va in member_splits(y, members=members, val_fraction=0.2, seed=3, lines=lines):
            assert not set(lines[tr]) & set(lines[va]) and len(tr) + len(va) == len(y) and y[va].sum() > 0
    for tr, va in stratified_folds(y, n_folds=5, groups=lines):
        assert not set(lines[tr]) & set(lines[va])
    x = rng.normal(size=(len(y), 6)) + y[:, None]
    C, auroc = choose_c(x, y, lines=lines)
    assert C > 0 and 0.5 < auroc <= 1


def test_member_ensemble_reads_as_one_network_with_the_mean_logit():
    import torch

    from engine.module import MemberEnsemble
    from engine.train import build_network

    cfg = TrainConfig(hidden=(8,), n_latent=4, predictor_hidden=4, members=3)
    net = build_network(10, cfg).eval()
    assert isinstance(net, MemberEnsemble) and len(net.members) == 3
    x = torch.randn(6, 10)
    z, _ = net.encode(x)
    assert z.shape == (6, 12)
    logits = torch.stack([m.predictor(m.encode(x)[0]) for m in net.members])
    torch.testing.assert_close(net.predictor(z), logits.mean(0))
    recon = torch.stack([m.decoders["sc"](m.encode(x)[0]) for m in net.members])
    torch.testing.assert_close(net(x, "sc")["recon"], recon.mean(0))
    assert not isinstance(build_network(10, TrainConfig(hidden=(8,), n_latent=4, members=1)), MemberEnsemble)


def test_a_config_saved_before_members_existed_loads_as_one_network():
    d = TrainConfig(members=5).to_dict()
    del d["members"]
    assert TrainConfig.from_dict(d).members == 1


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
        train(bulk.layers["scaled"], np.zeros(bulk.n_obs), scaled_matrix(cells), config=SMALL, seed=0)


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


def test_transfer_learning_rate_factor_scales_the_transfer_stage_only(small):
    """The transfer stage steps at lr x transfer_lr_factor: with a tiny factor the transferred network stays where
    pre-training left it, while pre-training is the same as with the default."""
    from dataclasses import replace

    import torch

    bulk, cells = small
    x, y = scaled_matrix(bulk), bulk.obs.response.to_numpy()
    one = replace(SMALL, members=1, transfer_epochs=2, patience=5)

    def moved(config):
        r = train(x, y, scaled_matrix(cells), config=config, seed=4)
        pre, post = r.pretrained.state_dict(), r.transferred.state_dict()
        return r, max(float((post[k] - pre[k]).abs().max()) for k in pre if pre[k].is_floating_point())

    default, step = moved(one)
    slow, tiny = moved(replace(one, transfer_lr_factor=1e-4))
    assert step > 1e-3 and tiny < 1e-3 * step
    for k, v in default.pretrained.state_dict().items():
        assert torch.equal(v, slow.pretrained.state_dict()[k])
