"""The main UMAP as the browser draws it: the cells once, each colouring as codes (real PLX4720 run), and the
continuous levels those codes stand for (synthetic values)."""

import base64

import numpy as np
import pandas as pd

from dashboard.figures.embedding import COLOUR_LEVELS, colour_groups
from dashboard.pages.explore_umap_draw import _positions as encode_positions, umap_cells, umap_colour
from dashboard.results import RunData


def _array(b64: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.dtype(dtype).newbyteorder("<"))


def _positions(axis: dict) -> np.ndarray:
    """What assets/umap_draw.js rebuilds from one axis of ``umap_cells``."""
    if "f" in axis:
        return _array(axis["f"], np.float32)
    return (axis["lo"] + _array(axis["q"], np.uint16) * axis["step"]).astype(np.float32)


def test_draw_001_cells_are_the_drawn_cells_positions_and_rows(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=50, expression_dir=tmp_path)  # a subset is drawn
    cells = umap_cells(run)
    d = run.display_index
    assert cells["n"] == len(d) == 50 and cells["run"] == run.path
    np.testing.assert_array_equal(_array(cells["rows"], np.int32), d)
    for k, axis in enumerate("xy"):
        truth = run.obsm("X_umap")[d, k]
        span = truth.max() - truth.min()
        # within half a step of 1/65,535 of the range; the extremes exact
        np.testing.assert_allclose(_positions(cells[axis]), truth, rtol=0, atol=span / 65_535 / 2 + 1e-5 * span)
        assert _positions(cells[axis]).min() == np.float32(truth.min())


def test_draw_001b_every_cell_drawn_sends_no_rows_and_a_missing_position_keeps_floats(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path)
    cells = umap_cells(run)
    assert cells["rows"] is None and cells["n"] == run.n  # the browser counts 0..n-1
    v = np.array([0.5, np.nan, 2.0])
    np.testing.assert_array_equal(_positions(encode_positions(v)), v.astype(np.float32))
    np.testing.assert_array_equal(_positions(encode_positions(np.full(4, 3.0))), np.full(4, 3.0, np.float32))


def test_draw_002_a_categorical_colouring_is_each_cells_group(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path)
    colour = umap_colour(run, color_by="leiden", zoom=(0, 1, 2, 3))
    codes = _array(colour["codes"], {"u1": np.uint8, "i2": np.int16}[colour["codes_type"]])
    leiden = np.asarray(run.obs("leiden")).astype(str)[run.display_index]
    assert len(codes) == colour["n"] == run.n
    names = np.array([g["name"] for g in colour["groups"]])
    np.testing.assert_array_equal(names[codes], leiden)
    assert all(g["showlegend"] for g in colour["groups"]) and colour["layout"]["legend"]["title"]["text"]
    assert any(t.get("mode") == "text" for t in colour["extra"])  # each cluster's name at its centre
    assert colour["layout"]["xaxis"]["range"] == [0, 1] and colour["layout"]["yaxis"]["range"] == [2, 3]
    assert len(colour["text"]) == run.n and colour["groups"][0]["hovertemplate"].startswith("%{text}<br>")


def test_draw_003_a_score_on_few_cells_keeps_each_value_and_a_missing_gene_says_so(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path)
    colour = umap_colour(run, color_by="sensitivity_score")
    assert "codes" not in colour and len(colour["groups"]) == 1
    np.testing.assert_allclose(_array(colour["values"], np.float32), run.obs("sensitivity_score")[run.display_index])
    assert colour["layout"]["title"]["text"] == "UMAP: sensitivity score"
    message = umap_colour(run, color_by="gene")
    assert "Pick a gene" in str(message["figure"]["layout"]["annotations"][0]["text"])


def test_draw_004_continuous_levels_and_missing_values():
    v = np.linspace(0, 1, 10_000).astype(np.float32)
    v[:7] = np.nan
    spec = colour_groups(v, categorical=False, color_label="score", cmin=0.0, cmax=1.0)
    codes = spec["codes"]
    assert spec["range"] == (0.0, 1.0) and len(spec["groups"]) == COLOUR_LEVELS + 1
    assert (codes[:7] == 0).all() and spec["groups"][0]["name"] == "no value"
    level = codes[7:] - 1
    edges = np.linspace(0, 1, COLOUR_LEVELS + 1)
    assert ((edges[level] <= v[7:] + 1e-6) & (v[7:] <= edges[level + 1] + 1e-6)).all()
    assert np.all(np.diff(level) >= 0)  # ordered values, ordered levels


def test_draw_005_categories_in_legend_order_numbers_as_numbers():
    spec = colour_groups(pd.Series(["10", "2", "b", "2", "a"]), categorical=True, color_label="c")
    assert [g["name"] for g in spec["groups"]] == ["2", "10", "a", "b"]
    assert list(spec["codes"]) == [1, 0, 3, 0, 2]


def test_draw_006_a_colouring_is_kept_on_the_run_but_zoom_and_threshold_still_apply(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path)
    first = umap_colour(run, color_by="leiden", zoom=(0, 1, 2, 3))
    again = umap_colour(run, color_by="leiden", zoom=(4, 5, 6, 7))
    assert again["codes"] == first["codes"] and again["groups"] == first["groups"]
    assert again["layout"]["xaxis"]["range"] == [4, 5] and first["layout"]["xaxis"]["range"] == [0, 1]
    again["extra"].append("changed")  # a caller's change to one answer does not reach the next
    assert "changed" not in umap_colour(run, color_by="leiden")["extra"]
    low, high = (umap_colour(run, color_by="predicted", threshold=t) for t in (0.1, 0.9))
    codes = [_array(c["codes"], np.uint8) for c in (low, high)]
    names = [np.array([g["name"] for g in c["groups"]]) for c in (low, high)]
    score = run.obs("sensitivity_score")[run.display_index]
    np.testing.assert_array_equal(names[0][codes[0]] == "sensitive", score >= 0.1)
    np.testing.assert_array_equal(names[1][codes[1]] == "sensitive", score >= 0.9)


def test_draw_007_the_runs_kept_values_are_bounded(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=100, expression_dir=tmp_path)
    made = []
    for k in range(run.DERIVED_MAX + 5):
        assert run.derived(("k", k), lambda k=k: made.append(k) or k) == k
    assert run.derived(("k", run.DERIVED_MAX + 4), lambda: made.append("again")) == run.DERIVED_MAX + 4
    assert "again" not in made and len(run._derived) == run.DERIVED_MAX
    run.derived(("k", 0), lambda: made.append("made again") or 0)  # the oldest was dropped
    assert made[-1] == "made again"


def test_draw_008_cluster_names_from_codes_equal_those_from_the_text():
    from dashboard.pages.explore_umap import cluster_names

    rng = np.random.default_rng(0)
    coords = rng.normal(size=(500, 2))
    clusters = rng.integers(0, 12, 500).astype(str)
    spec = colour_groups(clusters, categorical=True, color_label="leiden")
    a = cluster_names(coords, clusters)
    b = cluster_names(coords, clusters, codes=spec["codes"], names=[g["name"] for g in spec["groups"]])
    order = np.argsort(b["text"])
    assert sorted(a["text"]) == list(np.array(b["text"])[order])
    np.testing.assert_allclose(np.sort(a["x"]), np.sort(b["x"]))
    for name, x, y in zip(a["text"], a["x"], a["y"]):
        assert np.isclose(x, np.median(coords[clusters == name, 0])) and np.isclose(y, np.median(coords[clusters == name, 1]))
