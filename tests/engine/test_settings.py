"""Settings are checked before any work starts: one plain line per bad value, from the CLI and the pages alike."""

from __future__ import annotations

import pytest

from engine.__main__ import main
from engine.config import RunConfig, TrainConfig, limits
from engine.data import DataError

BAD_FLAGS = [
    (["--seeds", "0"], "seeds: 0 is too small"),
    (["--seeds", "100000"], "seeds: 100000 is too large"),
    (["--batch-size", "0"], "batch size: 0 is too small"),
    (["--latent", "0"], "latent dimensions: 0 is too small"),
    (["--dropout", "1.5"], "dropout: 1.5 is too large"),
    (["--lr", "nan"], "learning rate: nan is not a number"),
    (["--pretrain-epochs", "-5"], "bulk epochs: -5 is too small"),
    (["--pretrain-epochs", "1000000000"], "bulk epochs: 1000000000 is too large"),
    (["--hidden", "0"], "hidden layer sizes: 0 is too small"),
    (["--threshold", "2"], "threshold: 2.0 is too large"),
    (["--n-top-genes", "-5"], "highly variable genes: -5 is too small"),
    (["--name", "../x"], "run name '../x'"),
    (["--device", "cuda:99x"], "device: 'cuda:99x' is not"),
    (["--device", "tpu"], "device: 'tpu' is not"),
]


@pytest.mark.parametrize("flags,message", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_bad_flag_is_one_plain_line_before_any_work(flags, message, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--drug", "PLX-4720", "--sc", "scad_plx4720", "--out", str(out), "-q", *flags])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())


def test_out_that_is_a_file_is_refused_first(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["run", "--drug", "PLX-4720", "--sc", "scad_plx4720", "--out", str(f), "-q"]) == 2
    assert "output folder 'file' is a file, not a folder" in capsys.readouterr().err
    assert f.read_text() == "x"


def test_named_label_column_must_exist(tmp_path, plx_pair, capsys):
    _, cells = plx_pair
    path = tmp_path / "cells.H5AD"  # the suffix is matched without regard to case
    cells.write_h5ad(path)
    assert main(["run", "--drug", "PLX-4720", "--sc", str(path), "--label-column", "nope", "--out",
                 str(tmp_path / "o"), "-q", "--no-analysis"]) == 2
    assert "No label column 'nope'" in capsys.readouterr().err


def test_whole_numbers_from_a_page_become_ints_and_defaults_pass():
    t = TrainConfig(pretrain_epochs=3.0, transfer_epochs=2.0).validate()
    assert t.pretrain_epochs == 3 and isinstance(t.pretrain_epochs, int)
    RunConfig(drug="x", sc="y", out="precomputed").validate(check_out=False)
    with pytest.raises(DataError, match="not a whole number"):
        TrainConfig(pretrain_epochs=2.5).validate()
    with pytest.raises(DataError, match="'abc' is not a number"):
        RunConfig(drug="x", sc="y", seeds="abc").validate(check_out=False)


def test_the_pages_read_ranges_from_the_settings():
    from dashboard.pages.train_layout import _whole_number

    box = _whole_number("train-seeds", RunConfig, "seeds")
    assert (box.min, box.max, box.value) == (limits(RunConfig, "seeds")["low"], limits(RunConfig, "seeds")["high"],
                                             RunConfig.__dataclass_fields__["seeds"].default)


@pytest.mark.parametrize("case", ["two_cells", "all_zero", "constant"])
def test_degenerate_single_cell_data_are_refused_before_training(case, plx_pair, tmp_path, capsys):
    import numpy as np

    _, cells = plx_pair
    a = cells[:2].copy() if case == "two_cells" else cells.copy()
    if case != "two_cells":
        a.X = np.zeros(a.shape, dtype=np.float32) + (0.0 if case == "all_zero" else 3.0)
    for key in list(a.layers):
        del a.layers[key]
    path = tmp_path / f"{case}.h5ad"
    a.write_h5ad(path)
    assert main(["run", "--drug", "PLX-4720", "--sc", str(path), "--out", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err
    assert ("at least 10 are needed" in err) if case == "two_cells" else ("does not vary between cells" in err)
