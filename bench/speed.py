"""Wall time and peak memory per stage: the PLX4720 pair (5 seeds, with analysis), the PC9 erlotinib Drop-seq
counts (all 14,600 unfiltered barcodes), and the analysis alone on a 1,500-cell x 2,000-gene PC9 run.

python bench/speed.py [--out bench/out] [--skip-full-pc9]  -> JSON on stdout
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    ap.add_argument("--skip-full-pc9", action="store_true", help="skip the 14,600-barcode run")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    t = time.perf_counter()
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
