"""Command line: ``python -m engine data list|install``, ``python -m engine run``.

Thin over :mod:`engine.data` and :mod:`engine.pipeline`; bad input ends with a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from .data.errors import DataError
from .config import ALIGNERS, CENTER_LOSS_ON, ENCODERS, RESPONSES, SCREENS, RunConfig, TrainConfig, limits

_T = TrainConfig()
_R = RunConfig(drug="", sc="")


def _data_list(args) -> int:
    from .data import datasets, is_installed

    for ds in datasets():
        mark = "installed" if is_installed(ds.id) else "-"
        print(f"{ds.id:20s} {ds.kind:12s} {mark:10s} {ds.title}")
        if args.verbose:
            print(f"{'':20s} source: {ds.source}\n{'':20s} licence: {ds.licence}\n{'':20s} cite: {ds.citation}")
            for f in ds.files:
                print(f"{'':20s} {f.name}  sha256 {f.sha256[:16]}...  {f.size} B")
    return 0


def _data_install(args) -> int:
    from .data import install

    if not args.ids and not args.all:
        raise DataError("Name dataset ids to install, or --all (see `python -m engine data list`)")
    written = install(None if args.all else args.ids, force=args.force, log=print)
    print(f"{len(written)} file(s) written")
    return 0


def _data_mirror(args) -> int:
    from .data.install import MIRROR_ENV, write_mirror

    write_mirror(args.folder, args.ids or None, log=print)
    print(f"offline machines: export {MIRROR_ENV}={args.folder}")
    return 0


def _run(args) -> int:
    from tqdm import tqdm

    from .pipeline import RunConfig, run

    train = TrainConfig(encoder_type=args.encoder, aligner=args.aligner, hidden=tuple(args.hidden),
                        n_latent=args.latent, dropout=args.dropout, lr=args.lr, weight_decay=args.weight_decay,
                        batch_size=args.batch_size, pretrain_epochs=args.pretrain_epochs, patience=args.patience,
                        members=args.members,
                        transfer_epochs=args.transfer_epochs, transfer_lr_factor=args.transfer_lr_factor,
                        lambda_align=args.lambda_align,
                        lambda_rec=args.lambda_rec, lambda_center=CENTER_LOSS_ON if args.center_loss else args.lambda_center,
                        device=args.device)
    cfg = RunConfig(drug=args.drug, sc=args.sc, bulk=args.bulk, response=args.response, screen=args.screen,
                    sc_labels=args.sc_labels, label_column=args.label_column, seeds=args.seeds,
                    first_seed=args.first_seed, n_top_genes=args.n_top_genes, impute=args.impute, bulk_cv=args.bulk_cv, threshold=args.threshold,
                    out=args.out, name=args.name, qc=args.qc, train=train)
    bar = tqdm(total=100, desc="run", unit="%", file=sys.stderr, disable=args.quiet, dynamic_ncols=True,
               bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed} elapsed, {remaining} left]{postfix}")

    def progress(event: dict) -> None:
        bar.update(round(100 * event["fraction"]) - bar.n)
        bar.set_postfix_str(event.get("message", "")[:50], refresh=True)

    analyse = None
    if not args.no_analysis:
        from .tools.analysis import analyse_run

        analyse = lambda result, models: analyse_run(result, models=models)
    with quiet_library_warnings() as caught:
        try:
            path = run(cfg, progress=progress, analyse=analyse)
        finally:
            bar.close()
    _print_summary(path, n_warnings=len(caught), quiet=args.quiet)
    return 0


def quiet_library_warnings():
    """Keep third-party warnings out of the progress bar (they are counted, and shown with PYTHONWARNINGS)."""
    import contextlib
    import os
    import warnings

    return contextlib.nullcontext([]) if os.environ.get("PYTHONWARNINGS") else warnings.catch_warnings(record=True)


def _print_summary(path, *, n_warnings: int, quiet: bool) -> None:
    from .results import read_result, summary_lines

    if not quiet:
        adata = read_result(path)
        print("\n".join(["", f"Result: {path}", *(f"  {line}" for line in summary_lines(adata))]), file=sys.stderr)
        if n_warnings:
            print(f"  ({n_warnings} library warning(s) hidden; set PYTHONWARNINGS=default to see them)", file=sys.stderr)
        print(f"  open it: start the app (README command 1) and go to http://127.0.0.1:8050/?run={adata.uns['run_id']}"
              f"\n  or in Python: anndata.read_h5ad({str(path)!r})", file=sys.stderr)
    print(path)


def _analyse(args) -> int:
    from pathlib import Path

    from .results import read_result, write_atomic
    from .tools.analysis import analyse_run

    path = Path(args.result)
    adata = read_result(path)
    adata.uns.pop("missing_parts", None)
    folder = args.models or path.with_name(f"{path.stem}.models")
    analyse_run(adata, models_folder=folder, n_steps=args.n_steps, n_signature_genes=args.n_signature_genes,
                pval_cutoff=args.pval_cutoff, lfc_cutoff=args.lfc_cutoff, n_null=args.n_null, seed=args.seed)
    out = write_atomic(adata, args.out or path)
    for part, why in adata.uns["analysis"]["skipped"].items():
        print(f"skipped {part}: {why}", file=sys.stderr)
    print(out)
    return 0


def _contamination(value: str):
    if value == "auto":
        return value
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("auto or a fraction in (0, 0.5]") from None
    if not 0 < f <= 0.5:
        raise argparse.ArgumentTypeError("auto or a fraction in (0, 0.5]")
    return f


def _qc(args) -> int:
    from .qc import QCDecision, run_qc
    from .results import write_atomic
    from .tools.qc import fixed_cutoff_flags

    def progress(fraction: float, message: str) -> None:  # one line a stage on stderr (the QC page reads them)
        print(f"progress {fraction:.2f} {message}", file=sys.stderr, flush=True)

    adata = run_qc(args.input, contamination=args.contamination, threshold=args.threshold, seed=args.seed,
                   embed=args.embed, progress=progress)
    qc = adata.uns["qc"]
    out = write_atomic(adata, args.out)
    print(f"{qc['n_flagged']:,} of {qc['n_cells']:,} cells flagged ({100 * qc['n_flagged'] / qc['n_cells']:.1f}%) "
          f"at outlier-score threshold {qc['threshold']:.3f} (metrics: {', '.join(qc['metrics'])})")
    if qc.get("n_empty"):
        print(f"  of which {qc['n_empty']:,} are empty droplets (below the barcode-rank inflection at "
              f"{qc['empty_droplet_cut_counts']:.0f} counts); the forest was fitted on the other "
              f"{qc['n_cells'] - qc['n_empty']:,} and flags {qc['n_flagged'] - qc['n_empty']:,} of them")
    if qc["counts"]:
        fixed = fixed_cutoff_flags(adata.obs)
        both = int((fixed & adata.obs["qc_flagged"]).sum())
        print(f"scanpy's usual fixed cut-offs (min 200 genes, max 2500 genes, max 5% mitochondrial) flag "
              f"{int(fixed.sum()):,}; both flag {both:,}")
    else:
        print(f"note: {qc['limits']}")
    if args.save_decision:
        path = QCDecision.from_result(adata, name=args.save_decision).save(args.decisions)
        print(f"decision saved: {path}")
    print(out)
    return 0


def _demo(args) -> int:
    """Install the demo data and make the PLX4720 demo result, unless one is already there."""
    from pathlib import Path

    from .data import install

    install(["gdsc", "scdeal_bulk_labels", "scad_plx4720"], log=print)
    existing = sorted(Path(args.out).glob("PLX-4720__scad-plx4720__*.h5ad"))
    if existing and not args.force:
        print("demo result present (--force makes it again):", file=sys.stderr)
        _print_summary(existing[-1], n_warnings=0, quiet=False)
        return 0
    return main(["run", "--drug", "PLX-4720", "--sc", "scad_plx4720", "--seeds", str(args.seeds), "--out", args.out])


def _kind_runner(kind: str):
    """A CLI verb over a kind's run: its flags come from the kind's settings dataclass (one source)."""
    def verb(args) -> int:
        from tqdm import tqdm

        from .config import settings_from_namespace
        from .kinds import get_kind, run_kind

        settings = settings_from_namespace(get_kind(kind).settings_class(), args)
        bar = tqdm(total=100, desc=kind, unit="%", file=sys.stderr, disable=args.quiet, dynamic_ncols=True,
                   bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed} elapsed, {remaining} left]{postfix}")

        def progress(event: dict) -> None:
            bar.update(round(100 * event["fraction"]) - bar.n)
            bar.set_postfix_str(event.get("message", "")[:50], refresh=True)

        with quiet_library_warnings():
            try:
                path = run_kind(kind, settings, progress=progress)
            finally:
                bar.close()
        if not args.quiet:
            from .results import kind_summary_lines

            print("\n".join(["", f"Result: {path}", *(f"  {line}" for line in kind_summary_lines(path))]),
                  file=sys.stderr)
        print(path)
        return 0

    return verb


def _add_kind_verb(sub, kind: str, help: str) -> None:
    from .config import add_settings_arguments
    from .kinds import get_kind

    p = sub.add_parser(kind.replace("_", "-"), help=help, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_settings_arguments(p, get_kind(kind).settings_class(), skip=("owner", "visibility"))
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_kind_runner(kind))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine", description="scResponse engine: bulk-to-single-cell drug response")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="list or install catalog datasets").add_subparsers(dest="data_command", required=True)
    dl = data.add_parser("list", help="list catalog datasets and whether they are installed")
    dl.add_argument("-v", "--verbose", action="store_true", help="also print source, licence, citation and files")
    dl.set_defaults(func=_data_list)
    di = data.add_parser("install", help="install datasets from $SCRESPONSE_DATA_MIRROR or their public source")
    di.add_argument("ids", nargs="*", help="catalog ids (see `data list`)")
    di.add_argument("--all", action="store_true", help="install every dataset")
    di.add_argument("--force", action="store_true", help="reinstall files that are already present")
    di.set_defaults(func=_data_install)
    dm = data.add_parser("mirror", help="write a mirror folder (for offline machines) from the installed data, "
                                        "installing what is missing from the public sources")
    dm.add_argument("folder", help="the mirror folder to write (laid out as the catalog's mirror paths)")
    dm.add_argument("ids", nargs="*", help="catalog ids (default: every dataset)")
    dm.set_defaults(func=_data_mirror)

    r = sub.add_parser("run", help="train bulk -> single-cell transfer over several seeds and write a result .h5ad",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = r.add_argument_group("data")
    g.add_argument("--drug", required=True, help="drug name, matched loosely (PLX4720 = PLX-4720 = plx_4720)")
    g.add_argument("--sc", required=True, help="single-cell catalog id (e.g. scad_plx4720) or a file: .h5ad, "
                   "cells x genes TSV with a label column, genes x cells count table, or a 10x mtx folder")
    g.add_argument("--bulk", default="gdsc", help="bulk catalog id, an .h5ad with obs['response'], or studies joined "
                   "by '+' (gdsc+ccle: every study's rows of the lines GDSC screened, on their shared genes)")
    g.add_argument("--response", default=_R.response, choices=RESPONSES,
                   help="bulk response: scDEAL binary labels, or a continuous response binarised by the waterfall rule")
    g.add_argument("--screen", default=_R.screen, choices=SCREENS, help="GDSC screen for ln_ic50/auc")
    g.add_argument("--sc-labels", default=None, help="table of per-cell labels (index = cell id), for evaluation only")
    g.add_argument("--label-column", default="response", help="label column in the cells' file or label table")
    g.add_argument("--n-top-genes", type=int, default=None, help="keep this many highly variable shared genes")
    g.add_argument("--bulk-cv", action="store_true", help="choose the model's width and dropout by 5-fold CV on "
                   "the bulk lines (the grid, fold scores and choice are kept in the result)")
    g.add_argument("--impute", default=_R.impute, choices=limits(RunConfig, "impute")["choices"],
                   help="impute the cells' dropouts (on the shared genes) before the model reads them; needs counts "
                   "or log-normalised cells (see `imputation` for how well each method recovers masked values)")
    m = r.add_argument_group("model (defaults fixed in advance; never tuned on single-cell labels)")
    m.add_argument("--encoder", default=_T.encoder_type, choices=ENCODERS, help="encoder type")
    m.add_argument("--aligner", default=_T.aligner, choices=ALIGNERS, help="domain alignment loss")
    m.add_argument("--hidden", type=int, nargs="+", default=list(_T.hidden), help="hidden layer sizes")
    m.add_argument("--latent", type=int, default=_T.n_latent, help="latent dimensions")
    m.add_argument("--dropout", type=float, default=_T.dropout, help="dropout rate")
    m.add_argument("--lr", type=float, default=_T.lr, help="learning rate (AdamW)")
    m.add_argument("--weight-decay", type=float, default=_T.weight_decay, help="AdamW weight decay")
    m.add_argument("--batch-size", type=int, default=_T.batch_size, help="bulk minibatch size (class-balanced)")
    m.add_argument("--pretrain-epochs", type=int, default=_T.pretrain_epochs, help="max bulk pre-training epochs")
    m.add_argument("--patience", type=int, default=_T.patience, help="early-stopping patience on bulk validation")
    m.add_argument("--members", type=int, default=_T.members, help="networks per seed, cross-fitted over the bulk "
                   "lines (each chooses its checkpoints on its own fold), logits averaged; 1 = one network per seed")
    m.add_argument("--transfer-epochs", type=int, default=_T.transfer_epochs, help="transfer epochs")
    m.add_argument("--transfer-lr-factor", type=float, default=_T.transfer_lr_factor,
                   help=limits(TrainConfig, "transfer_lr_factor")["help"])
    m.add_argument("--lambda-align", type=float, default=_T.lambda_align, help="weight of the alignment loss")
    m.add_argument("--lambda-rec", type=float, default=_T.lambda_rec, help="weight of the reconstruction losses")
    m.add_argument("--lambda-center", type=float, default=_T.lambda_center, help="weight of the tissue center loss "
                   "on the bulk latent codes (0 = off)")
    m.add_argument("--center-loss", action="store_true", help=f"turn the tissue center loss on at its fixed weight "
                   f"({CENTER_LOSS_ON}); with --bulk gdsc+ccle it pulls each tissue's lines together across studies")
    m.add_argument("--device", default=_T.device, help="auto (CUDA when present), cpu, cuda or cuda:N")
    o = r.add_argument_group("run")
    o.add_argument("--seeds", type=int, default=_R.seeds, help="number of seeds")
    o.add_argument("--first-seed", type=int, default=0, help="first seed")
    o.add_argument("--threshold", type=float, default=_R.threshold, help="score threshold for 'sensitive' (F1, MCC, BA)")
    o.add_argument("--out", default="precomputed", help="folder for the result file")
    o.add_argument("--name", default=None, help="result file name (default: drug__data__time__id)")
    o.add_argument("--qc", default=None, help="a saved QC decision (.json from `qc --save-decision`): leave its "
                   "excluded cells out")
    o.add_argument("--no-analysis", action="store_true", help="skip attributions, signatures and DEG correlation")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_run)
    a = sub.add_parser("analyse", help="attributions, signatures, DEG correlation and cluster summaries for a result",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    a.add_argument("result", help="a result .h5ad written by `run`")
    a.add_argument("--models", default=None, help="folder of the run's saved models (default: RESULT.models beside it)")
    a.add_argument("--out", default=None, help="write here instead of updating RESULT in place (atomically)")
    a.add_argument("--n-steps", type=int, default=32, help="integrated-gradients steps")
    a.add_argument("--n-signature-genes", type=int, default=50, help="genes per DEG signature (at most)")
    a.add_argument("--pval-cutoff", type=float, default=0.05, help="adjusted p cut-off for DEGs and critical genes")
    a.add_argument("--lfc-cutoff", type=float, default=0.5, help="|log2 ratio of mean |IG|| cut-off for critical genes")
    a.add_argument("--n-null", type=int, default=1000, help="random gene sets in the DEG-correlation null")
    a.add_argument("--seed", type=int, default=0, help="seed of the random gene sets and score_genes controls")
    a.set_defaults(func=_analyse)
    q = sub.add_parser("qc", help="per-cell QC metrics and isolation-forest outlier flags",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    q.add_argument("input", help="single-cell catalog id (e.g. pc9_erlotinib) or a file")
    q.add_argument("--out", required=True, help="result .h5ad with obs qc_outlier_score / qc_flagged")
    q.add_argument("--contamination", type=_contamination, default="auto",
                   help="'auto' (the forest's own cut) or the fraction of cells to flag")
    q.add_argument("--threshold", type=float, default=None, help="flag cells above this outlier score (overrides)")
    q.add_argument("--embed", action="store_true", help="also compute a UMAP for review")
    q.add_argument("--seed", type=int, default=0, help="forest seed")
    q.add_argument("--save-decision", default=None, metavar="NAME", help="save the flagged cells as decision NAME")
    q.add_argument("--decisions", default="precomputed/qc", help="folder of saved decisions")
    q.set_defaults(func=_qc)
    _add_kind_verb(sub, "morphology", "MoA from Cell Painting profiles: baselines and a learned embedding, "
                                      "evaluated leaving compounds out")
    _add_kind_verb(sub, "image_qc", "image QC metrics per tile and an isolation forest")
    _add_kind_verb(sub, "integration", "bulk sources integrated without batch effects: a center-loss autoencoder "
                                       "against ComBat and Harmony, scored on held-out cell lines")
    _add_kind_verb(sub, "imputation", "dropout imputation measured by masking non-zero values, with harm checks "
                                      "(false correlations, new DE genes)")
    d = sub.add_parser("demo", help="install the demo data and make the PLX4720 demo result if it is missing")
    d.add_argument("--out", default="precomputed", help="results folder")
    d.add_argument("--seeds", type=int, default=3, help="number of seeds (the benchmarks use 5)")
    d.add_argument("--force", action="store_true", help="run again even if a demo result exists")
    d.set_defaults(func=_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
