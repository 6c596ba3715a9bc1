"""Bulk integration (GDSC + CCLE): every method's metrics on held-out cell lines (5 folds grouped by line), the
center-loss autoencoder over several seeds with a label-permutation control, against the goals.

python bench/integration.py [--seeds 3] [--epochs 200] [--out bench/out]  -> JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anndata as ad  # noqa: E402

from engine.kinds import run_kind  # noqa: E402

from _measure import StageMemory, run_costs  # noqa: E402

GOALS = {"tissue_silhouette": (">=", 0.10), "davies_bouldin": ("<", 3.0), "cross_study_tissue_1nn": (">=", 0.75),
         "same_line_top1": (">=", 0.98)}


def _value(v):
    return float(v["mean"]) if isinstance(v, dict) else float(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args()
    started = time.time()
    with StageMemory() as memory:
        path = run_kind("integration", {"seeds": args.seeds, "epochs": args.epochs, "device": args.device,
                                        "out": args.out, "name": "bench-integration"}, progress=memory.progress)
    a = ad.read_h5ad(path)
    m = a.uns["metrics"]
    table = {method: {k: (round(float(v["mean"]), 3) if isinstance(v, dict) else round(float(v), 3))
                      for k, v in values.items()} for method, values in m.items()}
    spread = {method: {k: {"sd": round(float(v["sd"]), 3), "worst": round(float(v["worst"]), 3)}
                       for k, v in values.items() if isinstance(v, dict)} for method, values in m.items()}
    goals = {}
    for k, (op, g) in GOALS.items():
        v = _value(m["center_loss"][k])
        better = (lambda a, b: a > b) if op == ">=" else (lambda a, b: a < b)
        goals[k] = {"goal": f"{op} {g}", "center_loss": round(v, 3), "met": bool(v >= g if op == ">=" else v < g),
                    "ahead_of_combat_and_harmony": bool(all(better(v, _value(m[b][k])) for b in ("combat", "harmony")))}
    print(json.dumps({"lines": int(a.obs["line"].nunique()), "rows": int(a.n_obs), "genes": int(a.n_vars),
                      "protocol": str(a.uns["evaluation"]["protocol"]), "seeds": args.seeds, "epochs": args.epochs,
                      "held_out_metrics": table, "center_loss_spread_over_seeds": spread, "goals": goals,
                      **run_costs(a, memory, started)}, indent=1))


if __name__ == "__main__":
    main()
