"""Dashboard latency on a real run and on runs upsampled to 10k, 100k and 1M cells (jittered copies of real cells).

For each size: gunicorn serves the app; headless Chromium measures the time from navigation to the first drawn
UMAP, a recolour, and a selection until every linked panel has updated; the app's callback log gives each
callback's server time and payload bytes; the server's peak memory is sampled. Differential expression
(selection vs rest) is timed in-process for 1k vs 1k cells and for all cells split in two.

python bench/dashboard.py [--run RESULT.h5ad] [--sizes 10000 100000 1000000]  -> JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anndata as ad  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psutil  # noqa: E402

GENES_AT_1M = 200  # 1M cells x all genes would not fit this machine's memory as a dense float32 matrix
SCATTERS = ("umap", "mis-umap", "scores-scatter", "deg-scatter", "pre-umap", "post-umap")


def upsample(src: ad.AnnData, n: int, *, seed: int = 0) -> ad.AnnData:
    """n jittered copies of real cells: positions, scores and expression get small noise; labels are kept."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, src.n_obs, n)
    genes = src.var_names
    if n >= 1_000_000:
        genes = pd.Index(src.uns["attribution"].index[:GENES_AT_1M])
    X = np.asarray(src[:, genes].X, dtype=np.float32)[idx]
    X += rng.normal(0, 0.05, X.shape).astype(np.float32)
    obs = src.obs.iloc[idx].copy()
    obs.index = [f"cell{i}" for i in range(n)]
    for col in obs.columns:
        if obs[col].dtype.kind == "f" and col != "label":
            jitter = rng.normal(0, 0.02, n)
            obs[col] = obs[col].to_numpy() + jitter
            if "sensitivity" in col or col == "logreg_score":
                obs[col] = obs[col].clip(0, 1)
    obs["predicted"] = pd.Categorical(np.where(obs.sensitivity_score >= 0.5, "sensitive", "resistant"),
                                      categories=["resistant", "sensitive"])
    out = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=genes))
    for key in ("X_umap", "X_umap_pretransfer", "X_latent"):
        base = np.asarray(src.obsm[key])[idx]
        out.obsm[key] = (base + rng.normal(0, 0.03 * base.std(0), base.shape)).astype(np.float32)
    keep = ("metrics", "config", "provenance", "deg_correlation", "analysis", "bulk", "sc_input", "run_id")
    out.uns.update({k: src.uns[k] for k in keep if k in src.uns})
    out.uns["attribution"] = src.uns["attribution"].loc[[g for g in src.uns["attribution"].index if g in set(genes)]]
    out.uns["config"] = {**dict(src.uns["config"]), "sc": f"{src.uns['config']['sc']}_x{n}"}
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the app over one results folder, with the callback log on and RSS sampled."""

    def __init__(self, results: Path, log: Path, cache: Path):
        self.port = free_port()
        env = {**os.environ, "SCRESPONSE_RESULTS_DIR": str(results), "SCRESPONSE_CALLBACK_LOG": str(log),
               "SCRESPONSE_CACHE_DIR": str(cache)}
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "--timeout", "300",
                                      "-b", f"127.0.0.1:{self.port}", "wsgi:server"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=open(log.with_suffix(".server.log"), "w"))
        self.peak_mib, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._wait_up()

    def _sample(self):
        p = psutil.Process(self.proc.pid)
        while not self._stop.is_set():
            try:
                rss = sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]) / 2**20
                self.peak_mib = max(self.peak_mib, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)

    def _wait_up(self):
        import urllib.request

        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        self._stop.set()
        self.proc.terminate()
        self.proc.wait(30)


def browser():
    from selenium import webdriver

    from dashboard.browser import chrome_options

    return webdriver.Chrome(options=chrome_options())


def wait_until(driver, script: str, *, timeout: float = 300, args=()) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if driver.execute_script(script, *args):
            return time.perf_counter() - t0
        time.sleep(0.02)
    raise TimeoutError(script[:80])


UMAP_DRAWN = """var g = document.querySelector('#umap .js-plotly-plot');
return !!(g && g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length > 0
          && g.querySelector('canvas'));"""
TITLE_HAS = "var t = document.querySelector(arguments[0]); return !!(t && t.textContent.indexOf(arguments[1]) >= 0);"
ALL_LINKED = """var ids = arguments[0];
for (var i = 0; i < ids.length; i++) {
  var g = document.querySelector('#' + ids[i] + ' .js-plotly-plot');
  if (!g || !g.data || !g.data.length || g.data.every(function(t) { return t.selectedpoints === undefined; })) return false;
}
var info = document.querySelector('#selection-info').textContent;
var conf = document.querySelector('#confusion .gtitle');
return info.indexOf(' of ') > 0 && (!conf || conf.textContent.indexOf('selection') >= 0)
       && !!document.querySelector('#sel-deg-table td');"""
SELECT_LEFT_HALF = """var g = document.querySelector('#umap .js-plotly-plot');
var xa = g._fullLayout.xaxis.range, ya = g._fullLayout.yaxis.range;
Plotly.relayout(g, {dragmode: 'select', selections: [{type: 'rect', x0: xa[0], x1: (xa[0] + xa[1]) / 2, y0: ya[0], y1: ya[1]}]});"""


def callback_stats(log: Path, since: float) -> dict:
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    rows = [r for r in rows if r["time"] >= since]
    by: dict[str, list] = {}
    for r in rows:
        by.setdefault(r["output"][:60], []).append(r)
    return {k: {"calls": len(v), "median_ms": round(statistics.median(r["ms"] for r in v), 1),
                "max_ms": round(max(r["ms"] for r in v), 1), "max_response_bytes": max(r["response_bytes"] for r in v),
                "max_request_bytes": max(r["request_bytes"] for r in v)} for k, v in sorted(by.items())}


def measure_browser(run_path: Path, work: Path) -> dict:
    log = work / "callbacks.jsonl"
    server = Server(run_path.parent, log, work / "cache")
    d = browser()
    out = {}
    try:
        t_nav = time.time()
        d.get(f"http://127.0.0.1:{server.port}/")
        out["first_umap_drawn_s"] = round(wait_until(d, UMAP_DRAWN), 2)
        out["all_panels_drawn_s"] = round(wait_until(d, TITLE_HAS, args=("#class-metrics", "precision")) +
                                          out["first_umap_drawn_s"], 2)
        time.sleep(1.0)
        out["load_callbacks"] = callback_stats(log, t_nav)
        t = time.time()
        d.execute_script("var el = document.querySelector('#color-by'); el.click();")
        option = next(e for e in d.find_elements("css selector", ".dash-dropdown-option") if "Leiden" in e.text)
        t0 = time.perf_counter()
        option.click()
        wait_until(d, TITLE_HAS, args=("#umap .gtitle", "UMAP: leiden"))
        out["recolour_s"] = round(time.perf_counter() - t0, 2)
        out["recolour_callbacks"] = callback_stats(log, t)
        t = time.time()
        t0 = time.perf_counter()
        d.execute_script(SELECT_LEFT_HALF)
        wait_until(d, ALL_LINKED, args=(list(SCATTERS),))
        out["selection_to_all_linked_panels_s"] = round(time.perf_counter() - t0, 2)
        out["selection_callbacks"] = callback_stats(log, t)
        out["selected"] = d.find_element("css selector", "#selection-info").text
        out["browser_console_errors"] = [e["message"][:200] for e in d.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        d.quit()
        server.stop()
    out["server_peak_rss_mib"] = round(server.peak_mib)
    return out


def time_de(path: Path, *, seed: int = 0) -> dict:
    """Selection-vs-rest DE as the app runs it: ``de_*_s`` include computing the per-gene moments (a first
    selection); ``de_all_cells_split_in_two_warm_s`` is a later selection on the same run (moments cached)."""
    from dashboard.stats import row_moments, selection_vs_rest

    a = ad.read_h5ad(path)
    X, genes = np.asarray(a.X), a.var_names
    rng = np.random.default_rng(seed)
    out = {}
    if a.n_obs >= 2000:
        rows = np.sort(rng.choice(a.n_obs, 2000, replace=False))
        mask = np.zeros(2000, bool)
        mask[:1000] = True
        t0 = time.perf_counter()
        selection_vs_rest(X[rows], mask, genes=genes)
        out["de_1k_vs_1k_s"] = round(time.perf_counter() - t0, 3)
    half = rng.random(a.n_obs) < 0.5
    t0 = time.perf_counter()
    moments = row_moments(X, np.arange(a.n_obs))
    selection_vs_rest(X, half, genes=genes, moments=moments)
    out["de_all_cells_split_in_two_s"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    selection_vs_rest(X, ~half, genes=genes, moments=moments)
    out["de_all_cells_split_in_two_warm_s"] = round(time.perf_counter() - t0, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", default=None, help="a real result (default: newest in precomputed/)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "dashboard"))
    args = ap.parse_args()
    real = Path(args.run) if args.run else max((ROOT / "precomputed").glob("*.h5ad"), key=lambda p: p.stat().st_mtime)
    out = Path(args.out)
    src = ad.read_h5ad(real)
    report = {"real_run": real.name, "genes": int(src.n_vars), "sizes": {}}
    for n in [src.n_obs, *args.sizes]:
        work = out / f"n{n}"
        (work / "results").mkdir(parents=True, exist_ok=True)
        path = work / "results" / f"run_{n}.h5ad"
        if n == src.n_obs:
            import shutil

            shutil.copy(real, path)
        elif not path.exists():
            upsample(src, n).write_h5ad(path)
        (work / "callbacks.jsonl").unlink(missing_ok=True)
        entry = {"cells": n, "genes": int(ad.read_h5ad(path, backed="r").n_vars)}
        try:
            entry.update(measure_browser(path, work))
        except Exception as exc:  # report what was measured and why the rest is missing
            entry["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            entry["callbacks_so_far"] = callback_stats(work / "callbacks.jsonl", 0)
        entry.update(time_de(path))
        report["sizes"][str(n)] = entry
        print(f"{n}: first UMAP {entry.get('first_umap_drawn_s')} s, "
              f"selection {entry.get('selection_to_all_linked_panels_s')} s {entry.get('error', '')}", file=sys.stderr)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
