"""Settings of the ``morphology`` kind: every option with its default and its choices, in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..config import _check, _opt, check_run_fields
from ..data.errors import DataError

NORMALIZATIONS = ("mad_robustize", "standardize", "robustize", "none")
FEATURE_SELECTIONS = ("variance_threshold+correlation_threshold+drop_na_columns+blocklist+drop_outliers", "none")
INPUTS = ("tvn", "features")  # what the learned model sees: controls-whitened profiles, or the features as given
HOLDOUTS = ("compound",)


@dataclass
class MorphologySettings:
    """MoA from per-well profiles. Model settings are fixed in advance; none is tuned on held-out compounds."""

    source: str = _opt("bbbc021", help="profiles: bbbc021 (raw per-well means), bbbc021:broad (the Broad's "
                       "normalised, feature-selected table) or a CSV / CSV.GZ / Parquet file")
    control: str = _opt("DMSO", help="negative control (compound name)")
    normalize: str = _opt("mad_robustize", choices=NORMALIZATIONS, help="per-plate normalisation to the controls")
    feature_select: str = _opt(FEATURE_SELECTIONS[0], choices=FEATURE_SELECTIONS, help="pycytominer feature selection")
    model_input: str = _opt("tvn", choices=INPUTS, help="learned model input")
    n_folds: int = _opt(0, low=0, high=100, help="folds grouped by compound (0: leave one compound out)")
    seeds: int = _opt(3, low=1, high=20, help="seeds")
    epochs: int = _opt(300, low=1, high=5000, help="epochs")
    embedding_dim: int = _opt(32, low=2, high=512, help="embedding dimensions")
    hidden: int = _opt(256, low=4, high=4096, help="hidden units")
    dropout: float = _opt(0.3, low=0.0, high=1.0, high_open=True, help="dropout")
    noise: float = _opt(0.3, low=0.0, high=10.0, help="input noise (sd) during training")
    lr: float = _opt(1e-3, low=0.0, high=1.0, low_open=True, help="learning rate")
    weight_decay: float = _opt(1e-3, low=0.0, high=1.0, help="weight decay")
    null_size: int = _opt(2000, low=100, high=100_000, help="permutations for mAP p-values")
    exclude: str | None = None  # a saved image-QC decision (engine.imageqc): its flagged wells are left out
    device: str = "auto"
    out: str = "precomputed"
    name: str | None = None
    owner: str = ""
    visibility: str = "everyone"

    def validate(self, *, check_out: bool = True) -> "MorphologySettings":
        _check(self)
        if not str(self.source).strip():
            raise DataError("Choose a profile table (a catalog id such as bbbc021, or a file)")
        if not str(self.control).strip():
            raise DataError("Name the negative control (for example DMSO)")
        check_run_fields(self, check_out=check_out)
        return self

    def to_dict(self) -> dict:
        return asdict(self)
