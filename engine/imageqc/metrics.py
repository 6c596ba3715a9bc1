"""Image quality metrics as CellProfiler's MeasureImageQuality defines them, computed with NumPy and
scikit-image: focus score, local focus, power log-log slope, percent maximal / minimal, intensity, and an
object count (Otsu threshold of the smoothed image)."""

from __future__ import annotations

import numpy as np

METRICS = ("focus_score", "local_focus_score", "power_log_log_slope", "percent_maximal", "percent_minimal",
           "percent_saturated", "mean_intensity", "std_intensity", "mad_intensity", "otsu_threshold",
           "object_count", "object_area_fraction")


def focus_score(img: np.ndarray) -> float:
    """Normalised variance (variance / mean), CellProfiler's FocusScore: low for blurred images."""
    mean = float(img.mean())
    return float(img.var() / mean) if mean > 0 else 0.0


def local_focus_score(img: np.ndarray, *, grid: int = 4) -> float:
    """The median of the focus score over a ``grid`` x ``grid`` split (a partly blurred field scores low)."""
    h, w = img.shape
    scores = [focus_score(img[i * h // grid:(i + 1) * h // grid, j * w // grid:(j + 1) * w // grid])
              for i in range(grid) for j in range(grid)]
    return float(np.median(scores))


def power_log_log_slope(img: np.ndarray) -> float:
    """Slope of the radially averaged power spectrum against frequency on log-log axes (CellProfiler's
    PowerLogLogSlope): more negative for blurred images, which lack high frequencies."""
    h, w = img.shape
    # a Hann window: without it the tile's edges add a 1/k^2 cross to the spectrum that hides the blur
    window = np.outer(np.hanning(h), np.hanning(w))
    f = np.fft.fftshift(np.fft.fft2((img - img.mean()) * window))
    power = np.abs(f) ** 2
    y, x = np.indices(power.shape)
    r = np.hypot(y - h // 2, x - w // 2).astype(int)
    radial = np.bincount(r.ravel(), power.ravel()) / np.maximum(np.bincount(r.ravel()), 1)
    k = np.arange(1, min(h, w) // 2)
    ok = radial[k] > 0
    if ok.sum() < 3:
        return 0.0
    return float(np.polyfit(np.log(k[ok]), np.log(radial[k][ok]), 1)[0])


def image_metrics(img: np.ndarray, *, saturation: float, min_object_area: int = 20) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one image or tile (``saturation``: the pixel type's largest value)."""
    from skimage.filters import gaussian, threshold_otsu
    from skimage.measure import label, regionprops

    lo, hi = float(img.min()), float(img.max())
    n = img.size
    out = {"focus_score": focus_score(img), "local_focus_score": local_focus_score(img),
           "power_log_log_slope": power_log_log_slope(img),
           "percent_maximal": 100.0 * float((img == hi).sum()) / n if hi > lo else 100.0,
           "percent_minimal": 100.0 * float((img == lo).sum()) / n if hi > lo else 100.0,
           "percent_saturated": 100.0 * float((img >= saturation).sum()) / n,
           "mean_intensity": float(img.mean()), "std_intensity": float(img.std()),
           "mad_intensity": float(np.median(np.abs(img - np.median(img))))}
    smooth = gaussian(img, sigma=2, preserve_range=True)
    if smooth.max() > smooth.min():
        t = float(threshold_otsu(smooth))
        mask = smooth > t
        regions = [r for r in regionprops(label(mask)) if r.area >= min_object_area]
        out.update(otsu_threshold=t, object_count=float(len(regions)), object_area_fraction=float(mask.mean()))
    else:
        out.update(otsu_threshold=lo, object_count=0.0, object_area_fraction=0.0)
    return out
