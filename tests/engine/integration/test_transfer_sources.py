"""The transfer model on several bulk studies, with the tissue center loss (issue 14, item 5): the labelled
multi-source set is built from real GDSC and CCLE rows of the same lines, and the center loss trains its centres
and pulls each tissue's bulk codes together."""

import numpy as np
import pytest
import torch

from engine.config import CENTER_LOSS_ON, TrainConfig
from engine.data.errors import DataError
from engine.integration.sources import labelled_sources
from engine.module import GroupCenters, center_loss
from engine.train import train


def test_sources_001_center_loss_reaches_codes_and_centres_and_skips_unknown():
    z = torch.randn(6, 3, requires_grad=True)
    centres = GroupCenters(2, 3)
    groups = torch.tensor([0, 0, 1, 1, -1, -1])
    loss = centres.loss(z, groups)
    loss.backward()
    assert z.grad[:4].abs().sum() > 0 and z.grad[4:].abs().sum() == 0  # rows without a group are left out
    assert centres.centers.grad.abs().sum() > 0
    assert center_loss(z, centres.centers, torch.tensor([-1] * 6)).item() == 0.0


def _study_gap(net, X, n_lines):
    """Distance between a line's two studies' codes over the median distance between any two codes."""
    with torch.no_grad():
        z, _ = net.encode(torch.as_tensor(X))
    z = z.numpy()
    same = np.linalg.norm(z[:n_lines] - z[n_lines:], axis=1).mean()
    pairs = np.linalg.norm(z[:, None] - z[None], axis=2)
    return float(same / np.median(pairs[np.triu_indices(len(z), 1)]))


def test_sources_002_the_center_loss_pulls_a_lines_studies_together():
    """Each line measured by two studies with a study offset (as GDSC and CCLE): the center loss on tissue brings
    a line's two rows closer, relative to the spread of all codes, than training without it."""
    rng = np.random.default_rng(0)
    n_lines, g = 120, 30
    tissue = np.repeat(np.arange(4), n_lines // 4)
    lines = rng.normal(size=(n_lines, g)) + 1.0 * rng.normal(size=(4, g))[tissue]
    offset = 1.5 * rng.normal(size=g)
    X = np.concatenate([lines, lines + offset]).astype(np.float32)
    y = np.tile((lines[:, 0] + rng.normal(0, 0.5, n_lines) > 0).astype(np.float32), 2)
    groups = np.tile(tissue, 2)
    cells = rng.normal(size=(100, g)).astype(np.float32)
    small = dict(hidden=(32,), n_latent=8, pretrain_epochs=15, patience=15, transfer_epochs=3, device="cpu")
    off = train(X, y, cells, config=TrainConfig(**small), seed=0)
    on = train(X, y, cells, config=TrainConfig(**small, lambda_center=1.0), seed=0, bulk_groups=groups)
    assert any("center" in row for row in on.history) and not any("center" in row for row in off.history)
    assert _study_gap(on.transferred, X, n_lines) < _study_gap(off.transferred, X, n_lines)
    with pytest.raises(ValueError, match="needs a group"):
        train(X, y, cells, config=TrainConfig(**small, lambda_center=1.0), seed=0)


def test_sources_003_gdsc_and_ccle_rows_of_one_line_share_its_gdsc_label():
    bulk = labelled_sources(["gdsc", "ccle"], drug="PLX-4720", response="auto")
    obs = bulk.obs
    assert set(obs["study"]) == {"gdsc", "ccle"} and obs["tissue"].notna().all()
    assert (obs.groupby("line", observed=True)["response"].nunique() == 1).all()  # one label per line
    assert obs["response"].nunique() == 2 and bulk.n_vars >= 200
    info = bulk.uns["bulk"]
    assert info["source"] == "gdsc+ccle" and sum(info["rows_per_study"].values()) == bulk.n_obs
    with pytest.raises(DataError, match="include 'gdsc'"):
        labelled_sources(["ccle", "ccle2"], drug="PLX-4720")


def test_sources_004_a_run_on_two_studies_with_the_center_loss(tmp_path):
    import anndata as ad

    from engine.pipeline import RunConfig, run

    cfg = RunConfig(drug="PLX-4720", sc="scad_plx4720", bulk="gdsc+ccle", seeds=1, out=str(tmp_path),
                    train=TrainConfig(pretrain_epochs=5, transfer_epochs=2, lambda_center=CENTER_LOSS_ON))
    result = ad.read_h5ad(run(cfg))
    assert result.uns["bulk"]["source"] == "gdsc+ccle" and result.uns["config"]["train"]["lambda_center"] == CENTER_LOSS_ON
    assert set(result.uns["provenance"]["data_checksums"]) >= {"gdsc", "ccle"}
    assert np.isfinite(result.obs["sensitivity_score"]).all()
    assert "each cell line's rows in one fold" in result.uns["baseline"]["folds"]  # a line's two rows never split
