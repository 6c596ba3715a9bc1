"""The profile embedding: a plain ``torch.nn`` module that owns its loss (scvi-tools style)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class ProfileEmbedder(nn.Module):
    """Well profile -> embedding (used for retrieval and 1-NN) -> MoA logits (the classifier head).

    Trained with class-balanced cross-entropy on wells of the training compounds, the control included as a
    class (so the embedding learns what "no effect" looks like); Gaussian input noise regularises it.
    """

    def __init__(self, n_features: int, n_classes: int, *, hidden: int = 256, n_embedding: int = 32,
                 dropout: float = 0.3, noise: float = 0.3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, n_embedding))
        self.head = nn.Linear(n_embedding, n_classes)
        self.noise = noise

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encoder(x)
        return z, self.head(z)

    def loss(self, x: torch.Tensor, y: torch.Tensor, *, class_weight: torch.Tensor | None = None) -> dict:
        """Named loss terms; ``loss`` is what the optimiser minimises."""
        if self.training and self.noise > 0:
            x = x + self.noise * torch.randn_like(x)
        _, logits = self(x)
        ce = F.cross_entropy(logits, y, weight=class_weight)
        return {"loss": ce, "cross_entropy": ce.detach()}
