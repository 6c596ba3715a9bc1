"""Dashboard latency on a real run and on runs upsampled to 10k, 100k and 1M cells (jittered copies of real cells).

For each size: gunicorn serves the app (2 workers x 4 threads, as the README starts it); headless Chromium
measures, from navigation start as the page records it, when the main UMAP is drawn and when the last linked
panel is: first in a fresh browser against a freshly started server with an empty cache (cold), then on three
reloads (warm, median). Then a recolour (median of four) and a selection until every linked panel has updated
(every linked scatter's traces hold the selection, the summary panels show it; a scatter below the fold draws
it when scrolled into view). Waits are polled inside the page, and times taken there. The app's callback log
gives each callback's server time and payload bytes; the server's peak memory (all workers) is sampled.
Differential expression (selection vs rest) is timed in-process on the app's expression store.

python bench/dashboard.py [--run RESULT.h5ad] [--sizes 10000 100000 1000000]  -> JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anndata as ad  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench._measure import ProcessTreeMemory, wait_for_http  # noqa: E402
from bench._webgl import probe_for  # noqa: E402

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
    """gunicorn serving the app over one results folder, with the callback log on and its memory sampled."""

    def __init__(self, results: Path, log: Path, cache: Path, *, workers: int = 2, threads: int = 4):
        self.port = free_port()
        env = {**os.environ, "SCRESPONSE_RESULTS_DIR": str(results), "SCRESPONSE_CALLBACK_LOG": str(log),
               "SCRESPONSE_CACHE_DIR": str(cache)}
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads), "--timeout", "300",
                                      "-b", f"127.0.0.1:{self.port}", "wsgi:server"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=open(log.with_suffix(".server.log"), "w"))
        self.memory = ProcessTreeMemory(self.proc.pid)
        wait_for_http(f"http://127.0.0.1:{self.port}/assets/style.css", proc=self.proc)  # a static file: opens no run

    def stop(self):
        self.memory.stop()
        self.proc.terminate()
        self.proc.wait(30)


def browser():
    from selenium import webdriver

    from dashboard.browser import chrome_options

    return webdriver.Chrome(options=chrome_options())


# Runs ``action`` (a function body, or none) and polls a condition (a function body; both may read ``arguments``)
# inside the page every 5 ms, then calls back with the ms from just before the action until the condition held:
# one WebDriver command per wait, timed in the page. Polling from Python (a command every 20 ms) cost the
# renderer, chromedriver and this process CPU that the page and server being timed share on this machine's 2 cores.
WAIT_IN_PAGE = """
var cond = new Function(arguments[0]), args = arguments[1], done = arguments[arguments.length - 1];
var t0 = performance.now();
if (arguments[2]) { new Function(arguments[2]).apply(null, args); }
(function poll() {
  var ok = false;
  try { ok = cond.apply(null, args); } catch (e) {}
  if (ok) { done(performance.now() - t0); } else { setTimeout(poll, 5); }
})();
"""


def wait_until(driver, script: str, *, timeout: float = 300, args=(), action: str | None = None) -> float:
    """Seconds until ``script`` (a function body returning a truth value) holds in the page, polled and timed
    in the page from just before ``action`` (a function body run first, e.g. a gesture), when given."""
    driver.set_script_timeout(timeout)
    return driver.execute_async_script(WAIT_IN_PAGE, script, list(args), action) / 1000


# Runs in the page before its own scripts: records (ms since navigation start) the first frame in which the main
# UMAP has drawn points, and the first in which the last linked panel (the class metrics) has content.
TIMELINE = """
window.__t = {};
(function watch() {
  var g = document.querySelector('#umap .js-plotly-plot');
  if (!window.__t.umap && g && g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length
      && g.querySelector('canvas')) { window.__t.umap = performance.now(); }
  var m = document.querySelector('#class-metrics');
  if (!window.__t.panels && m && m.textContent.indexOf('precision') >= 0) { window.__t.panels = performance.now(); }
  if (!(window.__t.umap && window.__t.panels)) { requestAnimationFrame(watch); }
})();
"""
# Chooses a colour in the open menu and calls back with the ms until the frame after the UMAP's title shows it.
RECOLOUR = """
var label = arguments[0], title = arguments[1], done = arguments[arguments.length - 1];
var option = Array.from(document.querySelectorAll('.dash-dropdown-option')).find(e => e.textContent.indexOf(label) >= 0);
var t0 = performance.now();
option.click();
(function poll() {
  var t = document.querySelector('#umap .gtitle');
  if (t && t.textContent.indexOf(title) >= 0) {
    requestAnimationFrame(function() { done(performance.now() - t0); });
  } else { setTimeout(poll, 2); }
})();
"""
TITLE_HAS = "var t = document.querySelector(arguments[0]); return !!(t && t.textContent.indexOf(arguments[1]) >= 0);"
ALL_LINKED = """var ids = arguments[0];
for (var i = 0; i < ids.length; i++) {
  var g = document.querySelector('#' + ids[i] + ' .js-plotly-plot');
  if (!g || !g.data || !g.data.length || g.data.every(function(t) { return t.selectedpoints === undefined; })) return false;
}
var info = document.querySelector('#selection-info').textContent;
var conf = document.querySelector('#confusion .gtitle');
return info.indexOf(' of ') > 0 && (!conf || conf.textContent.indexOf('selection') >= 0)
       && !!document.querySelector('#sel-deg-table .ag-cell');"""
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


def page_times(d, url: str) -> tuple[float, float, float | None]:
    """Seconds from navigation start until the main UMAP has drawn points, until the last linked panel (the
    class metrics) has content, and until the main UMAP's cells were all handed to WebGL (``_webgl.py``, the
    definition ``bench/cellxgene.py`` uses), as the page itself records them."""
    d.get(url)
    wait_until(d, "return !!(window.__t && window.__t.umap && window.__t.panels);")
    t = d.execute_script("return [window.__t, window.__gl && window.__gl.reached];")
    return round(t[0]["umap"] / 1000, 2), round(t[0]["panels"] / 1000, 2), t[1] and round(t[1] / 1000, 2)


def recolour_s(d, label: str, title: str) -> float:
    """Seconds from choosing a colour in the menu until the UMAP shows it (the next frame after its title changes)."""
    d.execute_script("document.querySelector('#color-by').click();")
    wait_until(d, "return document.querySelectorAll('.dash-dropdown-option').length > 0;")
    return round(d.execute_async_script(RECOLOUR, label, title) / 1000, 3)


def measure_browser(run_path: Path, work: Path, *, drawn: int, workers: int = 2, threads: int = 4,
                    warm_loads: int = 3) -> dict:
    log = work / "callbacks.jsonl"
    shutil.rmtree(work / "cache", ignore_errors=True)  # a first view of this result, as after a fresh install
    server = Server(run_path.parent, log, work / "cache", workers=workers, threads=threads)
    d = browser()
    d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TIMELINE + probe_for(drawn)})
    url = f"http://127.0.0.1:{server.port}/"
    out = {}
    try:
        t_nav = time.time()
        # fresh browser and server
        out["first_umap_drawn_s"], out["all_panels_drawn_s"], out["first_umap_points_to_webgl_s"] = page_times(d, url)
        time.sleep(1.0)
        out["load_callbacks"] = callback_stats(log, t_nav)
        warm = [page_times(d, url) for _ in range(warm_loads) if not time.sleep(2.0)]
        out["warm_umap_drawn_s"] = {"median": statistics.median(w[0] for w in warm), "each": [w[0] for w in warm]}
        out["warm_all_panels_drawn_s"] = {"median": statistics.median(w[1] for w in warm), "each": [w[1] for w in warm]}
        out["warm_umap_points_to_webgl_s"] = [w[2] for w in warm]
        time.sleep(2.0)
        t = time.time()
        times = []
        for label, title in [("Leiden", "UMAP: leiden"), ("sensitivity score", "UMAP: sensitivity score")] * 2:
            times.append(recolour_s(d, label, title))
            time.sleep(0.5)
        out["recolour_s"] = {"median": statistics.median(times), "each": times}
        out["recolour_callbacks"] = callback_stats(log, t)
        time.sleep(1.0)
        t = time.time()
        out["selection_to_all_linked_panels_s"] = round(wait_until(d, ALL_LINKED, args=(list(SCATTERS),),
                                                                  action=SELECT_LEFT_HALF), 2)
        out["selection_callbacks"] = callback_stats(log, t)
        out["selected"] = d.find_element("css selector", "#selection-info").text
        out["browser_console_errors"] = [e["message"][:200] for e in d.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        d.quit()
        server.stop()
    m = server.memory
    out.update(server_peak_rss_mib=round(m.peak_mib), server_peak_pss_mib=round(m.peak_pss_mib),
               largest_process_peak_rss_mib=round(m.peak_process_mib))
    return out


def time_de(path: Path, *, seed: int = 0) -> dict:
    """Selection-vs-rest DE as the app runs it, on the gene-major expression store (``dashboard.expression``):
    ``expression_store_build_s`` is its one-off build per result file (the app starts it when a run is opened);
    ``de_all_cells_split_in_two_s`` a selection of half of the cells; ``de_1k_vs_1k_s`` the t-test on a
    2,000-cell matrix split in two (the comparison cellxgene's figure refers to)."""
    import tempfile

    from dashboard.expression import GeneMajor
    from dashboard.stats import selection_vs_rest

    backed = ad.read_h5ad(path, backed="r")
    genes, n = backed.var_names, backed.n_obs
    rng = np.random.default_rng(seed)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = GeneMajor.open_or_build(backed.X, source=path, cache_dir=Path(tmp))
        out["expression_store_build_s"] = round(time.perf_counter() - t0, 3)
        if n >= 2000:
            rows = np.sort(rng.choice(n, 2000, replace=False))
            X = np.stack([store.gene(j)[rows] for j in range(len(genes))], axis=1)
            mask = np.zeros(2000, bool)
            mask[:1000] = True
            t0 = time.perf_counter()
            selection_vs_rest(X, mask, genes=genes)
            out["de_1k_vs_1k_s"] = round(time.perf_counter() - t0, 3)
        half = rng.random(n) < 0.5
        t0 = time.perf_counter()
        selection_vs_rest(store, half, genes=genes)
        out["de_all_cells_split_in_two_s"] = round(time.perf_counter() - t0, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", default=None, help="a real result (default: newest in precomputed/)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (the README starts 2)")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "dashboard"))
    args = ap.parse_args()
    real = Path(args.run) if args.run else max((ROOT / "precomputed").glob("*.h5ad"), key=lambda p: p.stat().st_mtime)
    out = Path(args.out)
    src = ad.read_h5ad(real)
    report = {"real_run": real.name, "genes": int(src.n_vars), "gunicorn": f"{args.workers} workers x {args.threads} threads",
              "sizes": {}}
    for n in [src.n_obs, *args.sizes]:
        work = out / f"n{n}"
        (work / "results").mkdir(parents=True, exist_ok=True)
        path = work / "results" / f"run_{n}.h5ad"
        if n == src.n_obs:
            shutil.copy(real, path)
        elif not path.exists():
            upsample(src, n).write_h5ad(path)
        (work / "callbacks.jsonl").unlink(missing_ok=True)
        entry = {"cells": n, "genes": int(ad.read_h5ad(path, backed="r").n_vars)}
        try:
            entry.update(measure_browser(path, work, drawn=min(n, 100_000), workers=args.workers, threads=args.threads))
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
