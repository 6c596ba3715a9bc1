"""A masked autoencoder for dropout imputation: a plain ``torch.nn`` module that owns its loss (scvi-tools style).

Self-supervised on the data it is given: each step hides a random share of the *visible* non-zero values and
learns to give them back from the rest of the cell. It never sees which entries an evaluation masked (those
are zeros to it, like every other dropout), so the evaluation's mask cannot leak into it.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..module.networks import mlp


class MaskedAutoencoder(nn.Module):
    def __init__(self, n_genes: int, *, hidden: int = 256, n_latent: int = 64, dropout: float = 0.1,
                 hide_rate: float = 0.25):
        super().__init__()
        self.hide_rate = hide_rate
        self.encoder = mlp([n_genes, hidden, n_latent], dropout=dropout, last_activation=False)
        self.decoder = mlp([n_latent, hidden, n_genes], dropout=dropout, last_activation=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The value each gene would have in this cell if it were captured (non-negative)."""
        return F.softplus(self.decoder(self.encoder(x)))

    def get_latent(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def loss(self, x: torch.Tensor) -> dict:
        """Hide ``hide_rate`` of the non-zero entries of ``x``; the loss is the squared error on them only
        (a zero may be a true zero or a dropout: it is never a target)."""
        nonzero = x > 0
        hide = nonzero & (torch.rand_like(x) < self.hide_rate)
        recon = self(x * ~hide)
        n = hide.sum().clamp(min=1)
        hidden = ((recon - x) ** 2 * hide).sum() / n
        seen = ((recon - x) ** 2 * (nonzero & ~hide)).sum() / (nonzero & ~hide).sum().clamp(min=1)
        return {"loss": hidden + 0.1 * seen, "hidden": hidden, "seen": seen}
