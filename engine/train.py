"""The training loop: bulk pre-training, then transfer with every loss term training.

Stage ``pretrain`` (the no-transfer model): bulk classification + bulk reconstruction.
Stage ``transfer``: bulk classification + domain alignment (MMD or CORAL) of bulk and cell latents
+ reconstruction of both domains, all through one shared encoder, trained jointly.

Bulk minibatches are class-balanced (sampled with replacement, half sensitive, half resistant),
so the classifier is not pushed towards the majority class and alignment does not impose the
bulk's class prior on the cells. Checkpoints are chosen on a held-out, stratified bulk validation
split only (plus, for transfer, the unlabelled alignment loss): single-cell labels never reach
this module.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .config import TrainConfig  # noqa: F401  (re-exported: engine.train.TrainConfig)
from .folds import stratified_folds, validation_split
from .module import ALIGNERS, GroupCenters, MemberEnsemble, TransferNetwork


VAL_ALIGN_CELLS = 2048


class Cancelled(Exception):
    """Raised inside training when the cancel hook says stop."""


def build_network(n_genes: int, config: TrainConfig) -> TransferNetwork | MemberEnsemble:
    """The network ``config`` describes, for ``n_genes`` input genes (training and loading both use this): one
    :class:`TransferNetwork`, or ``config.members`` of them read as a :class:`MemberEnsemble`."""
    if config.members > 1:
        return MemberEnsemble([build_network(n_genes, replace(config, members=1)) for _ in range(config.members)])
    return TransferNetwork(n_genes, encoder_type=config.encoder_type, hidden=tuple(config.hidden),
                           n_latent=config.n_latent, predictor_hidden=config.predictor_hidden,
                           dropout=config.dropout, noise=config.noise)


ProgressHook = Callable[[dict], None]
CancelHook = Callable[[], bool]


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: the first CUDA device when torch sees one, else the CPU; ``cpu``; ``cuda`` or ``cuda:N``."""
    from .data.errors import DataError

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        index = name.partition(":")[2]
        if not torch.cuda.is_available():
            raise DataError(f"device {name!r} was asked for, but this machine has no CUDA device that torch can use "
                            "(use --device auto or cpu)")
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise DataError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return torch.device(name)
    raise DataError(f"Unknown device {name!r}: use auto, cpu, cuda or cuda:N")


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class TrainResult:
    pretrained: TransferNetwork
    transferred: TransferNetwork
    history: list[dict] = field(default_factory=list)
    val_index: np.ndarray | None = None
    bulk_val_auroc: dict = field(default_factory=dict)


class _BalancedBatches:
    """Endless class-balanced minibatch indices of the bulk training set."""

    def __init__(self, y: np.ndarray, batch_size: int, rng: np.random.Generator):
        self.pos, self.neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        self.half, self.rng = batch_size // 2, rng
        self.steps_per_epoch = max(1, int(np.ceil(len(y) / batch_size)))

    def __call__(self) -> np.ndarray:
        return np.concatenate([self.rng.choice(self.pos, self.half), self.rng.choice(self.neg, self.half)])


def _auroc(y, logits) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, logits)) if len(np.unique(y)) == 2 else float("nan")


def member_splits(bulk_y: np.ndarray, *, members: int, val_fraction: float, seed: int,
                  lines: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows, validation rows) of each member of one seed.

    One member: a stratified random ``val_fraction`` of the lines held out. Several: stratified folds over the
    lines (cross-fitting), member k validated on fold k and trained on the rest, so every line trains all members
    but one and chooses the checkpoint of exactly one. ``lines`` (a code per row, see
    :func:`engine.folds.line_groups`) keeps the rows of one line on one side of every split."""
    if members == 1:
        return [validation_split(bulk_y, fraction=val_fraction, seed=seed, groups=lines)]
    ids = np.arange(len(bulk_y)) if lines is None else lines  # each row's line
    smallest = min(len(np.unique(ids[bulk_y == c])) for c in (0, 1))
    if smallest < members:
        from .data.errors import DataError

        raise DataError(f"The bulk data hold {smallest} line(s) of their smaller class; {members} members need at "
                        f"least {members} (use fewer networks per seed)")
    return stratified_folds(bulk_y, n_folds=members, groups=lines, seed=seed)


def _row_reader(X, to_tensor: Callable[[np.ndarray], torch.Tensor]) -> Callable[[np.ndarray], torch.Tensor]:
    """Rows of the cells as a tensor on the training device: indexed on the device when ``X`` is an array (moved
    there once), standardised on demand when it is a :class:`engine.preprocess.ScaledRows`."""
    if isinstance(X, np.ndarray):
        whole = to_tensor(X)
        return lambda idx: whole[torch.as_tensor(idx, device=whole.device)]
    return lambda idx: to_tensor(X[idx])


def member_seed(seed: int, member: int) -> int:
    """The seed of one member: the run's seed itself for member 0, a derived independent one for the others."""
    return seed if member == 0 else int(np.random.SeedSequence([seed, member]).generate_state(1)[0] % 2**31)


def train(bulk_x: np.ndarray, bulk_y: np.ndarray, sc_x: np.ndarray, *, config: TrainConfig, seed: int,
          progress: ProgressHook | None = None, cancel: CancelHook | None = None,
          bulk_groups: np.ndarray | None = None, bulk_lines: np.ndarray | None = None) -> TrainResult:
    """Train one seed: returns the pre-transfer (bulk only) and the transferred network.

    With ``config.members`` > 1 the seed is an ensemble of that many networks, cross-fitted over the bulk lines
    (:func:`member_splits`), each with its own initialisation; they are read together as one
    :class:`engine.module.MemberEnsemble` (mean logit), and the bulk validation AUROC is out-of-fold over every line.
    Members shrink the part of a seed's answer that comes from which lines it held out and where it started.

    With ``config.lambda_center`` > 0, ``bulk_groups`` (an integer code per bulk row, e.g. its tissue; < 0 for
    none) adds a center loss on the bulk latent codes in both stages, with learnable group centres
    (:class:`engine.module.GroupCenters`, a training aid that is not part of the saved network). ``bulk_lines``
    (a cell-line code per row, when lines have several rows) groups the validation splits by line."""
    if len(np.unique(bulk_y)) < 2:
        raise ValueError("Bulk labels hold a single class; both sensitive and resistant lines are needed")
    splits = member_splits(bulk_y, members=config.members, val_fraction=config.val_fraction, seed=seed,
                           lines=bulk_lines)
    if len(splits) == 1:
        tr, va = splits[0]
        return _train_member(bulk_x, bulk_y, sc_x, tr, va, config=config, seed=seed, member=0, progress=progress,
                             cancel=cancel, bulk_groups=bulk_groups)
    parts = [_train_member(bulk_x, bulk_y, sc_x, tr, va, config=config, seed=member_seed(seed, k), member=k,
                           progress=progress, cancel=cancel, bulk_groups=bulk_groups, run_seed=seed)
             for k, (tr, va) in enumerate(splits)]
    pre, post = MemberEnsemble([p.pretrained for p in parts]).eval(), MemberEnsemble([p.transferred for p in parts]).eval()
    oof = {}
    for stage, key in (("pretrained", "pretransfer"), ("transferred", "transfer")):
        logit = np.empty(len(bulk_y), dtype=np.float32)
        for p, (_, va) in zip(parts, splits):  # each line scored by the one member that did not train on it
            net = getattr(p, stage)
            x = torch.as_tensor(bulk_x[va], dtype=torch.float32, device=next(net.parameters()).device)
            with torch.no_grad():
                logit[va] = net.predictor(net.encode(x)[0]).cpu().numpy()
        oof[key] = _auroc(bulk_y, logit)
    history = [row for p in parts for row in p.history]
    return TrainResult(pre, post, history, np.zeros(0, dtype=np.int64), oof)


def _train_member(bulk_x: np.ndarray, bulk_y: np.ndarray, sc_x: np.ndarray, tr: np.ndarray, va: np.ndarray, *,
                  config: TrainConfig, seed: int, member: int, progress: ProgressHook | None,
                  cancel: CancelHook | None, bulk_groups: np.ndarray | None, run_seed: int | None = None) -> TrainResult:
    """One network trained on bulk rows ``tr``, its checkpoints chosen on rows ``va``, from ``seed``; its history
    rows and progress reports name ``run_seed`` (the seed the member belongs to; ``seed`` itself by default)."""
    set_seed(seed)
    device = resolve_device(config.device)
    rng = np.random.default_rng(seed)
    t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)
    Xb, yb = t(bulk_x), t(bulk_y)
    sc_rows = _row_reader(sc_x, t)
    net = build_network(bulk_x.shape[1], replace(config, members=1)).to(device)
    centres, gb = None, None
    if config.lambda_center > 0:
        if bulk_groups is None or not np.any(np.asarray(bulk_groups) >= 0):
            raise ValueError("the center loss needs a group (tissue) for the bulk lines")
        gb = torch.as_tensor(np.asarray(bulk_groups, dtype=np.int64), device=device)
        centres = GroupCenters(int(gb.max()) + 1, config.n_latent).to(device)
    batches = _BalancedBatches(bulk_y[tr], config.batch_size, rng)
    pos_va = float(bulk_y[va].mean())
    va_weight = torch.where(yb[va] == 1, 0.5 / pos_va, 0.5 / (1 - pos_va))  # balanced validation loss
    history: list[dict] = []
    report = progress or (lambda e: None)
    stop = cancel or (lambda: False)
    align = ALIGNERS.get(config.aligner)

    # the alignment part of the transfer checkpoint criterion uses a fixed random subset of cells (no labels)
    pick = np.random.default_rng([seed, 1])  # its own stream: the training batches do not depend on it
    n_cells = sc_x.shape[0]
    Xs_val = sc_rows(np.sort(pick.choice(n_cells, min(n_cells, VAL_ALIGN_CELLS), replace=False)))

    def val_losses(model, *, with_align: bool = False) -> dict:
        model.eval()
        with torch.no_grad():
            out = model(Xb[va], "bulk")
            bce = F.binary_cross_entropy_with_logits(out["logit"], yb[va], weight=va_weight).item()
            res = {"val_bce": bce, "val_auroc": _auroc(bulk_y[va], out["logit"].cpu().numpy())}
            if with_align and align is not None:
                zs, _ = model.encode(Xs_val)
                res["val_align"] = align(out["z"], zs).item()
        return res

    def run_stage(stage: str, epochs: int, with_sc: bool, patience: int | None,
                  average_from: int | None = None) -> TransferNetwork:
        """Train one stage; keep the best epoch by the criterion, or, with ``average_from``, the average of the
        weights from that epoch on (stochastic weight averaging: no choice of epoch at all)."""
        params = list(net.parameters()) + ([] if centres is None else list(centres.parameters()))
        # fused: one kernel per step for all parameters (CPU and CUDA), ~3x less optimizer time than the loop
        lr = config.lr * (config.transfer_lr_factor if with_sc else 1.0)
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=config.weight_decay, fused=True)
        best, best_state, waited = float("inf"), copy.deepcopy(net.state_dict()), 0
        averaged = torch.optim.swa_utils.AveragedModel(net) if average_from is not None else None
        for epoch in range(1, epochs + 1):
            net.train()
            sums: dict[str, float] = {}
            for _ in range(batches.steps_per_epoch):
                if stop():
                    raise Cancelled(f"cancelled during {stage}, epoch {epoch}")
                idx = tr[batches()]
                out = net(Xb[idx], "bulk")
                terms = {"cls": F.binary_cross_entropy_with_logits(out["logit"], yb[idx]),
                         "rec_bulk": F.mse_loss(out["recon"], Xb[idx]), "kl": out["kl"]}
                if centres is not None:
                    terms["center"] = centres.loss(out["z"], gb[idx])
                if with_sc:
                    xs = sc_rows(rng.choice(n_cells, min(n_cells, config.batch_size), replace=False))
                    so = net(xs, "sc")
                    terms["rec_sc"] = F.mse_loss(so["recon"], xs)
                    terms["kl"] = terms["kl"] + so["kl"]
                    if align is not None:
                        terms["align"] = align(out["z"], so["z"])
                loss = (terms["cls"] + config.lambda_rec * (terms["rec_bulk"] + terms.get("rec_sc", 0.0))
                        + config.beta_kl * terms["kl"] + config.lambda_align * terms.get("align", 0.0)
                        + config.lambda_center * terms.get("center", 0.0))
                opt.zero_grad()
                loss.backward()
                opt.step()
                for k, v in terms.items():
                    sums[k] = sums.get(k, 0.0) + float(torch.as_tensor(v).detach()) / batches.steps_per_epoch
            val = val_losses(net, with_align=with_sc)
            score = val["val_bce"] + (config.lambda_align * val.get("val_align", 0.0) if with_sc else 0.0)
            row = {"seed": seed if run_seed is None else run_seed, "member": member, "stage": stage, "epoch": epoch, "epochs": epochs, **sums, **val, "criterion": score}
            history.append(row)
            report(row)
            if averaged is not None and epoch >= average_from:
                averaged.update_parameters(net)
            if score < best - 1e-4:
                best, best_state, waited = score, copy.deepcopy(net.state_dict()), 0
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    break
        if averaged is not None and averaged.n_averaged.item() > 0:
            best_state = averaged.module.state_dict()
        net.load_state_dict(best_state)
        return copy.deepcopy(net).eval()

    pre = run_stage("pretrain", config.pretrain_epochs, with_sc=False, patience=config.patience)
    pre_auc = val_losses(pre)["val_auroc"]
    post = run_stage("transfer", config.transfer_epochs, with_sc=True, patience=config.patience,
                     average_from=max(1, config.transfer_epochs // 2) if config.average_transfer else None)
    post_auc = val_losses(post)["val_auroc"]
    return TrainResult(pre, post, history, va, {"pretransfer": pre_auc, "transfer": post_auc})
