"""Single-cell readers: ``.h5ad``, SCAD-style TSV (Entrez columns + ``response``), gene x cell count
tables (Drop-seq), and 10x ``mtx`` folders; an optional label table joined by cell id.

Every reader returns cells x genes with current gene symbols as ``var_names``, ``obs['label']``
(1 = sensitive, 0 = resistant) when labels are known, and ``uns['sc_input']`` describing the input.
Raw counts are kept in ``layers['counts']``.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .catalog import get, is_dataset_id
from .errors import DataError
from .genes import symbol_columns
from .install import dataset_file

_LABEL_WORDS = {"sensitive": 1, "resistant": 0, "1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0}


def labels_to_binary(values: pd.Series, *, path=None) -> pd.Series:
    """0/1, True/False or sensitive/resistant -> float 1/0 (NaN stays NaN)."""
    s = values.astype("object")
    out = s.map(lambda v: np.nan if pd.isna(v) else _LABEL_WORDS.get(str(v).strip().lower(), "bad"))
    bad = sorted({str(v) for v, o in zip(s, out) if isinstance(o, str)})
    if bad:
        raise DataError(f"Labels must be 1/0 or sensitive/resistant; found {', '.join(bad[:5])}", path=path)
    return out.astype(float)


MEMORY_BUDGET_ENV = "SCRESPONSE_MAX_MATRIX_MB"  # the largest expression matrix a reader loads (estimated in memory)


def regular_file(path: Path) -> Path:
    """``path`` if it is a readable regular file; a plain DataError for a missing file, a folder, a FIFO or a
    device (which would block a reader for ever) and a symbolic-link loop."""
    import stat

    try:
        st = Path(path).stat()
    except FileNotFoundError:
        raise DataError("File not found", path=path) from None
    except OSError as exc:  # ELOOP, EACCES, ...
        raise DataError(f"Cannot open the file: {exc.strerror}", path=path) from None
    if not stat.S_ISREG(st.st_mode):
        raise DataError("Not a regular file (a folder, pipe or device cannot be read as data)", path=path)
    return Path(path)


def inspect_h5ad(path: Path) -> dict:
    """Shape, storage and estimated in-memory size of an .h5ad's ``X``, read from its header without loading it."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if "X" not in f:
                raise DataError("Not an AnnData file: it has no X", path=path)
            X = f["X"]
            if isinstance(X, h5py.Dataset):
                shape, itemsize, sparse = tuple(X.shape), X.dtype.itemsize, False
                nbytes = int(np.prod(shape, dtype=np.int64)) * itemsize
            else:
                shape = tuple(int(v) for v in X.attrs.get("shape", X.attrs.get("h5sparse_shape", (0, 0))))
                data, indices = X["data"], X["indices"]
                itemsize, sparse = data.dtype.itemsize, True
                nbytes = int(data.shape[0]) * (itemsize + indices.dtype.itemsize) + 8 * (max(shape) + 1)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"Not a readable AnnData (.h5ad) file: {type(exc).__name__}: {exc}", path=path) from exc
    return {"shape": shape, "sparse": sparse, "itemsize": itemsize, "bytes": nbytes}


def read_h5ad_checked(path: Path, *, max_mb: float | None = None) -> ad.AnnData:
    """Read a user's .h5ad after checking, from its header, that its matrix fits the memory budget
    (``max_mb``, else ``$SCRESPONSE_MAX_MATRIX_MB``, else 8,000 MB as float32 after reading)."""
    import os

    path = regular_file(Path(path))
    info = inspect_h5ad(path)
    budget = max_mb if max_mb is not None else float(os.environ.get(MEMORY_BUDGET_ENV, 8000))
    in_memory = info["bytes"] * max(1.0, 4 / info["itemsize"])  # the readers work in float32 at least
    if in_memory > budget * 1e6:
        n_obs, n_vars = info["shape"]
        raise DataError(f"The expression matrix ({n_obs:,} x {n_vars:,}, {'sparse' if info['sparse'] else 'dense'}) "
                        f"would need about {in_memory / 1e6:,.0f} MB in memory, above the limit of {budget:,.0f} MB",
                        path=path)
    try:
        return ad.read_h5ad(path)
    except Exception as exc:
        raise DataError(f"Not a readable AnnData (.h5ad) file: {type(exc).__name__}: {exc}", path=path) from exc


def _read_table(path: Path, **kw) -> pd.DataFrame:
    regular_file(path)
    if path.stat().st_size == 0:
        raise DataError("File is empty", path=path)
    sep = "," if ".csv" in path.suffixes else "\t"
    try:
        return pd.read_csv(path, sep=sep, index_col=0, **kw)
    except Exception as exc:
        raise DataError(f"Could not parse table: {type(exc).__name__}: {exc}", path=path) from exc


def _to_symbols(adata: ad.AnnData, *, path) -> ad.AnnData:
    keep, symbols = symbol_columns(adata.var_names.astype(str))
    if not symbols:
        raise DataError("No column maps to a known human gene (Entrez, Ensembl or symbol)", path=path)
    out = adata[:, keep].copy()
    out.var["original_id"] = out.var_names.astype(str)
    out.var_names = pd.Index(symbols, name="symbol")
    return out


def _check_values(adata: ad.AnnData, *, path) -> None:
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise DataError(f"No cells or no genes ({adata.n_obs} x {adata.n_vars})", path=path)
    data = adata.X.data if sp.issparse(adata.X) else np.asarray(adata.X)
    n_bad = int((~np.isfinite(data)).sum())
    if n_bad:
        raise DataError(f"Expression holds {n_bad} NaN or infinite values; clean or impute them first", path=path)


def is_counts(X) -> bool:
    """Whether X looks like raw counts (non-negative integers, judged on up to 200,000 stored values)."""
    data = X.data if sp.issparse(X) else np.asarray(X)
    sample = data[: 200_000]
    return bool(sample.size) and bool((sample >= 0).all()) and bool(np.allclose(sample, np.round(sample)))


def _read_scad_tsv(path: Path, label_column: str) -> ad.AnnData:
    table = _read_table(path)
    labels = table.pop(label_column) if label_column in table else None
    table = table.apply(pd.to_numeric, errors="coerce")
    adata = ad.AnnData(X=table.to_numpy(dtype=np.float32), obs=pd.DataFrame(index=table.index.astype(str)),
                       var=pd.DataFrame(index=table.columns.astype(str)))
    if labels is not None:
        adata.obs["label"] = labels_to_binary(labels, path=path).to_numpy()
    return adata


def _read_counts_table(paths: list[Path], *, chunk_genes: int = 2000) -> ad.AnnData:
    """Genes x cells count tables, read in chunks of genes straight into a sparse cells x genes matrix."""
    parts = []
    for p in paths:
        if not p.exists() or p.stat().st_size == 0:
            raise DataError("File not found or empty", path=p)
        sample = p.name.split(".")[0]
        blocks, genes, cells = [], [], None
        try:
            for chunk in pd.read_csv(p, sep="\t", index_col=0, chunksize=chunk_genes):
                cells = chunk.columns if cells is None else cells
                blocks.append(sp.csr_matrix(chunk.to_numpy(dtype=np.float32)))
                genes.extend(chunk.index.astype(str))
        except Exception as exc:
            raise DataError(f"Could not parse count table: {type(exc).__name__}: {exc}", path=p) from exc
        if not blocks:
            raise DataError("Count table has no rows", path=p)
        a = ad.AnnData(X=sp.vstack(blocks).T.tocsr(),
                       obs=pd.DataFrame({"sample": sample}, index=[f"{sample}_{c}" for c in cells]),
                       var=pd.DataFrame(index=genes))
        a.var_names_make_unique()
        parts.append(a)
    return parts[0] if len(parts) == 1 else ad.concat(parts, join="outer", fill_value=0)


DEFAULT_LABEL_COLUMN = "response"  # read when present; any other name must exist


def _read_path(path: Path, label_column: str | None) -> tuple[ad.AnnData, str]:
    if not path.is_dir():
        regular_file(path)
    if path.is_dir():
        import scanpy as sc

        try:
            return sc.read_10x_mtx(path, var_names="gene_ids"), "10x_mtx"
        except Exception as exc:
            raise DataError(f"Not a 10x mtx folder: {exc}", path=path) from exc
    if path.suffix.lower() == ".h5ad":
        adata = read_h5ad_checked(path)
        if label_column in adata.obs:
            adata.obs["label"] = labels_to_binary(adata.obs[label_column], path=path).to_numpy()
        elif label_column not in (None, DEFAULT_LABEL_COLUMN):  # a column named on purpose must exist
            raise DataError(f"No label column {label_column!r} in the file's obs (columns: "
                            f"{', '.join(map(str, adata.obs.columns)) or 'none'})", path=path)
        return adata, "h5ad"
    head = _read_table(path, nrows=2)
    if label_column in head.columns:
        return _read_scad_tsv(path, label_column), "cells_x_genes_table"
    return _read_counts_table([path]), "genes_x_cells_counts"


def join_labels(adata: ad.AnnData, label_table: str | Path, *, label_column: str = "response") -> ad.AnnData:
    """Add ``obs['label']`` from a table indexed by cell id (extra cells in the table are ignored)."""
    path = Path(label_table)
    table = _read_table(path)
    if label_column not in table:
        raise DataError(f"Label table has no column {label_column!r} (columns: {', '.join(table.columns)})", path=path)
    labels = labels_to_binary(table[label_column], path=path)
    labels.index = labels.index.astype(str)
    hit = adata.obs_names.isin(labels.index)
    if not hit.any():
        raise DataError(f"No cell id of the label table matches the data (e.g. {labels.index[0]!r} vs "
                        f"{adata.obs_names[0]!r})", path=path)
    adata.obs["label"] = labels.reindex(adata.obs_names).to_numpy()
    return adata


def _cache_path(ds) -> Path:
    return dataset_file(ds.id, ds.files[0].name).parent / ".parsed.h5ad"


def _cache_key(ds) -> str:
    return ",".join(f.sha256 for f in ds.files)


def _read_cached(ds) -> ad.AnnData | None:
    """The parsed form of a catalog set, saved after its first read (keyed by the files' checksums)."""
    path = _cache_path(ds)
    if not path.exists():
        return None
    try:
        adata = ad.read_h5ad(path)
    except Exception:
        return None
    return adata if adata.uns.pop("cache_key", None) == _cache_key(ds) else None


def _write_cache(ds, adata: ad.AnnData) -> None:
    from ..results import write_atomic

    adata.uns["cache_key"] = _cache_key(ds)
    try:
        write_atomic(adata, _cache_path(ds))
    finally:
        adata.uns.pop("cache_key")


def read_single_cell(source: str | Path, *, label_table: str | Path | None = None,
                     label_column: str | None = "response") -> ad.AnnData:
    """Read single-cell data from a catalog id or a file; see the module docstring.

    ``label_column=None`` reads no labels from a file (catalog sets use the catalog's label column).
    """
    if isinstance(source, str) and is_dataset_id(source):
        ds = get(source)
        if ds.kind != "single_cell":
            raise DataError(f"Dataset {source!r} is {ds.kind}, not single-cell data")
        paths = [dataset_file(ds.id, f.name) for f in ds.files]
        adata = _read_cached(ds)
        if adata is None:
            if ds.format == "scad_tsv":
                adata = _read_scad_tsv(paths[0], ds.label_column or label_column)
            else:
                adata = _read_counts_table(paths)
            _check_values(adata, path=paths[0])
            adata = _to_symbols(adata, path=paths[0])
            _write_cache(ds, adata)
        fmt, where, info = ds.format, paths[0], {"dataset": ds.id, "drug": ds.drug, "label_quality": ds.label_quality}
    else:
        where = Path(source)
        adata, fmt = _read_path(where, label_column)
        info = {"path": str(where)}
        _check_values(adata, path=where)
        adata = _to_symbols(adata, path=where)
    if label_table is not None:
        adata = join_labels(adata, label_table, label_column=label_column)
    counts = is_counts(adata.X)
    if counts:
        adata.layers["counts"] = adata.X.copy()
    info.update(format=fmt, counts=counts, n_cells=adata.n_obs, n_genes=adata.n_vars,
                labelled="label" in adata.obs and bool(adata.obs["label"].notna().any()))
    adata.uns["sc_input"] = info
    return adata
