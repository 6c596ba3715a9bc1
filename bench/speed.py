"""Wall time and peak memory per stage: the PLX4720 pair (5 seeds, with analysis), the PC9 erlotinib Drop-seq
counts (all 14,600 unfiltered barcodes), and the analysis alone on a 1,500-cell x 2,000-gene PC9 run; with
``--scale``, transfer runs with analysis on synthetic cells at the sizes given (jittered copies of the real PC9
cells' counts on 2,000 genes shared with GDSC: 5 seeds up to 100k cells, 1 seed above).

python bench/speed.py [--out bench/out] [--skip-full-pc9] [--scale 10000 100000 1000000] [--only-scale]
  -> JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from engine.data import read_single_cell  # noqa: E402
from engine.pipeline import RunConfig  # noqa: E402

from _measure import run_measured  # noqa: E402


def pc9_top_cells(n_cells: int, out: Path) -> Path:
    """The n_cells barcodes with the most UMIs, as an .h5ad of counts (a realistic filtered data set)."""
    cells = read_single_cell("pc9_erlotinib")
    totals = np.asarray(cells.layers["counts"].sum(1)).ravel()
    keep = np.sort(np.argsort(-totals)[:n_cells])
    sub = cells[keep].copy()
    sub.X = sub.layers.pop("counts")
    del sub.uns["sc_input"]
    path = out / f"pc9_top{n_cells}.h5ad"
    sub.write_h5ad(path)
    return path


SCALE_GENES = 2000
MIN_GENES = 500  # PC9 barcodes with at least this many genes detected: real cells, not empty droplets


def jittered_cells(n_cells: int, out: Path, *, seed: int = 0) -> Path:
    """``n_cells`` synthetic cells as an .h5ad of counts: real PC9 cells (>= 500 genes) drawn with replacement,
    each non-zero count redrawn from Poisson(count x the cell's size factor, lognormal sd 0.2), on the 2,000 most
    variable genes (scanpy, seurat flavour) of those shared with the GDSC expression. Sparse throughout."""
    import anndata as ad
    import scanpy as sc
    import scipy.sparse as sp

    from engine.data import load_bulk

    path = out / f"pc9_jittered_{n_cells}.h5ad"
    if path.exists():
        return path
    cells = read_single_cell("pc9_erlotinib")
    counts = cells.layers["counts"].tocsr()
    real = np.asarray((counts > 0).sum(1)).ravel() >= MIN_GENES
    shared = cells.var_names.isin(load_bulk("gdsc", drug="Erlotinib").var_names)
    base = ad.AnnData(counts[real][:, shared].astype(np.float32), obs=cells.obs[real].copy(),
                      var=cells.var[shared].copy())
    probe = base.copy()
    sc.pp.normalize_total(probe, target_sum=1e4)
    sc.pp.log1p(probe)
    sc.pp.highly_variable_genes(probe, n_top_genes=SCALE_GENES, flavor="seurat")
    base = base[:, probe.var["highly_variable"].to_numpy()].copy()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, base.n_obs, n_cells)
    X = base.X[pick].tocsr()
    size = rng.lognormal(0.0, 0.2, n_cells).astype(np.float32)
    X.data = rng.poisson(X.data * np.repeat(size, np.diff(X.indptr))).astype(np.float32)
    X.eliminate_zeros()
    obs = base.obs.iloc[pick].reset_index(names="source_cell")
    obs.index = [f"cell{i}" for i in range(n_cells)]
    ad.AnnData(sp.csr_matrix(X), obs=obs, var=base.var).write_h5ad(path)
    return path


def scale_run(n_cells: int, out: Path) -> dict:
    """A transfer run with analysis on ``n_cells`` jittered cells (5 seeds up to 100k, else 1), measured."""
    seeds = 5 if n_cells <= 100_000 else 1
    t = time.perf_counter()
    path = jittered_cells(n_cells, out)
    made = round(time.perf_counter() - t, 1)
    report = run_measured(RunConfig(drug="Erlotinib", sc=str(path), seeds=seeds, out=str(out)), verbose=True)
    keep = ("cells", "genes", "wall_seconds", "seconds_per_stage", "peak_rss_mib_per_stage")
    return {"seeds": seeds, "input_written_seconds": made, **{k: report[k] for k in keep},
            "peak_rss_mib": max(report["peak_rss_mib_per_stage"].values())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    ap.add_argument("--skip-full-pc9", action="store_true", help="skip the 14,600-barcode run")
    ap.add_argument("--scale", nargs="*", type=int, default=[], help="synthetic cell counts to run (e.g. 10000 100000)")
    ap.add_argument("--only-scale", action="store_true", help="only the --scale runs")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    t = time.perf_counter()
    for n in args.scale:
        report[f"jittered_{n}_cells"] = scale_run(n, out)
        print(json.dumps({f"jittered_{n}_cells": report[f"jittered_{n}_cells"]}), file=sys.stderr, flush=True)
    if args.only_scale:
        print(json.dumps(report, indent=1))
        return
    plx = run_measured(RunConfig(drug="PLX-4720", sc="scad_plx4720", seeds=5, out=str(out)))
    report["plx4720_5_seeds"] = {k: plx[k] for k in ("cells", "genes", "wall_seconds", "seconds_per_stage",
                                                      "peak_rss_mib_per_stage")}
    small = pc9_top_cells(1500, out)
    pc9 = run_measured(RunConfig(drug="Erlotinib", sc=str(small), seeds=5, n_top_genes=2000, out=str(out)))
    report["pc9_1500_cells_2000_genes_5_seeds"] = {k: pc9[k] for k in ("cells", "genes", "wall_seconds",
                                                                       "seconds_per_stage", "peak_rss_mib_per_stage")}
    report["pc9_1500_cells_2000_genes_5_seeds"]["analysis_seconds"] = pc9["seconds_per_stage"]["analyse"]
    if not args.skip_full_pc9:
        full = run_measured(RunConfig(drug="Erlotinib", sc="pc9_erlotinib", seeds=1, out=str(out)))
        report["pc9_all_14600_barcodes_1_seed"] = {k: full[k] for k in ("cells", "genes", "wall_seconds",
                                                                       "seconds_per_stage", "peak_rss_mib_per_stage")}
    report["total_seconds"] = round(time.perf_counter() - t, 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
