"""Run and training settings as plain dataclasses: importing them loads no torch (the web process uses them).

``RunConfig`` (a run: data, seeds, output) holds a ``TrainConfig`` (the model and its training).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .data import catalog
from .tools.metrics import DEFAULT_THRESHOLD


@dataclass
class TrainConfig:
    """Settings, fixed in advance (see README, 'Scientific honesty'); none is tuned on single-cell labels."""

    encoder_type: str = "ae"
    hidden: tuple[int, ...] = (256,)
    n_latent: int = 64
    predictor_hidden: int = 32
    dropout: float = 0.3
    noise: float = 0.2  # masking rate of the denoising AE
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 128
    pretrain_epochs: int = 100
    patience: int = 10
    transfer_epochs: int = 30
    aligner: str = "mmd"
    lambda_align: float = 1.0
    lambda_rec: float = 0.5
    beta_kl: float = 1e-3
    val_fraction: float = 0.2
    device: str = "auto"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        if "hidden" in d:
            d["hidden"] = tuple(int(h) for h in d["hidden"])
        return cls(**d)


@dataclass
class RunConfig:
    drug: str
    sc: str
    bulk: str = "gdsc"
    response: str = "binary"
    screen: str = "GDSC2"
    sc_labels: str | None = None
    label_column: str | None = "response"  # None: no labels
    seeds: int = 5
    first_seed: int = 0
    n_top_genes: int | None = None
    threshold: float = DEFAULT_THRESHOLD
    out: str = "precomputed"
    name: str | None = None
    save_models: bool = True
    qc: str | None = None  # a saved QC decision (engine.qc): its excluded cells are left out
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train"] = self.train.to_dict()
        return d


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-")[:40] or "run"


def run_name(cfg: RunConfig, started: str) -> str:
    sc_name = cfg.sc if catalog.is_dataset_id(cfg.sc) else Path(cfg.sc).stem
    stamp = started.replace("-", "").replace(":", "").replace("T", "-").rstrip("Z")
    return cfg.name or f"{_slug(cfg.drug)}__{_slug(sc_name)}__{stamp}__{uuid.uuid4().hex[:6]}"


def config_from_dict(d: dict) -> RunConfig:
    d = dict(d)
    return RunConfig(train=TrainConfig.from_dict(d.pop("train", {}) or {}), **d)
