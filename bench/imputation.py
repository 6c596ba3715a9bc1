"""Dropout imputation on PC9 erlotinib day 11 (cells with >= 500 detected genes, 2,000 HVGs, log1p of counts per
10k): RMSE / L1 / Pearson on masked non-zero entries at 10, 20 and 40 % over seeds, the harm checks, against the
goals of issue 15.

python bench/imputation.py [--seeds 3] [--sc pc9_erlotinib] [--out bench/out]  -> JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anndata as ad  # noqa: E402
import pandas as pd  # noqa: E402

from engine.imputation.evaluate import HARM_RATIO_GOAL, PEARSON_GOAL  # noqa: E402
from engine.kinds import run_kind  # noqa: E402

from _measure import StageMemory, run_costs  # noqa: E402

# the issue's kNN(30) non-zero-mean row (its slice: 1,136 cells x 2,000 HVGs), which the RMSE goal refers to
ISSUE_KNN_RMSE = {0.1: 0.431, 0.2: 0.441, 0.4: 0.470}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--sc", default="pc9_erlotinib")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args()
    started = time.time()
    with StageMemory() as memory:
        path = run_kind("imputation", {"sc": args.sc, "seeds": args.seeds, "device": args.device, "out": args.out,
                                       "groupby": "sample", "name": "bench-imputation"}, progress=memory.progress)
    a = ad.read_h5ad(path)
    table = pd.DataFrame(a.uns["masking_table"])
    rows = {f"{r.method} {r.rate:.0%}": {k: round(float(getattr(r, k)), 3) for k in
                                           ("rmse", "rmse_sd", "rmse_worst", "l1", "pearson", "pearson_worst", "seconds")}
            for r in table.itertuples()}
    goals = {}
    for rate in sorted(table["rate"].unique()):
        at = table[table["rate"] == rate].set_index("method")
        own_knn = float(at.loc["knn", "rmse"]) if "knn" in at.index else float("nan")
        for method in at.index.difference(["none", "gene_mean", "knn"]):
            rmse, r = float(at.loc[method, "rmse_worst"]), float(at.loc[method, "pearson_worst"])
            ref = ISSUE_KNN_RMSE.get(round(rate, 2))
            goals[f"{method} {rate:.0%}"] = {
                "rmse_worst_seed": round(rmse, 3), "pearson_worst_seed": round(r, 3),
                "vs_issue_knn_row": None if ref is None else round(1 - rmse / ref, 3),
                "vs_our_knn_row": round(1 - rmse / own_knn, 3),
                "rmse_goal_met": None if ref is None else bool(rmse <= 0.9 * ref),
                "pearson_goal_met": bool(r >= PEARSON_GOAL.get(round(rate, 2), 0))}
    harm = {m: {"false_correlation_ratio": round(float(h["false_correlations"]["ratio"]), 2),
                "worst_ratio": round(float(h["false_correlations"]["worst_ratio"]), 2),
                "within_goal": bool(float(h["false_correlations"]["worst_ratio"]) <= HARM_RATIO_GOAL),
                "new_de_genes": {g: int(d["n_only_imputed"]) for g, d in h["new_de"].items()},
                "de_genes_measured": {g: int(d["n_measured"]) for g, d in h["new_de"].items()}}
            for m, h in a.uns["harm"].items()}
    print(json.dumps({"data": args.sc, "preprocessing": {k: (v.item() if hasattr(v, "item") else v)
                                                          for k, v in a.uns["preprocessing"].items()},
                      "protocol": str(a.uns["evaluation"]["protocol"]), "seeds": args.seeds,
                      "recovery": rows, "goals": goals, "harm": harm,
                      **run_costs(a, memory, started)}, indent=1))


if __name__ == "__main__":
    main()
