"""The job registry and runner: slots, cancel, recovery after a dead process, a real short job."""

import subprocess
import sys

import anndata as ad
import pytest

from engine.data import DataError
from engine.data.validate import check_single_cell
from engine.jobs import JobRegistry, execute, remove_partial_output
from engine.pipeline import RunConfig
from engine.train import TrainConfig


def _config(**train):
    return RunConfig(drug="PLX-4720", sc="scad_plx4720", seeds=1, train=TrainConfig(**train)).to_dict()


def test_claim_respects_the_concurrency_limit_and_owners_cancel_only_their_jobs(tmp_path):
    reg = JobRegistry(tmp_path / "jobs.sqlite")
    a, b = reg.submit(owner="alice", name="a", config={}), reg.submit(owner="bob", name="b", config={})
    assert reg.claim(a, max_running=1) and not reg.claim(b, max_running=1)
    assert reg.get(b)["status"] == "queued"
    assert not reg.request_cancel(a, owner="bob") and reg.request_cancel(a, owner="alice")
    reg.finish(a, "cancelled")
    assert reg.claim(b, max_running=1)
    assert [j["name"] for j in reg.list(owner="bob")] == ["b"]
    assert not reg.request_cancel(a, owner="alice")  # already final


def test_recover_fails_jobs_whose_process_died_and_cleans_only_their_output(tmp_path):
    reg = JobRegistry(tmp_path / "jobs.sqlite")
    results = tmp_path / "res"
    (results / "dead.models" / "seed_0").mkdir(parents=True)
    (results / ".dead.x1.h5ad.part").write_bytes(b"partial")
    (results / "earlier.h5ad").write_bytes(b"kept")
    dead = reg.submit(owner="u", name="dead", config={})
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert reg.claim(dead, max_running=1)
    with reg._connect() as db:  # the job's process is one that has exited
        db.execute("UPDATE jobs SET pid = ? WHERE id = ?", (proc.pid, dead))
    alive = reg.submit(owner="u", name="alive", config={})
    reg.attach(alive)  # this test process: alive
    # within the grace its follower may still record the exit code; after it, recovery fails the job
    assert reg.recover() == [] and reg.get(dead)["status"] == "running"
    assert reg.recover(grace_seconds=0, on_failed=lambda job: remove_partial_output(results, job["name"])) == [dead]
    assert reg.get(dead)["status"] == "failed" and reg.get(alive)["status"] == "queued"
    assert sorted(p.name for p in results.iterdir()) == ["earlier.h5ad"]


def test_execute_runs_a_real_short_job_and_records_device(tmp_path):
    reg = JobRegistry(tmp_path / "jobs.sqlite")
    job = reg.submit(owner="u", name="short", config={**_config(pretrain_epochs=3, transfer_epochs=1), "analyse": False})
    final = execute(reg, job, results_dir=tmp_path)
    assert final["status"] == "done" and final["device"] == "cpu" and final["progress"]["stage"] == "done"
    result = ad.read_h5ad(final["result"])
    assert result.uns["run_id"] == "short" and "attribution" not in result.uns


def test_execute_records_a_data_error_and_cancel_while_queued(tmp_path):
    reg = JobRegistry(tmp_path / "jobs.sqlite")
    bad = reg.submit(owner="u", name="bad", config={**_config(), "drug": "NOT-A-DRUG"})
    final = execute(reg, bad, results_dir=tmp_path)
    assert final["status"] == "failed" and "Unknown drug 'NOT-A-DRUG'" in final["error"]
    blocker = reg.submit(owner="u", name="blocker", config={})
    reg.claim(blocker, max_running=1)
    queued = reg.submit(owner="u", name="queued", config=_config())
    reg.request_cancel(queued)
    assert execute(reg, queued, results_dir=tmp_path, max_running=1)["status"] == "cancelled"
    assert not list(tmp_path.glob("queued*"))


def test_upload_checks(tmp_path, plx_pair):
    _, cells = plx_pair
    a = ad.AnnData(cells.X.copy(), obs=cells.obs[["label"]].copy(), var=cells.var[[]])
    a.write_h5ad(tmp_path / "ok.h5ad")
    summary = check_single_cell(tmp_path / "ok.h5ad", label_column="label")
    assert summary["shared_genes"] > 1000 and summary["labels"]["sensitive"] > 0
    with pytest.raises(DataError, match="No label column 'resp'"):
        check_single_cell(tmp_path / "ok.h5ad", label_column="resp")
    a.obs.loc[a.obs_names[:5], "label"] = float("nan")
    a.write_h5ad(tmp_path / "nan_labels.h5ad")
    assert "5 cells have no label" in check_single_cell(tmp_path / "nan_labels.h5ad", label_column="label")["warnings"][0]
    a.X[0, 0] = float("nan")
    a.write_h5ad(tmp_path / "nan.h5ad")
    with pytest.raises(DataError, match="NaN"):
        check_single_cell(tmp_path / "nan.h5ad")
    with pytest.raises(DataError, match=".h5ad"):
        check_single_cell(tmp_path / "x.csv")


def test_a_corrupt_job_database_is_a_plain_error_and_left_untouched(tmp_path):
    from engine.data import DataError
    from engine.jobs import JobRegistry

    path = tmp_path / "jobs.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    before = path.read_bytes()
    with pytest.raises(DataError, match="cannot be opened.*move it aside"):
        JobRegistry(path)
    assert path.read_bytes() == before


def test_a_database_locked_by_another_starting_process_is_waited_for_not_called_damaged(tmp_path):
    """Two web workers start at once: the second finds the file locked while the first sets it up. That is a wait,
    not a damaged database (the worker used to fail to boot)."""
    import sqlite3
    import threading

    path = tmp_path / "jobs.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # what a starting process holds while it creates the schema
    threading.Timer(0.5, lambda: holder.execute("COMMIT")).start()
    registry = JobRegistry(path)
    assert registry.get("none") is None
    holder.close()
