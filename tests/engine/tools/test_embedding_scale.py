"""Above EXACT_KNN_MAX cells the kNN graph comes from pynndescent (approximate); scanpy must accept it (it did not:
pynndescent 0.7 returns a csr_array that scanpy 1.11 cannot read, so every run over 50k cells failed)."""

import numpy as np

from engine.tools import embedding


def test_embedding_001_the_approximate_knn_path_gives_a_umap(monkeypatch):
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 8, (3, 16))
    X = np.concatenate([c + rng.normal(size=(100, 16)) for c in centres]).astype(np.float32)
    monkeypatch.setattr(embedding, "EXACT_KNN_MAX", 50)  # 300 points: the path a 100k-cell run takes
    coords = embedding.umap_coords(X, seed=0)
    assert coords.shape == (300, 2) and np.isfinite(coords).all()
    # the three groups stay apart: each point's nearest UMAP neighbour is in its own group
    from scipy.spatial import cKDTree

    _, idx = cKDTree(coords).query(coords, k=2)
    assert (idx[:, 1] // 100 == np.arange(300) // 100).mean() > 0.95
