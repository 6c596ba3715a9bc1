"""Cell sets on the Explore page in headless Chromium (real PLX4720 run): a selection saved under a name with a
space, refused when saved again without 'replace', compared with the rest, selected again, downloaded as ids."""

import csv

TIMEOUT = 60


def _click(dash_duo, css):
    dash_duo.scroll_to(css).click()


def test_cellsets_browser_001_save_compare_select_and_download(dash_duo, explore_app, tmp_path):
    downloads = dash_duo.downloads_to(tmp_path / "downloads")
    dash_duo.start_server(explore_app)
    dash_duo.wait_for_contains_text("#cluster-table", "predicted sensitive", timeout=TIMEOUT)
    rows = dash_duo.prop("cluster-table", "rowData")
    total, first = sum(r["cells"] for r in rows), rows[0]["cells"]
    picked = f"{first:,} of {total:,} cells"
    dash_duo.find_element("#cluster-table .ag-center-cols-container .ag-row[row-index='0'] .ag-cell").click()
    dash_duo.wait_for_text_to_equal("#selection-info", f"{picked} (cluster {rows[0]['cluster']})", timeout=TIMEOUT)

    dash_duo.find_element("#cellset-name").send_keys("top cluster")
    _click(dash_duo, "#cellset-save")
    dash_duo.wait_for_contains_text("#cellset-saved", f"Saved 'top cluster': {first:,} cells", timeout=TIMEOUT)
    _click(dash_duo, "#cellset-save")
    dash_duo.wait_for_contains_text("#cellset-refused", "tick 'replace'", timeout=TIMEOUT)

    _click(dash_duo, "#clear-selection")
    dash_duo.wait_for_text_to_equal("#selection-info", "no selection", timeout=TIMEOUT)
    dash_duo.scroll_to("#cellset-a")
    dash_duo.select_dcc_dropdown("#cellset-a", value=f"top cluster ({first:,} cells, mine)")
    dash_duo.wait_for_contains_text("#cellset-deg-note", "top cluster vs the rest", timeout=TIMEOUT)
    assert "log2 fold changes need log-normalised counts" in dash_duo.text("#cellset-deg-note")  # z-scored input
    dash_duo.wait_until(lambda: len(dash_duo.prop("cellset-deg", "rowData") or []) > 0, timeout=TIMEOUT)
    _click(dash_duo, "#cellset-select")
    dash_duo.wait_for_text_to_equal("#selection-info", f"{picked} (top cluster)", timeout=TIMEOUT)

    _click(dash_duo, "#cellset-download-button")
    path = dash_duo.wait_until(lambda: [p for p in downloads.glob("*_cells.csv")], timeout=TIMEOUT)[0]
    dash_duo.wait_until(lambda: not list(downloads.glob("*.crdownload")) and path.stat().st_size > 0, timeout=TIMEOUT)
    with open(path) as f:
        ids = [r["cell"] for r in csv.DictReader(f)]
    assert len(ids) == first and len(set(ids)) == first
    assert dash_duo.get_logs() == []
