"""Integrated gradients of the sensitivity output with respect to each input gene."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from ..module import MemberEnsemble, TransferNetwork
from ..preprocess import scaled_matrix


def _members(net: nn.Module) -> list[TransferNetwork]:
    """The :class:`TransferNetwork` members a network's output averages (itself when it is one)."""
    return list(net.members) if isinstance(net, MemberEnsemble) else [net]


def _head(member: TransferNetwork, h: torch.Tensor) -> torch.Tensor:
    """A member's logit from its first encoder layer's output ``h`` (the rest of its deterministic path)."""
    return member.predictor(member.encoder.mean(member.encoder.body[1:](h)))


def gauss_legendre(n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre points and weights on [0, 1] (captum's default ``method="gausslegendre"``)."""
    x, w = np.polynomial.legendre.leggauss(n_steps)
    return 0.5 * (x + 1), 0.5 * w


def integrated_gradients(X: np.ndarray, nets: list[nn.Module], *, n_steps: int = 32,
                         batch_size: int = 128) -> np.ndarray:
    """Cells x genes integrated gradients of P(sensitive), averaged over the networks (seeds); baseline = the
    all-zero (average) profile, Gauss-Legendre quadrature of ``n_steps`` points.

    The same quantity as captum's ``IntegratedGradients`` (a test checks they agree), computed through the first
    encoder layer once instead of once per step: with a zero baseline that layer's input on the path is ``a x``,
    so its output is ``a (W x) + b``, and the gradient for the genes is ``W^T`` times the gradient at that output.
    Only the small layers after it run at every step, and the step-averaged gradient goes back through ``W`` once.
    A network that averages members (:class:`engine.module.MemberEnsemble`) is attributed as one function: the
    sigmoid of its members' mean logit. ``batch_size`` cells at a time: each holds ``n_steps`` x hidden values per
    member and layer (2,000 cells x 2,000 genes x 10 members: 512 at a time 0.99 s and +843 MB, 128 0.88 s and
    +335 MB).
    """
    alphas, weights = (torch.as_tensor(v, dtype=torch.float32) for v in gauss_legendre(n_steps))
    total = np.zeros(X.shape, dtype=np.float32)
    for net in nets:
        net.eval()
        members = _members(net)
        first = [m.encoder.body[0] for m in members]  # each member's first layer (nn.Linear)
        device = next(net.parameters()).device
        a, w = alphas.to(device)[None, :, None], weights.to(device)[None, :, None]
        for start in range(0, X.shape[0], batch_size):
            x = torch.as_tensor(X[start:start + batch_size], dtype=torch.float32, device=device)
            with torch.no_grad():
                paths = [(a * (x @ f.weight.T)[:, None, :] + f.bias).requires_grad_(True) for f in first]
            logits = torch.stack([_head(m, h.reshape(-1, h.shape[-1])) for m, h in zip(members, paths)]).mean(0)
            grads = torch.autograd.grad(torch.sigmoid(logits).sum(), paths)
            with torch.no_grad():
                att = sum((g * w).sum(1) @ f.weight for g, f in zip(grads, first)) * x
            total[start:start + batch_size] += att.cpu().numpy()
    total /= max(len(nets), 1)
    return total


MAX_CELLS = 10_000  # integrated gradients on at most this many cells (a stated, stratified random sample above it)


def _rank_sum_pvalues(A: np.ndarray, group: np.ndarray, *, genes_per_block: int = 128) -> np.ndarray:
    """Two-sided Wilcoxon rank-sum p-value of each column of ``A`` between rows in ``group`` and the rest,
    ``genes_per_block`` columns at a time (scipy ranks in float64: a whole 10k x 2,000 matrix would take GBs)."""
    p = np.empty(A.shape[1])
    for start in range(0, A.shape[1], genes_per_block):
        block = A[:, start:start + genes_per_block]
        p[start:start + genes_per_block] = stats.mannwhitneyu(block[group], block[~group], axis=0,
                                                              alternative="two-sided").pvalue
    return p


def attribution_sample(groups: np.ndarray, *, max_cells: int | None, seed: int = 0) -> np.ndarray:
    """Rows to attribute: all of them up to ``max_cells``, else a random sample of ``max_cells`` that keeps each
    group's share (stratified), sorted."""
    n = len(groups)
    if max_cells is None or n <= max_cells:
        return np.arange(n)
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(n), train_size=max_cells, stratify=groups, random_state=seed)
    return np.sort(keep)


def attribute(adata: ad.AnnData, nets: list[TransferNetwork], *, layer: str = "scaled", groupby: str = "predicted",
              n_steps: int = 32, n_top: int = 50, pval_cutoff: float = 0.05, lfc_cutoff: float = 0.5,
              max_cells: int | None = MAX_CELLS, seed: int = 0, key_added: str = "attribution") -> None:
    """Per-gene attribution table in ``uns[key_added]``, per-cell values of the top genes in
    ``obsm[key_added + '_top']``, and critical genes in ``uns['critical_genes']``.

    Critical genes: attributions differ between the predicted groups (Wilcoxon rank-sum, Benjamini-Hochberg
    adjusted p <= ``pval_cutoff``, and |log2 ratio of mean |IG|| >= ``lfc_cutoff``).

    Above ``max_cells`` cells, attributions are computed on a random sample of that many cells stratified by
    ``groupby`` (``seed``): the table and the tests then describe the sample, ``uns['critical_genes']['params']``
    says so (``cells``), and the per-cell values of cells outside the sample are NaN.
    """
    groups = (adata.obs[groupby] == "sensitive").to_numpy()
    rows = attribution_sample(groups, max_cells=max_cells, seed=seed)
    X = scaled_matrix(adata, layer)
    X = np.asarray(X[rows] if len(rows) < adata.n_obs else X, dtype=np.float32)
    A = integrated_gradients(X, nets, n_steps=n_steps)
    sens = groups[rows]
    absA = np.abs(A)
    eps = 1e-12
    table = pd.DataFrame({
        "mean_abs_ig": absA.mean(0), "mean_ig": A.mean(0),
        "mean_abs_ig_sensitive": absA[sens].mean(0) if sens.any() else np.nan,
        "mean_abs_ig_resistant": absA[~sens].mean(0) if (~sens).any() else np.nan,
    }, index=adata.var_names.astype(str))
    table["log2_ratio"] = np.log2((table.mean_abs_ig_sensitive + eps) / (table.mean_abs_ig_resistant + eps))
    if sens.sum() >= 2 and (~sens).sum() >= 2:
        p = _rank_sum_pvalues(A, sens)
        p = np.where(np.isfinite(p), p, 1.0)
        table["pval"] = p
        table["pval_adj"] = stats.false_discovery_control(p, method="bh")
        critical = table[(table.pval_adj <= pval_cutoff) & (table.log2_ratio.abs() >= lfc_cutoff)]
        reason = ""
    else:
        table["pval"] = table["pval_adj"] = np.nan
        critical = table.iloc[:0]
        reason = "fewer than two cells in a predicted group"
    table = table.sort_values("mean_abs_ig", ascending=False)
    table["rank"] = np.arange(1, len(table) + 1)
    adata.uns[key_added] = table
    top = list(table.index[:n_top])
    per_cell = np.full((adata.n_obs, len(top)), np.nan, dtype=np.float32)
    per_cell[rows] = A[:, adata.var_names.get_indexer(top)]
    adata.obsm[f"{key_added}_top"] = pd.DataFrame(per_cell, index=adata.obs_names, columns=top)
    cells = ("all cells" if len(rows) == adata.n_obs else
             f"a random sample of {len(rows):,} of {adata.n_obs:,} cells, stratified by {groupby} (seed {seed})")
    adata.uns["critical_genes"] = {
        "genes": np.asarray(critical.sort_values("pval_adj").index, dtype=object),
        "params": {"test": "wilcoxon rank-sum on IG, sensitive vs resistant (predicted)", "pval_cutoff": pval_cutoff,
                   "lfc_cutoff": lfc_cutoff, "lfc": "log2 ratio of mean |IG|", "n_steps": n_steps,
                   "n_seeds": len(nets), "baseline": "all-zero scaled profile", "cells": cells,
                   "n_cells": int(len(rows))},
        "skipped": reason}
