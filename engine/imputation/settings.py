"""Settings of the ``imputation`` kind: every option with its default and its choices, in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..config import _check, _opt, check_run_fields
from ..data.errors import DataError
from . import methods as m

INPUTS = ("counts", "log_normalized")  # counts: normalised here (counts per 10k, log1p); log: given as such


@dataclass
class ImputationSettings:
    """Dropout imputation measured by masking. Method settings are fixed in advance (scanpy's conventions:
    scaled genes, 50 PCs; MAGIC's knn 5, t 3); the masking evaluation does not choose them."""

    sc: str = _opt("pc9_erlotinib", help="single-cell data: a catalog id or a file (.h5ad, counts table)")
    input: str = _opt("counts", choices=INPUTS, help="what the file holds")
    methods: tuple[str, ...] = _opt(m.METHODS, help=f"methods: {', '.join(m.METHODS)}")
    min_genes: int = _opt(500, low=0, high=100_000, help="keep cells with at least this many detected genes")
    n_top_genes: int = _opt(2000, low=50, high=100_000, help="highly variable genes")
    rates: tuple[float, ...] = _opt((0.1, 0.2, 0.4), low=0.0, high=0.9, low_open=True, help="masked shares")
    seeds: int = _opt(3, low=1, high=20, help="masking seeds")
    knn_k: int = _opt(m.KNN_K, low=1, high=1000, help="kNN neighbours")
    n_pcs: int = _opt(m.N_PCS, low=2, high=500, help="principal components for kNN")
    diffusion_knn: int = _opt(m.DIFFUSION_KNN, low=1, high=200, help="diffusion kernel neighbours")
    diffusion_t: int = _opt(m.DIFFUSION_T, low=1, high=50, help="diffusion steps")
    ae_epochs: int = _opt(m.AE_EPOCHS, low=1, high=5000, help="autoencoder epochs (at most)")
    ae_hidden: int = _opt(m.AE_HIDDEN, low=8, high=8192, help="autoencoder hidden units")
    ae_latent: int = _opt(m.AE_LATENT, low=2, high=1024, help="autoencoder latent size")
    ae_hide_rate: float = _opt(m.AE_HIDE_RATE, low=0.0, high=0.9, low_open=True,
                               help="share of visible non-zeros the autoencoder hides while training")
    groupby: str | None = None  # an obs column with two groups for the DE harm check (the random split always runs)
    device: str = "auto"
    out: str = "precomputed"
    name: str | None = None
    owner: str = ""
    visibility: str = "everyone"

    def validate(self, *, check_out: bool = True) -> "ImputationSettings":
        if isinstance(self.methods, str):
            self.methods = tuple(s for s in self.methods.replace(",", " ").split() if s)
        self.methods = tuple(self.methods)
        self.rates = tuple(float(r) for r in self.rates) if not isinstance(self.rates, str) else self.rates
        unknown = [x for x in self.methods if x not in m.METHODS]
        if unknown or not self.methods:
            raise DataError(f"imputation methods: {', '.join(unknown) or 'none given'} not known; choose from "
                            f"{', '.join(m.METHODS)}")
        if not str(self.sc).strip():
            raise DataError("Choose single-cell data (a catalog id such as pc9_erlotinib, or a file)")
        _check(self)
        check_run_fields(self, check_out=check_out)
        return self

    def method_options(self, method: str) -> dict:
        """The keyword options ``engine.imputation.methods`` takes for ``method``."""
        return {"knn": {"k": self.knn_k, "n_pcs": self.n_pcs},
                "diffusion": {"knn": self.diffusion_knn, "t": self.diffusion_t},
                "autoencoder": {"epochs": self.ae_epochs, "hidden": self.ae_hidden, "n_latent": self.ae_latent,
                                "hide_rate": self.ae_hide_rate, "device": self.device},
                }.get(method, {})

    def to_dict(self) -> dict:
        d = asdict(self)
        d["methods"], d["rates"] = list(self.methods), list(self.rates)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ImputationSettings":
        d = dict(d)
        for key in ("methods", "rates"):
            if key in d and not isinstance(d[key], str):
                d[key] = tuple(d[key])
        return cls(**d)
