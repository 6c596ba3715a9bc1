"""The explore page in a real browser (headless Chromium) over a real PLX4720 result."""

import re

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 30


def _start(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#class-metrics", "precision", timeout=TIMEOUT)


def _confusion_text(dash_duo) -> str:
    return " ".join(e.text for e in dash_duo.find_elements("#confusion text"))


def _select_left_half(dash_duo, graph_id):
    """Select the cells in the left half of a panel through Plotly's own selection API.

    Plotly then computes the selected points and emits ``plotly_selected``, which dcc.Graph turns into
    ``selectedData`` as for a mouse drag (headless Chromium does not complete mouse drags on WebGL plots).
    """
    dash_duo.driver.execute_script(
        "var g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "var xa = g._fullLayout.xaxis.range, ya = g._fullLayout.yaxis.range;"
        "Plotly.relayout(g, {dragmode: 'select', selections: [{type: 'rect', x0: xa[0], x1: (xa[0] + xa[1]) / 2,"
        " y0: ya[0], y1: ya[1]}]});", f"#{graph_id}")


# per linked scatter: how many of its points are highlighted (null when none is marked selected)
HIGHLIGHTED = """return arguments[0].map(function(id) {
  var g = document.querySelector('#' + id + ' .js-plotly-plot');
  if (!g || !g._fullData) { return -1; }
  var traces = g._fullData.filter(function(t) { return t.customdata && t.customdata.length; });
  if (traces.every(function(t) { return !t.selectedpoints; })) { return null; }
  return traces.reduce(function(n, t) { return n + (t.selectedpoints ? t.selectedpoints.length : 0); }, 0);
});"""
LINKED = ["umap", "mis-umap", "scores-scatter", "deg-scatter", "pre-umap", "post-umap"]


def test_explore_001_app_loads_real_run_and_lists_corrupt_file(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.wait_for_contains_text("#run-picker", "PLX-4720", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#index-alerts", "corrupt.h5ad is listed as unreadable", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#metrics-table", "logistic_regression", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_explore_002_selection_updates_metrics_everywhere(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    before = _confusion_text(dash_duo)
    _select_left_half(dash_duo, "umap")
    dash_duo.wait_for_contains_text("#selection-info", "of 108 cells", timeout=TIMEOUT)
    n = int(re.match(r"(\d+) of", dash_duo.find_element("#selection-info").text).group(1))
    assert 0 < n < 108
    # every linked scatter (all 108 cells drawn in each) highlights exactly the selected cells
    WebDriverWait(dash_duo.driver, TIMEOUT).until(
        lambda d: d.execute_script(HIGHLIGHTED, LINKED) == [n] * len(LINKED))
    dash_duo.wait_for_contains_text("#confusion", "selection", timeout=TIMEOUT)
    assert _confusion_text(dash_duo) != before
    dash_duo.wait_for_contains_text("#selection-metrics", "auroc", timeout=TIMEOUT)
    dash_duo.wait_for_element("#sel-deg-table .ag-cell", timeout=TIMEOUT)
    dash_duo.find_element("#clear-selection").click()
    dash_duo.wait_for_text_to_equal("#selection-info", "no selection", timeout=TIMEOUT)
    WebDriverWait(dash_duo.driver, TIMEOUT).until(
        lambda d: d.execute_script(HIGHLIGHTED, LINKED) == [None] * len(LINKED))
    assert dash_duo.get_logs() == []


def test_explore_003_gene_search_recolours_umap(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.find_element("#gene").click()
    dash_duo.find_element("input.dash-dropdown-search").send_keys("SOX1")
    dash_duo.wait_for_contains_text(".dash-dropdown-options", "SOX10", timeout=TIMEOUT)
    option = next(e for e in dash_duo.find_elements(".dash-dropdown-option") if e.text == "SOX10")
    option.click()
    dash_duo.wait_for_contains_text("#umap .gtitle", "UMAP: SOX10", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_explore_004_threshold_slider_changes_every_label_bearing_panel(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.select_dcc_dropdown("#color-by", value="predicted label")
    dash_duo.wait_for_contains_text("#umap .gtitle", "predicted label at threshold 0.50", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#scores-scatter .gtitle", "predicted at 0.50", timeout=TIMEOUT)
    before = _confusion_text(dash_duo)
    thumb = dash_duo.find_element("#threshold [role=slider]")
    thumb.click()
    for _ in range(40):  # keyboard steps of 0.01, as a person nudging the slider
        thumb.send_keys(Keys.ARROW_RIGHT)
    dash_duo.wait_for_contains_text("#mis-umap .gtitle", "threshold 0.90", timeout=TIMEOUT)
    dash_duo.wait_for_text_to_equal("#confusion .gtitle", "Confusion matrix", timeout=TIMEOUT)
    assert _confusion_text(dash_duo) != before
    # the predicted-label UMAP and the signature panel obey the same threshold
    dash_duo.wait_for_contains_text("#umap .gtitle", "predicted label at threshold 0.90", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#scores-scatter .gtitle", "predicted at 0.90", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_explore_005_selection_survives_the_index_refresh(dash_duo, results_dir, tmp_path):
    """The run index is polled; an unchanged index must not reset the selection or redraw the panels."""
    from dashboard.app import create_app

    app = create_app({"RESULTS_DIR": str(results_dir), "CACHE_DIR": str(tmp_path / "cache2"), "INDEX_REFRESH_MS": 1000})
    _start(dash_duo, app)
    _select_left_half(dash_duo, "umap")
    dash_duo.wait_for_contains_text("#selection-info", "of 108 cells", timeout=TIMEOUT)
    polls = dash_duo.prop("index-refresh", "n_intervals") or 0
    dash_duo.wait_for_prop("index-refresh", "n_intervals", lambda n: (n or 0) >= polls + 3, timeout=TIMEOUT)
    dash_duo.wait_for_callbacks()
    assert "of 108 cells" in dash_duo.text("#selection-info")


def test_explore_006_a_result_removed_after_listing_is_reported_not_crashed(dash_duo, explore_app, results_dir):
    _start(dash_duo, explore_app)
    for p in results_dir.glob("PLX*.h5ad"):
        p.unlink()
    radio = dash_duo.find_element("#deg-list input[value=resistant]")
    dash_duo.driver.execute_script("arguments[0].click();", radio)  # a panel asks for the deleted run
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _: radio.is_selected())
    dash_duo.wait_for_contains_text("#deg-scatter .gtitle", "Sensitive list", timeout=TIMEOUT)  # left as it was
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text("#index-alerts", "No readable result", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_explore_007_a_link_to_an_unknown_run_says_so_and_shows_no_other_run(dash_duo, explore_app):
    dash_duo.start_server(explore_app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.open(dash_duo.server_url + "/?run=no-such-run")
    dash_duo.wait_for_contains_text("#run-missing-alert", "No run called 'no-such-run'", timeout=TIMEOUT)
    dash_duo.wait_for_callbacks()
    assert dash_duo.prop("run-picker", "value") is None  # not silently another run
    assert "PLX-4720" in " ".join(o["label"] for o in dash_duo.prop("run-picker", "options"))
    assert dash_duo.get_logs() == []


def test_explore_008_no_toolbar_button_sends_data_out(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.driver.execute_script(
        "document.querySelector('#umap .js-plotly-plot').dispatchEvent(new MouseEvent('mousemove', {bubbles: true}));")
    titles = [b.get_attribute("data-title") or "" for b in dash_duo.find_elements("#umap .modebar-btn")]
    assert titles and not [t for t in titles if any(w in t.lower() for w in ("cloud", "chart studio", "share"))]


def test_explore_009_colour_by_seed_agreement_shows_uncertain_cells(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.select_dcc_dropdown("#color-by", value="seed agreement (uncertain cells)")
    dash_duo.wait_for_contains_text("#umap .gtitle", "share of seeds agreeing", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_explore_008_cluster_table_answers_which_clusters_are_sensitive_and_selects_them(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.wait_for_contains_text("#cluster-table", "predicted sensitive", timeout=TIMEOUT)
    rows = dash_duo.prop("cluster-table", "rowData")
    assert rows and {"cells", "mean_score", "predicted_sensitive", "accuracy"} <= set(rows[0])
    assert [r["mean_score"] for r in rows] == sorted((r["mean_score"] for r in rows), reverse=True)
    first = rows[0]
    dash_duo.find_element("#cluster-table .ag-center-cols-container .ag-row[row-index='0'] .ag-cell").click()
    dash_duo.wait_for_text_to_equal("#selection-info", f"{first['cells']:,} of {sum(r['cells'] for r in rows):,} cells"
                                    f" (cluster {first['cluster']})",
                                    timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown("#color-by", value="Leiden cluster")
    dash_duo.wait_until(lambda: any(t.text == str(first["cluster"]) for t in dash_duo.find_elements("#umap .textpoint")),
                        timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_explore_009_roc_pr_curves_with_baselines_and_run_details(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.wait_for_contains_text("#roc-pr .legend", "logistic regression (bulk only): AUROC", timeout=TIMEOUT)
    assert "transfer (shown score): AP" in dash_duo.text("#roc-pr .legend")
    assert "gradient boosting (bulk only): AUROC" in dash_duo.text("#roc-pr .legend")
    dash_duo.wait_for_contains_text("#run-details", "versions:", timeout=TIMEOUT)
    details = dash_duo.text("#run-details")
    assert "drug=PLX-4720" in details and "seeds: 0, 1" in details and "/tmp" not in details
    dash_duo.wait_for_element("#training-curves .scatterlayer .trace", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#signature-genes", "sensitive signature (predicted groups)", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_explore_010_colour_by_any_annotation_column(dash_duo, explore_app):
    _start(dash_duo, explore_app)
    dash_duo.wait_until(lambda: any(o["label"] == "annotation: seed_sd" for o in dash_duo.prop("color-by", "options")),
                        timeout=TIMEOUT)

    def colour_by(label):
        dash_duo.find_element("#color-by").click()
        dash_duo.find_element("input.dash-dropdown-search").send_keys(label.split(": ")[-1])
        option = dash_duo.wait_until(lambda: [o for o in dash_duo.find_elements(".dash-dropdown-option")
                                              if o.text == label], timeout=TIMEOUT)[0]
        option.click()

    colour_by("annotation: seed_sd")
    dash_duo.wait_for_contains_text("#umap .gtitle", "UMAP: seed_sd", timeout=TIMEOUT)
    dash_duo.wait_for_element("#umap .colorbar", timeout=TIMEOUT)  # a number: a colour scale
    colour_by("annotation: predicted_pretransfer")
    dash_duo.wait_for_contains_text("#umap .legend", "resistant", timeout=TIMEOUT)  # a category: a legend
    assert dash_duo.get_logs() == []


def test_explore_011_run_status_shows_on_a_first_load(dash_duo, results_dir, tmp_path):
    """The run's status line (notes on skipped parts, seed warnings) is there from the first view, not only after
    the picker changes."""
    import anndata as ad

    from dashboard.app import create_app

    path = next(results_dir.glob("PLX-4720__*.h5ad"))
    a = ad.read_h5ad(path)
    a.uns["analysis"]["skipped"] = {"deg_correlation": "a reason the reader must see"}
    a.write_h5ad(path)
    app = create_app({"RESULTS_DIR": str(results_dir), "CACHE_DIR": str(tmp_path / "cache")})
    _start(dash_duo, app)
    dash_duo.wait_for_contains_text("#run-status", "a reason the reader must see", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#index-alerts", "corrupt.h5ad is listed as unreadable", timeout=TIMEOUT)


def test_explore_012_a_selection_after_a_zoom_keeps_the_zoom_in_the_link_and_leaves_the_figure(dash_duo, explore_app):
    """A box drawn on the zoomed UMAP: the view link still carries the zoom (the box's relayout event replaced it),
    and the UMAP is not replotted (dcc.Graph's own relayout listener copied the drawn box into the figure prop,
    which replotted every point before the selection's request left)."""
    from urllib.parse import parse_qs, urlsplit

    _start(dash_duo, explore_app)
    d = dash_duo.driver
    WebDriverWait(d, TIMEOUT).until(lambda d: d.execute_script(
        "var g = document.querySelector('#umap .js-plotly-plot'); return !!(g && g._ev && g.__relayoutHandler &&"
        " g._ev.listeners('plotly_relayout').length === 1);"))  # our listener is attached
    d.execute_script(
        "var g = document.querySelector('#umap .js-plotly-plot');"
        "var xa = g._fullLayout.xaxis.range, ya = g._fullLayout.yaxis.range;"
        "window.__zoom = [xa[0], xa[0] + 0.8 * (xa[1] - xa[0]), ya[0], ya[0] + 0.8 * (ya[1] - ya[0])];"
        "Plotly.relayout(g, {'xaxis.range': window.__zoom.slice(0, 2), 'yaxis.range': window.__zoom.slice(2)});"
        "window.__replots = 0; g.on('plotly_react', function() { window.__replots += 1; });")
    _select_left_half(dash_duo, "umap")
    dash_duo.wait_for_contains_text("#selection-info", "of 108 cells", timeout=TIMEOUT)
    dash_duo.wait_for_element("#sel-deg-table .ag-cell", timeout=TIMEOUT)  # every panel has answered
    assert d.execute_script("return window.__replots;") == 0
    dash_duo.find_element("#view-link-make").click()
    WebDriverWait(d, TIMEOUT).until(lambda d: d.find_element("css selector", "#view-link").get_attribute("value"))
    zoom = parse_qs(urlsplit(d.find_element("css selector", "#view-link").get_attribute("value")).query)["zoom"][0]
    want = d.execute_script("return window.__zoom;")
    assert [float(v) for v in zoom.split(",")] == pytest.approx(want, rel=1e-3, abs=1e-3)
    assert dash_duo.get_logs() == []


# the summed alpha of a panel's points layer (its WebGL context canvas) as drawn now: the selection's highlight
# draws the points outside it dimmed there (the selected ones on the focus layer above)
DRAWN_ALPHA = """var c = document.querySelector('#' + arguments[0] + ' canvas.gl-canvas-context');
var copy = document.createElement('canvas'); copy.width = c.width; copy.height = c.height;
var ctx = copy.getContext('2d'); ctx.drawImage(c, 0, 0);
var px = ctx.getImageData(0, 0, c.width, c.height).data, sum = 0;
for (var i = 3; i < px.length; i += 4) { sum += px[i]; }
return sum;"""


def test_explore_013_a_panel_below_the_fold_draws_the_selection_when_it_comes_into_view(dash_duo, explore_app):
    """The highlight redraws the linked WebGL panels in place; one in view at once, one below the fold when it
    is scrolled to (its traces hold the selection from the start)."""
    _start(dash_duo, explore_app)
    d = dash_duo.driver
    d.execute_script("window.scrollTo(0, 0);")
    assert d.execute_script("var r = document.querySelector('#post-umap').getBoundingClientRect();"
                            " return r.top > window.innerHeight;")  # below the fold in this window
    WebDriverWait(d, TIMEOUT).until(lambda d: d.execute_script(DRAWN_ALPHA, "post-umap") > 0)
    before = {k: d.execute_script(DRAWN_ALPHA, k) for k in ("mis-umap", "post-umap")}
    _select_left_half(dash_duo, "umap")
    WebDriverWait(d, TIMEOUT).until(lambda d: None not in d.execute_script(HIGHLIGHTED, LINKED))
    # in view: drawn with the selection at once
    WebDriverWait(d, TIMEOUT).until(lambda d: d.execute_script(DRAWN_ALPHA, "mis-umap") < 0.7 * before["mis-umap"])
    d.execute_script("document.querySelector('#post-umap').scrollIntoView();")
    WebDriverWait(d, TIMEOUT).until(lambda d: d.execute_script(DRAWN_ALPHA, "post-umap") < 0.7 * before["post-umap"])
    d.execute_script("document.querySelector('#clear-selection').click();")  # the button is scrolled away
    WebDriverWait(d, TIMEOUT).until(lambda d: d.execute_script(DRAWN_ALPHA, "post-umap") > 0.9 * before["post-umap"])
    assert dash_duo.get_logs() == []
