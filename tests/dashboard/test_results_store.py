import shutil
import time

import anndata as ad
import pytest

import numpy as np
from flask import Flask
from flask_caching import Cache

from dashboard.results import ResultStore
from dashboard.selection import load, mask_from_selected_data, save


def _store(folder, tmp_path):
    cache = Cache(Flask(__name__), config={"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(tmp_path / "c")})
    return ResultStore(folder, cache), cache


def test_index_lists_runs_and_unreadable_files_without_raising(plx_run, tmp_path):
    folder = tmp_path / "pre"
    folder.mkdir()
    shutil.copy(plx_run, folder / "good.h5ad")
    (folder / "broken.h5ad").write_bytes(b"not an hdf5 file")
    store, _ = _store(folder, tmp_path)
    entries = {e["name"]: e for e in store.index()}
    assert entries["good"]["drug"] == "PLX-4720" and entries["good"]["n_cells"] == 108 and not entries["good"]["error"]
    assert entries["broken"]["error"].startswith("unreadable")


def test_a_result_is_read_once_and_reread_when_changed(plx_run, tmp_path):
    folder = tmp_path / "pre"
    folder.mkdir()
    target = folder / "run.h5ad"
    shutil.copy(plx_run, target)
    store, _ = _store(folder, tmp_path)
    a, b = store.open(str(target)), store.open(str(target))
    assert a is b
    shutil.copy(plx_run, target)
    import os
    os.utime(target, (10**9, 10**9))
    assert store.open(str(target)) is not a


def test_files_outside_the_results_folder_are_refused(plx_run, tmp_path):
    import pytest

    from engine.data import DataError

    store, _ = _store(tmp_path / "empty", tmp_path)
    with pytest.raises(DataError):
        store.open(str(plx_run))


def test_box_lasso_and_point_selections_map_to_all_cells(tmp_path):
    xy = np.array([[0, 0], [1, 1], [2, 2], [5, 5]], dtype=float)
    box = mask_from_selected_data({"range": {"x": [0.5, 2.5], "y": [0.5, 2.5]}}, xy)
    assert list(box) == [False, True, True, False]
    lasso = mask_from_selected_data({"lassoPoints": {"x": [-1, 1.5, 1.5, -1], "y": [-1, -1, 1.5, 1.5]}}, xy)
    assert list(lasso) == [True, True, False, False]
    pts = mask_from_selected_data({"points": [{"customdata": 3}]}, xy)
    assert list(pts) == [False, False, False, True]
    by_position = mask_from_selected_data({"points": [{"x": 2.0, "y": 2.0, "curveNumber": 0, "pointNumber": 2}]}, xy)
    assert list(by_position) == [False, False, True, False]
    # only drawn cells can be clicked: a point is matched among them (cell 2 sits where cell 3 is drawn)
    xy_dup = np.array([[0, 0], [1, 1], [5, 5], [5, 5]], dtype=float)
    drawn_only = mask_from_selected_data({"points": [{"x": 5.0, "y": 5.0}]}, xy_dup, drawn=np.array([0, 3]))
    assert list(drawn_only) == [False, False, False, True]
    assert mask_from_selected_data(None, xy) is None


def test_selection_is_kept_per_session_on_the_server(tmp_path):
    cache = Cache(Flask(__name__), config={"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(tmp_path / "c")})
    mask = np.zeros(1000, bool)
    mask[::7] = True
    token = save(cache, "session-a", "run.h5ad", "umap", mask)
    assert token["n"] == mask.sum() and len(str(token)) < 200  # the browser holds only this
    np.testing.assert_array_equal(load(cache, "session-a", token, "run.h5ad", 1000), mask)
    assert load(cache, "session-b", token, "run.h5ad", 1000) is None
    assert load(cache, "session-a", token, "other.h5ad", 1000) is None


def test_private_results_are_listed_and_opened_by_their_owner_only(plx_run, tmp_path):
    import shutil

    from flask_caching import Cache
    from flask import Flask

    from dashboard.results import ResultStore
    from engine.data import DataError

    folder = tmp_path / "res"
    folder.mkdir()
    import anndata as ad

    for name, access in (("alices", {"owner": "alice", "visibility": "private"}),
                         ("shared", {"owner": "alice", "visibility": "users:bob,carol"}),
                         ("public", None)):
        shutil.copy(plx_run, folder / f"{name}.h5ad")
        if access:
            a = ad.read_h5ad(folder / f"{name}.h5ad")
            a.uns["access"] = access
            a.write_h5ad(folder / f"{name}.h5ad")
    store = ResultStore(folder, Cache(Flask(__name__), config={"CACHE_TYPE": "SimpleCache"}))
    seen = lambda user: sorted(e["name"] for e in store.index(user=user))  # noqa: E731
    assert seen("alice") == ["alices", "public", "shared"]
    assert seen("bob") == ["public", "shared"] and seen("mallory") == ["public"]
    with pytest.raises(DataError, match="private to its owner"):
        store.open(str(folder / "alices.h5ad"), user="bob")
    assert store.open(str(folder / "alices.h5ad"), user="alice").n > 0


def test_opening_a_run_builds_no_expression_store_until_asked_and_then_once(plx_run, tmp_path):
    folder = tmp_path / "pre"
    folder.mkdir()
    shutil.copy(plx_run, folder / "run.h5ad")
    store, _ = _store(folder, tmp_path)
    run = store.open(str(folder / "run.h5ad"))
    assert not list(store.expression_dir.glob("*.f32"))  # a first view's draw does not share the CPU with a build
    run.build_expression_in_background()
    run.build_expression_in_background()  # once per opened run
    deadline = time.monotonic() + 60
    while not list(store.expression_dir.glob("*.f32")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(store.expression_dir.glob("*.f32"))) == 1
    X = np.asarray(ad.read_h5ad(plx_run).X, dtype=np.float32)
    np.testing.assert_array_equal(run.expression.gene(0), X[:, 0])
