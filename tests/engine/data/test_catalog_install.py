import gzip
import hashlib
from dataclasses import replace

import pytest

from engine.data import DataError, catalog, install
from engine.data.install import _install_file, installed_path

ISSUE_IDS = {"gdsc", "scdeal_bulk_labels", "scad_plx4720", "scad_gefitinib", "scad_vorinostat", "scad_ar42",
             "pc9_erlotinib", "ccle", "bbbc021", "microscopy_small", "gene_id_maps", "cell_line_maps",
             "scdeal_cell_labels"}


def test_catalog_names_every_dataset_with_source_licence_citation_and_checksums():
    ids = {d.id for d in catalog.datasets()}
    assert ISSUE_IDS <= ids
    for d in catalog.datasets():
        assert d.source and d.licence and d.citation and d.description["labels"]
        for f in d.files:
            assert len(f.sha256) == 64 and f.size > 0
            assert f.url or f.pypi or f.derived, f"{d.id}/{f.name} has no public source or derivation note"


def test_unknown_id_suggests_close_ids():
    with pytest.raises(DataError, match="scad_plx4720"):
        catalog.get("scad_plx472")


def test_mirror_files_match_catalog_checksums(mirror):
    for d in catalog.datasets():
        for f in d.files:
            p = mirror / f.mirror
            assert p.stat().st_size == f.size, f.mirror
            assert hashlib.sha256(p.read_bytes()).hexdigest() == f.sha256, f.mirror


def _isolated(monkeypatch, tmp_path, mirror_dir):
    monkeypatch.setenv("SCRESPONSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SCRESPONSE_DATA_MIRROR", str(mirror_dir))


def test_install_from_mirror_verifies_and_writes(monkeypatch, tmp_path, mirror):
    _isolated(monkeypatch, tmp_path, mirror)
    written = install(["scad_plx4720"])
    assert [p.name for p in written] == ["Target_expr_resp_z.PLX4720_tp4k.tsv.gz"]
    f = catalog.get("scad_plx4720").files[0]
    assert hashlib.sha256(written[0].read_bytes()).hexdigest() == f.sha256


def test_corrupt_mirror_file_is_refused_and_leaves_nothing(monkeypatch, tmp_path, mirror):
    f = catalog.get("scad_plx4720").files[0]
    bad = tmp_path / "mirror" / f.mirror
    bad.parent.mkdir(parents=True)
    data = bytearray((mirror / f.mirror).read_bytes())
    data[100] ^= 0xFF
    bad.write_bytes(bytes(data))
    _isolated(monkeypatch, tmp_path, tmp_path / "mirror")
    with pytest.raises(DataError, match="Checksum mismatch"):
        install(["scad_plx4720"])
    folder = installed_path("scad_plx4720", f.name).parent
    assert not any(p.name.endswith(".part") or p.name == f.name for p in folder.iterdir())


def test_missing_file_without_source_gives_clear_message(monkeypatch, tmp_path):
    _isolated(monkeypatch, tmp_path, tmp_path / "empty-mirror")
    with pytest.raises(DataError, match="no recipe makes it here"):
        install(["ccle"])  # its expression matrix is derived, with no recipe


def test_install_from_public_source_url_recompresses_and_verifies(monkeypatch, tmp_path, mirror):
    """The source path with a real URL fetch (file://): the upstream file is uncompressed, the catalog's is .gz."""
    monkeypatch.delenv("SCRESPONSE_DATA_MIRROR")
    f = catalog.get("scad_plx4720").files[0]
    upstream = tmp_path / "upstream.tsv"
    upstream.write_bytes(gzip.decompress((mirror / f.mirror).read_bytes()))
    target = tmp_path / "out" / f.name
    target.parent.mkdir()
    origin = _install_file(replace(f, url=upstream.as_uri()), target, dataset_id="scad_plx4720", downloads=tmp_path)
    assert origin == upstream.as_uri()
    assert hashlib.sha256(gzip.decompress(target.read_bytes())).hexdigest() == f.content_sha256
    upstream.write_bytes(b"tampered")
    target.unlink()
    with pytest.raises(DataError, match="Checksum mismatch"):
        _install_file(replace(f, url=upstream.as_uri()), target, dataset_id="scad_plx4720", downloads=tmp_path)
    assert not target.exists()
