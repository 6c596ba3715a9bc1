"""The Explore UMAP's hover names the cell, its cluster, its predicted (at the page's threshold) and true label,
its score and how many seeds agree (real PLX4720 run)."""

import numpy as np
import pytest

from dashboard.figures import embedding_figure
from dashboard.pages.explore_umap import umap_figure
from dashboard.results import RunData


def test_hover_001_each_cell_says_who_it_is_and_what_the_model_said(plx_run, tmp_path):
    run = RunData(str(plx_run), max_display=100_000, expression_dir=tmp_path)
    fig = umap_figure(run, color_by="predicted", threshold=0.9)
    texts = np.concatenate([np.asarray(t.text) for t in fig.data if t.text is not None])
    assert len(texts) == run.n
    first = texts[0]
    for part in ("cell ", "cluster ", "predicted ", "true ", "score ", "seeds agreeing "):
        assert part in first
    # the predicted label in the hover follows the page's threshold
    scores = run.obs("sensitivity_score")
    shown = np.array([float(t.split("score ")[1].split("<br>")[0]) for t in texts])
    decimals = len(texts[0].split("score ")[1].split("<br>")[0].split(".")[1])
    step = 10.0 ** -decimals  # a score within one printed step of the threshold may round across it
    assert all("predicted sensitive" in t for t in texts[shown >= 0.9 + step])
    assert all("predicted resistant" in t for t in texts[shown <= 0.9 - step])
    assert sum("predicted sensitive" in t for t in texts) == int((scores >= 0.9).sum())
    assert all(t.hovertemplate.startswith("%{text}<br>") for t in fig.data if t.text is not None)


def test_hover_002_hover_text_is_validated():
    with pytest.raises(ValueError, match="hover_text has 1 values for 2 points"):
        embedding_figure(np.zeros((2, 2)), [0.1, 0.2], categorical=False, hover_text=["a"])
