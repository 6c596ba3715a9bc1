"""The Imputation page in headless Chromium on a real PC9 imputation result."""

import pytest

TIMEOUT = 30


@pytest.fixture
def imputation_app(imputation_run, tmp_path):
    from browser import app_with_result

    return app_with_result(imputation_run, "imputation", tmp_path)


def test_imputation_page_001_table_scatter_harm_and_a_gene_measured_then_imputed(dash_duo, imputation_app):
    dash_duo.start_server(imputation_app)
    dash_duo.find_element("a[href='/imputation']").click()
    dash_duo.wait_for_contains_text("#imp-table", "masked autoencoder", timeout=TIMEOUT)
    for row in ("no imputation", "gene's non-zero mean", "kNN average", "20%"):
        assert row in dash_duo.text("#imp-table")
    dash_duo.wait_for_contains_text("#imp-harm", "new DE genes (random halves)", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#imp-scatter .gtitle", "masked autoencoder, 20% masked", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown("#imp-method", value="kNN average")
    dash_duo.wait_for_contains_text("#imp-scatter .gtitle", "kNN average, 20% masked", timeout=TIMEOUT)
    gene = dash_duo.prop("imp-gene", "options")[0]
    dash_duo.find_element("#imp-gene").click()
    dash_duo.find_element("input.dash-dropdown-search").send_keys(gene)
    dash_duo.wait_until(lambda: [o for o in dash_duo.find_elements(".dash-dropdown-option") if o.text == gene],
                        timeout=TIMEOUT)[0].click()
    dash_duo.wait_for_contains_text("#imp-umap .gtitle", f"{gene}: measured values", timeout=TIMEOUT)
    dash_duo.wait_until(lambda: [l for l in dash_duo.find_elements("#imp-values label")
                                 if "masked autoencoder" in l.text], timeout=TIMEOUT)[0].click()
    dash_duo.wait_for_contains_text("#imp-umap .gtitle", f"{gene}: imputed (masked autoencoder) values", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
