"""The QC page in headless Chromium on the real PC9 Drop-seq barcodes: compute, move the threshold, save."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 30
COMPUTE_TIMEOUT = 300  # a wait for a condition: the compute takes ~10 s on 2 idle cores, far longer on busy ones
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _flagged(dash_duo) -> int:
    """The live flagged count (read again if the line re-renders; -1 while it is absent)."""
    found = re.match(r"flagged ([\d,]+)", dash_duo.text("#qc-flag-count"))
    return int(found.group(1).replace(",", "")) if found else -1


@pytest.fixture(scope="module")
def qc_cold_path_prepared(tmp_path_factory):
    """What the page's Compute pays once per machine, paid here so that the test waits only for the compute:
    the PC9 count tables installed and parsed (the reader keeps a parsed copy), and scanpy's numba kernels
    compiled into their on-disk cache by the same command on small synthetic droplets of the same types."""
    from engine.data import read_single_cell
    from engine.data.install import dataset_file
    from synthetic import synthetic_droplets

    read_single_cell("pc9_erlotinib", label_column=None)
    folder = tmp_path_factory.mktemp("qc-warm")
    symbols = dataset_file("gdsc", "key.genes.txt").read_text().split()[:1000]
    synthetic_droplets(n_genes=1000, gene_names=symbols).write_h5ad(folder / "droplets.h5ad")
    subprocess.run([sys.executable, "-m", "engine", "qc", str(folder / "droplets.h5ad"), "--out",
                    str(folder / "droplets.qc.h5ad"), "--embed"], check=True, capture_output=True, cwd=PROJECT_ROOT)


def test_qc_001_compute_review_threshold_and_save_decision(dash_duo, results_dir, tmp_path, qc_cold_path_prepared):
    from dashboard.app import create_app

    app = create_app({"RESULTS_DIR": str(results_dir), "CACHE_DIR": str(tmp_path / "cache"),
                      "DB_PATH": str(tmp_path / "db.sqlite"), "UPLOAD_DIR": str(tmp_path / "up")})
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.find_element("a[href='/qc']").click()
    dash_duo.wait_for_element("#qc-compute", timeout=TIMEOUT)
    dash_duo.find_element("#qc-compute").click()  # pc9_erlotinib is preselected
    dash_duo.wait_for_contains_text("#qc-compute-status", "%", timeout=COMPUTE_TIMEOUT)  # live stage and percent
    dash_duo.wait_for_contains_text("#qc-compute-status", "done", timeout=COMPUTE_TIMEOUT)
    dash_duo.wait_for_element("#qc-flag-count", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#qc-notes", "empty droplets", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#qc-umap .gtitle", "empty droplets not embedded", timeout=TIMEOUT)
    # empty droplets are out of the metric histograms until asked for
    legend = lambda: dash_duo.text("#qc-metric-hist .legend")  # noqa: E731
    dash_duo.wait_until(lambda: "kept" in legend(), timeout=TIMEOUT)
    assert "empty droplet" not in legend()
    dash_duo.find_element("#qc-show-empty").click()
    dash_duo.wait_until(lambda: "empty droplet" in legend(), timeout=TIMEOUT)
    dash_duo.wait_for_element("#qc-list-flagged .ag-cell", timeout=TIMEOUT)
    assert "scanpy's fixed cut-offs would flag" in dash_duo.find_element("#qc-counts").text
    auto = _flagged(dash_duo)

    # lower the threshold with the keyboard, as a person nudging the slider: more cells flagged, live
    thumb = dash_duo.find_element("#qc-threshold [role=slider]")
    thumb.click()
    for _ in range(5):
        thumb.send_keys(Keys.PAGE_DOWN)
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda _: _flagged(dash_duo) > auto)
    dash_duo.wait_for_callbacks()  # the last keystroke's update has landed
    lowered = _flagged(dash_duo)

    decisions = results_dir / "qc" / "decisions"
    (decisions / "pc9 strict.json").parent.mkdir(parents=True, exist_ok=True)
    (decisions / "pc9 strict.json").write_text(json.dumps({"name": "pc9 strict", "input": "pc9_erlotinib",
        "input_sha256": "x", "metrics": [], "threshold": 0.9, "contamination": "auto", "n_cells": 1,
        "excluded": ["a"], "created_by": "someone", "created_at": "2026-01-01T00:00:00Z"}))
    dash_duo.find_element("#qc-decision-name").send_keys("pc9 strict")  # a name with a space
    dash_duo.find_element("#qc-save").click()
    dash_duo.wait_for_contains_text("#qc-save-exists", "A decision called 'pc9 strict' exists", timeout=TIMEOUT)
    assert json.loads((decisions / "pc9 strict.json").read_text())["created_by"] == "someone"  # not yet replaced
    dash_duo.find_element("#qc-save").click()  # the second press replaces it
    dash_duo.wait_for_element("#qc-save-ok", timeout=TIMEOUT)
    saved = json.loads((decisions / "pc9 strict.json").read_text())
    assert len(saved["excluded"]) == lowered and saved["created_by"] == "local" and saved["input"] == "pc9_erlotinib"

    # the training page offers the decision for that dataset
    dash_duo.find_element("a[href='/train']").click()
    dash_duo.wait_for_element("#train-launch", timeout=TIMEOUT)
    dash_duo.select_dcc_dropdown("#train-sc", value="pc9_erlotinib (Erlotinib)")
    dash_duo.select_dcc_dropdown("#train-qc", index=0)
    dash_duo.wait_for_contains_text("#train-qc", "pc9 strict", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
