"""Reading profile tables as the field writes them, normalising per plate, and refusing bad input plainly."""

import numpy as np
import pytest

from engine.data.errors import DataError
from engine.morphology.profiles import (check_profiles, control_mask, feature_annotation, feature_columns,
                                        normalize_per_plate, read_profiles, select_features, treatment_profiles)
from synthetic import synthetic_profiles


def test_profiles_001_reads_csv_gz_and_parquet_with_standard_columns(profiles_csv, tmp_path):
    df = read_profiles(str(profiles_csv))
    assert {"Metadata_Compound", "Metadata_Plate", "Metadata_Batch", "Metadata_moa"} <= set(df.columns)
    parquet = tmp_path / "p.parquet"
    synthetic_profiles().to_parquet(parquet)
    assert read_profiles(str(parquet)).shape == df.shape


def test_profiles_002_bbbc021_raw_is_labelled_and_week_is_the_batch():
    df = read_profiles("bbbc021")
    assert len(df) == 632 and df["Metadata_moa"].notna().all()
    assert df["Metadata_Batch"].str.match(r"^Week\d+$").all()
    assert df["Metadata_moa"].value_counts()["DMSO"] == 330


def test_profiles_003_normalised_controls_are_centred_per_plate_and_rows_keep_their_order(profiles_csv):
    df = read_profiles(str(profiles_csv))
    normed = normalize_per_plate(df, control="DMSO", method="standardize")
    assert (normed.index == df.index).all() and (normed["Metadata_Well"] == df["Metadata_Well"]).all()
    ctrl = control_mask(normed, "DMSO")
    for _, plate in normed[ctrl].groupby("Metadata_Plate"):
        assert np.allclose(plate[feature_columns(normed)].mean(), 0, atol=1e-9)


def test_profiles_004_treatments_are_medians_of_their_wells(profiles_csv):
    df = read_profiles(str(profiles_csv))
    info, T = treatment_profiles(df, control="DMSO")
    wells = df[(df.Metadata_Compound == "cpd1_0")][feature_columns(df)]
    assert np.allclose(T[list(info.index).index("cpd1_0 @ 1")], wells.median())
    assert "DMSO @ 0" not in info.index


def test_profiles_005_feature_selection_keeps_rows_and_records_dropped(profiles_csv):
    df = normalize_per_plate(read_profiles(str(profiles_csv)), control="DMSO")
    df["Cells_Intensity_Constant_DNA"] = 1.0
    kept, dropped = select_features(df, operations="variance_threshold+drop_na_columns")
    assert "Cells_Intensity_Constant_DNA" in dropped and (kept.index == df.index).all()


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.rename(columns=lambda c: c.replace("Metadata_", "Meta")), "no Metadata_ columns"),
    (lambda d: d.assign(Metadata_Compound=d.Metadata_Compound.replace("DMSO", "vehicle")), "No control wells"),
    (lambda d: d.assign(Metadata_moa="moa0").where(d.Metadata_Compound != "DMSO", d), "Only one MoA"),
    (lambda d: d.assign(**{c: np.nan for c in d.columns if not c.startswith("Metadata_")}), r"missing \(NaN\)"),
])
def test_profiles_006_bad_tables_get_plain_errors(tmp_path, mutate, message):
    path = tmp_path / "bad.csv"
    mutate(synthetic_profiles()).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        df = read_profiles(str(path))
        check_profiles(df, control="DMSO", need_moa=True)


def test_profiles_007_corrupt_file_is_a_plain_error(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match="cannot be read"):
        read_profiles(str(path))


def test_profiles_008_feature_names_give_compartment_category_channel():
    ann = feature_annotation(["Cells_Intensity_MeanIntensity_CorrActin", "Nuclei_AreaShape_Area",
                              "Cells_Correlation_Correlation_CorrActin_CorrTub", "Cytoplasm_Texture_Variance_RNA_3_0"])
    assert list(ann["channel"]) == ["Actin", "none", "multi", "RNA"]
    assert list(ann["category"]) == ["Intensity", "AreaShape", "Correlation", "Texture"]
