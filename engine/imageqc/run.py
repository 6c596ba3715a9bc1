"""The ``image_qc`` kind's run: images in, one result ``.h5ad`` out (tiles x metrics, outlier scores, flags,
thumbnails) with provenance. Schema: ``engine/schema.md``, section "image_qc".

A saved decision (:class:`engine.qc.QCDecision`, the same shape as the cell QC decision) names the flagged
tiles; a morphology run given a decision (``MorphologySettings.exclude``) leaves the wells it names out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import anndata as ad
import numpy as np
import pandas as pd

from .. import provenance
from ..data import catalog
from ..data.errors import DataError
from ..data.install import checksums
from ..kinds import stage_reporter
from ..results import h5_safe, write_atomic
from .images import dtype_max, list_images, read_image, thumbnail, tiles
from .metrics import METRICS, image_metrics
from .settings import ImageQCSettings

SUBFOLDER = "image_qc"
# the metrics the forest scores, one or two per failure mode: blur (power log-log slope, focus score),
# saturation (percent maximal), content: empty fields and debris (object area fraction). The others are shown on
# the page; in the forest, near-constant ones (percent minimal, a handful of pixels on clean tiles) made clean
# tiles look as odd as blurred ones (blur AUROC 0.75-0.85 with all nine; see bench/morphology.py)
FOREST_METRICS = ("power_log_log_slope", "focus_score", "percent_maximal", "object_area_fraction")


def measure(source: str, *, tile: int, thumb: int, progress: Callable[[float, str], None] | None = None) -> ad.AnnData:
    """Metrics per tile of every image of ``source`` (obs: image, field, channel, y, x, metrics) with
    thumbnails in ``obsm['thumbnail']``, and whole-image metrics in ``uns['per_image']``."""
    say = progress or (lambda f, m: None)
    files = list_images(source)
    rows, thumbs, per_image = [], [], []
    for i, f in enumerate(files):
        say(0.05 + 0.8 * i / len(files), f"image {i + 1}/{len(files)}: {f.path.name}")
        img = read_image(f.path)
        sat = dtype_max(f.path)
        lo, hi = np.percentile(img, [0.5, 99.5])
        per_image.append({"image": f.path.name, "field": f.field, "channel": f.channel, "height": img.shape[0],
                          "width": img.shape[1], **image_metrics(img, saturation=sat)})
        for y, x, t in tiles(img, tile):
            rows.append({"image": f.path.name, "field": f.field, "channel": f.channel, "y": y, "x": x,
                         **image_metrics(t, saturation=sat)})
            thumbs.append(thumbnail(t, thumb, low=lo, high=hi).ravel())
    obs = pd.DataFrame(rows)
    obs.index = [f"{r.image}@{r.y},{r.x}" for r in obs.itertuples()]
    adata = ad.AnnData(obs[list(METRICS)].to_numpy(np.float32), obs=obs, var=pd.DataFrame(index=list(METRICS)))
    adata.obsm["thumbnail"] = np.stack(thumbs)
    adata.uns["per_image"] = pd.DataFrame(per_image)
    return adata


def input_checksum(source: str) -> str:
    """One sha256 over the images (catalog checksums, or each file's)."""
    import hashlib

    if catalog.is_dataset_id(source):
        blob = json.dumps(checksums([source]), sort_keys=True)
    else:
        blob = json.dumps({f.path.name: provenance.file_checksum(f.path) for f in list_images(source)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def run(settings: ImageQCSettings, *, progress: Callable[[dict], None] | None = None,
        cancel: Callable[[], bool] | None = None) -> Path:
    """Measure, score with the isolation forest, write the result; returns its path."""
    from ..tools.qc import isolation_forest

    settings.validate()
    report = progress or (lambda e: None)
    reporter = stage_reporter(progress, cancel)

    def say(fraction: float, message: str) -> None:
        reporter("image_qc", fraction, message)

    started = provenance.utc_now()
    say(0.0, f"reading {settings.source}")
    adata = measure(settings.source, tile=settings.tile, thumb=settings.thumbnail, progress=say)
    if adata.n_obs < 4:
        raise DataError(f"Only {adata.n_obs} tile(s): the forest needs more; use a smaller tile size or more images")
    say(0.9, f"isolation forest over {adata.n_obs} tiles")
    contamination = settings.contamination if settings.contamination == "auto" else float(settings.contamination)
    metrics = [m for m in FOREST_METRICS if adata.obs[m].nunique() > 1]
    isolation_forest(adata, metrics=metrics, contamination=contamination, threshold=settings.threshold,
                     seed=settings.seed)
    name = settings.name or re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(settings.source).name).strip("-") or "images"
    adata.uns["qc"].update(input=str(settings.source), input_sha256=input_checksum(settings.source),
                           unit="tile", tile=settings.tile)
    adata.uns["kind"] = "image_qc"
    adata.uns["run_id"] = name
    adata.uns["settings"] = json.dumps(settings.to_dict())
    adata.uns["provenance"] = h5_safe({"started": started, "finished": provenance.utc_now(),
                                       "versions": provenance.versions(("scikit-image", "tifffile", "imagecodecs"))})
    path = write_atomic(adata, Path(settings.out) / SUBFOLDER / f"{name}.h5ad")
    report({"stage": "done", "fraction": 1.0, "message": str(path), "path": str(path)})
    return path
