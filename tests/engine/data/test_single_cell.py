
import anndata as ad
import numpy as np
import pandas as pd
import pytest

from engine.data import DataError, read_single_cell
from engine.data.genes import gene_maps
from engine.data.install import dataset_file
from engine.preprocess import harmonize


def test_scad_table_maps_entrez_to_symbols_and_keeps_labels():
    a = read_single_cell("scad_plx4720")
    assert a.shape == (108, 2873)
    assert {"MITF", "SOX10", "SPRY2"} <= set(a.var_names)
    assert a.obs.label.value_counts().to_dict() == {1.0: 62, 0.0: 46}
    assert a.obs.loc[a.obs_names.str.contains("_par_"), "label"].eq(1).all()
    assert not a.uns["sc_input"]["counts"]


def test_gene_maps_resolve_entrez_ensembl_and_aliases():
    m = gene_maps()
    assert m.to_symbol("673") == "BRAF"
    assert m.to_symbol("ENSG00000157764.12") == "BRAF"
    assert m.to_symbol("BRAF") == "BRAF"
    assert m.to_symbol("not-a-gene") is None


@pytest.fixture(scope="module")
def pc9_slice(tmp_path_factory):
    """A real slice of the PC9 Drop-seq count table: 3000 genes x first 300 barcodes."""
    from engine.data import install

    install(["pc9_erlotinib"])
    src = dataset_file("pc9_erlotinib", "Day11_Erlotinib.txt.gz")
    t = pd.read_csv(src, sep="\t", index_col=0, nrows=3000).iloc[:, :300]
    path = tmp_path_factory.mktemp("pc9") / "pc9_slice.txt.gz"
    t.to_csv(path, sep="\t")
    return path, t


def test_count_table_is_read_sparse_with_counts_layer(pc9_slice):
    path, table = pc9_slice
    a = read_single_cell(path)
    assert a.n_obs == 300 and a.uns["sc_input"]["counts"]
    assert "counts" in a.layers
    gene = a.var_names[0]
    col = a.var["original_id"].iloc[0]
    np.testing.assert_array_equal(a[:, gene].X.toarray().ravel(), table.loc[col].to_numpy())


def test_counts_are_normalised_and_standardised_on_harmonise(pc9_slice):
    path, _ = pc9_slice
    from engine.data import load_bulk

    bulk, cells = harmonize(load_bulk("gdsc", drug="Erlotinib"), read_single_cell(path))
    assert cells.uns["preprocess"]["counts_normalized"]
    assert list(bulk.var_names) == list(cells.var_names)
    from engine.preprocess import scaled_matrix

    assert "scaled" not in cells.layers  # the cells are standardised on the fly, never stored whole
    for a in (bulk, cells):
        Z = np.asarray(scaled_matrix(a))
        assert np.isfinite(Z).all()
        assert np.allclose(Z.mean(0), 0, atol=1e-4)


def test_h5ad_with_label_column_and_label_table(tmp_path):
    a = read_single_cell("scad_plx4720")
    src = ad.AnnData(X=np.asarray(a.X), obs=pd.DataFrame({"state": np.where(a.obs.label == 1, "sensitive", "resistant")},
                                                         index=a.obs_names), var=pd.DataFrame(index=a.var_names))
    src.write_h5ad(tmp_path / "cells.h5ad")
    b = read_single_cell(tmp_path / "cells.h5ad", label_column="state")
    np.testing.assert_array_equal(b.obs.label.to_numpy(), a.obs.label.to_numpy())
    pd.DataFrame({"response": a.obs.label.iloc[:10]}).to_csv(tmp_path / "labels.csv")
    c = read_single_cell(tmp_path / "cells.h5ad", label_table=tmp_path / "labels.csv")
    assert c.obs.label.notna().sum() == 10


@pytest.mark.parametrize("case", ["empty", "corrupt_h5ad", "nan", "bad_labels", "unmatched_label_table", "no_genes"])
def test_bad_inputs_give_clear_errors_naming_the_file(tmp_path, case):
    good = ad.AnnData(X=np.ones((5, 3), dtype=np.float32), obs=pd.DataFrame(index=[f"c{i}" for i in range(5)]),
                      var=pd.DataFrame(index=["BRAF", "MITF", "SOX10"]))
    kwargs = {}
    if case == "empty":
        path = tmp_path / "empty.tsv"
        path.write_bytes(b"")
        match = "empty"
    elif case == "corrupt_h5ad":
        path = tmp_path / "broken.h5ad"
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"garbage" * 100)
        match = "Not a readable AnnData"
    elif case == "nan":
        good.X[0, 0] = np.nan
        path = tmp_path / "nan.h5ad"
        good.write_h5ad(path)
        match = "NaN"
    elif case == "bad_labels":
        good.obs["response"] = ["yes"] * 5
        path = tmp_path / "labels.h5ad"
        good.write_h5ad(path)
        match = "Labels must be"
    elif case == "unmatched_label_table":
        path = tmp_path / "ok.h5ad"
        good.write_h5ad(path)
        pd.DataFrame({"response": [1, 0]}, index=["x", "y"]).to_csv(tmp_path / "t.csv")
        kwargs["label_table"] = tmp_path / "t.csv"
        match = "No cell id"
    else:
        good.var_names = ["foo1", "foo2", "foo3"]
        path = tmp_path / "nogenes.h5ad"
        good.write_h5ad(path)
        match = "No column maps"
    with pytest.raises(DataError, match=match) as err:
        read_single_cell(path, **kwargs)
    assert str(path.name) in str(err.value) or "t.csv" in str(err.value)


def test_too_few_shared_genes_is_a_clear_error():
    from engine.data import load_bulk

    cells = ad.AnnData(X=np.random.default_rng(0).random((12, 3)).astype(np.float32),
                       var=pd.DataFrame(index=["BRAF", "MITF", "SOX10"]))
    cells.uns["sc_input"] = {"counts": False}
    with pytest.raises(DataError, match=r"Only \d genes are shared by the bulk data"):
        harmonize(load_bulk("gdsc", drug="PLX-4720"), cells)


def test_a_matrix_above_the_memory_budget_is_refused_from_its_header(tmp_path):
    """A tiny gzip-compressed file can hold a huge dense matrix: it is refused before anything is loaded."""
    import h5py
    import numpy as np
    from engine.data.single_cell import read_h5ad_checked

    import anndata as ad

    path = tmp_path / "bomb.h5ad"
    ad.AnnData(np.zeros((10, 10), dtype=np.float32)).write_h5ad(path)
    with h5py.File(path, "r+") as f:  # swap X for 10,000 x 20,000 zeros, stored compressed (a few MB)
        del f["X"]
        f.create_dataset("X", shape=(10_000, 20_000), dtype="f8", compression="gzip", fillvalue=0.0)
    assert path.stat().st_size < 5_000_000
    with pytest.raises(DataError, match=r"10,000 x 20,000, dense\) would need about 1,600 MB.*limit of 500 MB"):
        read_h5ad_checked(path, max_mb=500)


@pytest.mark.parametrize("kind", ["fifo", "folder", "loop"])
def test_special_files_are_refused_not_hung_on(tmp_path, kind):
    import os

    from engine.data import read_single_cell

    path = tmp_path / "x.h5ad"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        os.symlink(tmp_path / "y.h5ad", path)
        os.symlink(path, tmp_path / "y.h5ad")
    with pytest.raises(DataError, match="Not a regular file|Cannot open the file|Not a 10x mtx folder"):
        read_single_cell(str(path))
