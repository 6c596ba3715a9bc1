"""Domain-alignment losses between two batches of latent codes, and the center loss on groups (tissues)."""

from __future__ import annotations

import torch
from torch import nn

BANDWIDTH_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)


def mmd(x: torch.Tensor, y: torch.Tensor, *, factors=BANDWIDTH_FACTORS) -> torch.Tensor:
    """Multi-bandwidth Gaussian-kernel MMD^2 (biased estimate).

    Bandwidths are the median squared pairwise distance of the pooled batch times ``factors``
    (detached), so shrinking the latent space cannot lower the loss by itself.
    """
    z = torch.cat([x, y])
    d2 = torch.cdist(z, z).pow(2)
    base = d2.detach()[d2 > 0].median() if (d2 > 0).any() else d2.new_tensor(1.0)
    k = sum(torch.exp(-d2 / (base * f)) for f in factors) / len(factors)
    n = x.shape[0]
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()


def coral(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CORAL: squared Frobenius distance of the two covariance matrices, over 4 d^2."""
    d = x.shape[1]

    def cov(a):
        a = a - a.mean(0, keepdim=True)
        return a.T @ a / max(a.shape[0] - 1, 1)

    return (cov(x) - cov(y)).pow(2).sum() / (4 * d * d)


ALIGNERS = {"mmd": mmd, "coral": coral}


def center_loss(z: torch.Tensor, centers: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """Center loss (Wen et al. 2016, as CLRNA uses it): mean squared distance of each code to its group's centre.
    ``groups`` < 0 marks rows without a group; they are left out (0 when none has one)."""
    known = groups >= 0
    if not known.any():
        return z.new_zeros(())
    return ((z[known] - centers[groups[known]]) ** 2).sum(1).mean()


class GroupCenters(nn.Module):
    """Learnable centres of ``n_groups`` groups (tissues) in an ``n_latent``-dimensional latent space; its loss
    pulls each code to its group's centre, whatever study (or domain) the row comes from."""

    def __init__(self, n_groups: int, n_latent: int):
        super().__init__()
        self.centers = nn.Parameter(torch.zeros(n_groups, n_latent))

    def loss(self, z: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        return center_loss(z, self.centers, groups)
