"""Analyses as kinds: one registry, settings read from one dataclass, old job databases upgraded."""

import sqlite3

import pytest

from engine.config import limits
from engine.data.errors import DataError
from engine.kinds import KINDS, get_kind


def test_kinds_001_every_kind_has_settings_run_and_page():
    assert set(KINDS) >= {"transfer", "qc", "morphology", "image_qc"}
    for kind in KINDS.values():
        cls = kind.settings_class()
        assert callable(kind.run_function()) and kind.page.startswith("/")
        assert hasattr(cls, "validate") and hasattr(cls, "to_dict")


def test_kinds_002_page_controls_read_choices_and_ranges_from_the_settings():
    from dashboard.pages.launch import setting_control
    from engine.morphology.settings import NORMALIZATIONS, MorphologySettings

    col = setting_control("p", MorphologySettings, "normalize")
    assert col.children[1].options == list(NORMALIZATIONS)
    col = setting_control("p", MorphologySettings, "seeds")
    assert (col.children[1].min, col.children[1].max) == (limits(MorphologySettings, "seeds")["low"],
                                                          limits(MorphologySettings, "seeds")["high"])


def test_kinds_003_a_registry_from_before_kinds_is_upgraded_and_its_jobs_are_transfer_runs(tmp_path):
    from engine.jobs import JobRegistry

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL, status TEXT NOT NULL,"
               " created REAL NOT NULL, started REAL, finished REAL, device TEXT DEFAULT '', config TEXT NOT NULL,"
               " error TEXT DEFAULT '', progress TEXT DEFAULT '{}', host TEXT DEFAULT '', pid INTEGER,"
               " heartbeat REAL, cancel_requested INTEGER DEFAULT 0, result TEXT DEFAULT '')")
    db.execute("INSERT INTO jobs (id, name, owner, status, created, config) VALUES ('j1', 'old', 'bob', 'done', 0, '{}')")
    db.commit()
    db.close()
    assert JobRegistry(path).get("j1")["kind"] == "transfer"


def test_kinds_004_unknown_kind_is_a_plain_error():
    with pytest.raises(DataError, match="unknown kind"):
        get_kind("painting")
