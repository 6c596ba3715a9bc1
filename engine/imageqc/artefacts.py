"""Simulated artefacts for evaluating image QC on held-out tiles (the real fields we have are clean):
blur (out of focus), saturation (over-exposure), an empty field, and debris (a bright out-of-focus blob or fibre)."""

from __future__ import annotations

import numpy as np

ARTEFACTS = ("blur", "saturation", "empty", "debris")


def blur(tile: np.ndarray, rng: np.random.Generator, saturation: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(tile, sigma=rng.uniform(2.5, 6.0))


def saturate(tile: np.ndarray, rng: np.random.Generator, saturation: float) -> np.ndarray:
    """Over-exposure: intensities scaled up until a share of the pixels clip at the pixel type's maximum."""
    q = np.quantile(tile, rng.uniform(0.85, 0.97))
    return np.minimum(tile * (saturation / max(q, 1e-6)), saturation)


def empty(tile: np.ndarray, rng: np.random.Generator, saturation: float) -> np.ndarray:
    """No cells: the tile's own background level with its noise."""
    background = tile[tile <= np.quantile(tile, 0.3)]
    return rng.normal(background.mean(), background.std() + 1e-6, tile.shape).clip(0, saturation).astype(np.float32)


def debris(tile: np.ndarray, rng: np.random.Generator, saturation: float) -> np.ndarray:
    """A bright blob or fibre (lint, dust, a precipitate), partly out of focus, over the cells."""
    from scipy.ndimage import gaussian_filter

    h, w = tile.shape
    y, x = np.indices(tile.shape)
    cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
    if rng.random() < 0.5:  # a blob
        r = rng.uniform(0.12, 0.25) * min(h, w)
        mask = (y - cy) ** 2 + (x - cx) ** 2 < r ** 2
    else:  # a fibre
        angle = rng.uniform(0, np.pi)
        d = np.abs((y - cy) * np.cos(angle) - (x - cx) * np.sin(angle))
        mask = d < rng.uniform(2, 5)
    bright = gaussian_filter(mask.astype(np.float32), 2) * saturation * rng.uniform(0.5, 1.0)
    return np.minimum(tile + bright, saturation)


SIMULATORS = {"blur": blur, "saturation": saturate, "empty": empty, "debris": debris}


def simulate(tile: np.ndarray, artefact: str, *, rng: np.random.Generator, saturation: float) -> np.ndarray:
    """``tile`` with one simulated ``artefact`` (one of :data:`ARTEFACTS`)."""
    return SIMULATORS[artefact](tile.astype(np.float32), rng, saturation).astype(np.float32)
