"""Accuracy on every catalog pair with single-cell labels: transfer vs no-transfer vs logistic regression.

python bench/accuracy.py [--seeds 5] [--impute autoencoder] [--out bench/out]  -> JSON on stdout

With ``--impute METHOD`` each pair is run a second time with the cells' dropouts imputed first; a pair whose cells
cannot be imputed (z-scored tables hold no dropout zeros) reports why instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import limits  # noqa: E402
from engine.data import catalog  # noqa: E402
from engine.data.errors import DataError  # noqa: E402
from engine.pipeline import RunConfig  # noqa: E402
from engine.results import MODELS  # noqa: E402

from _measure import run_measured  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--impute", default="none", choices=limits(RunConfig, "impute")["choices"])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args()
    pairs = [d for d in catalog.datasets() if d.kind == "single_cell" and d.label_column]
    report = {"seeds": args.seeds, "threshold": 0.5, "pairs": {}}
    for ds in pairs:
        # the response is found as a run finds it: scDEAL's binary labels if they name the drug, else GDSC LN_IC50
        response = "auto"
        cfg = RunConfig(drug=ds.drug, sc=ds.id, response=response, seeds=args.seeds, out=args.out)
        res = run_measured(cfg, analyse=False)
        m = res["metrics"]
        report["pairs"][ds.id] = {
            "drug": ds.drug, "bulk_response": response, "label_quality": ds.label_quality, "cells": res["cells"],
            "genes": res["genes"], "wall_seconds": res["wall_seconds"],
            **{model: {k: {"mean": round(v["mean"], 3), "sd": round(v["sd"], 3),
                           "per_seed": [round(x, 3) for x in v["per_seed"]]} for k, v in m[model].items()}
               for model in MODELS if model in m},
            "transfer_seed_ensemble": {k: round(v, 3) for k, v in m["transfer_seed_ensemble"].items()},
        }
        print(f"{ds.id}: transfer AUROC {m['transfer']['auroc']['mean']:.3f}", file=sys.stderr)
        if args.impute != "none":
            try:
                imp = run_measured(RunConfig(drug=ds.drug, sc=ds.id, response=response, seeds=args.seeds,
                                             out=args.out, impute=args.impute), analyse=False)["metrics"]
                report["pairs"][ds.id][f"with_{args.impute}_imputation"] = {
                    model: {k: round(imp[model][k]["mean"], 3) for k in ("auroc", "ap")}
                    for model in MODELS if model in imp}
            except DataError as exc:
                report["pairs"][ds.id][f"with_{args.impute}_imputation"] = {"not_applicable": str(exc)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
