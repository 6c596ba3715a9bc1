"""Plain ``torch.nn`` modules: encoders (AE, denoising AE, VAE), decoders, predictor head,
and the network that ties them for bulk-to-single-cell transfer."""

from __future__ import annotations

import torch
from torch import nn

ENCODER_TYPES = ("ae", "dae", "vae")


def mlp(sizes: list[int], *, dropout: float, last_activation: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or last_activation:
            layers += [nn.LayerNorm(b), nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """Genes -> latent, with a nonlinearity between layers; ``variational`` adds mean and log-variance heads."""

    def __init__(self, n_input: int, hidden: tuple[int, ...], n_latent: int, *, dropout: float, variational: bool):
        super().__init__()
        self.body = mlp([n_input, *hidden], dropout=dropout, last_activation=True)
        self.mean = nn.Linear(hidden[-1], n_latent)
        self.logvar = nn.Linear(hidden[-1], n_latent) if variational else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.body(x)
        return self.mean(h), (self.logvar(h).clamp(-10, 10) if self.logvar is not None else None)


class Decoder(nn.Module):
    def __init__(self, n_latent: int, hidden: tuple[int, ...], n_output: int, *, dropout: float):
        super().__init__()
        self.net = mlp([n_latent, *reversed(hidden), n_output], dropout=dropout, last_activation=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Predictor(nn.Module):
    """Latent -> logit of 'sensitive'."""

    def __init__(self, n_latent: int, n_hidden: int, *, dropout: float):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_latent, n_hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(n_hidden, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(-1)


class TransferNetwork(nn.Module):
    """One encoder shared by both domains, a predictor head, and one decoder per domain.

    Sharing the encoder keeps bulk and cells in one coordinate system, so the predictor's
    direction learned on bulk holds for cells (the failure where the score flips cannot arise
    from two encoders drifting apart).
    """

    def __init__(self, n_genes: int, *, encoder_type: str = "ae", hidden: tuple[int, ...] = (256,),
                 n_latent: int = 64, predictor_hidden: int = 32, dropout: float = 0.3, noise: float = 0.2):
        super().__init__()
        if encoder_type not in ENCODER_TYPES:
            raise ValueError(f"encoder_type must be one of {ENCODER_TYPES}, not {encoder_type!r}")
        self.encoder_type, self.noise = encoder_type, noise
        self.encoder = Encoder(n_genes, hidden, n_latent, dropout=dropout, variational=encoder_type == "vae")
        self.predictor = Predictor(n_latent, predictor_hidden, dropout=dropout)
        self.decoders = nn.ModuleDict({d: Decoder(n_latent, hidden, n_genes, dropout=dropout) for d in ("bulk", "sc")})

    def encode(self, x: torch.Tensor, *, sample: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent code and KL term (0 unless VAE). ``sample`` draws from the posterior (training)."""
        if self.encoder_type == "dae" and self.training:
            x = x * (torch.rand_like(x) > self.noise)  # masking noise; the target stays the clean x
        mean, logvar = self.encoder(x)
        if logvar is None:
            return mean, mean.new_zeros(())
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mean.pow(2) - logvar.exp(), dim=1))
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp() if sample else mean
        return z, kl

    def forward(self, x: torch.Tensor, domain: str) -> dict[str, torch.Tensor]:
        z, kl = self.encode(x, sample=self.training)
        return {"z": z, "kl": kl, "logit": self.predictor(z), "recon": self.decoders[domain](z)}


class _MeanOverMembers(nn.Module):
    """One part of each member (its predictor head, or its decoder of one domain), each applied to its own member's
    slice of the joined latent code; their outputs averaged."""

    def __init__(self, parts: list[nn.Module], n_latent: int):
        super().__init__()
        self.parts, self.n_latent = nn.ModuleList(parts), n_latent

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.stack([part(code) for part, code in zip(self.parts, z.split(self.n_latent, dim=-1))]).mean(0)


class MemberEnsemble(nn.Module):
    """Several :class:`TransferNetwork` members read as one network with the same interface.

    The latent code is the members' codes side by side (``n_latent`` x members columns: a kNN graph on it sums the
    members' distances), the logit is the mean of the members' logits, a reconstruction the mean of theirs. Each
    member is trained on its own (see :func:`engine.train.train`); this module only reads them together.
    """

    def __init__(self, members: list[TransferNetwork]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)
        n_latent = members[0].encoder.mean.out_features
        self.predictor = _MeanOverMembers([m.predictor for m in members], n_latent)
        self.decoders = nn.ModuleDict({d: _MeanOverMembers([m.decoders[d] for m in members], n_latent)
                                       for d in ("bulk", "sc")})

    def encode(self, x: torch.Tensor, *, sample: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        codes = [m.encode(x, sample=sample) for m in self.members]
        return torch.cat([z for z, _ in codes], dim=-1), torch.stack([kl for _, kl in codes]).mean()

    def forward(self, x: torch.Tensor, domain: str) -> dict[str, torch.Tensor]:
        z, kl = self.encode(x, sample=self.training)
        return {"z": z, "kl": kl, "logit": self.predictor(z), "recon": self.decoders[domain](z)}
