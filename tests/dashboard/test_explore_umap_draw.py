"""The main UMAP as the browser draws it: the cells once, each colouring as codes (real PLX4720 run), and the
continuous levels those codes stand for (synthetic values)."""

import base64

import numpy as np
import pandas as pd

from dashboard.figures.embedding import COLOUR_LEVELS, colour_groups
from dashboard.pages.explore_umap_draw import umap_cells, umap_colour
from dashboard.results import RunData


def _array(b64: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.dtype(dtype).newbyteorder("<"))


def test_draw_001_cells_are_the_drawn_cells_positions_and_rows(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=50, expression_dir=tmp_path)  # a subset is drawn
    cells = umap_cells(run)
    d = run.display_index
    assert cells["n"] == len(d) == 50 and cells["run"] == run.path
    np.testing.assert_array_equal(_array(cells["rows"], np.int32), d)
    np.testing.assert_allclose(_array(cells["x"], np.float32), run.obsm("X_umap")[d, 0])
    np.testing.assert_allclose(_array(cells["y"], np.float32), run.obsm("X_umap")[d, 1])


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
