"""Run and training settings as plain dataclasses: importing them loads no torch (the web process uses them).

``RunConfig`` (a run: data, seeds, output) holds a ``TrainConfig`` (the model and its training). Each field's
choices or range live in its metadata, the one source that ``validate()``, the CLI and the Train page read.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from argparse import BooleanOptionalAction
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

from .data import catalog
from .data.bulk import RESPONSES as BULK_RESPONSES, SCREENS
from .data.errors import DataError
from .imputation.methods import METHODS as IMPUTATION_METHODS
from .tools.metrics import DEFAULT_THRESHOLD

ENCODERS = ("ae", "dae", "vae")
ALIGNERS = ("mmd", "coral", "none")
RESPONSES = ("auto", *BULK_RESPONSES)  # auto: scDEAL's binary labels when they name the drug, else GDSC LN_IC50
DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d{1,2})?)$")


def _opt(default, *, choices=None, low=None, high=None, low_open=False, high_open=False, help=""):
    """A field with its allowed values: ``choices``, or a range [low, high] (ends open where said)."""
    meta = {"choices": choices, "low": low, "high": high, "low_open": low_open, "high_open": high_open, "help": help}
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata=meta)
    return field(default=default, metadata=meta)


def limits(cls, name: str) -> dict:
    """The metadata (choices, low, high, ...) of one field of a settings dataclass."""
    return next(f.metadata for f in fields(cls) if f.name == name)


def _check(obj) -> None:
    for f in fields(obj):
        meta, value = f.metadata, getattr(obj, f.name)
        if not meta or value is None:
            continue
        label = meta.get("help") or f.name.replace("_", " ")
        if meta["choices"] is not None:
            if value not in meta["choices"]:
                raise DataError(f"{label}: {value!r} is not one of {', '.join(map(str, meta['choices']))}")
            continue
        if meta["low"] is None and meta["high"] is None:  # free text or a flag: its owner checks it
            continue
        values = value if isinstance(value, (tuple, list)) else (value,)
        if not values:
            raise DataError(f"{label}: give at least one value")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not math.isfinite(v)):
                raise DataError(f"{label}: {v!r} is not a number")
            whole = "int" in str(f.type) and "float" not in str(f.type)
            if whole and not float(v).is_integer():
                raise DataError(f"{label}: {v!r} is not a whole number")
            lo, hi = meta["low"], meta["high"]
            if lo is not None and (v < lo or (meta["low_open"] and v == lo)):
                raise DataError(f"{label}: {v!r} is too small (it must be {'above' if meta['low_open'] else 'at least'} {lo:g})")
            if hi is not None and (v > hi or (meta["high_open"] and v == hi)):
                raise DataError(f"{label}: {v!r} is too large (it must be {'below' if meta['high_open'] else 'at most'} {hi:g})")
        if "int" in str(f.type) and "float" not in str(f.type):  # 3.0 from a number input is the whole number 3
            setattr(obj, f.name, tuple(int(v) for v in values) if isinstance(value, (tuple, list)) else int(value))


# the center-loss weight a person turns on (CLI --center-loss, the Train page's check box, the benchmark): fixed in
# advance, as every default; the lines' tissues are DepMap lineages (several sources) or GDSC tissues (one)
CENTER_LOSS_ON = 0.1
# bulk training sets offered by name (a path to an .h5ad, or catalog ids joined by '+', are taken too)
BULK_SOURCES = {"gdsc": "GDSC (975 lines, all genes)", "gdsc+ccle": "GDSC + CCLE rows of the same lines (shared genes)"}


@dataclass
class TrainConfig:
    """Settings, fixed in advance (see README, 'Scientific honesty'); none is tuned on single-cell labels."""

    encoder_type: str = _opt("vae", choices=ENCODERS, help="encoder")
    hidden: tuple[int, ...] = _opt((256,), low=1, high=8192, help="hidden layer sizes")
    n_latent: int = _opt(64, low=2, high=1024, help="latent dimensions")
    predictor_hidden: int = _opt(32, low=1, high=4096, help="predictor hidden size")
    dropout: float = _opt(0.3, low=0.0, high=1.0, high_open=True, help="dropout")
    noise: float = _opt(0.2, low=0.0, high=1.0, high_open=True, help="masking rate of the denoising AE")
    lr: float = _opt(1e-3, low=0.0, high=1.0, low_open=True, help="learning rate")
    weight_decay: float = _opt(1e-4, low=0.0, high=1.0, help="weight decay")
    batch_size: int = _opt(128, low=4, high=65536, help="batch size")
    pretrain_epochs: int = _opt(100, low=1, high=1000, help="bulk epochs")
    patience: int = _opt(5, low=1, high=1000, help="patience")
    members: int = _opt(10, low=1, high=20, help="networks per seed: cross-fitted over the bulk lines (each holds "
                                               "out its own fold to choose its checkpoints), logits averaged")
    transfer_epochs: int = _opt(30, low=0, high=1000, help="transfer epochs")
    transfer_lr_factor: float = _opt(1.0, low=0.0, high=1.0, low_open=True,
                                     help="transfer-stage learning rate, as a fraction of the learning rate")
    aligner: str = _opt("mmd", choices=ALIGNERS, help="aligner")
    lambda_align: float = _opt(1.0, low=0.0, high=1e3, help="alignment weight")
    average_transfer: bool = _opt(False, help="average the transfer stage's weights over its second half "
                                              "(label-free) instead of keeping its best epoch")
    lambda_rec: float = _opt(0.5, low=0.0, high=1e3, help="reconstruction weight")
    lambda_center: float = _opt(0.0, low=0.0, high=1e3, help="center-loss weight: pulls the bulk lines of one "
                                                             "tissue together in the latent space, whatever study "
                                                             "they come from (0 = off; needs bulk obs['tissue'])")
    beta_kl: float = _opt(1e-3, low=0.0, high=1e3, help="KL weight")
    val_fraction: float = _opt(0.2, low=0.0, high=0.5, low_open=True, help="bulk validation fraction")
    device: str = "auto"

    def validate(self) -> "TrainConfig":
        """Check every setting before any work starts; a DataError in plain words names the first bad one."""
        _check(self)
        if not isinstance(self.device, str) or not DEVICE_PATTERN.match(self.device):
            raise DataError(f"device: {self.device!r} is not auto, cpu, cuda or cuda:N")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d.setdefault("members", 1)  # configs written before members existed trained one network per seed
        if "hidden" in d:
            d["hidden"] = tuple(int(h) for h in d["hidden"])
        return cls(**d)


@dataclass
class RunConfig:
    drug: str
    sc: str
    bulk: str = "gdsc"
    response: str = _opt("auto", choices=RESPONSES, help="bulk response")
    screen: str = _opt("GDSC2", choices=SCREENS, help="GDSC screen")
    sc_labels: str | None = None
    label_column: str | None = "response"  # None: no labels
    seeds: int = _opt(5, low=1, high=20, help="seeds")
    first_seed: int = _opt(0, low=0, high=2**31 - 1, help="first seed")
    n_top_genes: int | None = _opt(None, low=50, high=100_000, help="highly variable genes")
    impute: str = _opt("none", choices=("none", *IMPUTATION_METHODS), help="impute the cells' dropouts first")
    bulk_cv: bool = _opt(False, help="choose the model's width and dropout by 5-fold CV on the bulk lines")
    threshold: float = _opt(DEFAULT_THRESHOLD, low=0.0, high=1.0, low_open=True, high_open=True, help="threshold")
    out: str = "precomputed"
    name: str | None = None
    save_models: bool = True
    qc: str | None = None  # a saved QC decision (engine.qc): its excluded cells are left out
    owner: str = ""  # who launched it ("" = the machine's operator, from the CLI)
    visibility: str = "everyone"  # who may open the result: "private", "everyone" or "users:alice,bob"
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self, *, check_out: bool = True) -> "RunConfig":
        """Check every setting (and that ``out`` is a writable folder) before any data are read."""
        _check(self)
        self.train.validate()
        check_run_fields(self, check_out=check_out)
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train"] = self.train.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        return config_from_dict(d)


NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
VISIBILITY_PATTERN = re.compile(r"^(private|everyone|users:[A-Za-z0-9_.@-]{1,64}(,[A-Za-z0-9_.@-]{1,64})*)$")


def check_run_fields(settings, *, check_out: bool = True) -> None:
    """What every kind's settings check alike: who may see the result, a plain result name (no folders), and
    a writable output folder."""
    visibility = getattr(settings, "visibility", "everyone")
    if not VISIBILITY_PATTERN.match(str(visibility)):
        raise DataError(f"visibility {visibility!r}: use private, everyone or users:NAME,NAME")
    if getattr(settings, "name", None) is not None and not NAME_PATTERN.match(str(settings.name)):
        raise DataError(f"run name {settings.name!r}: use letters, digits, '.', '_' and '-' only (at most 80), "
                        "no folders")
    if check_out:
        writable_folder(settings.out)


def may_see(access: dict | None, user: str) -> bool:
    """Whether ``user`` may list and open a result with this ``uns['access']`` (none: everyone may)."""
    if not access:
        return True
    visibility, owner = str(access.get("visibility", "everyone")), str(access.get("owner", ""))
    if visibility == "everyone" or owner == user:
        return True
    return visibility.startswith("users:") and user in visibility[len("users:"):].split(",")


def writable_folder(path: str | Path) -> Path:
    """``path`` as a folder that exists (made if missing) and can be written; a plain DataError otherwise."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(f"output folder {path.name!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the output folder {path.name!r}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataError(f"the output folder {path.name!r} is not writable")
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-")[:40] or "run"


def run_name(cfg: RunConfig, started: str) -> str:
    sc_name = cfg.sc if catalog.is_dataset_id(cfg.sc) else Path(cfg.sc).stem
    stamp = started.replace("-", "").replace(":", "").replace("T", "-").rstrip("Z")
    return cfg.name or f"{_slug(cfg.drug)}__{_slug(sc_name)}__{stamp}__{uuid.uuid4().hex[:6]}"


def config_from_dict(d: dict) -> RunConfig:
    d = dict(d)
    return RunConfig(train=TrainConfig.from_dict(d.pop("train", {}) or {}), **d)


def field_default(f) -> object:
    """A dataclass field's default value (made by its factory where it has one)."""
    return f.default if f.default is not MISSING else f.default_factory()


def add_settings_arguments(parser, cls, *, skip: tuple[str, ...] = ()) -> None:
    """One ``--flag`` per field of the settings dataclass ``cls``: default, choices and help come from the field,
    so the CLI never holds a copy of them."""
    for f in fields(cls):
        if f.name in skip or f.name.startswith("_"):
            continue
        meta = f.metadata or {}
        default = field_default(f)
        flag = "--" + f.name.replace("_", "-")
        kind = str(f.type)
        kwargs = {"default": default, "help": meta.get("help") or f.name.replace("_", " ")}
        if meta.get("choices"):
            kwargs["choices"] = meta["choices"]
        if isinstance(default, bool):
            kwargs = {"action": BooleanOptionalAction, "default": default, "help": kwargs["help"]}
        elif isinstance(default, tuple):  # several values: --flag A B
            kwargs.update(nargs="+", type=int if "tuple[int" in kind else float if "tuple[float" in kind else str)
        elif "int" in kind and "float" not in kind:
            kwargs["type"] = int
        elif "float" in kind:
            kwargs["type"] = float
        parser.add_argument(flag, dest=f.name, **kwargs)


def settings_from_namespace(cls, namespace, **given):
    """An instance of ``cls`` from the parsed ``--flags`` (see :func:`add_settings_arguments`) plus ``given``."""
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in vars(namespace).items() if k in names}
    return cls(**{**values, **given})

