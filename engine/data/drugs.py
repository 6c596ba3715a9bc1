"""Loose drug-name matching: "PLX4720", "PLX-4720", "plx_4720" and "PLX.4720" are one drug."""

from __future__ import annotations

import difflib
import re
from typing import Iterable

from .errors import DataError


def normalize_drug(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(name).upper())


def match_drug(name: str, candidates: Iterable[str], *, where: str) -> list[str]:
    """All candidate spellings of ``name``; a DataError naming the closest drugs when none match."""
    candidates = list(dict.fromkeys(candidates))
    key = normalize_drug(name)
    hits = [c for c in candidates if normalize_drug(c) == key]
    if hits:
        return hits
    by_norm = {normalize_drug(c): c for c in candidates}
    close = difflib.get_close_matches(key, list(by_norm), n=5, cutoff=0.5)
    hint = f" Closest names: {', '.join(by_norm[c] for c in close)}." if close else ""
    raise DataError(f"Unknown drug {name!r} in {where}.{hint}")
