"""Shared by the benchmarks: run a pipeline config while sampling wall time and peak RSS per stage."""

from __future__ import annotations

import sys
import threading
import time

import psutil


class StageMemory:
    """Peak resident memory (MiB) of this process per pipeline stage, sampled every 20 ms."""

    def __init__(self, *, verbose: bool = False):
        """``verbose``: print each stage's start (time, RSS) on stderr, for runs that take long."""
        self.stage, self.peak_mib, self.verbose = "start", {}, verbose
        self._proc, self._stop = psutil.Process(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            rss = self._proc.memory_info().rss / 2**20
            self.peak_mib[self.stage] = max(self.peak_mib.get(self.stage, 0.0), rss)
            time.sleep(0.02)

    def progress(self, event: dict) -> None:
        if self.verbose and event["stage"] != self.stage:
            print(f"{time.strftime('%H:%M:%S')} {event['stage']} (RSS {self._proc.memory_info().rss / 2**30:.2f} GB)",
                  file=sys.stderr, flush=True)
        self.stage = event["stage"]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class ProcessTreeMemory:
    """Peak memory (MiB) of a server process and its children until ``stop()``: the sum of resident sets and the
    largest single process, sampled every 50 ms, and the sum of proportional set sizes (pages shared between
    processes, e.g. the page cache of a memory-mapped or re-read file, counted once), every ``pss_every`` s.

    A PSS sample reads each process's smaps_rollup: ~14 ms for the app's three processes at 100k cells. Taken
    every 50 ms, it used ~28 % of one of this machine's two cores, taken from the browser and server being
    timed; every 0.5 s it uses ~3 %. The resident-set sum, sampled often, bounds the PSS from above."""

    def __init__(self, pid: int, *, group=None, pss_every: float = 0.5):
        """``group(process) -> str``, when given, also keeps the largest single process per group
        (``peak_by_group``, MiB)."""
        self.peak_mib = self.peak_process_mib = self.peak_pss_mib = 0.0
        self.group, self.peak_by_group, self.pss_every = group, {}, pss_every
        self._root, self._stop = psutil.Process(pid), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        next_pss = 0.0
        while not self._stop.is_set():
            try:
                procs = [self._root, *self._root.children(recursive=True)]
                rss = [c.memory_info().rss / 2**20 for c in procs]
                self.peak_mib = max(self.peak_mib, sum(rss))
                self.peak_process_mib = max(self.peak_process_mib, max(rss))
                if time.monotonic() >= next_pss:
                    next_pss = time.monotonic() + self.pss_every
                    self.peak_pss_mib = max(self.peak_pss_mib, sum(c.memory_full_info().pss for c in procs) / 2**20)
                if self.group is not None:
                    for c, r in zip(procs, rss):
                        g = self.group(c)
                        self.peak_by_group[g] = max(self.peak_by_group.get(g, 0.0), r)
            except psutil.Error:
                pass
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def wait_for_http(url: str, *, proc=None, timeout: float = 600) -> None:
    """Return once ``url`` answers; raise if ``timeout`` seconds pass or the server process ``proc`` exits."""
    import urllib.request

    t0 = time.perf_counter()
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.perf_counter() - t0 > timeout or (proc is not None and proc.poll() is not None):
                raise RuntimeError(f"server did not start: {url}") from None
            time.sleep(0.1)


def run_measured(cfg, *, analyse: bool = True, verbose: bool = False) -> dict:
    """Run ``cfg`` and return wall time, per-stage seconds and per-stage peak memory."""
    import anndata as ad

    from engine.pipeline import run
    from engine.tools.analysis import analyse_run

    t0 = time.perf_counter()
    with StageMemory(verbose=verbose) as mem:
        path = run(cfg, progress=mem.progress, analyse=(lambda r, m: analyse_run(r, models=m)) if analyse else None)
        wall = time.perf_counter() - t0
    a = ad.read_h5ad(path)
    seconds = {k: round(float(v), 2) for k, v in a.uns["provenance"]["seconds_per_stage"].items()}
    seconds["write_and_rest"] = round(wall - sum(seconds.values()), 2)
    return {"result": str(path), "cells": a.n_obs, "genes": a.n_vars, "wall_seconds": round(wall, 2),
            "seconds_per_stage": seconds, "peak_rss_mib_per_stage": {k: round(v) for k, v in mem.peak_mib.items()},
            "metrics": a.uns["metrics"]}


def run_costs(adata, memory: "StageMemory", started: float) -> dict:
    """Wall time since ``started``, peak RSS over the stages, seconds per stage and device of a kind's result."""
    prov = adata.uns["provenance"]
    return {"wall_seconds": round(time.time() - started, 1), "peak_rss_mib": round(max(memory.peak_mib.values()), 1),
            "seconds_per_stage": {k: round(float(v), 1) for k, v in prov["seconds_per_stage"].items()},
            "device": str(prov["device"]["device"])}
