"""QC on real data: metrics, empty droplets, isolation-forest flags, decisions, the CLI, training with a decision."""

import json

import anndata as ad
import numpy as np
import pytest

from engine.__main__ import main
from engine.data import DataError
from engine.qc import QCDecision, apply_decision, list_decisions, run_qc
from engine.tools.qc import empty_droplet_cut, fixed_cutoff_flags, flag, flagged_mask, isolation_forest, qc_lists, qc_metrics


@pytest.fixture(scope="module")
def pc9_qc():
    """All 14,600 unfiltered PC9 Drop-seq barcodes (raw counts)."""
    return run_qc("pc9_erlotinib")


def test_counts_metrics_empty_droplets_and_forest_on_pc9(pc9_qc):
    obs, qc = pc9_qc.obs, pc9_qc.uns["qc"]
    for col in ("total_counts", "n_genes_by_counts", "pct_counts_ribo", "pct_counts_in_top_50_genes",
                "qc_outlier_score", "qc_flagged", "qc_empty"):
        assert col in obs
    assert qc["counts"] and "pct_counts_mt" not in qc["metrics"]  # no MT- genes in this table: constant, left out
    # the inflection of the barcode-rank curve lies between the near-empty bulk and real cells (PROVENANCE:
    # ~1,500 barcodes have >= 500 UMI; the labelled cells' median is ~1,090)
    assert 300 < qc["empty_droplet_cut_counts"] < 1000
    assert 1000 < (~obs["qc_empty"]).sum() < 2500
    assert obs.loc[obs["qc_empty"], "qc_flagged"].all()
    forest_flags = obs["qc_flagged"] & ~obs["qc_empty"]
    assert 0 < forest_flags.sum() < 0.5 * (~obs["qc_empty"]).sum()
    s = obs["qc_outlier_score"]
    assert ((s > 0) & (s <= 1)).all() and qc["threshold"] == pytest.approx(0.5)


def test_threshold_and_contamination_move_the_flags(pc9_qc):
    a = pc9_qc.copy()
    n_auto = int(a.obs["qc_flagged"].sum())
    assert flag(a, threshold=0.45) > n_auto > flag(a, threshold=0.6)
    b = pc9_qc.copy()
    isolation_forest(b, metrics=b.uns["qc"]["metrics"], contamination=0.05)
    n_fit = int((~b.obs["qc_empty"]).sum())
    assert (b.obs["qc_flagged"] & ~b.obs["qc_empty"]).sum() == pytest.approx(0.05 * n_fit, abs=2)
    with pytest.raises(ValueError):
        isolation_forest(b, metrics=b.uns["qc"]["metrics"], contamination=0.9)
    lists = qc_lists(a.obs, threshold=0.5)
    assert lists["flagged"]["qc_outlier_score"].min() > lists["best"]["qc_outlier_score"].max()
    assert not any(a.obs.loc[lst.index, "qc_empty"].any() for lst in lists.values())  # nothing to review there
    assert int(fixed_cutoff_flags(a.obs).sum()) > 10_000  # the fixed 200-gene floor removes the empty droplets


def test_normalised_tables_get_the_metrics_they_can_and_say_the_limits(plx_pair):
    _, cells = plx_pair
    a = ad.AnnData(cells.X.copy(), obs=cells.obs[[]].copy(), var=cells.var[[]].copy())
    metrics = qc_metrics(a)
    assert set(metrics) <= {"n_genes_detected", "mean_expression", "sd_expression"} and metrics
    assert "no raw counts" in a.uns["qc_input"]["limits"]


def test_empty_droplet_cut_on_a_clear_two_population_curve():
    rng = np.random.default_rng(0)
    totals = np.concatenate([rng.lognormal(np.log(3000), 0.3, 800), rng.lognormal(np.log(60), 0.5, 8000)])
    cut = empty_droplet_cut(totals)
    assert 200 < cut < 2000


def test_decision_round_trip_and_training_checks_it(pc9_qc, tmp_path):
    decision = QCDecision.from_result(pc9_qc, name="pc9-v1", threshold=0.55, created_by="tester")
    path = decision.save(tmp_path)
    loaded = QCDecision.load(path)
    assert loaded == decision and loaded.created_by == "tester" and loaded.input == "pc9_erlotinib"
    assert set(loaded.excluded) == set(pc9_qc.obs_names[flagged_mask(pc9_qc.obs, 0.55)])
    assert list_decisions(tmp_path, source="pc9_erlotinib")[0]["name"] == "pc9-v1"
    assert list_decisions(tmp_path, source="scad_plx4720") == []
    kept, record = apply_decision(pc9_qc, path, source="pc9_erlotinib")
    assert kept.n_obs == pc9_qc.n_obs - len(decision.excluded) and record["n_excluded"] == len(decision.excluded)
    with pytest.raises(DataError, match="not on this input"):
        apply_decision(pc9_qc, path, source="scad_plx4720")
    with pytest.raises(DataError, match="decision name"):
        QCDecision.from_result(pc9_qc, name="../evil")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(DataError, match="Not a QC decision"):
        QCDecision.load(tmp_path / "broken.json")


def test_cli_qc_writes_flags_and_a_decision(tmp_path, capsys):
    out = tmp_path / "plx_qc.h5ad"
    assert main(["qc", "scad_plx4720", "--out", str(out), "--contamination", "0.1", "--save-decision", "plx-10pct",
                 "--decisions", str(tmp_path / "dec")]) == 0
    printed = capsys.readouterr().out
    assert "11 of 108 cells flagged" in printed and "no raw counts" in printed
    result = ad.read_h5ad(out)
    assert result.obs["qc_flagged"].sum() == 11
    assert len(json.loads((tmp_path / "dec" / "plx-10pct.json").read_text())["excluded"]) == 11


def test_a_run_drops_the_decisions_cells_and_records_it(tmp_path):
    from engine.pipeline import RunConfig, run
    from engine.train import TrainConfig

    qc = run_qc("scad_plx4720", contamination=0.1)
    path = QCDecision.from_result(qc, name="plx-10pct").save(tmp_path / "dec")
    cfg = RunConfig(drug="PLX-4720", sc="scad_plx4720", seeds=1, out=str(tmp_path), qc=str(path),
                    train=TrainConfig(pretrain_epochs=3, transfer_epochs=1))
    result = ad.read_h5ad(run(cfg))
    assert result.n_obs == 108 - 11
    assert result.uns["qc_decision"]["name"] == "plx-10pct" and result.uns["qc_decision"]["n_excluded"] == 11
    assert not set(json.loads(path.read_text())["excluded"]) & set(result.obs_names)


def test_review_embedding_places_cells_and_leaves_empty_droplets_out():
    from engine.qc import embedding
    from synthetic import synthetic_droplets

    a = synthetic_droplets(n_cells=200, n_empty=600)
    isolation_forest(a, metrics=qc_metrics(a))
    coords = embedding(a, seed=0)
    empty = a.obs["qc_empty"].to_numpy(bool)
    assert coords.shape == (a.n_obs, 2) and 0 < empty.sum() < a.n_obs
    assert np.isnan(coords[empty]).all() and np.isfinite(coords[~empty]).all()
    # the empty droplets the rank curve found are the simulated ones
    assert (a.obs.loc[empty, "truth"] == "empty").mean() > 0.95


def test_qc_reads_a_cells_by_genes_table_as_run_does(tmp_path):
    from engine.data.install import dataset_file

    table = dataset_file("scad_plx4720", "Target_expr_resp_z.PLX4720_tp4k.tsv.gz")
    a = run_qc(str(table))
    assert a.n_obs == 108 and a.n_vars > 1000  # cells are rows, as `python -m engine run` reads it


@pytest.mark.parametrize("case", ["one_cell", "all_zero"])
def test_qc_on_degenerate_input_is_a_plain_error(tmp_path, case):
    from synthetic import synthetic_droplets

    a = synthetic_droplets(n_cells=50, n_empty=0)
    a = a[:1].copy() if case == "one_cell" else a
    if case == "all_zero":
        a.X = a.X * 0
    a.write_h5ad(tmp_path / "x.h5ad")
    with pytest.raises(DataError, match="at least|does not vary"):
        run_qc(str(tmp_path / "x.h5ad"))


def test_private_decisions_are_listed_for_their_maker_only(pc9_qc, tmp_path):
    from engine.qc import list_decisions

    QCDecision.from_result(pc9_qc, name="alices", created_by="alice", visibility="private").save(tmp_path)
    QCDecision.from_result(pc9_qc, name="team", created_by="alice").save(tmp_path)
    names = lambda user: sorted(d["name"] for d in list_decisions(tmp_path, user=user))  # noqa: E731
    assert names("alice") == ["alices", "team"] and names("bob") == ["team"]
    assert len(list_decisions(tmp_path)) == 2  # no user: the CLI on the server lists every decision
