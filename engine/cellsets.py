"""Named cell sets: a selection of cells of one result, saved by a person with who and when, private or shared,
usable later (select it again, compare it with another set, export its cell ids). Stored as one JSON file per set
under ``<results>/cellsets/<run>/<name>.json``, written atomically."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import provenance
from .config import may_see
from .data.errors import DataError
from .results import write_json_atomic

NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 _.-]{0,58}[A-Za-z0-9_.-])?$")  # spaces inside, not around
RUN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$")
VISIBILITIES = ("private", "everyone")


@dataclass
class CellSet:
    name: str
    run: str
    cells: list[str] = field(default_factory=list)
    created_by: str = ""
    created_at: str = ""
    visibility: str = "private"

    def access(self) -> dict:
        return {"owner": self.created_by, "visibility": self.visibility}


def _folder(root: str | Path, run: str) -> Path:
    if not RUN.match(str(run or "")):
        raise DataError("no such result")
    return Path(root) / "cellsets" / run


def save_cell_set(root: str | Path, *, run: str, name: str, cells, user: str, visibility: str = "private",
                  replace: bool = False) -> CellSet:
    """Save ``cells`` (ids) of ``run`` as set ``name``. An existing name is replaced only with ``replace`` and only
    by its owner; otherwise a plain error says so."""
    name = str(name or "").strip()
    if not NAME.match(name):
        raise DataError("A cell-set name is 1-60 letters, digits, spaces, '.', '_' or '-' (starting with a letter or "
                        "digit)")
    if visibility not in VISIBILITIES:
        raise DataError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    cells = [str(c) for c in cells]
    if not cells:
        raise DataError("The selection is empty: select some cells first")
    path = _folder(root, run) / f"{name}.json"
    if path.exists():
        old = _read(path)
        if old.created_by != user:
            raise DataError(f"A cell set called {name!r} was saved by {old.created_by}; choose another name")
        if not replace:
            raise DataError(f"You already have a cell set called {name!r}: tick 'replace' to overwrite it")
    cs = CellSet(name=name, run=run, cells=cells, created_by=user, created_at=provenance.utc_now(),
                 visibility=visibility)
    write_json_atomic(asdict(cs), path)
    return cs


def _read(path: Path) -> CellSet:
    try:
        return CellSet(**json.loads(path.read_text()))
    except (ValueError, TypeError, OSError) as exc:
        raise DataError(f"unreadable cell set {path.stem!r}") from exc


def list_cell_sets(root: str | Path, *, run: str, user: str) -> list[CellSet]:
    """The sets of ``run`` that ``user`` may see (their own and shared ones), newest first; unreadable files are
    left out."""
    folder = _folder(root, run)
    out = []
    for p in folder.glob("*.json") if folder.exists() else []:
        try:
            cs = _read(p)
        except DataError:
            continue
        if may_see(cs.access(), user):
            out.append(cs)
    return sorted(out, key=lambda cs: cs.created_at, reverse=True)


def load_cell_set(root: str | Path, *, run: str, name: str, user: str) -> CellSet:
    """Set ``name`` of ``run`` if ``user`` may see it; a plain error otherwise."""
    if not NAME.match(str(name or "")):
        raise DataError("no such cell set")
    path = _folder(root, run) / f"{name}.json"
    if not path.exists():
        raise DataError(f"no cell set called {name!r} for this run")
    cs = _read(path)
    if not may_see(cs.access(), user):
        raise DataError(f"no cell set called {name!r} for this run")
    return cs
