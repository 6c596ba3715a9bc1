"""Export for a meeting: the current view as one self-contained HTML report (real PLX4720 run), downloaded from
the page and opened offline; the graphs' camera saves SVG."""

import numpy as np

from dashboard.pages.explore_layout import GRAPH_CONFIG
from dashboard.pages.explore_report import view_report
from dashboard.results import RunData

TIMEOUT = 60


def test_report_001_holds_the_view_baselines_selection_and_provenance(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path)
    mask = np.zeros(run.n, bool)
    mask[:10] = True
    text = view_report(run, color_by="predicted", gene=None, threshold=0.7, mask=mask, user="alice")
    name = str(run.uns("run_id"))
    assert text.startswith("<!doctype html>") and f"<h1>{name}</h1>" in text
    assert "<script src" not in text and "<link" not in text  # plotly.js and styles are inside: it opens offline
    assert "predicted label at threshold 0.70" in text and "by alice" in text
    for model in ("transfer model", "logistic regression (bulk only)", "gradient boosting (bulk only)",
                  "seed ensemble (shown score)"):
        assert model in text
    assert f"10 of {run.n:,} cells selected" in text
    assert "versions" in text and "/tmp" not in text.split("</script>")[-1]  # no server paths in the report's text


def test_report_002_camera_saves_svg():
    assert GRAPH_CONFIG["toImageButtonOptions"]["format"] == "svg"


def test_report_003_downloaded_from_the_page_and_opened_offline(dash_duo, explore_app, tmp_path):
    downloads = dash_duo.downloads_to(tmp_path / "downloads")
    dash_duo.start_server(explore_app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.find_element("#report-make").click()
    report = dash_duo.wait_until(lambda: [p for p in downloads.glob("*_report.html")], timeout=TIMEOUT)[0]
    dash_duo.wait_until(lambda: report.stat().st_size > 1_000_000 and not list(downloads.glob("*.crdownload")),
                        timeout=TIMEOUT)
    dash_duo.driver.get(report.as_uri())  # a file, no server: everything it needs is inside
    dash_duo.wait_until(lambda: len(dash_duo.find_elements("#umap .main-svg")) > 0, timeout=TIMEOUT)
    dash_duo.wait_until(lambda: len(dash_duo.find_elements("#roc-pr .main-svg")) > 0, timeout=TIMEOUT)
    assert "Settings and provenance" in dash_duo.find_element("body").text


def _export(dash_duo, downloads, figure: str, fmt: str):
    from selenium.webdriver.support.ui import Select  # dbc.Select is a native <select>

    Select(dash_duo.find_element("#export-figure")).select_by_value(figure)
    Select(dash_duo.find_element("#export-format")).select_by_value(fmt)
    dash_duo.find_element("#export-make").click()
    return dash_duo.wait_until(lambda: [p for p in downloads.glob(f"*_{figure}.{fmt}")
                                        if not list(downloads.glob("*.crdownload")) and p.stat().st_size > 0],
                               timeout=TIMEOUT)[0]


def test_report_004_a_figure_exports_as_svg_and_png_at_publication_size_named_for_the_run(dash_duo, explore_app,
                                                                                          tmp_path):
    import re
    import struct
    import xml.etree.ElementTree as ET

    downloads = dash_duo.downloads_to(tmp_path / "downloads")
    dash_duo.start_server(explore_app)
    dash_duo.wait_for_element("#roc-pr .main-svg", timeout=TIMEOUT)
    svg = _export(dash_duo, downloads, "roc-pr", "svg")
    assert svg.name.startswith("PLX-4720")  # the run's name
    root = ET.parse(svg).getroot()  # a valid SVG document
    assert root.tag.endswith("svg") and root.get("width") == "1200" and root.get("height") == "800"
    title = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text") and "gtitle" in (t.get("class") or ""))
    assert re.match(r"PLX-4720\S*: ", title), title
    png = _export(dash_duo, downloads, "umap", "png")
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (3600, 2400)  # 1200 x 800 at 3x
    assert dash_duo.get_logs() == []


def test_report_005_every_table_downloads_as_csv_named_for_the_run(dash_duo, explore_app, tmp_path):
    import pandas as pd

    from browser import scroll_into_view

    downloads = dash_duo.downloads_to(tmp_path / "downloads")
    dash_duo.start_server(explore_app)
    dash_duo.wait_for_contains_text("#cluster-table", "predicted sensitive", timeout=TIMEOUT)
    rows = dash_duo.prop("cluster-table", "rowData")
    button = dash_duo.find_element('[id*="cluster-table"][id*="grid-csv"]')
    scroll_into_view(dash_duo.driver, button)
    button.click()
    path = dash_duo.wait_until(lambda: [p for p in downloads.glob("PLX-4720*_clusters_at_*_table.csv")
                                        if not list(downloads.glob("*.crdownload"))], timeout=TIMEOUT)[0]
    table = pd.read_csv(path)
    assert len(table) == len(rows) and "mean score" in table.columns  # every row, headers as shown
    assert dash_duo.get_logs() == []
