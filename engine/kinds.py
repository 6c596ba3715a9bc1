"""Analyses as kinds: each kind names its settings dataclass, its run function and the page that shows it.

The job registry stores a job's kind; :func:`run_kind` is the one dispatch the job runner, the CLI and the
benchmarks use. Settings and run functions are named as ``module:attribute`` and imported only when used, so
the web process lists kinds and validates settings without loading torch.

A run function has the signature ``run(settings, *, progress=None, cancel=None) -> Path``: ``progress`` gets
``{"stage", "fraction", "message"}`` dicts, ``cancel()`` returns True when the run should stop (it then raises
:class:`engine.train.Cancelled`), and the result is written atomically with its provenance.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .data.errors import DataError


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    settings: str  # "module:Class", a dataclass with validate() and to_dict()
    run: str  # "module:function"
    page: str  # the dashboard path that shows this kind's results
    schema: str  # the heading in engine/schema.md
    subfolder: str = ""  # where results go under the results folder ("" = the folder itself)

    def settings_class(self):
        return _attr(self.settings)

    def settings_from_dict(self, d: dict):
        cls = self.settings_class()
        build = getattr(cls, "from_dict", None)
        try:
            return build(d) if build else cls(**d)
        except TypeError as exc:
            raise DataError(f"{self.title} settings: {exc}") from None

    def run_function(self) -> Callable:
        return _attr(self.run)


def _attr(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module, package=__package__), name)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("transfer", "Bulk -> single-cell drug response", "engine.config:RunConfig", "engine.pipeline:run_job", "/",
         "transfer"),
    Kind("qc", "Cell QC", "engine.qc:QCSettings", "engine.qc:run_kind", "/qc", "qc", "qc"),
    Kind("morphology", "Mechanism of action from morphology", "engine.morphology.settings:MorphologySettings",
         "engine.morphology.run:run", "/morphology", "morphology", "morphology"),
    Kind("image_qc", "Image QC", "engine.imageqc.settings:ImageQCSettings", "engine.imageqc.run:run",
         "/morphology", "image_qc", "image_qc"),
    Kind("integration", "Bulk sources without batch effects", "engine.integration.settings:IntegrationSettings",
         "engine.integration.run:run", "/bulk", "integration", "integration"),
    Kind("imputation", "Dropout imputation", "engine.imputation.settings:ImputationSettings",
         "engine.imputation.run:run", "/imputation", "imputation", "imputation"),
)}


def stage_reporter(progress: Callable[[dict], None] | None, cancel: Callable[[], bool] | None):
    """``say(stage, fraction, message)`` for a run function: reports progress, and stops the run (raising
    :class:`engine.train.Cancelled`) when ``cancel()`` says so."""
    report = progress or (lambda e: None)

    def say(stage: str, fraction: float, message: str) -> None:
        if cancel is not None and cancel():
            from .train import Cancelled

            raise Cancelled(f"cancelled at {stage}: {message}")
        report({"stage": stage, "fraction": fraction, "message": message})

    return say


@dataclass
class RunStart:
    """What every kind's run sets up first: progress (``say``, ``report``), a stage timer, the start time, the
    device."""
    say: Callable
    report: Callable
    timer: object
    started: str
    device: str


def start_run(settings, *, progress=None, cancel=None) -> RunStart:
    """Validate ``settings`` (a plain error names the first bad one) and set up a run of a kind."""
    from . import provenance
    from .train import resolve_device

    settings.validate()
    return RunStart(say=stage_reporter(progress, cancel), report=progress or (lambda e: None),
                    timer=provenance.StageTimer(), started=provenance.utc_now(),
                    device=str(resolve_device(getattr(settings, "device", "auto"))))


def finish_run(adata, settings, run: RunStart, *, kind: str, name: str, checksums: dict, seeds=None,
               extra_versions: tuple[str, ...] = ()) -> Path:
    """Record the kind, name, settings, access and provenance in ``adata.uns``, write it atomically under the
    kind's result folder, report 'done'; returns the path."""
    import json
    import sys

    from . import provenance
    from .results import h5_safe, write_atomic

    adata.uns["kind"] = kind
    adata.uns["run_id"] = name
    adata.uns["settings"] = json.dumps(settings.to_dict())
    adata.uns["access"] = {"owner": settings.owner, "visibility": settings.visibility}
    adata.uns["provenance"] = h5_safe({
        "started": run.started, "finished": provenance.utc_now(), "argv": " ".join(sys.argv),
        **({"seeds": list(seeds)} if seeds is not None else {}),
        "versions": provenance.versions(extra_versions), "device": provenance.device_info(run.device),
        "data_checksums": checksums, "seconds_per_stage": dict(run.timer.seconds)})
    run.say("write", 0.98, "writing the result")
    path = write_atomic(adata, Path(settings.out) / get_kind(kind).subfolder / f"{name}.h5ad")
    run.report({"stage": "done", "fraction": 1.0, "message": str(path), "path": str(path)})
    return path


def get_kind(name: str) -> Kind:
    """The kind called ``name``; a plain error naming the known kinds otherwise."""
    if name not in KINDS:
        raise DataError(f"unknown kind of analysis {name!r}; known: {', '.join(KINDS)}")
    return KINDS[name]


def run_kind(kind: str, settings, *, progress=None, cancel=None, **options) -> Path:
    """Run ``settings`` (a dataclass or its dict) as ``kind``; returns the result path."""
    k = get_kind(kind)
    if isinstance(settings, dict):
        settings = k.settings_from_dict(settings)
    return Path(k.run_function()(settings, progress=progress, cancel=cancel, **options))
