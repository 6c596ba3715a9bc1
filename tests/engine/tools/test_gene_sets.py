"""A person's gene sets: GMT or a pasted list, scored per cell with scanpy; bad input in plain words."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.tools.gene_sets import parse_gene_sets, score_gene_sets


def test_gene_sets_001_gmt_and_pasted_lists():
    gmt = "UP\thttp://x\tA\tB\tC\nDOWN\tna\tD\tE\n"
    assert parse_gene_sets(gmt) == {"UP": ["A", "B", "C"], "DOWN": ["D", "E"]}
    assert parse_gene_sets("A, B;C\nA  D", name="mine") == {"mine": ["A", "B", "C", "D"]}
    for bad, words in (("", "Paste"), ("UP\tdesc\n", "needs a name"), ("\n".join(f"S{i}\td\tA" for i in range(51)), "at most 50")):
        with pytest.raises(DataError, match=words):
            parse_gene_sets(bad)


def test_gene_sets_002_scores_follow_the_set_and_use_raw():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 40)).astype(np.float32)
    X[:40, :5] += 3.0  # the first 40 cells express genes G0-G4 higher
    a = ad.AnnData(X, obs=pd.DataFrame(index=[f"c{i}" for i in range(80)]),
                   var=pd.DataFrame(index=[f"G{i}" for i in range(40)]))
    a.raw = a
    model = a[:, 10:].copy()  # the model's genes do not include G0-G4: the score reads .raw
    info = score_gene_sets(model, {"up": ["g0", "G1", "G2", "G3", "G4", "NOPE"], "none": ["X1"]})
    assert info["up"]["n_used"] == 5 and info["up"]["missing"] == ["NOPE"]
    assert "none of its 1 genes" in info["none"]["skipped"]
    score = model.obs["geneset_up"].to_numpy()
    assert score[:40].mean() > score[40:].mean() + 2
