"""The catalog of public datasets: ids, files, checksums, sources, licences, citations.

The catalog itself lives in ``catalog.json`` beside this module.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import DataError

CATALOG_FILE = Path(__file__).with_name("catalog.json")


@dataclass(frozen=True)
class CatalogFile:
    name: str
    mirror: str  # path relative to a mirror folder
    sha256: str  # of the file as stored
    size: int
    content_sha256: str | None = None  # of the decompressed bytes, for .gz files
    url: str | None = None  # public source (raw bytes or uncompressed content)
    pypi: str | None = None  # "package==version" whose distribution holds the file
    member: str | None = None  # path of the file inside that distribution
    derived: str | None = None  # how the file was derived, when no public byte-identical source exists
    recipe: str | None = None  # the recipe in engine/data/derive.py that makes a derived file from its source


@dataclass(frozen=True)
class Dataset:
    id: str
    kind: str
    title: str
    files: tuple[CatalogFile, ...]
    format: str
    source: str
    licence: str
    citation: str
    description: dict
    requires: tuple[str, ...] = ()
    drug: str | None = None
    cell_line: str | None = None
    label_column: str | None = None
    label_quality: str | None = None
    extra: dict = field(default_factory=dict)

    def file(self, name: str) -> CatalogFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(f"{self.id} has no file {name!r}")


@lru_cache(maxsize=1)
def _load() -> dict[str, Dataset]:
    raw = json.loads(CATALOG_FILE.read_text())
    out = {}
    for d in raw["datasets"]:
        d = dict(d)
        files = tuple(CatalogFile(**f) for f in d.pop("files"))
        requires = tuple(d.pop("requires", ()))
        known = {k: d.pop(k) for k in list(d) if k in Dataset.__dataclass_fields__}
        out[known["id"]] = Dataset(files=files, requires=requires, extra=d, **known)
    return out


def datasets() -> list[Dataset]:
    """All catalog entries, in catalog order."""
    return list(_load().values())


def get(dataset_id: str) -> Dataset:
    """The catalog entry for ``dataset_id``; a clear error with close ids if unknown."""
    cat = _load()
    if dataset_id in cat:
        return cat[dataset_id]
    close = difflib.get_close_matches(dataset_id, list(cat), n=3, cutoff=0.4)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise DataError(f"Unknown dataset id {dataset_id!r}.{hint} Known ids: {', '.join(cat)}")


def is_dataset_id(value: str) -> bool:
    return value in _load()


def is_single_cell_id(value) -> bool:
    """Whether ``value`` (anything a browser may send) names a single-cell dataset of the catalog."""
    return isinstance(value, str) and is_dataset_id(value) and get(value).kind == "single_cell"
