"""Named cell sets: saved atomically with who and when, private or shared, never silently overwritten."""

import pytest

from engine.cellsets import list_cell_sets, load_cell_set, save_cell_set
from engine.data.errors import DataError


def test_cellsets_001_save_list_and_load_per_user(tmp_path):
    save_cell_set(tmp_path, run="run1", name="my resistant cells", cells=["a", "b"], user="alice")
    save_cell_set(tmp_path, run="run1", name="shared set", cells=["c"], user="alice", visibility="everyone")
    assert {cs.name for cs in list_cell_sets(tmp_path, run="run1", user="alice")} == {"my resistant cells", "shared set"}
    assert [cs.name for cs in list_cell_sets(tmp_path, run="run1", user="bob")] == ["shared set"]
    assert load_cell_set(tmp_path, run="run1", name="shared set", user="bob").cells == ["c"]
    with pytest.raises(DataError, match="no cell set called"):
        load_cell_set(tmp_path, run="run1", name="my resistant cells", user="bob")  # private to alice
    cs = load_cell_set(tmp_path, run="run1", name="my resistant cells", user="alice")
    assert cs.created_by == "alice" and cs.created_at and cs.cells == ["a", "b"]
    assert list_cell_sets(tmp_path, run="run2", user="alice") == []
    assert not list((tmp_path / "cellsets" / "run1").glob(".*"))  # no temporary files left


def test_cellsets_002_existing_names_bad_names_and_empty_sets_are_plain_errors(tmp_path):
    save_cell_set(tmp_path, run="run1", name="set", cells=["a"], user="alice")
    with pytest.raises(DataError, match="tick 'replace'"):
        save_cell_set(tmp_path, run="run1", name="set", cells=["b"], user="alice")
    save_cell_set(tmp_path, run="run1", name="set", cells=["b"], user="alice", replace=True)
    assert load_cell_set(tmp_path, run="run1", name="set", user="alice").cells == ["b"]
    with pytest.raises(DataError, match="saved by alice"):
        save_cell_set(tmp_path, run="run1", name="set", cells=["c"], user="bob", replace=True)
    for bad in ("", "../x", "a/b", "x" * 61, "-dash"):
        with pytest.raises(DataError, match="cell-set name"):
            save_cell_set(tmp_path, run="run1", name=bad, cells=["a"], user="alice")
    with pytest.raises(DataError, match="empty"):
        save_cell_set(tmp_path, run="run1", name="none", cells=[], user="alice")
    with pytest.raises(DataError, match="no such result"):
        save_cell_set(tmp_path, run="../etc", name="x", cells=["a"], user="alice")
