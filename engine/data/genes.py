"""Gene identifiers (Entrez, Ensembl, aliases, outdated symbols) mapped to current HGNC symbols."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import pandas as pd

from .install import dataset_file

MIN_SHARED_GENES = 50  # genes a single-cell input must share with the bulk data

_ENSEMBL = re.compile(r"^ENSG\d+(\.\d+)?$")


@dataclass(frozen=True)
class GeneMaps:
    entrez_to_symbol: dict[str, str]
    symbols: frozenset[str]
    alias_to_entrez: dict[str, str]  # aliases naming exactly one gene
    ensembl_to_entrez: dict[str, str]

    def to_symbol(self, gene_id: str) -> str | None:
        """Current symbol for one id, or None when it cannot be mapped unambiguously."""
        g = str(gene_id).strip()
        if g.isdigit():
            return self.entrez_to_symbol.get(g)
        if _ENSEMBL.match(g):
            e = self.ensembl_to_entrez.get(g.split(".")[0])
            return self.entrez_to_symbol.get(e) if e else None
        if g in self.symbols:
            return g
        hit = self.alias_to_entrez.get(g) or self.alias_to_entrez.get(g.upper())
        return self.entrez_to_symbol.get(hit) if hit else None


@lru_cache(maxsize=1)
def gene_maps() -> GeneMaps:
    read = lambda n: pd.read_csv(dataset_file("gene_id_maps", f"orgHsEgDb_3.16_entrez_{n}.tsv.gz"), sep="\t", dtype=str)
    sym = read("symbol")
    alias = read("alias")
    ens = read("ensembl")
    e2s = dict(zip(sym.entrez_id, sym.symbol))
    alias = alias.drop_duplicates()
    unique = alias[~alias.alias.duplicated(keep=False)]
    a2e = dict(zip(unique.alias, unique.entrez_id))
    ens2e = ens.drop_duplicates("ensembl_id").set_index("ensembl_id").entrez_id.to_dict()
    return GeneMaps(e2s, frozenset(sym.symbol), a2e, ens2e)


def map_to_symbols(ids: Sequence[str]) -> list[str | None]:
    maps = gene_maps()
    return [maps.to_symbol(i) for i in ids]


def symbol_columns(ids: Iterable[str]) -> tuple[list[int], list[str]]:
    """Positions and symbols of the ids that map, one position per symbol.

    When two ids map to one symbol, the id that already is that symbol wins, else the first.
    """
    ids = list(ids)
    mapped = map_to_symbols(ids)
    best: dict[str, int] = {}
    for i, (orig, sym) in enumerate(zip(ids, mapped)):
        if sym is None:
            continue
        if sym not in best or (orig == sym and ids[best[sym]] != sym):
            best[sym] = i
    keep = sorted(best.values())
    return keep, [mapped[i] for i in keep]
