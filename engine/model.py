"""The AnnData-facing model (scvi-tools ``model`` style): fit / predict / get_latent / save / load."""

from __future__ import annotations

import json
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import torch

from .folds import line_groups
from .module import TransferNetwork
from .preprocess import ScaledRows, scaled_matrix
from .train import CancelHook, ProgressHook, TrainConfig, TrainResult, build_network, resolve_device, train

LAYER = "scaled"
FORWARD_BATCH = 16_384  # rows per forward pass in predict / get_latent / get_reconstruction


def _matrix(adata: ad.AnnData, layer: str):
    """The rows the model reads: a float32 array, or the cells' :class:`engine.preprocess.ScaledRows` as it is
    (standardised a minibatch at a time, never whole)."""
    X = scaled_matrix(adata, layer)
    if isinstance(X, ScaledRows):
        return X
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float32)


class DrugResponseModel:
    """Bulk-to-single-cell drug-response model over harmonised AnnData (see :func:`engine.preprocess.harmonize`).

    ``bulk.obs['response']`` holds 1 = sensitive / 0 = resistant. ``cells`` needs no labels, and any
    it has are never read.
    """

    def __init__(self, bulk: ad.AnnData, cells: ad.AnnData, config: TrainConfig | None = None, *, layer: str = LAYER):
        if list(bulk.var_names) != list(cells.var_names):
            raise ValueError("bulk and cells must share the same genes in the same order; run harmonize() first")
        if "response" not in bulk.obs:
            raise ValueError("bulk.obs['response'] (1 = sensitive, 0 = resistant) is required")
        self.bulk, self.cells, self.layer = bulk, cells, layer
        self.config = config or TrainConfig()
        self.genes = list(bulk.var_names)
        self.result: TrainResult | None = None
        self.seed: int | None = None

    def fit(self, *, seed: int = 0, progress: ProgressHook | None = None, cancel: CancelHook | None = None):
        self.seed = seed
        self.result = train(_matrix(self.bulk, self.layer), self.bulk.obs["response"].to_numpy(dtype=np.float32),
                            _matrix(self.cells, self.layer), config=self.config, seed=seed,
                            progress=progress, cancel=cancel, bulk_groups=self._groups(),
                            bulk_lines=line_groups(self.bulk))
        return self

    def _groups(self) -> np.ndarray | None:
        """Tissue codes of the bulk lines for the center loss (-1 for unknown), or None when it is off."""
        if self.config.lambda_center <= 0:
            return None
        if "tissue" not in self.bulk.obs:
            raise ValueError("the center loss (lambda_center > 0) needs bulk.obs['tissue']")
        tissue = self.bulk.obs["tissue"].astype(str)
        known = ~tissue.isin(["unknown", "nan", "", "None"])
        codes = np.full(len(tissue), -1, dtype=np.int64)
        codes[known.to_numpy()] = pd.factorize(tissue[known], sort=True)[0]
        return codes

    def _net(self, transferred: bool) -> TransferNetwork:
        if self.result is None:
            raise RuntimeError("fit() or load() the model first")
        return self.result.transferred if transferred else self.result.pretrained

    def _forward(self, adata: ad.AnnData | None, transferred: bool, *, decode: bool = False,
                 batch_size: int = FORWARD_BATCH):
        """Latent, logit (and, with ``decode``, the single-cell reconstruction) of every row, ``batch_size`` rows
        at a time: a million cells never pass through the network at once."""
        adata = self.cells if adata is None else adata
        if list(adata.var_names) != self.genes:
            raise ValueError("adata must hold the model's genes in the model's order")
        net = self._net(transferred)
        device = next(net.parameters()).device
        X = scaled_matrix(adata, self.layer)
        parts: list[list[np.ndarray]] = [[], [], []]
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                block = X[start:start + batch_size]
                x = torch.as_tensor(np.asarray(block.toarray() if hasattr(block, "toarray") else block,
                                               dtype=np.float32), device=device)
                z, _ = net.encode(x)
                parts[0].append(z.cpu().numpy())
                parts[1].append(net.predictor(z).cpu().numpy())
                if decode:
                    parts[2].append(net.decoders["sc"](z).cpu().numpy())
        join = lambda p: np.concatenate(p) if p else np.zeros((0,), np.float32)
        return join(parts[0]), join(parts[1]), (join(parts[2]) if decode else None)

    def predict(self, adata: ad.AnnData | None = None, *, transferred: bool = True) -> np.ndarray:
        """Probability of 'sensitive' for each row (cells by default)."""
        _, logit, _ = self._forward(adata, transferred)
        return torch.sigmoid(torch.as_tensor(logit)).numpy()

    def get_latent(self, adata: ad.AnnData | None = None, *, transferred: bool = True) -> np.ndarray:
        z, _, _ = self._forward(adata, transferred)
        return z

    def get_reconstruction(self, adata: ad.AnnData | None = None, *, transferred: bool = True) -> np.ndarray:
        """The single-cell decoder's output for each row (cells by default): the expression the model expects for
        the cell, on the scale it reads (``scaled_matrix``: standardised), as scvi-tools' normalised expression.
        For dropout imputation in log-normalised units see :func:`engine.tools.imputation.impute`."""
        return self._forward(adata, transferred, decode=True)[2]

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        torch.save({"pretrained": self._net(False).state_dict(), "transferred": self._net(True).state_dict()},
                   folder / "model.pt")
        (folder / "model.json").write_text(json.dumps({"config": self.config.to_dict(), "genes": self.genes,
                                                        "seed": self.seed}))
        return folder

    @classmethod
    def load(cls, folder: str | Path, bulk: ad.AnnData, cells: ad.AnnData) -> "DrugResponseModel":
        cfg, genes, seed, nets = load_networks(folder)
        model = cls(bulk, cells, cfg)
        model.result = TrainResult(nets["pretrained"], nets["transferred"])
        model.seed = seed
        return model


def load_networks(folder: str | Path, *, device: str = "auto") -> tuple[TrainConfig, list[str], int, dict]:
    """Config, genes, seed and the two networks ('pretrained', 'transferred') saved by :meth:`DrugResponseModel.save`."""
    folder = Path(folder)
    meta = json.loads((folder / "model.json").read_text())
    cfg = TrainConfig.from_dict(meta["config"])
    dev = resolve_device(device)
    states = torch.load(folder / "model.pt", map_location=dev, weights_only=True)  # tensors only, never code
    nets = {}
    for key in ("pretrained", "transferred"):
        net = build_network(len(meta["genes"]), cfg).to(dev)
        net.load_state_dict(states[key])
        nets[key] = net.eval()
    return cfg, meta["genes"], meta["seed"], nets
