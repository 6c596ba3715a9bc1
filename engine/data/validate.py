"""Checks of a user's single-cell file before any training starts: every problem is one clear DataError."""

from __future__ import annotations

from pathlib import Path

import anndata as ad

from .bulk import bulk_genes
from .errors import DataError
from .genes import MIN_SHARED_GENES
from .single_cell import labels_to_binary, read_single_cell

def label_candidates(path: str | Path) -> list[str]:
    """``obs`` columns that hold binary labels (1/0, True/False, sensitive/resistant), for a picker."""
    try:
        obs = ad.read_h5ad(path, backed="r").obs
    except Exception as exc:
        raise DataError(f"Not a readable AnnData (.h5ad) file: {type(exc).__name__}: {exc}", path=path) from exc
    out = []
    for col in obs.columns:
        values = obs[col]
        if values.nunique(dropna=True) != 2:
            continue
        try:
            labels_to_binary(values)
        except DataError:
            continue
        out.append(str(col))
    return out


def check_single_cell(path: str | Path, *, label_column: str | None = None, bulk: str = "gdsc",
                      min_shared: int = MIN_SHARED_GENES) -> dict:
    """Read ``path`` as training would and check it against ``bulk``; returns a summary with any warnings."""
    path = Path(path)
    if path.suffix.lower() != ".h5ad":
        raise DataError("Uploads must be AnnData files ending in .h5ad", path=path)
    cells = read_single_cell(path, label_column=label_column or None)
    if label_column and label_column not in cells.obs.columns:
        raise DataError(f"No label column {label_column!r} in obs; columns: "
                        f"{', '.join(map(str, cells.obs.columns)) or 'none'}", path=path)
    from ..preprocess import check_cells_usable

    check_cells_usable(cells)
    genes = set(bulk_genes(bulk))
    shared = sum(g in genes for g in cells.var_names)
    if shared < min_shared:
        raise DataError(f"Only {shared} genes are shared with the bulk data ({len(genes)} genes); at least "
                        f"{min_shared} are needed. Use human gene symbols, Entrez or Ensembl ids as var_names.",
                        path=path)
    summary = {"cells": int(cells.n_obs), "genes": int(cells.n_vars), "shared_genes": int(shared), "warnings": []}
    if label_column:
        labels = cells.obs["label"]
        n_missing = int(labels.isna().sum())
        if n_missing == len(labels):
            raise DataError(f"Label column {label_column!r} holds no labels (all NaN)", path=path)
        counts = labels.dropna().astype(int).value_counts()
        summary["labels"] = {"sensitive": int(counts.get(1, 0)), "resistant": int(counts.get(0, 0)),
                             "missing": n_missing}
        if n_missing:
            summary["warnings"].append(f"{n_missing} cells have no label (NaN): they are left out of the metrics")
        if len(counts) < 2:
            summary["warnings"].append("labels hold one class only: AUROC and MCC will be undefined")
    return summary


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.data.validate FILE [--label-column C] [--max-mb N]``: the checks above in a process of
    their own (the web app runs them so, so that a large or hostile file never inflates a web worker); prints one
    JSON line, ``{"ok": true, "summary": ...}`` or ``{"ok": false, "error": ...}`` (exit code 2)."""
    import argparse
    import json
    import os

    from .errors import public_message
    from .single_cell import MEMORY_BUDGET_ENV

    p = argparse.ArgumentParser(prog="python -m engine.data.validate")
    p.add_argument("file")
    p.add_argument("--label-column", default=None)
    p.add_argument("--max-mb", type=float, default=None, help="memory budget of the expression matrix")
    args = p.parse_args(argv)
    if args.max_mb is not None:
        os.environ[MEMORY_BUDGET_ENV] = str(args.max_mb)
    try:
        summary = check_single_cell(args.file, label_column=args.label_column)
    except DataError as exc:
        print(json.dumps({"ok": False, "error": public_message(exc)}))
        return 2
    print(json.dumps({"ok": True, "summary": summary}))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
