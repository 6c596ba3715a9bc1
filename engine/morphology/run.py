"""The ``morphology`` kind's run: profiles in, one result ``.h5ad`` out (treatments x features), with the
baselines and the learned model evaluated by compound hold-out, channel effect sizes and provenance.
Schema: ``engine/schema.md``, section "morphology".
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable

import anndata as ad
import numpy as np
import pandas as pd

from ..data.errors import DataError
from ..config import _slug
from ..data.install import source_checksums
from ..kinds import finish_run, start_run
from ..tools.metrics import seed_summary
from ..results import h5_safe
from .channels import channel_ranking, effect_sizes, group_ranking
from .evaluate import (classification_report, moa_average_precision, moa_map, nearest_moa,
                       nearest_moa_by_similarity, nn_accuracy,
                       phenotypic_activity)
from .profiles import (PREPROCESSED, check_profiles, control_mask, feature_annotation, feature_columns, normalize_per_plate,
                       read_profiles, select_features, treatment_profiles)
from .settings import MorphologySettings

SUBFOLDER = "morphology"


def _checksums(source: str) -> dict:
    return source_checksums([source])


def _exclude(wells: pd.DataFrame, decision_path: str) -> tuple[pd.DataFrame, dict]:
    """Leave out the wells a saved image-QC decision flagged (items named ``plate/well`` or ``well``)."""
    from ..qc import QCDecision

    decision = QCDecision.load(decision_path)
    flagged = set(map(str, decision.excluded))
    key = wells["Metadata_Plate"].astype(str) + "/" + wells["Metadata_Well"].astype(str)
    drop = key.isin(flagged) | wells["Metadata_Well"].astype(str).isin(flagged)
    record = {"name": decision.name, "created_by": decision.created_by, "created_at": decision.created_at,
              "threshold": decision.threshold, "n_flagged": len(flagged), "n_wells_left_out": int(drop.sum())}
    return wells[~drop.to_numpy()], record


def _baseline(name: str, T: np.ndarray, info: pd.DataFrame, *, null_size: int) -> tuple[dict, pd.DataFrame, pd.Series]:
    nn = nearest_moa(T, info, same_batch=True)
    per_moa = moa_map(moa_average_precision(T, info), null_size=null_size)
    metrics = {"nsc": nn_accuracy(nn, info["Metadata_moa"]),
               "nscb": nn_accuracy(nearest_moa(T, info, same_batch=False), info["Metadata_moa"]),
               "map_mean": float(per_moa["mAP"].mean()), "map_worst_moa": float(per_moa["mAP"].min()),
               "holdout": "none needed (no training)", "model": name}
    return metrics, per_moa, nn


def run(settings: MorphologySettings, *, progress: Callable[[dict], None] | None = None,
        cancel: Callable[[], bool] | None = None) -> Path:
    """Read, normalise, select, evaluate the baselines and the learned model, write the result; its path."""
    from ..tools.embedding import umap_coords
    from .model import leave_compound_out, treatment_matrix, tvn

    run_ = start_run(settings, progress=progress, cancel=cancel)
    say, timer, started, device = run_.say, run_.timer, run_.started, run_.device
    say("load", 0.0, f"reading {settings.source}")
    with timer.stage("load"):
        raw = read_profiles(settings.source)
        has_moa = "Metadata_moa" in raw
        check_profiles(raw, control=settings.control, need_moa=has_moa)
        excluded = None
        if settings.exclude:
            raw, excluded = _exclude(raw, settings.exclude)
    say("normalise", 0.05, f"{len(raw)} wells, {raw['Metadata_Plate'].nunique()} plates: per-plate "
                           f"{settings.normalize} to {settings.control}")
    with timer.stage("normalise"):
        done_before = PREPROCESSED.get(settings.source)
        normed = raw if done_before else normalize_per_plate(raw, control=settings.control, method=settings.normalize)
        wells, dropped = (raw, []) if done_before else select_features(normed, operations=settings.feature_select)
        features = feature_columns(wells)
        X = np.nan_to_num(wells[features].to_numpy(np.float64))
        ctrl = control_mask(wells, settings.control)
        info, T = treatment_profiles(wells, control=settings.control)
        X_tvn = tvn(X, ctrl)
        T_tvn = treatment_matrix(wells, X_tvn, info)

    say("activity", 0.1, "phenotypic activity (replicates against controls, copairs)")
    with timer.stage("activity"):
        try:
            activity = phenotypic_activity(wells, X, control=ctrl, null_size=settings.null_size)
        except DataError as exc:
            activity = None
            activity_skipped = str(exc)
    metrics, per_moa, predictions, classification = {}, {}, {}, {}
    if has_moa:
        say("baselines", 0.15, "cosine 1-NN on the features, and on controls-whitened (TVN) profiles")
        with timer.stage("baselines"):
            for name, P in (("cosine", T), ("tvn", T_tvn)):
                metrics[name], per_moa[name], predictions[name] = _baseline(name, P, info, null_size=settings.null_size)
        seeds = list(range(settings.seeds))
        runs = []
        with timer.stage("learned"):
            for i, seed in enumerate(seeds):
                def fold_progress(f, message, i=i):
                    say("learned", 0.2 + 0.7 * (i + f) / len(seeds), message)

                runs.append(leave_compound_out(wells, X_tvn if settings.model_input == "tvn" else X, info,
                                               control=ctrl, settings=settings, seed=seed, device=str(device),
                                               progress=fold_progress, cancel=cancel))
        truth = info["Metadata_moa"]
        maps = [moa_map(r["ap"], null_size=settings.null_size, seed=s) for r, s in zip(runs, seeds)]
        per_moa["learned"] = pd.concat([m["mAP"] for m in maps], axis=1).mean(1).to_frame("mAP")
        per_moa["learned"]["p_value"] = pd.concat([m["p_value"] for m in maps], axis=1).max(1)
        metrics["learned"] = {
            "nsc": seed_summary([nn_accuracy(r["nsc"], truth) for r in runs]),
            "nscb": seed_summary([nn_accuracy(r["nscb"], truth) for r in runs]),
            "classifier_accuracy": seed_summary([nn_accuracy(r["classifier"], truth) for r in runs]),
            "map_mean": seed_summary([float(m["mAP"].mean()) for m in maps]),
            "map_worst_moa": seed_summary([float(m["mAP"].min()) for m in maps]),
            "holdout": "leave one compound out" if settings.n_folds == 0 else f"{settings.n_folds} folds by compound",
            "model": "ProfileEmbedder (MLP, cross-entropy, control class included)", "seeds": seeds}
        # the seed ensemble: each query's similarities averaged over the seeds' models (none saw its compound)
        S = np.mean([r["similarity"] for r in runs], axis=0)
        metrics["learned_seed_ensemble"] = {
            "nsc": nn_accuracy(nearest_moa_by_similarity(S, info, same_batch=True), truth),
            "nscb": nn_accuracy(nearest_moa_by_similarity(S, info, same_batch=False), truth),
            "holdout": metrics["learned"]["holdout"], "model": f"mean similarity over {len(seeds)} seeds"}
        votes = pd.concat([r["classifier"] for r in runs], axis=1)
        predictions["classifier"] = votes.mode(axis=1)[0]
        agreement = votes.eq(predictions["classifier"], axis=0).mean(1)
        predictions["learned"] = pd.concat([r["nsc"] for r in runs], axis=1).mode(axis=1)[0]
        report_df, confusion = classification_report(truth, predictions["classifier"])
        classification = {"report": report_df, "confusion": confusion}

    say("channels", 0.92, "channel effect sizes, UMAP")
    with timer.stage("channels"):
        channels = groups = None
        if has_moa:
            d = effect_sizes(wells, control=ctrl)
            channels, groups = channel_ranking(d), group_ranking(d)
        result = ad.AnnData(T.astype(np.float32), obs=info.copy(), var=feature_annotation(features))
        result.obsm["X_tvn"] = T_tvn.astype(np.float32)
        result.obsm["X_umap"] = umap_coords(T_tvn, seed=0, n_neighbors=10)

    result.obs = result.obs.rename(columns={"Metadata_Compound": "compound", "Metadata_Concentration": "concentration",
                                            "Metadata_Batch": "batch", "Metadata_moa": "moa"})
    for col in ("compound", "batch", "moa"):
        if col in result.obs:
            result.obs[col] = result.obs[col].astype("category")
    if activity is not None:
        result.obs["activity_map"] = activity["mAP"].reindex(result.obs_names).to_numpy(float)
        result.obs["activity_p"] = activity["corrected_p_value"].reindex(result.obs_names).to_numpy(float)
        active = activity["active"].reindex(result.obs_names)
        result.obs["active"] = active.astype("boolean").fillna(False).to_numpy(bool)
    if has_moa:
        result.obsm["X_embedding"] = runs[0]["embedding"].astype(np.float32)
        result.obs["predicted_moa"] = pd.Categorical(predictions["classifier"].to_numpy(object))
        result.obs["seed_agreement"] = agreement.to_numpy(float)
        result.obs["nn_moa_learned"] = predictions["learned"].to_numpy(object).astype(str)
        result.obs["nn_moa_cosine"] = predictions["cosine"].to_numpy(object).astype(str)
        result.obs["correct"] = pd.Categorical(np.where(result.obs["predicted_moa"].astype(str) == result.obs["moa"].astype(str),
                                                        "correct", "wrong"), categories=["correct", "wrong"])
        table = pd.concat({k: v["mAP"] for k, v in per_moa.items()}, axis=1)
        table.columns = [f"mAP_{c}" for c in table.columns]
        for k, v in per_moa.items():
            table[f"p_{k}"] = v["p_value"]
        result.uns["map_per_moa"] = table
        result.uns["classification_report"] = classification["report"]
        result.uns["confusion"] = classification["confusion"]
        result.uns["channel_ranking"] = channels
        result.uns["feature_group_ranking"] = groups
    name = settings.name or f"moa__{_slug(settings.source)}__{started.replace('-', '').replace(':', '')}__{uuid.uuid4().hex[:6]}"
    intensity = [f for f in features if "_Intensity_" in f]
    result.uns["wells"] = wells[[c for c in wells.columns if c.startswith("Metadata_")] + intensity].reset_index(drop=True)
    result.uns["metrics"] = h5_safe(metrics)
    result.uns["preprocessing"] = h5_safe({
        "normalize": done_before or f"pycytominer.normalize per plate, method={settings.normalize}, "
                                    f"samples={settings.control} wells",
        "feature_select": done_before or f"pycytominer.feature_select operations={settings.feature_select}",
        "n_features_in": len(feature_columns(raw)), "n_features_kept": len(features), "n_dropped": len(dropped),
        "n_wells": len(wells), "n_control_wells": int(ctrl.sum()), "n_plates": int(wells["Metadata_Plate"].nunique()),
        "n_treatments": len(info), "treatment_profile": "median of the treatment's wells",
        "image_qc_exclusion": excluded or "", "activity_skipped": "" if activity is not None else activity_skipped})
    path = finish_run(result, settings, run_, kind="morphology", name=name, checksums=_checksums(settings.source),
                      extra_versions=("pycytominer", "copairs"))
    return path
