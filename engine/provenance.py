"""What a run records so that anyone can rerun it: versions, device, host, data checksums, timings."""

from __future__ import annotations

import os
import platform
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "numpy", "scipy", "pandas", "anndata", "scanpy", "scikit-learn", "umap-learn", "leidenalg")


def versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Python, the engine and the packages a run depends on (``PACKAGES`` plus a kind's ``extra`` ones)."""
    out = {"python": sys.version.split()[0], "engine": __import__("engine").__version__}
    for p in (*PACKAGES, *extra):
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def device_info(device) -> dict[str, str]:
    import torch

    info = {"device": str(device), "host": platform.node(), "platform": platform.platform(),
            "torch_threads": str(torch.get_num_threads())}
    if str(device).startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = str(torch.version.cuda)
    return info


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StageTimer:
    """Wall time per named stage, in seconds."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


def file_checksum(path: str | Path) -> str:
    from .data.install import sha256_of

    p = Path(path)
    if p.is_dir():
        return "folder"
    return sha256_of(p)


def file_identity(path: str | Path) -> str:
    """What a cache of a file's contents is keyed by: its resolved path, size, modification time (ns) and inode.

    A result replaced in place (a new inode, or a new size) never serves the old file's cached parts, even when
    the replacement keeps the old modification time.
    """
    p = Path(path).resolve()
    st = p.stat()
    return f"{p}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` runs on this host (a zombie, killed but not reaped, counts as gone)."""
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is gone for our purposes
        with open(f"/proc/{int(pid)}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True
