"""Selecting cells by clicking a category: a UMAP legend entry selects that category's cells under the colouring
shown (the predicted label at the page's threshold); clicking it again clears the selection (real PLX4720 run)."""

import numpy as np
import pytest
from cachelib import SimpleCache
from dash.exceptions import PreventUpdate

from dashboard import selection as sel
from dashboard.pages.explore_selection import legend_selection
from dashboard.results import RunData

TIMEOUT = 30


def test_legend_001_an_entry_selects_its_category_at_the_page_threshold(plx_run, tmp_path):
    run, cache = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path), SimpleCache()
    t = round(float(np.median(run.obs("sensitivity_score"))), 2)  # a threshold of the page, not the run's own
    chosen = legend_selection(cache, "s1", run, "sensitive", color_by="predicted", threshold=t, current=None)
    mask = sel.load(cache, "s1", chosen, run.path, run.n)
    assert np.array_equal(mask, np.asarray(run.obs("sensitivity_score")) >= t) and 0 < mask.sum() < run.n
    assert chosen["name"] == f"predicted label at threshold {t:.2f}: sensitive" and chosen["n"] == int(mask.sum())
    # the same entry again clears; another entry replaces
    assert legend_selection(cache, "s1", run, "sensitive", color_by="predicted", threshold=t, current=chosen) is None
    cluster = str(run.obs("leiden")[0])
    other = legend_selection(cache, "s1", run, cluster, color_by="leiden", threshold=0.9, current=chosen)
    assert np.array_equal(sel.load(cache, "s1", other, run.path, run.n), np.asarray(run.obs("leiden")).astype(str) == cluster)
    truth = legend_selection(cache, "s1", run, "resistant", color_by="label", threshold=None, current=None)
    assert truth["n"] == int((run.labels == 0).sum())


def test_legend_002_no_such_category_or_a_continuous_colouring_selects_nothing(plx_run, tmp_path):
    run, cache = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path), SimpleCache()
    with pytest.raises(PreventUpdate):
        legend_selection(cache, "s1", run, "no such cluster", color_by="leiden", threshold=0.5, current=None)
    with pytest.raises(PreventUpdate):
        legend_selection(cache, "s1", run, "sensitive", color_by="obs:no_such_column", threshold=0.5, current=None)


def test_legend_003_clicking_a_legend_entry_in_the_browser_selects_its_cells(dash_duo, explore_app):
    dash_duo.start_server(explore_app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown("#color-by", value="predicted label")
    dash_duo.wait_for_contains_text("#umap .legend", "sensitive", timeout=TIMEOUT)
    entry = [e for e in dash_duo.find_elements("#umap .legend .traces") if e.text == "sensitive"][0]
    entry.find_element("css selector", ".legendtoggle").click()
    dash_duo.wait_for_contains_text("#selection-info", "(predicted label at threshold 0.50: sensitive)", timeout=TIMEOUT)
    n = int(dash_duo.find_element("#selection-info").text.split(" of ")[0].replace(",", ""))
    rows = dash_duo.prop("cluster-table", "rowData")
    assert n == round(sum(r["cells"] * r["predicted_sensitive"] for r in rows))
    # the category stays drawn (plotly's own click would have hidden it) and the panels follow the selection
    assert all(t.get("visible", True) is True for t in dash_duo.driver.execute_script(
        "return document.querySelector('#umap .js-plotly-plot')._fullData.map(t => ({visible: t.visible}));"))
    dash_duo.wait_for_contains_text("#confusion", "selection", timeout=TIMEOUT)
    entry = [e for e in dash_duo.find_elements("#umap .legend .traces") if e.text == "sensitive"][0]
    entry.find_element("css selector", ".legendtoggle").click()
    dash_duo.wait_for_text_to_equal("#selection-info", "no selection", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
