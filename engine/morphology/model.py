"""Learned MoA models, always beside label-free baselines, evaluated without the held-out compound.

* ``cosine``: the treatment profiles as given (after normalisation and feature selection), cosine 1-NN.
* ``tvn``: typical variation normalisation (PCA whitening fitted on the control wells only; Ando et al. 2017):
  label-free, so it needs no hold-out.
* ``learned``: :class:`~engine.morphology.module.ProfileEmbedder`, trained once per fold on the wells of the
  other compounds (leave one compound out, or folds grouped by compound); the held-out compound's treatments
  are embedded by that fold's model and compared with every other treatment in the same space.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .evaluate import cosine_similarity, moa_average_precision, nearest_moa


def tvn(X: np.ndarray, control: np.ndarray) -> np.ndarray:
    """``X`` whitened by a PCA fitted on the control wells.

    At most one component per two control wells (a rule fixed in advance, label-free): with fewer controls than
    features, the last components of a full whitening are noise blown up to unit variance.
    """
    from sklearn.decomposition import PCA

    Xc = np.nan_to_num(X[control])
    n = int(min(X.shape[1], max(2, control.sum() // 2)))
    pca = PCA(n_components=n, whiten=True, svd_solver="full", random_state=0).fit(Xc)
    return pca.transform(np.nan_to_num(X))


def treatment_matrix(wells: pd.DataFrame, X: np.ndarray, info: pd.DataFrame) -> np.ndarray:
    """Median of ``X`` over each treatment's wells (the rows of ``info``)."""
    key = wells["Metadata_Compound"].astype(str) + " @ " + wells["Metadata_Concentration"].map("{:g}".format)
    frame = pd.DataFrame(X, index=key.to_numpy())
    return frame.groupby(level=0).median().reindex(info.index).to_numpy()


def compound_folds(compounds: np.ndarray, n_folds: int, seed: int) -> list[np.ndarray]:
    """Held-out compound sets: one per compound (``n_folds=0``) or ``n_folds`` groups, shuffled by ``seed``."""
    unique = np.array(sorted(set(compounds)))
    if n_folds == 0 or n_folds >= len(unique):
        return [np.array([c]) for c in unique]
    order = np.random.default_rng(seed).permutation(unique)
    return [order[i::n_folds] for i in range(n_folds)]


def fit_embedder(X: np.ndarray, y: np.ndarray, n_classes: int, *, settings, seed: int, device: str,
                 cancel: Callable[[], bool] | None = None):
    """Train a :class:`ProfileEmbedder` on wells ``X`` with class ids ``y`` (full batch, AdamW)."""
    import torch

    from ..train import Cancelled
    from .module import ProfileEmbedder

    torch.manual_seed(seed)
    model = ProfileEmbedder(X.shape[1], n_classes, hidden=settings.hidden, n_embedding=settings.embedding_dim,
                            dropout=settings.dropout, noise=settings.noise).to(device)
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    weight = torch.tensor(np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / n_classes, 0.0),
                          dtype=torch.float32, device=device)
    xt = torch.tensor(X, dtype=torch.float32, device=device)
    yt = torch.tensor(y, dtype=torch.long, device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    model.train()
    for epoch in range(settings.epochs):
        if cancel is not None and epoch % 50 == 0 and cancel():
            raise Cancelled("cancelled during training")
        opt.zero_grad()
        model.loss(xt, yt, class_weight=weight)["loss"].backward()
        opt.step()
    model.eval()
    return model


def embed(model, X: np.ndarray, device: str) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings and class probabilities of ``X``."""
    import torch

    with torch.no_grad():
        z, logits = model(torch.tensor(X, dtype=torch.float32, device=device))
        return z.cpu().numpy(), torch.softmax(logits, 1).cpu().numpy()


def leave_compound_out(wells: pd.DataFrame, X: np.ndarray, info: pd.DataFrame, *, control: np.ndarray, settings,
                       seed: int, device: str, progress: Callable[[float, str], None] | None = None,
                       cancel: Callable[[], bool] | None = None) -> dict:
    """Train one model per fold without its compounds; predict those compounds' treatments.

    Returns
    -------
    ``nsc`` / ``nscb`` (neighbour MoA per treatment, from the fold's embedding), ``classifier`` (the head's
    MoA per treatment: mean probability over its wells, control class excluded), ``ap`` (copairs AP rows of each
    fold's held-out treatments), ``embedding`` (out-of-fold treatment embeddings, for display only),
    ``similarity`` (row q: treatment q against all, in the model that did not see q's compound).
    """
    say = progress or (lambda f, m: None)
    classes = sorted(set(wells["Metadata_moa"]))
    index = {c: i for i, c in enumerate(classes)}
    y = wells["Metadata_moa"].map(index).to_numpy()
    control_class = wells.loc[control, "Metadata_moa"].mode()
    control_id = index[control_class.iloc[0]] if len(control_class) else -1
    compound = wells["Metadata_Compound"].to_numpy()
    treat_compound = info["Metadata_Compound"].to_numpy()
    held_out_compounds = sorted(set(treat_compound))
    folds = compound_folds(np.array(held_out_compounds), settings.n_folds, seed)
    nsc = pd.Series(np.nan, index=info.index, dtype=object)
    nscb, classifier = nsc.copy(), nsc.copy()
    aps, embedding = [], np.zeros((len(info), settings.embedding_dim))
    similarity = np.zeros((len(info), len(info)))
    for k, held in enumerate(folds):
        say(k / len(folds), f"seed {seed}: fold {k + 1}/{len(folds)} (held out: {', '.join(map(str, held[:3]))}"
                            f"{'...' if len(held) > 3 else ''})")
        train = ~np.isin(compound, held)
        model = fit_embedder(X[train], y[train], len(classes), settings=settings, seed=seed, device=device,
                             cancel=cancel)
        Z, proba = embed(model, X, device)
        T = treatment_matrix(wells, Z, info)
        queries = np.isin(treat_compound, held)
        nsc[queries] = nearest_moa(T, info, queries=queries, same_batch=True)[queries]
        nscb[queries] = nearest_moa(T, info, queries=queries, same_batch=False)[queries]
        aps.append(moa_average_precision(T, info, queries=queries))
        embedding[queries] = T[queries]
        similarity[queries] = cosine_similarity(T)[queries]
        if control_id >= 0:
            proba[:, control_id] = 0.0
        mean_proba = treatment_matrix(wells, proba, info)
        classifier[queries] = np.asarray(classes)[mean_proba[queries].argmax(1)]
    return {"nsc": nsc, "nscb": nscb, "classifier": classifier, "ap": pd.concat(aps), "embedding": embedding,
            "similarity": similarity}
