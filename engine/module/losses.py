"""Domain-alignment losses between two batches of latent codes."""

from __future__ import annotations

import torch

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
