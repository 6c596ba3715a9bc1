"""Above EXACT_KNN_MAX cells the kNN graph comes from pynndescent (approximate); scanpy must accept it (it did not:
pynndescent 0.7 returns a csr_array that scanpy 1.11 cannot read, so every run over 50k cells failed). Above
SPECTRAL_INIT_MAX UMAP starts from principal components; a wide latent code is reduced to its top PCs."""

import numpy as np

from engine.tools import embedding


def _three_groups(d: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 8, (3, d))
    return np.concatenate([c + rng.normal(size=(100, d)) for c in centres]).astype(np.float32)


def _groups_stay_apart(coords: np.ndarray) -> bool:
    """Each point's nearest UMAP neighbour is in its own group (of 100 consecutive points)."""
    from scipy.spatial import cKDTree

    _, idx = cKDTree(coords).query(coords, k=2)
    return (idx[:, 1] // 100 == np.arange(len(coords)) // 100).mean() > 0.95


def test_embedding_001_the_approximate_knn_path_gives_a_umap(monkeypatch):
    monkeypatch.setattr(embedding, "EXACT_KNN_MAX", 50)  # 300 points: the path a 100k-cell run takes
    coords = embedding.umap_coords(_three_groups(), seed=0)
    assert coords.shape == (300, 2) and np.isfinite(coords).all()
    assert _groups_stay_apart(coords)


def test_embedding_002_above_the_spectral_limit_umap_starts_from_principal_components(monkeypatch):
    monkeypatch.setattr(embedding, "SPECTRAL_INIT_MAX", 50)  # 300 points: the path a 1M-cell run takes
    assert embedding.umap_start(300) == "pca" and embedding.umap_start(50) == "spectral"
    coords = embedding.umap_coords(_three_groups(), seed=0)
    assert np.isfinite(coords).all() and _groups_stay_apart(coords)


def test_embedding_003_a_wide_code_is_reduced_to_its_top_components():
    X = _three_groups(d=40)
    rep, kept = embedding.reduce_representation(X, n_components=8, seed=0)
    assert rep.shape == (300, 8) and rep.dtype == np.float32 and 0.5 < kept <= 1.0
    same, kept_all = embedding.reduce_representation(X, n_components=40)
    assert same.shape == (300, 40) and kept_all == 1.0
