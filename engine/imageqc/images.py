"""Reading microscopy fields (TIFF, LZW-compressed included, via tifffile + imagecodecs), naming their
channels, and cutting large fields into tiles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import catalog
from ..data.errors import DataError

TIFF_SUFFIXES = (".tif", ".tiff")
# channel tags in the field's usual file names: Opera/Phenix "-chN" (JUMP: 1 Mito, 2 AGP, 3 RNA, 4 ER, 5 DNA)
# and MetaXpress "_wN" (BBBC022: w1 DNA, w2 ER, w3 RNA, w4 AGP, w5 Mito)
_PHENIX = re.compile(r"-ch(\d)")
_METAXPRESS = re.compile(r"_w(\d)")
PHENIX_CHANNELS = {"1": "Mito", "2": "AGP", "3": "RNA", "4": "ER", "5": "DNA"}
METAXPRESS_CHANNELS = {"1": "DNA", "2": "ER", "3": "RNA", "4": "AGP", "5": "Mito"}


@dataclass(frozen=True)
class ImageFile:
    path: Path
    field: str  # one field of view (all its channels share it)
    channel: str


def channel_of(name: str) -> tuple[str, str]:
    """(field, channel) from a file name; unknown patterns give (stem, 'channel')."""
    stem = Path(name).name.split(".")[0]
    m = _PHENIX.search(stem)
    if m:
        return stem[: m.start()], PHENIX_CHANNELS.get(m.group(1), f"ch{m.group(1)}")
    m = _METAXPRESS.search(stem)
    if m:
        return stem[: m.start()], METAXPRESS_CHANNELS.get(m.group(1), f"w{m.group(1)}")
    return stem, "channel"


def list_images(source: str) -> list[ImageFile]:
    """The TIFFs of a catalog image set, a folder (searched recursively) or one file, sorted by name."""
    if catalog.is_dataset_id(source):
        from ..data.install import dataset_file

        ds = catalog.get(source)
        if ds.kind != "images":
            raise DataError(f"{source!r} is a {ds.kind} dataset, not a set of images")
        paths = [dataset_file(source, f.name) for f in ds.files if f.name.lower().endswith(TIFF_SUFFIXES)]
    else:
        p = Path(source)
        if not p.exists():
            raise DataError("No such image file or folder", path=p)
        paths = sorted(x for x in p.rglob("*") if x.suffix.lower() in TIFF_SUFFIXES) if p.is_dir() else [p]
    if not paths:
        raise DataError(f"No TIFF images in {Path(source).name}")
    out = []
    for path in sorted(paths, key=lambda x: x.name):
        field, channel = channel_of(path.name)
        out.append(ImageFile(path=Path(path), field=field, channel=channel))
    return out


def read_image(path: str | Path) -> np.ndarray:
    """One 2-D greyscale image as float32 in its own units; a plain error for a corrupt or unusual file."""
    import tifffile

    try:
        img = tifffile.imread(path)
    except Exception as exc:
        raise DataError(f"The image cannot be read ({type(exc).__name__}): is it a complete TIFF file?",
                        path=path) from None
    img = np.squeeze(img)
    if img.size == 0:
        raise DataError("The image cannot be read (it holds no pixels): is it a complete TIFF file?", path=path)
    if img.ndim != 2:
        raise DataError(f"Expected one greyscale plane per file, found shape {img.shape}", path=path)
    return img.astype(np.float32)


def dtype_max(path: str | Path) -> float:
    """The largest value the file's pixel type holds (saturation)."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        dtype = tif.pages[0].dtype
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def tiles(img: np.ndarray, size: int) -> list[tuple[int, int, np.ndarray]]:
    """Non-overlapping ``size`` x ``size`` tiles (y, x, tile); a field smaller than a tile is one tile."""
    h, w = img.shape
    if h < size or w < size:
        return [(0, 0, img)]
    return [(y, x, img[y:y + size, x:x + size]) for y in range(0, h - size + 1, size)
            for x in range(0, w - size + 1, size)]


def thumbnail(img: np.ndarray, size: int, *, low: float, high: float) -> np.ndarray:
    """A ``size`` x ``size`` uint8 preview with contrast limits ``low``..``high``."""
    from skimage.transform import resize

    small = resize(img, (size, size), preserve_range=True, anti_aliasing=True)
    return (np.clip((small - low) / max(high - low, 1e-9), 0, 1) * 255).astype(np.uint8)
