"""The app as users run it: gunicorn started with README command 1's own arguments, in headless Chromium."""

from __future__ import annotations

import re
import shlex
import socket
from pathlib import Path

import pytest
from browser import GunicornServer

TIMEOUT = 60
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_gunicorn_args() -> list[str]:
    """The arguments README command 1 gives gunicorn (its first fenced block, the line that starts the app)."""
    block = README.read_text().split("```bash", 1)[1].split("```", 1)[0]
    line = next(ln for ln in block.splitlines() if "gunicorn" in ln and not ln.lstrip().startswith("#"))
    words = shlex.split(line[line.index("gunicorn"):].split("&&")[0])
    return words[1:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_app(results_dir, tmp_path):
    args = readme_gunicorn_args()
    assert args[-1] == "wsgi:server" and "-b" in args, args
    port = _free_port()
    args[args.index("-b") + 1] = f"127.0.0.1:{port}"
    server = GunicornServer(args=args, port=port, env={
        "SCRESPONSE_RESULTS_DIR": str(results_dir), "SCRESPONSE_CACHE_DIR": str(tmp_path / "cache"),
        "SCRESPONSE_DB": str(tmp_path / "jobs.sqlite"), "SCRESPONSE_UPLOAD_DIR": str(tmp_path / "uploads")}, log=tmp_path / "gunicorn.log")
    yield server
    server.stop()
    print(server.output())  # shown by pytest when the test fails


def test_gunicorn_001_readme_server_serves_every_page(dash_duo, gunicorn_app):
    assert re.fullmatch(r"-w \d+ --threads \d+ -b \S+ wsgi:server", " ".join(readme_gunicorn_args()))
    dash_duo.open(gunicorn_app.url + "/")
    dash_duo.wait_for_element("#umap .main-svg", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#run-picker", "PLX-4720", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#class-metrics", "precision", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#metrics-table", "logistic_regression", timeout=TIMEOUT)
    # per-user state crosses worker processes: the selection is stored server-side and read by any worker
    dash_duo.driver.execute_script(
        "var g = document.querySelector('#umap .js-plotly-plot');"
        "var xa = g._fullLayout.xaxis.range, ya = g._fullLayout.yaxis.range;"
        "Plotly.relayout(g, {dragmode: 'select', selections: [{type: 'rect', x0: xa[0], x1: (xa[0] + xa[1]) / 2,"
        " y0: ya[0], y1: ya[1]}]});")
    dash_duo.wait_for_contains_text("#selection-info", "of 108 cells", timeout=TIMEOUT)
    dash_duo.wait_for_element("#sel-deg-table .ag-cell", timeout=TIMEOUT)
    dash_duo.find_element("a[href='/train']").click()
    dash_duo.wait_for_contains_text("#jobs-updated", "0 jobs", timeout=TIMEOUT)  # the jobs table was filled
    dash_duo.find_element("a[href='/qc']").click()
    dash_duo.wait_for_element("#qc-compute", timeout=TIMEOUT)
    assert dash_duo.get_logs() == []
