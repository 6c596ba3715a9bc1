import numpy as np
import pytest

from engine.data import DataError, load_bulk, waterfall_threshold
from engine.data.drugs import match_drug


@pytest.mark.parametrize("name", ["PLX4720", "PLX-4720", "plx_4720", "PLX.4720"])
def test_drug_names_match_loosely(name):
    assert match_drug(name, ["PLX-4720", "Erlotinib"], where="test") == ["PLX-4720"]


def test_unknown_drug_names_the_closest():
    with pytest.raises(DataError, match="Closest names: PLX.4720"):
        load_bulk("gdsc", drug="PLX-4721x")


def test_waterfall_linear_curve_cuts_at_median():
    v = np.arange(101, dtype=float)
    assert waterfall_threshold(v) == pytest.approx(50.0)


def test_waterfall_elbow_cuts_at_the_bend():
    # a few very sensitive lines, then a flat plateau: the cut sits at the bend, not the median
    v = np.concatenate([np.linspace(-6, -1, 10), np.linspace(3, 3.5, 90)])
    cut = waterfall_threshold(v)
    assert -1.5 <= cut <= 3.01
    assert (v <= cut).sum() < 50


def test_binary_labels_join_through_cell_line_maps():
    b = load_bulk("gdsc", drug="PLX-4720")
    assert b.n_obs > 800 and b.n_vars > 6000
    assert set(np.unique(b.obs.response)) == {0, 1}
    assert b.obs.index.is_unique and not b.var_names.duplicated().any()
    assert b.uns["bulk"]["matched_drug"] == "PLX.4720"
    assert b.obs.loc["A375", "response"] == 1  # BRAF V600E melanoma line is sensitive to a BRAF inhibitor


def test_continuous_response_aggregates_duplicates_and_binarises():
    b = load_bulk("gdsc", drug="plx4720", response="ln_ic50", screen="GDSC1")  # GDSC1 screens PLX-4720 twice
    assert b.obs.index.is_unique
    info = b.uns["bulk"]
    assert info["lower_is_sensitive"] and 0 < info["n_sensitive"] < info["n_resistant"]
    assert (b.obs.loc[b.obs.response == 1, "response_value"] <= info["threshold"]).all()
    assert b.obs.loc["A375", "response"] == 1


def test_bad_response_kind_is_a_clear_error():
    with pytest.raises(DataError, match="Unknown response"):
        load_bulk("gdsc", drug="PLX-4720", response="ic90")


def test_auto_response_is_found_not_guessed():
    from engine.data import DataError, load_bulk

    plx = load_bulk("gdsc", drug="PLX4720", response="auto")
    assert plx.uns["bulk"]["response"] == "binary" and "scDEAL" in plx.uns["bulk"]["chosen_because"]
    cetuximab = load_bulk("gdsc", drug="Cetuximab", response="auto")  # not among scDEAL's 83 drugs
    info = cetuximab.uns["bulk"]
    assert info["response"] == "ln_ic50" and "waterfall" in info["chosen_because"] and info["threshold"] == info["threshold"]
    assert set(cetuximab.obs["response"].unique()) == {0, 1}
    with pytest.raises(DataError) as err:
        load_bulk("gdsc", drug="Cetuximabb-x", response="auto")
    text = str(err.value)
    assert "in either source" in text and "scDEAL bulk labels" in text and "GDSC1_IC50" in text
    assert "Closest names" in text
