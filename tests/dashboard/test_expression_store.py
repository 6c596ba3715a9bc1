"""The gene-major expression store the app reads instead of holding X (real PLX4720 result)."""

import os
import shutil
import threading

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp

from dashboard import expression
from dashboard.expression import GeneMajor
from dashboard.stats import selection_vs_rest


def test_store_matches_the_matrix_and_gives_the_same_de(plx_run, tmp_path, monkeypatch):
    monkeypatch.setattr(expression, "BLOCK_BYTES", 4 * 1438 * 7)  # several row and gene blocks on 108 cells
    backed = ad.read_h5ad(plx_run, backed="r")
    X = np.asarray(ad.read_h5ad(plx_run).X, dtype=np.float32)
    store = GeneMajor.open_or_build(backed.X, source=plx_run, cache_dir=tmp_path)
    for j in (0, 1, 500, X.shape[1] - 1):
        np.testing.assert_array_equal(store.gene(j), X[:, j])
    np.testing.assert_allclose(store.moments[0], X.sum(0, dtype=np.float64), rtol=1e-9)
    np.testing.assert_allclose(store.moments[1], np.square(X, dtype=np.float64).sum(0), rtol=1e-9)
    for share in (0.3, 0.05):  # one pass over the store (centred float32 products), and the gathered cells
        mask = np.random.default_rng(0).random(len(X)) < share
        got = selection_vs_rest(store, mask, genes=backed.var_names)  # the store's own moments
        ref = selection_vs_rest(X, mask, genes=backed.var_names)
        np.testing.assert_allclose(got["t"], ref["t"], rtol=1e-5, atol=1e-6)
        assert list(got["gene"][:20]) == list(ref["gene"][:20])
    a, b = np.arange(0, 40), np.arange(50, 100)  # two groups in one pass
    s, q = store.groups_moments([a, b])
    for k, rows in enumerate((a, b)):
        np.testing.assert_allclose(s[:, k], X[rows].sum(0, dtype=np.float64), rtol=1e-6, atol=1e-4)
        np.testing.assert_allclose(q[:, k], np.square(X[rows], dtype=np.float64).sum(0), rtol=1e-6, atol=1e-4)


def test_store_is_built_once_from_sparse_input_and_rebuilt_when_the_result_changes(plx_run, tmp_path):
    src = tmp_path / "run.h5ad"
    shutil.copy(plx_run, src)
    X = sp.csr_matrix(np.asarray(ad.read_h5ad(src).X, dtype=np.float32))
    cache = tmp_path / "cache"
    stores = []
    threads = [threading.Thread(target=lambda: stores.append(GeneMajor.open_or_build(X, source=src, cache_dir=cache)))
               for _ in range(3)]  # workers asking together build it once
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len({s.path for s in stores}) == 1 and len(list(cache.glob("*.f32"))) == 1
    assert not list(cache.glob(".*tmp"))  # no temporary file left behind
    np.testing.assert_array_equal(stores[0].gene(3), X[:, 3].toarray().ravel())
    first = stores[0].path
    os.utime(src, ns=(1, 1))  # the result file changed: a new store, the old one removed
    again = GeneMajor.open_or_build(X, source=src, cache_dir=cache)
    assert again.path != first and not first.exists() and len(list(cache.glob("*.f32"))) == 1


def test_start_up_removes_dead_builds_and_stores_of_deleted_results(tmp_path):
    import os

    from dashboard.expression import clean_stores

    results, cache = tmp_path / "results", tmp_path / "cache"
    results.mkdir()
    cache.mkdir()
    (results / "kept.h5ad").write_bytes(b"x")
    keep = [cache / "kept-0123456789abcdef.f32", cache / "kept.lock", cache / f".kept-1.f32.{os.getpid()}.tmp",
            cache / "kept@imputed_knn-0123456789abcdef.f32", cache / "kept@imputed_knn.lock"]
    gone = [cache / "deleted-0123456789abcdef.f32", cache / "deleted.lock", cache / ".kept-1.f32.999999999.tmp",
            cache / "deleted@imputed_knn-0123456789abcdef.f32"]
    for p in keep + gone:
        p.write_bytes(b"0" * 16)
    assert sorted(clean_stores(cache, results)) == sorted(gone)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)


def test_a_result_replaced_in_place_with_the_same_mtime_is_a_new_identity(tmp_path):
    import os

    from engine.provenance import file_identity

    path = tmp_path / "run.h5ad"
    path.write_bytes(b"first")
    before, st = file_identity(path), path.stat()
    replacement = tmp_path / "new.h5ad"
    replacement.write_bytes(b"secon")  # same size
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))  # same modification time
    os.replace(replacement, path)
    assert file_identity(path) != before


def test_explore_colours_a_gene_by_measured_or_imputed_values_and_says_which(plx_run, tmp_path):
    """A run made with --impute holds imputed layers: the colourings offer them, and the title names what is shown."""
    import anndata as ad

    from dashboard.pages.explore_umap import colour_options, umap_figure
    from dashboard.results import RunData

    a = ad.read_h5ad(plx_run)
    measured = np.asarray(a.X.toarray() if hasattr(a.X, "toarray") else a.X, np.float32)
    a.layers["imputed_knn"] = measured + 1.0
    path = tmp_path / "imputed-run.h5ad"
    a.write_h5ad(path)
    run = RunData(str(path), max_display=100_000, expression_dir=tmp_path / "expr")
    assert {"label": "gene expression, imputed (knn)", "value": "gene@imputed_knn"} in colour_options(run)
    gene = run.genes[3]
    shown = umap_figure(run, color_by="gene@imputed_knn", gene=gene)
    assert "imputed (knn)" in shown.layout.title.text
    assert np.allclose(run.gene(gene, layer="imputed_knn"), measured[:, 3] + 1.0)
    assert np.allclose(run.gene(gene), measured[:, 3])
    assert f"{gene}, measured" in umap_figure(run, color_by="gene", gene=gene).layout.title.text
    assert "imputed" not in umap_figure(run, color_by="gene@imputed_nope", gene=gene).layout.title.text
    with pytest.raises(KeyError):
        run.store("counts")


def test_any_gene_of_the_input_colours_the_cells(plx_run, tmp_path):
    """The result keeps the input's full expression (.raw, as scanpy does): a gene the model did not read still
    colours the UMAP, and the title says where its values come from."""
    from dashboard.pages.explore_umap import umap_figure
    from dashboard.results import RunData

    a = ad.read_h5ad(plx_run)
    assert a.raw is not None and a.raw.n_vars > a.n_vars and set(a.var_names) <= set(a.raw.var_names)
    run = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path)
    outside = run.input_genes[0]
    assert outside not in run.genes and outside in run.all_genes
    raw = a.raw.X
    column = np.asarray(raw[:, a.raw.var_names.get_loc(outside)].toarray() if sp.issparse(raw)
                        else raw[:, a.raw.var_names.get_loc(outside)]).ravel()
    assert np.allclose(run.gene(outside), column)
    assert "input expression; not a model gene" in umap_figure(run, color_by="gene", gene=outside).layout.title.text
    inside = run.genes[0]
    assert np.allclose(run.gene(inside), np.asarray(a.X[:, 0]).ravel())


def test_a_block_is_read_whole_through_short_reads_and_a_truncated_store_is_an_error(tmp_path):
    import io

    class Trickle(io.RawIOBase):  # gives at most 5 bytes a read, as a read may
        def __init__(self, data):
            self.data, self.at = data, 0

        def readinto(self, b):
            n = min(5, len(b), len(self.data) - self.at)
            b[:n] = self.data[self.at:self.at + n]
            self.at += n
            return n

    values = np.arange(12, dtype=np.float32)
    out = expression._read_into(Trickle(values.tobytes()), np.empty(12, np.float32), tmp_path / "x.f32")
    np.testing.assert_array_equal(out, values)
    with pytest.raises(OSError, match="x.f32 is shorter than its shape"):
        expression._read_into(Trickle(values[:7].tobytes()), np.empty(12, np.float32), tmp_path / "x.f32")
