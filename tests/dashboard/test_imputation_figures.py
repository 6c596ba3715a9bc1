"""The imputation page's pure parts: the recovery scatter validates its input and passes layout options through."""

import pandas as pd
import pytest

from dashboard.figures.imputation import recovery_scatter


def _points():
    return pd.DataFrame({"method": ["knn"] * 3 + ["autoencoder"] * 3, "rate": [0.1] * 6,
                         "true": [1.0, 2.0, 3.0] * 2, "imputed": [1.1, 1.9, 3.2, 0.5, 0.5, 0.6]})


def test_imputation_figures_001_scatter_of_one_method_and_rate_with_identity_line():
    fig = recovery_scatter(_points(), method="knn", rate=0.1, height=500)
    assert [t.name for t in fig.data] == ["hidden entries", "imputed = true"]
    assert list(fig.data[0].x) == [1.0, 2.0, 3.0] and list(fig.data[0].y) == [1.1, 1.9, 3.2]
    assert fig.layout.height == 500 and "3 hidden entries" in fig.layout.title.text


def test_imputation_figures_002_bad_or_empty_input():
    with pytest.raises(ValueError, match="imputed"):
        recovery_scatter(_points().drop(columns="imputed"), method="knn", rate=0.1)
    assert "no hidden entries" in recovery_scatter(_points(), method="knn", rate=0.4).layout.annotations[0].text
