"""The Compare page in headless Chromium: two runs on the same real A375 cells."""

import anndata as ad

TIMEOUT = 30


def test_compare_001_two_runs_side_by_side(dash_duo, results_dir, plx_run, tmp_path):
    from dashboard.app import create_app

    other = ad.read_h5ad(plx_run)  # a second run on the same cells: another aligner, another score
    other.obs["sensitivity_score"] = other.obs["sensitivity_score_pretransfer"]
    other.uns["config"]["train"]["aligner"] = "coral"
    other.uns["run_id"] = "PLX-4720__other"
    other.write_h5ad(results_dir / "PLX-4720__other.h5ad")
    app = create_app({"RESULTS_DIR": str(results_dir), "CACHE_DIR": str(tmp_path / "cache")})
    dash_duo.start_server(app)
    dash_duo.find_element("a[href='/compare']").click()
    dash_duo.wait_for_contains_text("#cmp-summary", "108 shared cells", timeout=TIMEOUT)
    assert "same predicted label on" in dash_duo.text("#cmp-summary")
    dash_duo.wait_for_contains_text("#cmp-settings", "train.aligner", timeout=TIMEOUT)
    settings = dash_duo.prop("cmp-settings", "rowData")
    assert {r["setting"] for r in settings} == {"train.aligner"}  # the one setting that differs
    assert "coral" in {settings[0]["A"], settings[0]["B"]}
    dash_duo.wait_for_contains_text("#cmp-metrics", "AUROC", timeout=TIMEOUT)
    metrics = {(r["model"], r["metric"]) for r in dash_duo.prop("cmp-metrics", "rowData")}
    assert {("transfer", "AP"), ("gradient boosting", "AUROC")} <= metrics
    dash_duo.wait_for_contains_text("#cmp-scatter .legend", "A = B", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
