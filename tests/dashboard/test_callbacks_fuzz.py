"""Every server callback, fed values no page sends, answers with no update or a message: never an HTTP 500."""

from __future__ import annotations

import json

import pytest

BAD_VALUES = [None, 12345, -1e308, "x" * 300, "../../etc/passwd", {"points": [{"x": "a"}]}, [1, [2, [3]]],
              {"range": {"x": ["a"]}}, {"lassoPoints": {"x": [1, 2, 3], "y": [1]}}, {"points": [{"pointIndex": 10**9}]},
              True]


def _outputs(key: str) -> list[dict]:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    return [dict(zip(("id", "property"), p.rsplit(".", 1))) for p in parts]


@pytest.fixture
def served(explore_app):
    return explore_app, explore_app.server.test_client()


def test_every_callback_survives_malformed_values(served):
    app, client = served
    failures, checked = [], set()
    for key, cb in app.callback_map.items():
        if "callback" not in cb or cb.get("background"):
            continue  # clientside callbacks run in the browser; background ones start jobs (test_launch_forged)
        for bad in BAD_VALUES:
            checked.add(key)
            inputs = [{"id": i["id"], "property": i["property"], "value": bad} for i in cb["inputs"]]
            state = [{"id": s["id"], "property": s["property"], "value": bad} for s in cb["state"]]
            body = {"output": key, "outputs": _outputs(key) if key.startswith("..") else _outputs(key)[0],
                    "inputs": inputs, "state": state,
                    "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs[:1]]}
            resp = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
            if resp.status_code >= 500:
                failures.append((key, repr(bad)[:40], resp.status_code))
    assert failures == [], sorted({k for k, _, _ in failures})
    assert len(checked) >= 15  # the explore, QC and train pages' server callbacks
