"""Settings chosen by cross-validation on bulk lines only: every grid point is scored on every fold, the best mean
wins, and the record says so."""

import numpy as np

from engine.config import TrainConfig
from engine.tools.bulk_cv import choose_by_bulk_cv


def test_bulk_cv_001_grid_folds_and_choice_are_recorded(plx_pair):
    bulk, _ = plx_pair
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(bulk.n_obs, 300, replace=False))
    x, y = bulk.layers["scaled"][rows][:, :200], bulk.obs["response"].to_numpy()[rows]
    base = TrainConfig(pretrain_epochs=5, patience=2, hidden=(32,), device="cpu")
    grid = ({"n_latent": 8, "dropout": 0.1}, {"n_latent": 16, "dropout": 0.5})
    chosen, record = choose_by_bulk_cv(x, y, base, grid=grid, n_folds=3)
    assert [r["settings"] for r in record["grid"]] == list(grid)
    assert all(len(r["fold_auroc"]) == 3 and 0 <= min(r["fold_auroc"]) for r in record["grid"])
    best = max(record["grid"], key=lambda r: r["mean_auroc"])
    assert record["chosen"] == best["settings"]
    assert (chosen.n_latent, chosen.dropout) == (best["settings"]["n_latent"], best["settings"]["dropout"])
    assert chosen.transfer_epochs == base.transfer_epochs and chosen.pretrain_epochs == 5  # the rest is kept
    assert "no single-cell data" in record["protocol"]
