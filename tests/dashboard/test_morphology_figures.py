"""Morphology figures are pure: data in, validated, go.Figure out, layout options passed through."""

import numpy as np
import pandas as pd
import pytest

from dashboard.figures.morphology import (channel_features, channel_ranking_figure, channel_violins, image_figure,
                                          map_per_moa_figure, merge, metrics_figure, moa_confusion_figure,
                                          png_data_uri, scale_contrast)


def test_morph_fig_001_metrics_bars_show_mean_and_worst_seed():
    fig = metrics_figure({"cosine": {"nsc": 0.9, "nscb": 0.6, "map_mean": 0.8, "map_worst_moa": 0.5},
                          "learned": {k: {"mean": 0.9, "worst": 0.85} for k in ("nsc", "nscb", "map_mean", "map_worst_moa")},
                          "learned_seed_ensemble": {"nsc": 0.93, "nscb": 0.8}}, paper_bgcolor="#fafafa")
    assert [t.name for t in fig.data] == ["cosine", "learned", "learned, worst seed", "learned_seed_ensemble"]
    assert fig.layout.paper_bgcolor == "#fafafa"
    with pytest.raises(ValueError):
        metrics_figure({})


def test_morph_fig_002_confusion_and_map_validate_their_tables():
    cm = pd.DataFrame([[3, 1], [0, 2]], index=["X", "Y"], columns=["X", "Y"])
    assert moa_confusion_figure(cm).data[0].z.tolist() == [[3, 1], [0, 2]]
    with pytest.raises(ValueError):
        moa_confusion_figure(pd.DataFrame([[1, 2, 3]]))
    table = pd.DataFrame({"mAP_cosine": [0.5, 0.9], "mAP_learned": [0.7, 1.0]}, index=["X", "Y"])
    assert len(map_per_moa_figure(table).data) == 2
    with pytest.raises(ValueError):
        map_per_moa_figure(pd.DataFrame({"x": [1]}))


def test_morph_fig_003_channel_views():
    wells = pd.DataFrame({"Metadata_Compound": ["DMSO"] * 5 + ["a"] * 5, "Metadata_moa": ["DMSO"] * 5 + ["X"] * 5,
                          "Cells_Intensity_IntegratedIntensity_CorrActin": np.arange(10.0),
                          "Cells_Intensity_MeanIntensity_CorrActin": np.arange(10.0),
                          "Nuclei_Intensity_MeanIntensity_CorrDAPI": np.arange(10.0)})
    assert channel_features(wells, "Actin") == ["Cells_Intensity_IntegratedIntensity_CorrActin",
                                                "Cells_Intensity_MeanIntensity_CorrActin"]
    fig = channel_violins(wells, group="X", control="DMSO", channels=["Actin", "DAPI"])
    assert len(fig.data) == 6 and {t.name for t in fig.data} == {"DMSO", "X"}
    hist = channel_violins(wells, group="X", control="DMSO", channels=["Actin"], style="histogram")
    assert {t.type for t in hist.data} == {"histogram"}
    with pytest.raises(ValueError):
        channel_violins(wells, group="X", control="DMSO", channels=["Actin"], style="pie")
    ranking = pd.DataFrame({"group": ["X", "X"], "channel": ["Actin", "DAPI"], "abs_d": [2.0, 1.0], "d": [2.0, -1.0],
                            "feature": ["f1", "f2"], "n_features": [2, 1]})
    assert list(channel_ranking_figure(ranking, group="X").data[0].y) == ["Actin", "DAPI"]
    with pytest.raises(ValueError):
        channel_ranking_figure(ranking, group="Y")


def test_morph_fig_004_images_are_small_pngs_and_a_merge():
    img = scale_contrast(np.arange(64 * 64, dtype=np.float32).reshape(64, 64), 0, 4095)
    assert img.dtype == np.uint8 and img.max() == 255
    assert png_data_uri(img).startswith("data:image/png;base64,")
    rgb = merge({"DNA": img, "AGP": img})
    assert rgb.shape == (64, 64, 3) and rgb[..., 1].max() == 0  # blue + red, no green
    fig = image_figure({"DNA": img, "AGP": img}, flags={"DNA": "2 of 16 tiles flagged"})
    assert len(fig.data) == 3 and "flagged" in fig.layout.annotations[0].text
    with pytest.raises(ValueError):
        image_figure({"DNA": img, "AGP": img[:10]})
