"""Accuracy on every catalog pair with single-cell labels: transfer vs no-transfer vs logistic regression.

python bench/accuracy.py [--seeds 5] [--impute autoencoder] [--bulk-cv] [--center-loss]
                         [--train-variant '{"encoder_type": "vae"}' ...] [--out bench/out]  -> JSON on stdout

With ``--bulk-cv`` each pair is run a second time with the model's settings chosen by 5-fold CV on the bulk lines.

With ``--center-loss`` each pair is run three more times: on GDSC with the tissue center loss (at its fixed weight,
``engine.config.CENTER_LOSS_ON``), and on GDSC + CCLE rows of the same lines (their shared genes) without and
with it.

With ``--train-variant JSON`` (repeatable) each pair is run once more with those model settings changed
(``engine.config.TrainConfig`` fields), reported under ``with_<field>_<value>``: how the settings tried and kept
out of the defaults were measured.

With ``--impute METHOD`` each pair is run a second time with the cells' dropouts imputed first; a pair whose cells
cannot be imputed (z-scored tables hold no dropout zeros) reports why instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import CENTER_LOSS_ON, TrainConfig, limits  # noqa: E402
from engine.data import catalog  # noqa: E402
from engine.data.errors import DataError  # noqa: E402
from engine.pipeline import RunConfig  # noqa: E402
from engine.results import MODELS  # noqa: E402

from _measure import run_measured  # noqa: E402


def _summary(res: dict) -> dict:
    """Each model's AUROC and AP over seeds (mean, sd, worst, per seed), the seed ensemble (the shown score), seed
    agreement (label-free), whether the shown score reaches the best baseline, and the bulk-CV choice if made."""
    import anndata as ad

    m = res["metrics"]
    out = {model: {k: {"mean": round(float(v["mean"]), 3), "sd": round(float(v["sd"]), 3),
                       "worst": round(float(np.min(v["per_seed"])), 3),
                       "per_seed": [round(float(x), 3) for x in v["per_seed"]]}
                   for k, v in m[model].items() if k in ("auroc", "ap")}
           for model in MODELS if model in m}
    out["transfer_seed_ensemble"] = {k: round(float(v), 3) for k, v in m["transfer_seed_ensemble"].items()}
    best_baseline = max(float(m[b]["auroc"]["mean"]) for b in ("no_transfer", "logistic_regression",
                                                                "gradient_boosting") if b in m)
    out["shown_score_at_or_above_best_baseline"] = bool(out["transfer_seed_ensemble"]["auroc"] >= round(best_baseline, 3))
    a = ad.read_h5ad(res["result"], backed="r")
    agreement = a.uns.get("seed_agreement", {})
    out["seed_agreement"] = {k: (round(float(v), 3) if isinstance(v, (float, np.floating)) else
                                 v.item() if hasattr(v, "item") else v)
                             for k, v in agreement.items() if k != "min_rank_correlation"}
    if "bulk_cv" in a.uns:
        out["bulk_cv_choice"] = dict(a.uns["bulk_cv"]["chosen"])
    out["seconds_per_stage"] = res["seconds_per_stage"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--impute", default="none", choices=limits(RunConfig, "impute")["choices"])
    ap.add_argument("--bulk-cv", action="store_true")
    ap.add_argument("--center-loss", action="store_true")
    ap.add_argument("--train-variant", action="append", default=[], type=json.loads,
                    help="model settings to change, as JSON (repeatable)")
    ap.add_argument("--only-variants", action="store_true", help="skip the default run of each pair")
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    args = ap.parse_args()
    pairs = [d for d in catalog.datasets() if d.kind == "single_cell" and d.label_column]
    report = {"seeds": args.seeds, "threshold": 0.5, "pairs": {}}
    for ds in pairs:
        # the response is found as a run finds it: scDEAL's binary labels if they name the drug, else GDSC LN_IC50
        response = "auto"
        report["pairs"][ds.id] = {"drug": ds.drug, "bulk_response": response, "label_quality": ds.label_quality}
        if not args.only_variants:
            cfg = RunConfig(drug=ds.drug, sc=ds.id, response=response, seeds=args.seeds, out=args.out)
            res = run_measured(cfg, analyse=False)
            m = res["metrics"]
            report["pairs"][ds.id].update({"cells": res["cells"], "genes": res["genes"],
                                           "wall_seconds": res["wall_seconds"], **_summary(res)})
            print(f"{ds.id}: transfer AUROC {m['transfer']['auroc']['mean']:.3f}", file=sys.stderr)
        variants = {}
        if args.center_loss:
            center = TrainConfig(lambda_center=CENTER_LOSS_ON)
            variants["with_center_loss"] = {"train": center}
            variants["on_gdsc_ccle"] = {"bulk": "gdsc+ccle"}
            variants["on_gdsc_ccle_with_center_loss"] = {"bulk": "gdsc+ccle", "train": center}
        if args.impute != "none":
            variants[f"with_{args.impute}_imputation"] = {"impute": args.impute}
        if args.bulk_cv:
            variants["with_bulk_cv_choice"] = {"bulk_cv": True}
        for change in args.train_variant:
            name = "with_" + "_".join(f"{k}_{v}" for k, v in sorted(change.items())).replace(" ", "")
            change = {k: tuple(v) if isinstance(v, list) else v for k, v in change.items()}  # hidden sizes
            variants[name] = {"train": dataclasses.replace(TrainConfig(), **change)}
        for key, change in variants.items():
            try:
                other = run_measured(RunConfig(drug=ds.drug, sc=ds.id, response=response, seeds=args.seeds,
                                               out=args.out, **change), analyse=False)
                report["pairs"][ds.id][key] = {"genes": other["genes"], **_summary(other)}
                print(f"{ds.id} {key}: transfer AUROC {other['metrics']['transfer']['auroc']['mean']:.3f}",
                      file=sys.stderr)
            except DataError as exc:
                report["pairs"][ds.id][key] = {"not_applicable": str(exc)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
