"""Settings of the ``integration`` kind: every option with its default and its choices, in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..config import _check, _opt, check_run_fields
from ..data.errors import DataError

ACTIVATIONS = ("selu", "relu")


@dataclass
class IntegrationSettings:
    """Fixed in advance (no tuning on held-out lines): a pinch of 32, SELU, equal weights."""

    sources: tuple[str, ...] = _opt(("gdsc", "ccle"), help="bulk sources: gdsc, ccle or .h5ad files")
    pinch: int = _opt(32, low=2, high=512, help="pinch (latent) size")
    hidden: int = _opt(256, low=8, high=4096, help="hidden units")
    activation: str = _opt("selu", choices=ACTIVATIONS, help="activation")
    lambda_rec: float = _opt(1.0, low=0.0, high=1e3, help="reconstruction weight")
    lambda_cls: float = _opt(1.0, low=0.0, high=1e3, help="tissue-classifier weight")
    lambda_center: float = _opt(1.0, low=0.0, high=1e3, help="center-loss weight")
    epochs: int = _opt(200, low=1, high=5000, help="epochs")
    lr: float = _opt(1e-3, low=0.0, high=1.0, low_open=True, help="learning rate")
    weight_decay: float = _opt(1e-4, low=0.0, high=1.0, help="weight decay")
    batch_size: int = _opt(128, low=8, high=65536, help="batch size")
    n_folds: int = _opt(5, low=2, high=20, help="folds grouped by cell line")
    seeds: int = _opt(3, low=1, high=20, help="seeds")
    permutation_control: bool = _opt(True, help="also train on permuted tissue labels (a control: it must not gain)")
    device: str = "auto"
    out: str = "precomputed"
    name: str | None = None
    owner: str = ""
    visibility: str = "everyone"

    def validate(self, *, check_out: bool = True) -> "IntegrationSettings":
        if isinstance(self.sources, str):
            self.sources = tuple(s for s in self.sources.replace(",", " ").split() if s)
        self.sources = tuple(self.sources)
        if len(set(self.sources)) < 2:
            raise DataError("Choose at least two bulk sources")
        _check(self)
        check_run_fields(self, check_out=check_out)
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sources"] = list(self.sources)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "IntegrationSettings":
        d = dict(d)
        if "sources" in d and not isinstance(d["sources"], str):
            d["sources"] = tuple(d["sources"])
        return cls(**d)
