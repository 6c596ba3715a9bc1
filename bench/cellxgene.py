"""The cellxgene reference, measured here: time to the first drawn embedding in cellxgene for the same files
as ``bench/dashboard.py``, cold (fresh browser and server) and warm (three reloads), with the same WebGL
probe (``_webgl.py``), and cellxgene's peak server memory.

cellxgene is not a dependency of scResponse: install it in its own environment
(``python -m venv /tmp/cxg && /tmp/cxg/bin/pip install cellxgene==1.3.0``) and pass its executable.

python bench/cellxgene.py --cellxgene /tmp/cxg/bin/cellxgene FILE.h5ad [FILE.h5ad ...]  -> JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anndata as ad  # noqa: E402

from bench._webgl import probe_for  # noqa: E402
from bench._measure import ProcessTreeMemory, wait_for_http  # noqa: E402
from bench.dashboard import browser, free_port, wait_until  # noqa: E402


def first_view(d, url: str) -> float:
    d.get(url)
    wait_until(d, "return !!(window.__gl && window.__gl.reached);", timeout=300)
    return round(d.execute_script("return window.__gl.reached;") / 1000, 2)


def cellxgene_copy(path: Path, out: Path) -> Path:
    """What cellxgene shows of a result (expression, per-cell annotations, the UMAP), without ``uns``: the
    anndata that cellxgene 1.3.0 pins cannot read the encodings of newer anndata found there."""
    a = ad.read_h5ad(path)
    copy = ad.AnnData(X=a.X, obs=a.obs, var=a.var[[]], obsm={"X_umap": a.obsm["X_umap"]})
    copy.write_h5ad(out)
    return out


def measure(exe: str, path: Path, *, warm_loads: int = 3) -> dict:
    n = ad.read_h5ad(path, backed="r").n_obs
    port = free_port()
    proc = subprocess.Popen([exe, "launch", str(path), "--host", "127.0.0.1", "--port", str(port),
                             "--disable-annotations"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    memory = ProcessTreeMemory(proc.pid)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url + "health", proc=proc)  # cellxgene reads the file before it listens
        d = browser()
        d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": probe_for(n)})
        try:
            cold = first_view(d, url)
            warm = [first_view(d, url) for _ in range(warm_loads) if not time.sleep(2.0)]
        finally:
            d.quit()
    finally:
        proc.terminate()
        proc.wait(30)
        memory.stop()
    return {"cells": n, "first_embedding_drawn_s": cold,
            "warm_embedding_drawn_s": {"median": statistics.median(warm), "each": warm},
            "server_peak_rss_mib": round(memory.peak_mib), "server_peak_pss_mib": round(memory.peak_pss_mib)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cellxgene", required=True, help="the cellxgene executable (its own environment)")
    ap.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps({p.name: measure(args.cellxgene, cellxgene_copy(p, Path(tmp) / p.name))
                          for p in args.files}, indent=1))


if __name__ == "__main__":
    main()
