"""The center-loss autoencoder (after CLRNA): a narrow pinch shaped by reconstruction, a tissue classifier on the
pinch and a center loss that pulls lines of one tissue together whatever study they come from. A plain
``torch.nn`` module that owns its loss (scvi-tools style)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..module.losses import center_loss

ACTIVATION = {"selu": nn.SELU, "relu": nn.ReLU}


class CenterLossAE(nn.Module):
    def __init__(self, n_genes: int, n_tissues: int, *, hidden: int = 256, pinch: int = 32,
                 activation: str = "selu", lambda_rec: float = 1.0, lambda_cls: float = 1.0,
                 lambda_center: float = 1.0):
        super().__init__()
        act = ACTIVATION[activation]
        self.encoder = nn.Sequential(nn.Linear(n_genes, hidden), act(), nn.Linear(hidden, pinch))
        self.decoder = nn.Sequential(nn.Linear(pinch, hidden), act(), nn.Linear(hidden, n_genes))
        self.classifier = nn.Linear(pinch, n_tissues)
        self.centers = nn.Parameter(torch.zeros(n_tissues, pinch))  # learnable class centres
        self.weights = {"reconstruction": lambda_rec, "classification": lambda_cls, "center": lambda_center}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def loss(self, x: torch.Tensor, tissue: torch.Tensor) -> dict:
        """Named terms and their weighted sum ``loss``. ``tissue`` < 0 marks a line without a label (its
        classification and center terms are left out)."""
        z = self.encoder(x)
        rec = F.mse_loss(self.decoder(z), x)
        known = tissue >= 0
        if known.any():
            cls = F.cross_entropy(self.classifier(z[known]), tissue[known])
            center = center_loss(z, self.centers, tissue)
        else:
            cls = center = torch.zeros((), device=x.device)
        w = self.weights
        total = w["reconstruction"] * rec + w["classification"] * cls + w["center"] * center
        return {"loss": total, "reconstruction": rec.detach(), "classification": cls.detach(), "center": center.detach()}
