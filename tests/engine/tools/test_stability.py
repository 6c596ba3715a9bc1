"""Seed agreement: per-cell spread and agreement, and the run-level warning, from the seeds' scores alone."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest

from engine.tools.stability import seed_uncertainty


def _run(scores: np.ndarray) -> ad.AnnData:
    a = ad.AnnData(np.zeros((scores.shape[0], 1), dtype=np.float32))
    a.obsm["sensitivity_score_per_seed"] = scores
    return a


def test_seeds_that_agree_are_not_flagged_and_cells_get_spread_and_agreement():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 1, 200)
    a = _run(np.clip(base[:, None] + rng.normal(0, 0.03, (200, 5)), 0, 1))
    s = seed_uncertainty(a)
    assert not s["unstable"] and "warning" not in s and s["pairwise_rank_correlation_min"] > 0.9
    assert a.obs["seed_sd"].between(0, 0.1).all() and a.obs["seed_agreement"].between(0, 1).all()
    near = np.abs(base - 0.5) < 0.02  # cells on the threshold are where seeds disagree
    assert a.obs["seed_agreement"][near].mean() < a.obs["seed_agreement"][~near].mean()


def test_a_flipped_seed_makes_the_run_unstable_with_a_warning():
    rng = np.random.default_rng(1)
    base = rng.uniform(0, 1, 200)
    scores = np.column_stack([base, base, 1 - base, base, base])  # seed 2 points the other way, as scDEAL's can
    a = _run(scores)
    s = seed_uncertainty(a)
    assert s["unstable"] and s["pairwise_rank_correlation_min"] == pytest.approx(-1.0)
    assert "seeds disagree" in s["warning"] and a.uns["seed_agreement"]["unstable"]
    assert (a.obs["seed_agreement"] == 0.8).mean() > 0.9


def test_one_seed_is_never_called_unstable():
    a = _run(np.random.default_rng(2).uniform(0, 1, (50, 1)))
    s = seed_uncertainty(a)
    assert not s["unstable"] and (a.obs["seed_sd"] == 0).all() and (a.obs["seed_agreement"] == 1).all()


def test_a_run_records_seed_agreement_without_labels(plx_run):
    a = ad.read_h5ad(plx_run)
    assert {"seed_sd", "seed_agreement"} <= set(a.obs) and a.uns["seed_agreement"]["n_seeds"] == 2
    b = a.copy()
    b.obs["label"] = np.random.default_rng(0).permutation(b.obs["label"].to_numpy())  # labels play no part
    assert seed_uncertainty(b) == {k: v for k, v in seed_uncertainty(a).items()}
