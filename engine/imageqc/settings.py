"""Settings of the ``image_qc`` kind: every option with its default and its choices, in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..config import _check, _opt, check_run_fields
from ..data.errors import DataError


@dataclass
class ImageQCSettings:
    """Image QC of a set of fields. The forest is unsupervised: nothing here is tuned on artefact labels."""

    source: str = _opt("microscopy_small", help="images: a catalog id, a TIFF file or a folder of TIFFs")
    tile: int = _opt(128, low=32, high=8192, help="tile size in pixels (large fields are scored per tile)")
    contamination: str = _opt("auto", help="'auto' (the forest's own cut) or the fraction of tiles to flag")
    threshold: float | None = _opt(None, help="flag tiles above this outlier score (overrides contamination)")
    seed: int = _opt(0, low=0, high=2**31 - 1, help="forest seed")
    thumbnail: int = _opt(64, low=16, high=256, help="thumbnail size in pixels")
    out: str = "precomputed"
    name: str | None = None
    owner: str = ""

    def validate(self, *, check_out: bool = True) -> "ImageQCSettings":
        _check(self)
        if not str(self.source).strip():
            raise DataError("Choose images: a catalog id, a TIFF file or a folder of TIFFs")
        if self.contamination != "auto":
            try:
                ok = 0 < float(self.contamination) <= 0.5
            except ValueError:
                ok = False
            if not ok:
                raise DataError("contamination: 'auto' or a fraction in (0, 0.5]")
        check_run_fields(self, check_out=check_out)
        return self

    def to_dict(self) -> dict:
        return asdict(self)
