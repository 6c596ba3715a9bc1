"""The Morphology page in headless Chromium on a real BBBC021 result and real microscopy fields."""

import shutil

import pytest

TIMEOUT = 30
RUN_TIMEOUT = 300  # a wait for a condition: a short MoA run takes ~15 s on 2 idle cores, far longer on busy ones


@pytest.fixture
def morph_app(bbbc021_run, image_qc_run, tmp_path):
    from dashboard.app import create_app

    results = tmp_path / "precomputed"
    for run, sub in ((bbbc021_run, "morphology"), (image_qc_run, "image_qc")):
        (results / sub).mkdir(parents=True)
        shutil.copy(run, results / sub / run.name)
    return create_app({"RESULTS_DIR": str(results), "CACHE_DIR": str(tmp_path / "cache"),
                       "DB_PATH": str(tmp_path / "db.sqlite"), "UPLOAD_DIR": str(tmp_path / "up")})


def _open(dash_duo, app, path="/morphology"):
    dash_duo.start_server(app)
    dash_duo.open(dash_duo.server_url.rstrip("/") + path)
    dash_duo.wait_for_element("#morph-tabs", timeout=TIMEOUT)


def _tab(dash_duo, label):
    for link in dash_duo.find_elements("#morph-tabs .nav-link"):
        if link.text == label:
            link.click()
            return
    raise AssertionError(f"no tab {label}")


def test_morphology_page_001_metrics_umap_and_selection_cross_filter(dash_duo, morph_app):
    _open(dash_duo, morph_app, "/morphology?run=moa-test")
    dash_duo.wait_for_contains_text("#morph-notes", "103 treatments", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#morph-notes", "folds by compound", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#morph-metrics .legend", "cosine", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#morph-report", "Actin disruptors", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#morph-selection-note", "all treatments", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown("#morph-colour", value="correct / wrong")
    dash_duo.wait_for_contains_text("#morph-umap .legend", "wrong", timeout=TIMEOUT)
    dash_duo.driver.execute_script(
        "var g = document.querySelector('#morph-umap .js-plotly-plot');"
        "var xa = g._fullLayout.xaxis.range, ya = g._fullLayout.yaxis.range;"
        "Plotly.relayout(g, {dragmode: 'select', selections: [{type: 'rect', x0: xa[0], x1: (xa[0] + xa[1]) / 2,"
        " y0: ya[0], y1: ya[1]}]});")
    dash_duo.wait_for_contains_text("#morph-selection-note", "selected treatments", timeout=TIMEOUT)
    n = int(dash_duo.text("#morph-selection-note").split()[0])
    assert 0 < n < 103
    assert dash_duo.get_logs() == []


def test_morphology_page_002_channels_and_feedback_saved_with_the_user(dash_duo, morph_app):
    _open(dash_duo, morph_app)
    _tab(dash_duo, "Channels")
    dash_duo.wait_for_contains_text("#morph-ranking", "Actin", timeout=TIMEOUT)
    dash_duo.wait_for_element("#morph-violins .violinlayer", timeout=TIMEOUT)
    dash_duo.find_element("#morph-feedback-save").click()  # nothing ticked: said plainly
    dash_duo.wait_for_contains_text("#morph-feedback-error", "Tick at least one channel", timeout=TIMEOUT)
    dash_duo.find_elements("#morph-feedback-channels input")[0].click()
    dash_duo.find_element("#morph-feedback-save").click()
    dash_duo.wait_for_contains_text("#morph-feedback-ok", "Saved", timeout=TIMEOUT)
    dash_duo.wait_until(lambda: any(r.get("votes") == 1 for r in dash_duo.prop("morph-feedback-summary", "rowData")),
                        timeout=TIMEOUT)


def test_morphology_page_003_image_viewer_and_image_qc_threshold_and_decision(dash_duo, morph_app):
    _open(dash_duo, morph_app)
    _tab(dash_duo, "Images")
    dash_duo.wait_for_element("#img-view image", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#img-flags", "tiles flagged", timeout=TIMEOUT)
    _tab(dash_duo, "Image QC")
    dash_duo.wait_for_contains_text("#imgqc-flag-count", "tiles", timeout=TIMEOUT)
    dash_duo.wait_for_element("#imgqc-list-best img", timeout=TIMEOUT)
    from selenium.webdriver.common.keys import Keys

    before = dash_duo.text("#imgqc-flag-count")
    dash_duo.find_element("#imgqc-threshold [role=slider]").send_keys(Keys.HOME)  # the lowest: every tile flagged
    dash_duo.wait_for_contains_text("#imgqc-flag-count", "/ kept 0 of", timeout=TIMEOUT)
    assert before != dash_duo.text("#imgqc-flag-count")
    dash_duo.find_element("#imgqc-decision-name").send_keys("fields v1")
    dash_duo.find_element("#imgqc-save").click()
    dash_duo.wait_for_contains_text("#imgqc-save-ok", "Saved fields v1", timeout=TIMEOUT)
    n_tiles = int(dash_duo.text("#imgqc-flag-count").split(" of ")[1].split()[0])
    assert f"{n_tiles} of {n_tiles} tiles flagged" in dash_duo.text("#imgqc-save-ok")


def test_morphology_page_004_launch_a_moa_run_in_the_background(dash_duo, morph_app):
    _open(dash_duo, morph_app)
    _tab(dash_duo, "Run")
    dash_duo.wait_for_element("#morph-launch-launch", timeout=TIMEOUT)
    seeds = dash_duo.find_element("#morph-launch-seeds")
    dash_duo.clear_input(seeds)
    seeds.send_keys("1")
    folds = dash_duo.find_element("#morph-launch-n-folds")
    dash_duo.clear_input(folds)
    folds.send_keys("2")
    epochs = dash_duo.find_element("#morph-launch-epochs")
    dash_duo.clear_input(epochs)
    epochs.send_keys("10")
    dash_duo.find_element("#morph-launch-launch").click()
    dash_duo.wait_for_contains_text("#morph-launch-launch-ok", "queued", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#morph-launch-progress-text", "fold", timeout=RUN_TIMEOUT)
    dash_duo.wait_for_element("#morph-launch-open-result", timeout=RUN_TIMEOUT)
    dash_duo.find_element("#morph-launch-open-result").click()
    dash_duo.wait_for_contains_text("#morph-notes", "2 folds by compound", timeout=TIMEOUT)


def test_morphology_page_005_bad_settings_are_refused_in_plain_words(dash_duo, morph_app):
    _open(dash_duo, morph_app)
    _tab(dash_duo, "Run")
    seeds = dash_duo.wait_for_element("#morph-launch-seeds", timeout=TIMEOUT)
    dash_duo.clear_input(seeds)
    seeds.send_keys("500")
    dash_duo.find_element("#morph-launch-launch").click()
    dash_duo.wait_for_contains_text("#morph-launch-launch-error", "seeds", timeout=TIMEOUT)
    assert "Traceback" not in dash_duo.text("#morph-launch-launch-error")
