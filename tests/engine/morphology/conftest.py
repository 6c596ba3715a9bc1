"""A small synthetic profile table written as the field writes it."""

from __future__ import annotations

import pytest

from synthetic import synthetic_profiles


@pytest.fixture
def profiles_csv(tmp_path):
    path = tmp_path / "profiles.csv.gz"
    synthetic_profiles().to_csv(path, index=False)
    return path
