"""Gene sets on the Explore page in headless Chromium (real PLX4720 run): a pasted list is scored per cell with
scanpy and becomes a colouring; genes not in the cells are named; bad input is a plain message."""

TIMEOUT = 60


def test_genesets_001_pasted_list_scored_and_coloured(dash_duo, explore_app):
    dash_duo.start_server(explore_app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.scroll_to("#geneset-score", timeout=TIMEOUT)
    dash_duo.find_element("#geneset-score").click()
    dash_duo.wait_for_contains_text("#geneset-refused", "Paste some gene names", timeout=TIMEOUT)
    genes = dash_duo.prop("gene", "options")[:5]
    names = [g["value"] if isinstance(g, dict) else g for g in genes]
    dash_duo.find_element("#geneset-text").send_keys("\n".join(names + ["NOT_A_GENE"]))
    dash_duo.find_element("#geneset-name").send_keys("my five")
    dash_duo.find_element("#geneset-score").click()
    dash_duo.wait_for_contains_text("#geneset-done", "my five: scored on 5 of 6 genes", timeout=TIMEOUT)
    assert "NOT_A_GENE" in dash_duo.text("#geneset-done")
    dash_duo.wait_until(lambda: any(o["label"] == "gene set: my five" for o in dash_duo.prop("color-by", "options")),
                        timeout=TIMEOUT)
    dash_duo.scroll_to("#color-by", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown("#color-by", value="gene set: my five")
    dash_duo.wait_for_contains_text("#umap .gtitle", "gene set my five (score)", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
