"""Replays the hostile requests of the hardening issue against gunicorn (README command 1's server) and prints,
per request, the HTTP status, the answer's first words, and peak resident memory of the web workers and of
any helper process they start (the upload checker). Goal: no web worker above 1 GB; every case a 4xx or a
plain message.

python bench/abuse.py  -> JSON on stdout
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._measure import ProcessTreeMemory, wait_for_http  # noqa: E402


def _kind(process: psutil.Process) -> str:
    """A gunicorn process (master or web worker) or a helper a worker started (the upload checker)."""
    return "worker" if "gunicorn" in " ".join(process.cmdline()) else "helper"


def _peaks(mem: ProcessTreeMemory) -> dict:
    mem.stop()
    return {"worker_peak_rss_mib": round(mem.peak_by_group.get("worker", 0)),
            "helper_peak_rss_mib": round(mem.peak_by_group.get("helper", 0))}


def _post(url: str, body: bytes, ctype="application/json") -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": ctype}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError as e:  # a refused body: the server answered 413 and closed without reading it
        return -1, f"connection closed by the server before the body was sent ({type(e).__name__})"


def _callback(output: str, outputs, inputs, state=()) -> bytes:
    return json.dumps({"output": output, "outputs": outputs, "inputs": inputs, "state": list(state),
                       "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}).encode()


def _bomb(folder: Path) -> Path:
    import anndata as ad
    import h5py
    import pandas as pd
    import scipy.sparse as sp

    path = folder / "bomb.h5ad"
    genes = [f"G{j}" for j in range(20_000)]
    ad.AnnData(sp.csr_matrix((10_000, 20_000), dtype="f4"), obs=pd.DataFrame(index=[f"c{i}" for i in range(10_000)]),
               var=pd.DataFrame(index=genes)).write_h5ad(path)
    with h5py.File(path, "r+") as f:
        del f["X"]
        f.create_dataset("X", shape=(10_000, 20_000), dtype="f4", compression="gzip", fillvalue=0.0)
    return path


def _upload_body(path: Path) -> bytes:
    contents = "data:application/octet-stream;base64," + base64.b64encode(path.read_bytes()).decode()
    outputs = [{"id": i, "property": p} for i, p in (("train-upload-status", "children"), ("train-upload-token", "data"),
                                                     ("train-label-column", "options"), ("train-label-column", "value"))]
    return _callback("..train-upload-status.children...train-upload-token.data...train-label-column.options..."
                     "train-label-column.value..", outputs,
                     [{"id": "train-upload-payload", "property": "data", "value": {"name": path.name, "contents": contents}},
                      {"id": "train-label-column", "property": "value", "value": None}],
                     [{"id": "train-upload-token", "property": "data", "value": None}])


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="abuse-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SCRESPONSE_RESULTS_DIR": str(folder / "results"), "SCRESPONSE_CACHE_DIR": str(folder / "cache"),
           "SCRESPONSE_DB": str(folder / "jobs.sqlite"), "SCRESPONSE_UPLOAD_DIR": str(folder / "uploads")}
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "--threads", "4", "-b",
                               f"127.0.0.1:{port}", "wsgi:server"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    out = {}
    try:
        wait_for_http(base + "/_dash-layout", proc=server, timeout=300)
        bomb = _bomb(folder)
        lasso = {"id": "umap", "property": "selectedData", "value": {"lassoPoints": {"x": [0.1] * 52_000_000}}}
        cases = {
            "compressed_h5ad_bomb_upload (10,000 x 20,000 zeros, %.1f MB file)" % (bomb.stat().st_size / 1e6):
                _upload_body(bomb),
            "lasso_258MB": _callback("selection.data", {"id": "selection", "property": "data"}, [lasso]),
            "forged_launch_sc_etc_passwd": _callback(
                "..train-job-id.data...train-message.children..",
                [{"id": "train-job-id", "property": "data"}, {"id": "train-message", "property": "children"}],
                [{"id": "train-launch", "property": "n_clicks", "value": 1}],
                [{"id": i, "property": p, "value": v} for i, p, v in (
                    ("train-response", "value", "binary"), ("train-screen", "value", "GDSC2"),
                    ("train-drug", "value", "PLX-4720"), ("train-sc", "value", "/etc/passwd"),
                    ("train-upload-token", "data", None), ("train-label-column", "value", None),
                    ("train-encoder", "value", "ae"), ("train-aligner", "value", "mmd"),
                    ("train-device", "value", "auto"), ("train-pretrain-epochs", "value", 10),
                    ("train-transfer-epochs", "value", 5), ("train-seeds", "value", 1),
                    ("train-name", "value", None), ("train-analyse", "value", False), ("train-qc", "value", None),
                    ("train-visibility", "value", "private"))]),
        }
        for name, body in cases.items():
            mem = ProcessTreeMemory(server.pid, group=_kind)
            t0 = time.perf_counter()
            status, text = _post(base + "/_dash-update-component", body)
            took = time.perf_counter() - t0
            time.sleep(0.2)
            out[name] = {"status": status, "seconds": round(took, 2), "request_mb": round(len(body) / 1e6, 1),
                         "answer": text[:160], **_peaks(mem)}
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
