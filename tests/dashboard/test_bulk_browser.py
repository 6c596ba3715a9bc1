"""The Bulk sources page in headless Chromium on a real GDSC + CCLE integration result."""

import pytest

TIMEOUT = 30


@pytest.fixture
def bulk_app(integration_run, tmp_path):
    from browser import app_with_result

    return app_with_result(integration_run, "integration", tmp_path)


def test_bulk_page_001_methods_side_by_side_and_a_line_highlighted_in_every_study(dash_duo, bulk_app):
    dash_duo.start_server(bulk_app)
    dash_duo.find_element("a[href='/bulk']").click()
    dash_duo.wait_for_contains_text("#bulk-metrics", "ComBat", timeout=TIMEOUT)
    for method in ("raw concatenation", "Harmony", "center-loss autoencoder", "goal"):
        assert method in dash_duo.text("#bulk-metrics")
    dash_duo.wait_for_contains_text("#bulk-notes", "Permutation control", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#bulk-umap-study .legend", "ccle", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#bulk-umap-tissue .legend", "lung", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown("#bulk-method", value="ComBat")
    dash_duo.wait_for_contains_text("#bulk-umap-study .gtitle", "ComBat", timeout=TIMEOUT)
    dash_duo.find_element("#bulk-line").click()
    dash_duo.find_element("input.dash-dropdown-search").send_keys("A375")
    options = dash_duo.wait_until(lambda: [o for o in dash_duo.find_elements(".dash-dropdown-option")
                                           if o.text.startswith("A375 ")], timeout=TIMEOUT)
    options[0].click()
    dash_duo.wait_for_contains_text("#bulk-umap-tissue .gtitle", "2 rows of the picked line", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_bulk_page_002_a_figure_exports_as_svg_named_for_the_result(dash_duo, bulk_app, tmp_path):
    """The export control of every page (dashboard/export.py): here the Bulk sources page's UMAP by tissue."""
    import xml.etree.ElementTree as ET

    from selenium.webdriver.support.ui import Select

    downloads = dash_duo.downloads_to(tmp_path / "downloads")
    dash_duo.start_server(bulk_app)
    dash_duo.find_element("a[href='/bulk']").click()
    dash_duo.wait_for_contains_text("#bulk-umap-tissue .legend", "lung", timeout=TIMEOUT)
    run = dash_duo.prop("bulk-run", "value")
    Select(dash_duo.find_element("#bulk-export-figure")).select_by_value("bulk-umap-tissue")
    dash_duo.find_element("#bulk-export-make").click()
    svg = dash_duo.wait_until(lambda: [p for p in downloads.glob("*_bulk-umap-tissue.svg")
                                       if not list(downloads.glob("*.crdownload")) and p.stat().st_size > 0],
                              timeout=TIMEOUT)[0]
    name = str(run).split("/")[-1].removesuffix(".h5ad")
    assert svg.name == f"{name}_bulk-umap-tissue.svg".replace(" ", "_")
    root = ET.parse(svg).getroot()
    title = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text") and "gtitle" in (t.get("class") or ""))
    assert title.startswith(f"{name}: ") and root.get("width") == "1200"
    assert dash_duo.get_logs() == []
