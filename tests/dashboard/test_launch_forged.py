"""The Train page's launch, called as a crafted request would call it: the server checks every value itself."""

from __future__ import annotations

import json

import pytest

STATE = [("train-response", "value", "binary"), ("train-screen", "value", "GDSC2"), ("train-drug", "value", "PLX-4720"),
         ("train-sc", "value", "scad_plx4720"), ("train-upload-token", "data", None),
         ("train-label-column", "value", None), ("train-encoder", "value", "ae"), ("train-aligner", "value", "mmd"),
         ("train-device", "value", "auto"), ("train-pretrain-epochs", "value", 10),
         ("train-transfer-epochs", "value", 5), ("train-seeds", "value", 1), ("train-members", "value", 2),
         ("train-name", "value", None),
         ("train-analyse", "value", False), ("train-qc", "value", None), ("train-visibility", "value", "private"),
         ("train-impute", "value", "none"), ("train-bulk", "value", "gdsc"), ("train-center-loss", "value", False),
         ("train-bulk-cv", "value", False)]


@pytest.fixture
def client(tmp_path):
    from dashboard.app import create_app

    app = create_app({"RESULTS_DIR": str(tmp_path / "results"), "CACHE_DIR": str(tmp_path / "cache"),
                      "DB_PATH": str(tmp_path / "jobs.sqlite"), "UPLOAD_DIR": str(tmp_path / "uploads")})
    return app.server.test_client(), app.server.extensions["scresponse_jobs"]


def _launch(client, **overrides):
    state = [{"id": i, "property": p, "value": overrides.get(i, v)} for i, p, v in STATE]
    body = {"output": "..train-job-id.data...train-message.children..",
            "outputs": [{"id": "train-job-id", "property": "data"}, {"id": "train-message", "property": "children"}],
            "inputs": [{"id": "train-launch", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["train-launch.n_clicks"], "state": state}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


FORGED = [({"train-sc": "/etc/passwd"}, "Choose a single-cell dataset from the list"),
          ({"train-sc": "gdsc"}, "Choose a single-cell dataset from the list"),
          ({"train-seeds": 100000}, "seeds: 100000 is too large"),
          ({"train-members": 0}, "networks per seed: cross-fitted over the bulk lines"),
          ({"train-members": None}, "networks per seed must be whole numbers"),
          ({"train-impute": "magic"}, "impute the cells' dropouts first: 'magic' is not one of"),
          ({"train-seeds": "abc"}, "seeds: 'abc' is not a number"),
          ({"train-pretrain-epochs": 10 ** 9}, "bulk epochs: 1000000000 is too large"),
          ({"train-transfer-epochs": -1}, "transfer epochs: -1 is too small"),
          ({"train-encoder": "evil"}, "encoder: 'evil' is not one of ae, dae, vae"),
          ({"train-device": "cuda:99x"}, "device: 'cuda:99x' is not"),
          ({"train-visibility": "users:a b"}, "visibility 'users:a b'"),
          ({"train-bulk": "/etc/passwd"}, "Choose a bulk training set from the list")]


@pytest.mark.parametrize("overrides,message", FORGED, ids=[next(iter(o.values())).__str__() for o, _ in FORGED])
def test_forged_launch_is_refused_with_a_message_and_queues_nothing(client, overrides, message):
    http, registry = client
    resp = _launch(http, **overrides)
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert registry.list() == []


def test_a_valid_launch_queues_one_job_for_the_user(client):
    http, registry = client
    resp = _launch(http)
    assert resp.status_code == 200 and "queued" in resp.get_data(as_text=True)
    assert registry.list()[0]["config"]["train"]["members"] == 2  # the page's networks-per-seed field
    assert registry.list()[0]["config"]["bulk_cv"] is False


def test_a_launch_with_bulk_cv_asks_the_run_to_choose_its_settings_on_the_bulk_lines(client):
    http, registry = client
    assert "queued" in _launch(http, **{"train-bulk-cv": True}).get_data(as_text=True)
    assert registry.list()[0]["config"]["bulk_cv"] is True


def test_a_launch_on_two_bulk_studies_with_the_center_loss_says_so_in_the_job(client):
    from engine.config import CENTER_LOSS_ON

    http, registry = client
    resp = _launch(http, **{"train-bulk": "gdsc+ccle", "train-center-loss": True})
    assert "queued" in resp.get_data(as_text=True)
    config = registry.list()[0]["config"]
    assert config["bulk"] == "gdsc+ccle" and config["train"]["lambda_center"] == CENTER_LOSS_ON
    (job,) = registry.list()
    assert job["owner"] == "local" and job["status"] == "queued" and job["config"]["sc"] == "scad_plx4720"
    assert job["config"]["owner"] == "local" and job["config"]["visibility"] == "private"


def test_only_the_launching_browser_can_follow_its_job(client):
    from dashboard.jobs_ui import job_from_ticket, job_ticket

    http, registry = client
    body = json.loads(_launch(http).get_data(as_text=True))
    ticket = body["response"]["train-job-id"]["data"]
    (job,) = registry.list()
    secret = http.application.secret_key
    assert job_from_ticket(secret, ticket) == job["id"]
    other = registry.submit(owner="mallory", name="theirs", config={})
    for forged in (other, f"{other}.{ticket.rsplit('.', 1)[1]}", f"{other}.0", None, 12, "."):
        assert job_from_ticket(secret, forged) is None
    assert job_from_ticket(secret, job_ticket(secret, other)) == other  # only the server can sign
