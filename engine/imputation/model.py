"""Training of the masked autoencoder (a small loop: minibatches of cells, Adam, early stopping on held-out
cells' hidden values, seeds, device, cancel)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .module import MaskedAutoencoder


def fit_masked_autoencoder(X: np.ndarray, *, seed: int, device: str = "auto", epochs: int, hidden: int,
                           n_latent: int, hide_rate: float, patience: int, batch_size: int = 128, lr: float = 1e-3,
                           cancel: Callable[[], bool] | None = None) -> tuple[MaskedAutoencoder, list[dict]]:
    """The fitted network (best epoch on 10 % held-out cells) and its history."""
    from ..train import Cancelled, resolve_device, set_seed

    set_seed(seed)
    dev = resolve_device(device)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    n_val = max(1, len(X) // 10) if len(X) >= 20 else 0
    val, train = order[:n_val], order[n_val:]
    data = torch.as_tensor(np.asarray(X, np.float32), device=dev)
    net = MaskedAutoencoder(X.shape[1], hidden=hidden, n_latent=n_latent, hide_rate=hide_rate).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-5)
    best, best_state, waited, history = np.inf, None, 0, []
    val_gen = torch.Generator(device=dev).manual_seed(seed + 1)
    for epoch in range(epochs):
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled at imputation epoch {epoch}")
        net.train()
        perm = torch.as_tensor(rng.permutation(train), device=dev)
        total = 0.0
        for start in range(0, len(perm), batch_size):
            terms = net.loss(data[perm[start:start + batch_size]])
            opt.zero_grad()
            terms["loss"].backward()
            opt.step()
            total += float(terms["hidden"].detach()) * len(perm[start:start + batch_size])
        row = {"epoch": epoch + 1, "train_hidden_mse": total / max(len(train), 1)}
        if n_val:
            net.eval()
            with torch.no_grad():
                x = data[torch.as_tensor(val, device=dev)]
                hide = (x > 0) & (torch.rand(x.shape, generator=val_gen, device=dev) < hide_rate)
                err = float((((net(x * ~hide) - x) ** 2) * hide).sum() / hide.sum().clamp(min=1))
            row["val_hidden_mse"] = err
            if err < best - 1e-5:
                best, waited = err, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                waited += 1
        history.append(row)
        if n_val and waited >= patience:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    return net.eval(), history


def predict(net: MaskedAutoencoder, X: np.ndarray, *, batch_size: int = 4096) -> np.ndarray:
    """The network's value for every entry (what each gene would read if captured)."""
    dev = next(net.parameters()).device
    out = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            out.append(net(torch.as_tensor(np.asarray(X[start:start + batch_size], np.float32), device=dev)).cpu().numpy())
    return np.concatenate(out).astype(np.float32)
