"""Per-well morphological profiles as the field writes them (pycytominer / CellProfiler: ``Metadata_*`` columns
plus feature columns), their per-plate normalisation to the negative control, feature selection, and
treatment-level profiles (compound x concentration).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import catalog
from ..data.errors import DataError

COMPOUND_COLUMNS = ("Metadata_Compound", "Metadata_compound", "Metadata_pert_iname", "Metadata_broad_sample",
                    "Metadata_Treatment", "Metadata_treatment")
CONCENTRATION_COLUMNS = ("Metadata_Concentration", "Metadata_concentration", "Metadata_mmoles_per_liter",
                         "Metadata_dose")
MOA_COLUMNS = ("Metadata_moa", "Metadata_MoA", "Metadata_MOA")
PLATE_COLUMNS = ("Metadata_Plate", "Metadata_plate")
KNOWN_CHANNELS = ("DNA", "RNA", "ER", "AGP", "Mito", "DAPI", "Actin", "Tubulin", "Tub", "Brightfield")


# catalog tables already normalised per plate and feature-selected (with pycytominer) by their authors
PREPROCESSED = {"bbbc021:broad": "per-plate MAD-robustize to DMSO and feature selection by the Broad Imaging "
                                 "Platform with pycytominer (BBBC021_Morpheus_Exercise)"}
SOURCES = ("bbbc021", "bbbc021:broad")


def read_profiles(source: str) -> pd.DataFrame:
    """Per-well profiles from a catalog source (``bbbc021``: raw per-well CellProfiler means;
    ``bbbc021:broad``: the Broad's normalised, feature-selected table) or a CSV / CSV.GZ / Parquet file.

    Returns a table with the standard columns ``Metadata_Plate``, ``Metadata_Compound``,
    ``Metadata_Concentration``, ``Metadata_Batch`` and (when known) ``Metadata_moa``, then numeric features.
    """
    if source == "bbbc021:broad":
        from ..data.install import dataset_file

        df = standard_columns(_read_table(dataset_file("bbbc021", "BBBC021_feature_selected_mad_robustize.csv.gz")),
                              where="BBBC021")
        df["Metadata_Batch"] = df["Metadata_Plate"].str.split("_").str[0]
        return df
    if catalog.is_dataset_id(source):
        ds = catalog.get(source)
        if ds.kind != "morphology":
            raise DataError(f"{source!r} is a {ds.kind} dataset, not a table of morphological profiles")
        if source == "bbbc021":
            return _bbbc021()
        raise DataError(f"no reader for the catalog dataset {source!r}")
    return standard_columns(_read_table(Path(source)), where=Path(source).name)


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError("No such profile file", path=path)
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
        if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")):
            return pd.read_csv(path, sep="\t" if ".tsv" in name or name.endswith(".txt") else ",", low_memory=False)
    except Exception as exc:  # a corrupt or truncated file
        raise DataError(f"The profile file cannot be read ({type(exc).__name__}: {str(exc)[:120]})", path=path) from None
    raise DataError("Profiles must be a .csv, .csv.gz, .tsv or .parquet file", path=path)


def _first(df: pd.DataFrame, names) -> str | None:
    return next((c for c in names if c in df.columns), None)


def standard_columns(df: pd.DataFrame, *, where: str = "the table") -> pd.DataFrame:
    """Rename the field's metadata columns to the standard ones and keep numeric features; clear errors."""
    meta = [c for c in df.columns if str(c).startswith("Metadata_")]
    if not meta:
        raise DataError(f"{where} has no Metadata_ columns: a profile table names its plate, well and compound in "
                        "columns such as Metadata_Plate and Metadata_Compound (pycytominer / CellProfiler style)")
    compound = _first(df, COMPOUND_COLUMNS)
    if compound is None:
        raise DataError(f"{where} names no compound: add one of {', '.join(COMPOUND_COLUMNS[:3])}")
    out = pd.DataFrame({"Metadata_Compound": df[compound].astype(str)}, index=df.index)
    plate = _first(df, PLATE_COLUMNS)
    out["Metadata_Plate"] = df[plate].astype(str) if plate else "plate"
    conc = _first(df, CONCENTRATION_COLUMNS)
    out["Metadata_Concentration"] = pd.to_numeric(df[conc], errors="coerce").fillna(0.0) if conc else 0.0
    out["Metadata_Well"] = df["Metadata_Well"].astype(str) if "Metadata_Well" in df else np.arange(len(df)).astype(str)
    out["Metadata_Batch"] = df["Metadata_Batch"].astype(str) if "Metadata_Batch" in df else out["Metadata_Plate"]
    moa = _first(df, MOA_COLUMNS)
    if moa:
        out["Metadata_moa"] = df[moa].astype(str)
    features = [c for c in df.columns if c not in meta and pd.api.types.is_numeric_dtype(df[c])]
    if not features:
        raise DataError(f"{where} has no numeric feature columns besides its Metadata_ columns")
    return pd.concat([out, df[features].astype(np.float64)], axis=1)


def _bbbc021() -> pd.DataFrame:
    """BBBC021's per-well CellProfiler means (Ljosa et al. 2013), labelled with compound, concentration and MoA
    from the image and MoA tables (as PROVENANCE.md describes); batch = the plate's week."""
    from ..data.install import dataset_file

    wells = pd.read_csv(dataset_file("bbbc021", "BBBC021_ljosa2013_per_well_mean.csv.gz"))
    images = pd.read_csv(dataset_file("bbbc021", "BBBC021_v1_image.csv.gz"))
    moa = pd.read_csv(dataset_file("bbbc021", "BBBC021_v1_moa.csv"))
    keys = (images[["Image_Metadata_Plate_DAPI", "Image_Metadata_Well_DAPI", "Image_Metadata_Compound",
                    "Image_Metadata_Concentration"]].drop_duplicates(["Image_Metadata_Plate_DAPI", "Image_Metadata_Well_DAPI"]))
    df = wells.merge(keys, left_on=["Image_Metadata_Plate", "Image_Metadata_Well"],
                     right_on=["Image_Metadata_Plate_DAPI", "Image_Metadata_Well_DAPI"], how="inner")
    df = df.merge(moa, left_on=["Image_Metadata_Compound", "Image_Metadata_Concentration"],
                  right_on=["compound", "concentration"], how="inner")
    meta = pd.DataFrame({"Metadata_Plate": df["Image_Metadata_Plate"], "Metadata_Well": df["Image_Metadata_Well"],
                         "Metadata_Compound": df["compound"], "Metadata_Concentration": df["concentration"],
                         "Metadata_moa": df["moa"]})
    meta["Metadata_Batch"] = meta["Metadata_Plate"].str.split("_").str[0]
    features = [c for c in wells.columns if not c.startswith("Image_") and
                pd.api.types.is_numeric_dtype(wells[c]) and not re.search(r"(Center_[XY]|_Location_|_Number_)", c)]
    return pd.concat([meta, df[features].astype(np.float64)], axis=1)


def feature_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if not str(c).startswith("Metadata_")]


def control_mask(df: pd.DataFrame, control: str) -> np.ndarray:
    """Wells of the negative control (compound name matched without case); a clear error if there are none."""
    mask = df["Metadata_Compound"].str.strip().str.lower() == str(control).strip().lower()
    if not mask.any():
        common = ", ".join(df["Metadata_Compound"].value_counts().index[:5])
        raise DataError(f"No control wells: no compound is called {control!r} (most common: {common}). Name the "
                        "negative control the plates were normalised to")
    return mask.to_numpy()


def check_profiles(df: pd.DataFrame, *, control: str, need_moa: bool) -> None:
    """Refuse what cannot be analysed, in plain words: all-NaN features, too few MoAs or compounds."""
    X = df[feature_columns(df)]
    if X.isna().all(axis=None):
        raise DataError("Every feature value is missing (NaN)")
    treated = df[~control_mask(df, control)]
    if treated["Metadata_Compound"].nunique() < 2:
        raise DataError("At least two treated compounds are needed besides the control")
    if need_moa:
        n_moa = treated["Metadata_moa"].nunique()
        if n_moa < 2:
            raise DataError(f"Only one MoA ({treated['Metadata_moa'].iloc[0]!r}) among the treated wells: MoA "
                            "prediction needs at least two")


def normalize_per_plate(df: pd.DataFrame, *, control: str, method: str = "mad_robustize") -> pd.DataFrame:
    """Each plate normalised to its own control wells with pycytominer (``method``; ``none`` leaves it)."""
    if method == "none":
        return df
    from pycytominer import normalize

    features = feature_columns(df)
    meta = [c for c in df.columns if c not in features]
    parts = []
    control_mask(df, control)
    for plate, wells in df.groupby("Metadata_Plate", sort=False):
        ctrl = wells["Metadata_Compound"].str.strip().str.lower() == control.strip().lower()
        if not ctrl.any():
            raise DataError(f"Plate {plate!r} has no {control} wells to normalise to")
        wells = wells.assign(Metadata_is_control=ctrl.to_numpy())
        normed = normalize(wells, features=features, meta_features=meta + ["Metadata_is_control"],
                           samples="Metadata_is_control == True", method=method)
        normed.index = wells.index  # pycytominer returns a fresh index; keep the wells' own
        parts.append(normed.drop(columns="Metadata_is_control")[df.columns])
    out = pd.concat(parts).loc[df.index]
    out[features] = out[features].replace([np.inf, -np.inf], np.nan)
    return out


def select_features(df: pd.DataFrame, *, operations: str) -> tuple[pd.DataFrame, list[str]]:
    # drop_outliers: MAD-robustized features with a near-zero control MAD (counts, Euler numbers) reach 1e16
    """pycytominer feature selection (operations joined by '+', or ``none``); returns the table and the dropped."""
    features = feature_columns(df)
    if operations == "none":
        return df, []
    from pycytominer import feature_select

    ops = operations.split("+")
    kept = feature_select(df, features=features, operation=ops)
    kept.index = df.index
    kept_features = feature_columns(kept)
    if not kept_features:
        raise DataError("Feature selection left no feature: the features hardly vary (or are mostly missing)")
    return kept, sorted(set(features) - set(kept_features))


def treatment_profiles(df: pd.DataFrame, *, control: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Median profile per (compound, concentration) over its treated wells; the table of treatments (plate
    count, wells, batch = the commonest of its wells, MoA) and their profiles."""
    features = feature_columns(df)
    treated = df[~control_mask(df, control)]
    keys = ["Metadata_Compound", "Metadata_Concentration"]
    groups = treated.groupby(keys, sort=True)
    profiles = groups[features].median()
    info = groups.agg(n_wells=("Metadata_Plate", "size"), n_plates=("Metadata_Plate", "nunique"),
                      Metadata_Batch=("Metadata_Batch", lambda s: s.mode().iloc[0]))
    if "Metadata_moa" in treated:
        info["Metadata_moa"] = groups["Metadata_moa"].agg(lambda s: s.mode().iloc[0])
    info = info.reset_index()
    info.index = [f"{c} @ {k:g}" for c, k in zip(info["Metadata_Compound"], info["Metadata_Concentration"])]
    return info, np.nan_to_num(profiles.to_numpy(np.float64))


def feature_annotation(features: list[str]) -> pd.DataFrame:
    """Compartment, measurement category and channel of each CellProfiler feature name
    (``Compartment_Category_Feature_Channel...``); ``multi`` for correlations between channels."""
    rows = []
    for f in features:
        parts = str(f).split("_")
        compartment = parts[0] if len(parts) > 1 else ""
        category = parts[1] if len(parts) > 2 else "other"
        channels = [p[4:] if p.startswith(("Corr", "Orig")) and len(p) > 4 else p for p in parts[2:]
                    if p.startswith(("Corr", "Orig")) or p in KNOWN_CHANNELS]
        channels = list(dict.fromkeys(channels))
        channel = channels[0] if len(channels) == 1 else ("multi" if channels else "none")
        rows.append({"compartment": compartment, "category": category, "channel": channel})
    return pd.DataFrame(rows, index=pd.Index([str(f) for f in features]))
