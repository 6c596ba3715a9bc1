"""Selection-vs-rest DE from cached moments equals Welch's t-test on the raw rows (real PLX4720 result)."""

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import false_discovery_control, ttest_ind

from dashboard.stats import row_moments, selection_vs_rest


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_selection_vs_rest_matches_welch_t_test(plx_run, fraction):
    a = ad.read_h5ad(plx_run)
    X = np.asarray(a.X, dtype=np.float32)
    mask = np.random.default_rng(1).random(a.n_obs) < fraction
    df = selection_vs_rest(X, mask, genes=a.var_names, moments=row_moments(X, np.arange(a.n_obs))).set_index("gene")
    ref = ttest_ind(X[mask].astype(float), X[~mask].astype(float), axis=0, equal_var=False)
    got = df.loc[a.var_names]
    np.testing.assert_allclose(got["t"], np.nan_to_num(ref.statistic), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got["pval"], np.nan_to_num(ref.pvalue, nan=1.0), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(got["pval_adj"], false_discovery_control(got["pval"]), rtol=1e-9)
    assert (np.diff(df["t"].to_numpy()) <= 0).all()
    # a sparse matrix and a fresh computation of the moments give the same table
    again = selection_vs_rest(sp.csr_matrix(X), mask, genes=a.var_names).set_index("gene").loc[a.var_names]
    np.testing.assert_allclose(again["t"], got["t"], rtol=1e-6, atol=1e-6)


def test_selection_vs_rest_needs_two_cells_each_side():
    X = np.ones((5, 3), np.float32)
    with pytest.raises(ValueError, match="two cells"):
        selection_vs_rest(X, np.array([1, 0, 0, 0, 0], bool), genes=["a", "b", "c"])


def test_groups_de_two_sets_and_a_set_against_the_rest():
    import numpy as np

    from dashboard.stats import groups_de, selection_vs_rest

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    X[:10, 0] += 3  # gene 0 up in the first 10 cells
    a = np.zeros(60, bool)
    a[:10] = True
    b = np.zeros(60, bool)
    b[30:50] = True
    two = groups_de(X, a, b, genes=list("vwxyz"))
    assert two.iloc[0]["gene"] == "v" and two.iloc[0]["pval_adj"] < 0.01
    rest = groups_de(X, a, None, genes=list("vwxyz"))
    assert rest.equals(selection_vs_rest(X, a, genes=list("vwxyz")))
    with pytest.raises(ValueError, match="share 10 cells"):
        groups_de(X, a, np.arange(60) < 15, genes=list("vwxyz"))
