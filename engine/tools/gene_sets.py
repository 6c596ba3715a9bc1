"""A person's own gene sets (a GMT file or a pasted list), scored per cell with scanpy's ``tl.score_genes``."""

from __future__ import annotations

import re

import anndata as ad
import numpy as np

from ..data.errors import DataError

MAX_SETS = 50
MAX_GENES = 2000
_SPLIT = re.compile(r"[\s,;]+")


def parse_gene_sets(text: str, *, name: str = "my gene set") -> dict[str, list[str]]:
    """Gene sets from GMT text (one set a line: name, description, genes, tab-separated) or, when no line has a
    tab, one pasted list of genes (separated by spaces, commas, semicolons or new lines) called ``name``.

    Returns
    -------
    ``{set name: [genes]}`` (order kept, duplicates dropped); a plain DataError when nothing usable is given.
    """
    text = (text or "").strip()
    if not text:
        raise DataError("Paste some gene names or choose a GMT file")
    lines = [l for l in text.splitlines() if l.strip()]
    if any("\t" in l for l in lines):
        sets = {}
        for k, line in enumerate(lines, 1):
            fields = [f.strip() for f in line.split("\t")]
            if len(fields) < 3 or not fields[0]:
                raise DataError(f"GMT line {k} needs a name, a description and at least one gene, tab-separated")
            sets[fields[0][:60]] = list(dict.fromkeys(g for g in fields[2:] if g))
    else:
        sets = {(name or "my gene set").strip()[:60] or "my gene set": list(dict.fromkeys(g for g in _SPLIT.split(text) if g))}
    if len(sets) > MAX_SETS:
        raise DataError(f"{len(sets)} gene sets given; at most {MAX_SETS} at a time")
    for set_name, genes in sets.items():
        if not genes:
            raise DataError(f"gene set {set_name!r} names no genes")
        if len(genes) > MAX_GENES:
            raise DataError(f"gene set {set_name!r} has {len(genes)} genes; at most {MAX_GENES}")
    return sets


def score_gene_sets(adata: ad.AnnData, sets: dict[str, list[str]], *, key_prefix: str = "geneset_",
                    seed: int = 0) -> dict[str, dict]:
    """Score each set per cell with ``sc.tl.score_genes`` (on ``.raw`` when the object has it).

    Parameters
    ----------
    adata
        Cells x genes (log-normalised or as the input gave them).
    sets
        ``{name: [genes]}``, as :func:`parse_gene_sets` returns.
    key_prefix
        Scores go to ``obs[key_prefix + name]``.
    seed
        Seed of the control genes.

    Returns
    -------
    Per set: ``n_genes`` given, ``n_used`` found, ``missing`` (up to 20), ``key`` (or ``skipped`` with the reason).
    """
    import scanpy as sc

    var_names = adata.raw.var_names if adata.raw is not None else adata.var_names
    known = {g.upper(): g for g in var_names}
    out = {}
    for name, genes in sets.items():
        used = [known[g.upper()] for g in genes if g.upper() in known]
        missing = [g for g in genes if g.upper() not in known]
        info = {"n_genes": len(genes), "n_used": len(used), "missing": missing[:20]}
        if not used:
            out[name] = {**info, "skipped": f"none of its {len(genes)} genes is in these cells"}
            continue
        key = f"{key_prefix}{name}"
        try:  # scanpy's 25 expression bins; fewer where there are few genes, so each bin has controls
            sc.tl.score_genes(adata, used, score_name=key, random_state=seed, use_raw=adata.raw is not None,
                              ctrl_size=50, n_bins=min(25, max(2, len(var_names) // 20)))
        except (RuntimeError, ValueError) as exc:
            out[name] = {**info, "skipped": f"scanpy could not score it: {exc}"}
            continue
        adata.obs[key] = adata.obs[key].astype(np.float32)
        out[name] = {**info, "key": key}
    return out
