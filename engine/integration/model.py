"""Training the center-loss autoencoder on some cell lines and embedding others; folds grouped by cell line so
that a line's rows from every study stay on one side."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd


def line_folds(lines: np.ndarray, n_folds: int, *, seed: int = 0) -> list[np.ndarray]:
    """``n_folds`` boolean masks over the rows: each holds out a set of whole cell lines (every study's row)."""
    unique = np.array(sorted(set(lines)))
    order = np.random.default_rng(seed).permutation(unique)
    return [np.isin(lines, order[k::n_folds]) for k in range(n_folds)]


def fit_center_loss_ae(X: np.ndarray, tissue: np.ndarray, *, settings, seed: int, device: str,
                       cancel: Callable[[], bool] | None = None):
    """Train a :class:`~engine.integration.module.CenterLossAE` on rows ``X`` with tissue ids (``-1``: unknown)."""
    import torch

    from ..train import Cancelled
    from .module import CenterLossAE

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_tissues = int(tissue.max()) + 1
    model = CenterLossAE(X.shape[1], n_tissues, hidden=settings.hidden, pinch=settings.pinch,
                         activation=settings.activation, lambda_rec=settings.lambda_rec,
                         lambda_cls=settings.lambda_cls, lambda_center=settings.lambda_center).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    xt = torch.tensor(X, dtype=torch.float32, device=device)
    yt = torch.tensor(tissue, dtype=torch.long, device=device)
    model.train()
    history = []
    for epoch in range(settings.epochs):
        if cancel is not None and epoch % 20 == 0 and cancel():
            raise Cancelled("cancelled during training")
        order = rng.permutation(len(X))
        for start in range(0, len(X), settings.batch_size):
            idx = torch.as_tensor(order[start:start + settings.batch_size], device=device)
            terms = model.loss(xt[idx], yt[idx])
            opt.zero_grad()
            terms["loss"].backward()
            opt.step()
        if epoch == settings.epochs - 1 or epoch % 50 == 0:
            history.append({"epoch": epoch, **{k: float(v.detach()) for k, v in terms.items()}})
    model.eval()
    model.history = pd.DataFrame(history)
    return model


def embed(model, X: np.ndarray, device: str) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32, device=device)).cpu().numpy()


def tissue_ids(tissue: pd.Series, classes: list[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    return tissue.astype(str).map(index).fillna(-1).astype(int).to_numpy()


def permuted_by_line(tissue: np.ndarray, lines: np.ndarray, *, seed: int) -> np.ndarray:
    """The control: tissues shuffled among the lines (a line keeps one label across its studies)."""
    per_line = pd.Series(tissue, index=lines).groupby(level=0).first()
    shuffled = pd.Series(np.random.default_rng(seed).permutation(per_line.to_numpy()), index=per_line.index)
    return shuffled.reindex(lines).to_numpy()
