"""The training page in headless Chromium: a short real job end to end, cancel, a killed worker, uploads."""

from __future__ import annotations

import os
import signal
import time

import anndata as ad
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from engine.jobs import JobRegistry

TIMEOUT = 30
JOB_TIMEOUT = 240


@pytest.fixture
def train_app(results_dir, tmp_path):
    from dashboard.app import create_app

    return create_app({"RESULTS_DIR": str(results_dir), "CACHE_DIR": str(tmp_path / "cache"),
                       "DB_PATH": str(tmp_path / "jobs.sqlite"), "UPLOAD_DIR": str(tmp_path / "uploads"),
                       "MAX_UPLOAD_MB": 5, "INDEX_REFRESH_MS": 2000})


def _registry(app) -> JobRegistry:
    return app.server.extensions["scresponse_jobs"]


def _open_train_page(dash_duo, app):
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.find_element("a[href='/train']").click()
    dash_duo.wait_for_element("#train-launch", timeout=TIMEOUT)
    WebDriverWait(dash_duo.driver, TIMEOUT).until(lambda d: "PLX" in dash_duo.find_element("#train-drug").text)


def _set_input(dash_duo, selector, value):
    el = dash_duo.find_element(selector)
    dash_duo.clear_input(el)
    el.send_keys(str(value))


def _launch(dash_duo, *, pretrain, transfer, seeds=1, members=2):
    _set_input(dash_duo, "#train-pretrain-epochs", pretrain)
    _set_input(dash_duo, "#train-members", members)
    _set_input(dash_duo, "#train-transfer-epochs", transfer)
    _set_input(dash_duo, "#train-seeds", seeds)
    dash_duo.find_element("#train-launch").click()
    dash_duo.wait_for_element("#launch-ok", timeout=TIMEOUT)


def _wait_status(registry, wanted, timeout=JOB_TIMEOUT) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        jobs = registry.list()
        if jobs and jobs[0]["status"] in wanted:
            return jobs[0]
        time.sleep(0.5)
    raise AssertionError(f"job never reached {wanted}: {registry.list()[:1]}")


def test_train_001_launch_progress_and_open_new_run(dash_duo, train_app, results_dir):
    _open_train_page(dash_duo, train_app)
    _launch(dash_duo, pretrain=40, transfer=10)  # long enough (several seconds) to watch epochs go by
    dash_duo.wait_for_contains_text("#train-progress-text", "epoch", timeout=JOB_TIMEOUT)
    dash_duo.wait_for_element("#train-done", timeout=JOB_TIMEOUT)
    dash_duo.wait_for_no_element("#launch-ok", timeout=TIMEOUT)  # "queued" does not outlive the job
    job = _registry(train_app).list()[0]
    assert job["status"] == "done" and job["owner"] == "local" and job["device"] == "cpu"
    train = ad.read_h5ad(job["result"]).uns["config"]["train"]
    assert train["pretrain_epochs"] == 40 and train["members"] == 2
    dash_duo.wait_for_contains_text("#jobs-table", "done", timeout=TIMEOUT)
    dash_duo.find_element("#train-open-run").click()
    WebDriverWait(dash_duo.driver, TIMEOUT).until(
        lambda d: job["name"][-6:] in dash_duo.find_element("#run-picker").text)
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_train_002_cancel_stops_the_job_and_removes_partial_output(dash_duo, train_app, results_dir):
    _open_train_page(dash_duo, train_app)
    _launch(dash_duo, pretrain=1000, transfer=1000, seeds=3)
    dash_duo.wait_for_contains_text("#train-progress-text", "epoch", timeout=JOB_TIMEOUT)
    # the user's own running job is listed live, with its progress, while it runs
    dash_duo.wait_for_contains_text("#jobs-table", "running", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#jobs-table", "% train", timeout=TIMEOUT)
    dash_duo.find_element("#train-cancel").click()
    dash_duo.wait_for_element("#train-cancelled", timeout=JOB_TIMEOUT)
    job = _registry(train_app).list()[0]
    assert job["status"] == "cancelled"
    assert not list(results_dir.glob(f"{job['name']}*")) and not list(results_dir.glob(f".{job['name']}*"))
    dash_duo.wait_for_contains_text("#jobs-table", "cancelled", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []


def test_train_003_killed_worker_fails_the_job_and_keeps_other_results(dash_duo, train_app, results_dir, plx_run):
    registry = _registry(train_app)
    _open_train_page(dash_duo, train_app)
    _launch(dash_duo, pretrain=1000, transfer=1000, seeds=3)
    job = _wait_status(registry, ("running",))
    dash_duo.wait_for_contains_text("#train-progress-text", "epoch", timeout=JOB_TIMEOUT)
    os.kill(job["pid"], signal.SIGKILL)
    dash_duo.wait_for_contains_text("#jobs-table", "failed", timeout=TIMEOUT)
    failed = registry.get(job["id"])
    assert failed["status"] == "failed" and "code -9" in failed["error"]
    assert not list(results_dir.glob(f"{job['name']}*"))
    earlier = ad.read_h5ad(results_dir / plx_run.name)
    assert "sensitivity_score" in earlier.obs


def test_train_004_upload_validation_messages(dash_duo, train_app, tmp_path, plx_pair):
    _open_train_page(dash_duo, train_app)
    dash_duo.select_dcc_dropdown("#train-sc", value="uploaded .h5ad file")
    upload = lambda p: dash_duo.find_element("#train-upload input[type=file]").send_keys(str(p))

    not_anndata = tmp_path / "cells.h5ad"
    not_anndata.write_text("gene,cell\nA,1\n")
    upload(not_anndata)
    dash_duo.wait_for_contains_text("#upload-error", "Not a readable AnnData", timeout=TIMEOUT)

    _, cells = plx_pair
    no_genes = ad.AnnData(cells.X[:, :20].copy(), obs=cells.obs.copy())
    no_genes.var_names = [f"NOTAGENE{i}" for i in range(20)]
    no_genes.write_h5ad(tmp_path / "nogenes.h5ad")
    upload(tmp_path / "nogenes.h5ad")
    dash_duo.wait_for_contains_text("#upload-error", "No column maps to a known human gene", timeout=TIMEOUT)

    good = ad.AnnData(cells.X.copy(), obs=cells.obs[["label"]].rename(columns={"label": "drug_response"}),
                      var=cells.var[[]])
    good.write_h5ad(tmp_path / "good.h5ad")
    upload(tmp_path / "good.h5ad")
    dash_duo.wait_for_contains_text("#upload-ok", "shared with GDSC", timeout=TIMEOUT)
    assert "drug_response" in dash_duo.find_element("#train-label-column").text
    (folder,) = (tmp_path / "uploads").glob("local-*")  # the user's own folder, whatever the browser called it
    # the refused uploads were deleted; the accepted one is kept
    assert [p.name.split("_", 1)[1] for p in folder.iterdir() if not p.name.startswith(".")] == ["good.h5ad"]
    assert "/" not in dash_duo.text("#upload-ok")  # no server path in the message

    big = tmp_path / "big.h5ad"
    big.write_bytes(os.urandom(6_000_000))
    upload(big)
    dash_duo.wait_for_contains_text("#upload-error", "larger than the upload limit", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
