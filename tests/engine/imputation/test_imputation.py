"""Dropout imputation: the mask never reaches the imputer, layers leave X untouched, recovery beats the
reference rows on structured data, the harm checks see invented correlations, bad inputs are plain errors,
and the kind runs end to end from a user's file and from the CLI."""

import anndata as ad
import numpy as np
import pytest
import scanpy as sc

from engine.data.errors import DataError
from engine.imputation.evaluate import mask_nonzero, masking_evaluation, summary_table
from engine.imputation.harm import false_correlations, permuted_null, significant_pair_rate
from engine.imputation.methods import impute_autoencoder, impute_diffusion, impute_gene_mean, impute_knn
from engine.imputation.settings import ImputationSettings
from engine.tools.imputation import check_counts, check_log_expression, impute
from synthetic import synthetic_expression  # tests/ is on the path (conftest); a "tests" package of a dependency may shadow it


@pytest.fixture(scope="module")
def logx():
    a = synthetic_expression()
    sc.pp.normalize_total(a, target_sum=1e4)
    sc.pp.log1p(a)
    return a


def dense(a):
    return np.asarray(a.X.toarray(), np.float32)


def test_imputation_001_mask_hides_only_nonzero_entries_and_is_seeded(logx):
    X = dense(logx)
    masked, (r, c) = mask_nonzero(X, 0.2, seed=3)
    assert np.all(X[r, c] > 0) and np.all(masked[r, c] == 0)
    assert len(r) == round(0.2 * np.count_nonzero(X))
    untouched = np.ones_like(X, bool)
    untouched[r, c] = False
    assert np.array_equal(masked[untouched], X[untouched])
    again, (r2, c2) = mask_nonzero(X, 0.2, seed=3)
    assert np.array_equal(r, r2) and np.array_equal(c, c2) and np.array_equal(masked, again)


def test_imputation_002_mask_never_reaches_the_imputer(logx):
    """The imputer is called with the masked matrix and a seed, nothing else; the hidden entries are zeros there."""
    X = dense(logx)
    seen = []

    def spy(M, **kwargs):
        seen.append((M.copy(), kwargs))
        return M

    rows, _ = masking_evaluation(X, {"spy": spy}, rates=(0.3,), seeds=[5])
    masked, (r, c) = mask_nonzero(X, 0.3, seed=5)
    (M, kwargs), = seen
    assert kwargs == {"seed": 5}
    assert np.array_equal(M, masked) and np.all(M[r, c] == 0)
    by = {row["method"]: row for row in rows}
    assert by["spy"]["rmse"] == pytest.approx(by["none"]["rmse"])  # returning the input is "no imputation"


def test_imputation_003_impute_writes_a_layer_and_leaves_x_untouched(logx):
    a = logx.copy()
    before = a.X.copy()
    key = impute(a, method="knn", k=10)
    assert key == "imputed_knn" and a.layers[key].shape == a.shape
    assert (a.X != before).nnz == 0
    X, out = dense(a), a.layers[key]
    assert np.array_equal(out[X > 0], X[X > 0])  # measured values stay as measured
    assert (out[X == 0] > 0).mean() > 0.5  # dropouts filled
    assert a.uns["imputation"][key]["method"] == "knn" and a.uns["imputation"][key]["k"] == 10


def test_imputation_004_knn_and_autoencoder_recover_better_than_reference_rows(logx):
    X = dense(logx)
    rows, points = masking_evaluation(
        X, {"knn": lambda M, seed: impute_knn(M, k=15, seed=seed),
            "autoencoder": lambda M, seed: impute_autoencoder(M, seed=seed, epochs=150, batch_size=32, hidden=64,
                                                              n_latent=8, device="cpu")},
        rates=(0.1, 0.4), seeds=[0, 1])
    table = summary_table(rows).set_index(["method", "rate"])
    for rate in (0.1, 0.4):
        assert table.loc[("knn", rate), "rmse"] < table.loc[("gene_mean", rate), "rmse"] < table.loc[("none", rate), "rmse"]
        assert table.loc[("autoencoder", rate), "rmse"] < table.loc[("gene_mean", rate), "rmse"]
        assert table.loc[("knn", rate), "pearson"] > table.loc[("gene_mean", rate), "pearson"]
    assert table.loc[("knn", 0.1), "n_seeds"] == 2
    assert {p["method"] for p in points} == {"none", "gene_mean", "knn", "autoencoder"}


def test_imputation_005_harm_check_sees_invented_correlations(logx):
    X = dense(logx)
    null = permuted_null(X, seed=0)
    assert np.allclose(np.sort(null, 0), np.sort(X, 0))  # each gene keeps its values
    rng = np.random.default_rng(0)
    assert significant_pair_rate(rng.normal(size=(400, 60)), alpha=0.01) == pytest.approx(0.01, abs=0.01)
    unchanged = false_correlations(X, impute_gene_mean)
    smoothed = false_correlations(X, lambda M: impute_diffusion(M, knn=5, t=3))
    assert unchanged["ratio"] < 1.5 < smoothed["ratio"]


@pytest.mark.parametrize("values, words", [
    (lambda X: X * 0 + np.round(X * 10), "raw counts"),
    (lambda X: X - X.mean(0), "negative"),
    (lambda X: np.where(X > 0, X, np.nan), "missing"),
    (lambda X: X + 1.0, "no zeros"),
])
def test_imputation_006_bad_log_input_is_a_plain_error(logx, values, words):
    with pytest.raises(DataError, match=words):
        check_log_expression(values(dense(logx)))


def test_imputation_007_normalised_data_given_as_counts_is_a_plain_error(logx):
    with pytest.raises(DataError, match="look normalised already"):
        check_counts(logx.X)
    with pytest.raises(DataError, match="unknown imputation method 'magic'"):
        impute(logx.copy(), method="magic")
    with pytest.raises(DataError, match="not known"):
        ImputationSettings(methods=("knn", "magic"), out="/tmp").validate()


def test_imputation_008_kind_runs_end_to_end_from_a_users_file(tmp_path):
    from engine.kinds import run_kind
    from engine.results import kind_summary_lines

    from engine.data.install import dataset_file

    symbols = dataset_file("gdsc", "key.genes.txt").read_text().split()
    counts = synthetic_expression(n_cells=200, n_genes=150, seed=1, gene_names=symbols)
    path = tmp_path / "my_cells.h5ad"
    counts.write_h5ad(path)
    settings = ImputationSettings(sc=str(path), methods=("knn", "autoencoder"), min_genes=20, n_top_genes=100,
                                  rates=(0.2,), seeds=1, ae_epochs=20, groupby="group", out=str(tmp_path / "out"),
                                  name="imp-test", device="cpu")
    stages = []
    result = run_kind("imputation", settings, progress=lambda e: stages.append(e["stage"]))
    out = ad.read_h5ad(result)
    assert out.uns["kind"] == "imputation" and {"imputed_knn", "imputed_autoencoder"} <= set(out.layers)
    assert out.X.min() >= 0 and not np.allclose(out.layers["imputed_knn"], out.X.toarray())
    table = out.uns["masking_table"]
    assert set(table["method"]) == {"none", "gene_mean", "knn", "autoencoder"}
    assert set(out.uns["harm"]["knn"]["new_de"]) == {"random_halves", "group"}
    assert "file:my_cells.h5ad" in out.uns["provenance"]["data_checksums"]
    assert stages[0] == "load" and stages[-1] == "done" and "masking" in stages
    assert any("knn" in line and "RMSE" in line for line in kind_summary_lines(result))


def test_imputation_009_cli_refuses_z_scored_counts_in_plain_words(tmp_path, capsys):
    from engine.__main__ import main

    from engine.data.install import dataset_file

    a = synthetic_expression(n_cells=60, n_genes=40, gene_names=dataset_file("gdsc", "key.genes.txt").read_text().split())
    a.X = a.X.toarray() - 0.5
    path = tmp_path / "z.h5ad"
    a.write_h5ad(path)
    assert main(["imputation", "--sc", str(path), "--out", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "negative" in err and "z-scored" in err and "Traceback" not in err


def _bulk_for(cells):
    import pandas as pd

    rng = np.random.default_rng(0)
    return ad.AnnData(rng.normal(size=(30, cells.n_vars)).astype(np.float32),
                      obs=pd.DataFrame({"response": [0, 1] * 15}, index=[f"line{i}" for i in range(30)]),
                      var=pd.DataFrame(index=cells.var_names))


def test_imputation_010_transfer_reads_imputed_cells_and_keeps_x_as_measured():
    from engine.preprocess import harmonize, scaled_matrix, standardize

    cells = synthetic_expression(n_cells=80, n_genes=60)
    cells.uns["sc_input"] = {"counts": True}
    bulk, plain = harmonize(_bulk_for(cells), cells)
    _, imputed = harmonize(_bulk_for(cells), cells, impute="knn")
    assert "imputed_knn" in imputed.layers and "imputed_knn" not in plain.layers
    assert np.allclose(imputed.X.toarray(), plain.X.toarray())  # X: the measured (log-normalised) values
    assert imputed.uns["preprocess"]["scaled_from"] == "imputed_knn"
    assert np.allclose(np.asarray(scaled_matrix(imputed)), standardize(imputed.layers["imputed_knn"]), atol=1e-5)
    assert not np.allclose(np.asarray(scaled_matrix(imputed)), np.asarray(scaled_matrix(plain)))
    assert imputed.uns["preprocess"]["imputation"].startswith("knn")


def test_imputation_011_transfer_refuses_to_impute_z_scored_cells():
    from engine.preprocess import harmonize

    cells = synthetic_expression(n_cells=80, n_genes=60)
    cells.X = cells.X.toarray() - 1.0
    cells.uns["sc_input"] = {"counts": False}
    with pytest.raises(DataError, match="z-scored"):
        harmonize(_bulk_for(cells), cells, impute="autoencoder")
