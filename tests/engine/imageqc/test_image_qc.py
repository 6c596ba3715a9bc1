"""Image QC: metrics behave as CellProfiler defines them, artefacts are found, decisions are saved, bad files refused."""

import anndata as ad
import numpy as np
import pytest

from engine.data.errors import DataError
from engine.imageqc.artefacts import ARTEFACTS, simulate
from engine.imageqc.images import channel_of, read_image, tiles
from engine.imageqc.metrics import image_metrics


def _cells(seed=0, size=128):
    """A synthetic field: bright round nuclei on a dim noisy background."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    img = rng.normal(100, 5, (size, size))
    y, x = np.indices(img.shape)
    for cy, cx in rng.uniform(10, size - 10, (8, 2)):
        img[(y - cy) ** 2 + (x - cx) ** 2 < 36] += 2000
    return gaussian_filter(img, 0.7).astype(np.float32)


def test_imageqc_001_blur_lowers_focus_and_steepens_the_spectrum():
    img = _cells()
    sharp = image_metrics(img, saturation=65535)
    blurred = image_metrics(simulate(img, "blur", rng=np.random.default_rng(0), saturation=65535), saturation=65535)
    assert blurred["focus_score"] < sharp["focus_score"]
    assert blurred["power_log_log_slope"] < sharp["power_log_log_slope"] - 1
    assert sharp["object_count"] >= 4  # eight nuclei, some touching


def test_imageqc_002_saturation_and_empty_fields_show_in_their_metrics():
    img, rng = _cells(), np.random.default_rng(1)
    sat = image_metrics(simulate(img, "saturation", rng=rng, saturation=65535), saturation=65535)
    assert sat["percent_saturated"] > 1 and sat["percent_maximal"] > 1
    clean = image_metrics(img, saturation=65535)
    empty = image_metrics(simulate(img, "empty", rng=rng, saturation=65535), saturation=65535)
    assert empty["std_intensity"] < 0.1 * clean["std_intensity"]  # background noise only
    assert empty["focus_score"] < 0.1 * clean["focus_score"]
    assert set(ARTEFACTS) == {"blur", "saturation", "empty", "debris"}


def test_imageqc_003_channels_from_file_names_and_tiles():
    assert channel_of("r01c01f01p01-ch5sk1fk1fl1.tiff") == ("r01c01f01p01", "DNA")
    assert channel_of("IXMtest_A01_s1_w164FBEEF7.tif") == ("IXMtest_A01_s1", "DNA")
    assert len(tiles(np.zeros((300, 520)), 128)) == 2 * 4
    assert len(tiles(np.zeros((60, 60)), 128)) == 1


def test_imageqc_004_corrupt_tiff_is_a_plain_error(tmp_path):
    bad = tmp_path / "field-ch1.tiff"
    bad.write_bytes(b"II*\x00 truncated")
    with pytest.raises(DataError, match="cannot be read"):
        read_image(bad)


def test_imageqc_005_real_fields_run_and_decision_has_the_cell_qc_shape(image_qc_run, tmp_path):
    from engine.qc import QCDecision

    a = ad.read_h5ad(image_qc_run)
    assert a.uns["kind"] == "image_qc" and a.uns["qc"]["unit"] == "tile"
    assert set(a.obs["channel"]) == {"AGP", "RNA", "DNA"}  # LZW-compressed JUMP TIFFs and plain BBBC022 TIFFs
    assert a.obsm["thumbnail"].shape[1] == 64 * 64 and a.obs["qc_outlier_score"].notna().all()
    d = QCDecision.from_result(a, name="fields v1", threshold=float(np.quantile(a.obs["qc_outlier_score"], 0.9)),
                               created_by="alice")
    saved = QCDecision.load(d.save(tmp_path))
    assert saved.created_by == "alice" and 0 < len(saved.excluded) < a.n_obs


def test_imageqc_006_a_folder_of_the_users_tiffs_with_one_corrupt_file_is_refused(tmp_path):
    import tifffile

    tifffile.imwrite(tmp_path / "a_w1.tif", (_cells() * 10).astype(np.uint16))
    (tmp_path / "b_w1.tif").write_bytes(b"not a tiff")
    from engine.kinds import run_kind

    with pytest.raises(DataError, match="cannot be read"):
        run_kind("image_qc", {"source": str(tmp_path), "out": str(tmp_path / "out"), "tile": 32})
    assert not (tmp_path / "out" / "image_qc").exists() or not list((tmp_path / "out" / "image_qc").glob("*.h5ad"))


def test_imageqc_007_simulated_artefacts_are_detected_on_held_out_tiles():
    from engine.imageqc.evaluate import artefact_detection

    r = artefact_detection("microscopy_small", tile=256, seed=0)
    assert set(r["forest"]) == set(r["forest_clean_fit"]) == set(ARTEFACTS)
    # saturation and empty fields are plain to the forest; bench/morphology.py reports every type's AUROC
    assert r["forest_clean_fit"]["saturation"] > 0.9 and r["forest_clean_fit"]["empty"] > 0.9
    assert r["best_single"]["blur"][0] in ("power_log_log_slope", "focus_score")
