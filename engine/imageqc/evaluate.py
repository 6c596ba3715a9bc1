"""How well image QC finds artefacts: simulated on held-out tiles of real fields, scored by a forest fitted on
the other fields' tiles, against the best single metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .artefacts import ARTEFACTS, simulate
from .images import dtype_max, list_images, read_image, tiles
from .metrics import image_metrics
from .run import FOREST_METRICS


def _robust_z(X: np.ndarray, ref: np.ndarray) -> np.ndarray:
    med = np.median(ref, 0)
    mad = np.median(np.abs(ref - med), 0) * 1.4826
    scale = np.where(mad > 0, mad, np.where(ref.std(0) > 0, ref.std(0), 1.0))
    return (X - med) / scale


def artefact_detection(source: str, *, tile: int = 128, seed: int = 0, n_estimators: int = 200,
                       held_out_share: float = 0.5, artefact_share: float = 0.1,
                       metrics: tuple[str, ...] = FOREST_METRICS) -> dict:
    """Detection AUROC per artefact type for the isolation forest and for every single metric.

    Tiles are split in two by ``seed``, within each channel; each tile of the held-out part is scored clean and
    with each simulated artefact. Two protocols:

    * ``forest`` (as the app runs it): for each artefact, the forest is fitted, without labels, on the screen it
      scores: the other part's clean tiles plus the held-out tiles, ``artefact_share`` of which carry the artefact.
      AUROC over the held-out tiles (artefact against clean).
    * ``forest_clean_fit``: the forest is fitted on the other part's clean tiles only, and scores every held-out
      tile clean and with the artefact. An isolation forest cannot rank points beyond the range it was fitted on
      (they all score as its most extreme sample), so this protocol understates what it finds in a real screen.

    A single metric's AUROC is taken in its better direction (an optimistic baseline), on the ``forest`` set.

    Returns
    -------
    ``forest``, ``forest_clean_fit`` {artefact: AUROC}, ``best_single`` {artefact: (metric, AUROC)}, ``single``
    (DataFrame metric x artefact), ``n_train_tiles``, ``n_test_tiles``.
    """
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    train, test = [], {"clean": [], **{a: [] for a in ARTEFACTS}}
    by_channel: dict[str, list] = {}
    for f in list_images(source):
        img, sat = read_image(f.path), dtype_max(f.path)
        by_channel.setdefault(f.channel, []).extend((f.channel, sat, t) for _, _, t in tiles(img, tile))
    for channel, items in sorted(by_channel.items()):
        held = set(rng.permutation(len(items))[: max(1, int(round(held_out_share * len(items))))])
        for i, (_, sat, t) in enumerate(items):
            if i not in held:
                train.append({"channel": channel, **image_metrics(t, saturation=sat)})
                continue
            test["clean"].append({"channel": channel, **image_metrics(t, saturation=sat)})
            for a in ARTEFACTS:
                bad = simulate(t, a, rng=rng, saturation=sat)
                test[a].append({"channel": channel, **image_metrics(bad, saturation=sat)})
    train_df = pd.DataFrame(train)
    cols = [m for m in metrics if train_df[m].nunique() > 1]

    def z(rows: pd.DataFrame) -> np.ndarray:  # each channel against its own training tiles
        out = np.zeros((len(rows), len(cols)))
        for channel, idx in rows.groupby("channel").indices.items():
            ref = train_df.loc[train_df["channel"] == channel, cols].to_numpy(float)
            ref = ref if len(ref) else train_df[cols].to_numpy(float)
            out[idx] = _robust_z(rows.iloc[idx][cols].to_numpy(float), ref)
        return np.nan_to_num(out)

    clean_fit = IsolationForest(n_estimators=n_estimators, random_state=seed).fit(z(train_df))
    clean = pd.DataFrame(test["clean"])
    out, out_clean_fit, single = {}, {}, {}
    for a in ARTEFACTS:
        bad_all = pd.DataFrame(test[a])
        y_all = np.r_[np.zeros(len(clean)), np.ones(len(bad_all))]
        out_clean_fit[a] = float(roc_auc_score(y_all, -clean_fit.score_samples(z(pd.concat([clean, bad_all])))))
        # the screen: most held-out tiles clean, a share with the artefact (each tile once)
        hit = rng.random(len(clean)) < artefact_share
        hit[rng.integers(len(clean))] = True
        screen = pd.concat([clean[~hit], bad_all[hit]], ignore_index=True)
        y = np.r_[np.zeros((~hit).sum()), np.ones(hit.sum())]
        forest = IsolationForest(n_estimators=n_estimators, random_state=seed).fit(z(pd.concat([train_df, screen])))
        out[a] = float(roc_auc_score(y, -forest.score_samples(z(screen))))
        single[a] = {m: float(max(auc := roc_auc_score(y, screen[m]), 1 - auc)) for m in clean.columns if m != "channel"}
    single = pd.DataFrame(single)
    best = {a: (str(single[a].idxmax()), float(single[a].max())) for a in ARTEFACTS}
    return {"forest": out, "forest_clean_fit": out_clean_fit, "best_single": best, "single": single, "metrics": cols,
            "n_train_tiles": len(train), "n_test_tiles": len(clean)}
