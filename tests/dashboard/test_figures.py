import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard import figures as fig


def test_embedding_continuous_uses_webgl_and_keeps_cell_ids():
    xy = np.random.default_rng(0).normal(size=(50, 2))
    mask = np.zeros(50, bool)
    mask[:5] = True
    f = fig.embedding_figure(xy, np.linspace(0, 1, 50), categorical=False, selected=mask, customdata=np.arange(100, 150))
    assert isinstance(f, go.Figure) and f.data[0].type == "scattergl"
    assert list(f.data[0].selectedpoints) == [0, 1, 2, 3, 4]
    assert f.data[0].customdata[0] == 100


def test_embedding_categorical_has_one_trace_per_category_with_selection_within_trace():
    xy = np.zeros((6, 2))
    vals = np.array(["a", "b", "a", "b", "a", "c"])
    mask = np.array([True, True, False, False, False, False])
    f = fig.embedding_figure(xy, vals, categorical=True, selected=mask)
    assert [t.name for t in f.data] == ["a", "b", "c"]
    assert list(f.data[0].selectedpoints) == [0] and list(f.data[1].selectedpoints) == [0]
    assert len(f.data[2].selectedpoints) == 0


def test_embedding_large_continuous_is_drawn_in_colour_levels_covering_every_cell_once():
    from dashboard.figures.embedding import COLOUR_LEVELS, EXACT_COLOUR_MAX

    n = EXACT_COLOUR_MAX + 1000
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(n, 2)).astype(np.float32)
    values = rng.random(n)
    values[:3] = np.nan
    mask = rng.random(n) < 0.25
    f = fig.embedding_figure(xy, values, categorical=False, selected=mask, cmin=0.0, cmax=1.0, color_label="score",
                             customdata=np.arange(n))
    points, bar = f.data[:-1], f.data[-1]
    assert bar.marker.showscale and bar.marker.colorscale and len(points) <= COLOUR_LEVELS + 1
    ids = np.concatenate([np.asarray(t.customdata) for t in points])
    assert sorted(ids) == list(range(n))  # every cell drawn exactly once
    assert {t.marker.color for t in points} >= {"#bbbbbb"}  # the NaN cells, grey
    selected = np.concatenate([np.asarray(t.customdata)[np.asarray(t.selectedpoints, int)] for t in points])
    assert sorted(selected) == list(np.flatnonzero(mask))
    # each level holds only the values in its range, stated in the hover text
    t = next(t for t in points if t.marker.color != "#bbbbbb")
    lo, hi = (float(v) for v in t.hovertemplate.split(": ")[1].split("<")[0].split(" to "))
    v = values[np.asarray(t.customdata)]
    assert lo - 1e-3 <= v.min() and v.max() <= hi + 1e-3
    assert f.layout.plot_bgcolor == "white"


@pytest.mark.parametrize("bad", [dict(coords=np.zeros((5, 3)), values=np.zeros(5)),
                                 dict(coords=np.zeros((5, 2)), values=np.zeros(4)),
                                 dict(coords=np.zeros((5, 2)), values=np.zeros(5), selected=np.zeros(3, bool))])
def test_embedding_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        fig.embedding_figure(categorical=False, **bad)


def test_outcome_classes_and_confusion_counts():
    from dashboard.stats import confusion_from_scores

    labels = np.array([1, 1, 0, 0, np.nan])
    scores = np.array([0.9, 0.2, 0.7, 0.1, 0.5])
    classes = fig.outcome_classes(labels, scores, threshold=0.5)
    assert list(classes) == ["TP", "FN", "FP", "TN", "unknown"]
    np.testing.assert_array_equal(confusion_from_scores(labels, scores, threshold=0.5), [[1, 1], [1, 1]])
    assert list(fig.outcome_classes(labels, scores, threshold=0.95)) == ["FN", "FN", "TN", "TN", "unknown"]


def test_confusion_figure_validates_shape():
    f = fig.confusion_figure([[3, 1], [0, 2]])
    assert f.data[0].type == "heatmap"
    assert f.data[0].text[0][0] == "3<br>75%" and f.data[0].z[1][1] == 1.0  # counts with the share of the true class
    with pytest.raises(ValueError):
        fig.confusion_figure([[1, 2, 3]])


def test_deg_figures():
    x = np.linspace(0, 1, 20)
    f = fig.deg_scatter(x, 2 * x, r=1.0, r2=1.0)
    assert "R² = 1.000" in f.layout.title.text
    h = fig.null_histogram(np.random.default_rng(0).normal(size=1000), observed=0.9, p_value=0.001)
    assert h.data[0].type == "histogram" and len(h.data[0].x) == 1000
    with pytest.raises(ValueError):
        fig.null_histogram([], observed=0.1, p_value=1.0)


def test_score_figures():
    f = fig.score_scatter([0, 1, 2], [2, 1, 0], ["sensitive", "resistant", "sensitive"])
    assert {t.name for t in f.data} == {"sensitive", "resistant"}
    v = fig.score_distributions({"s": {"sensitive": [1, 2], "resistant": [0, 1]}})
    assert len(v.data) == 2
    with pytest.raises(ValueError):
        fig.score_scatter([0, 1], [1], ["a", "b"])


def test_qc_figures_validate_and_draw():
    import pandas as pd

    from dashboard.figures import metric_histograms, outlier_histogram

    rng = np.random.default_rng(0)
    obs = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)})
    status = np.array(["kept"] * 40 + ["flagged"] * 5 + ["empty droplet"] * 5, dtype=object)
    fig = metric_histograms(obs, ["a", "b"], status)
    assert {t.name for t in fig.data} == {"kept", "flagged", "empty droplet"} and len(fig.data) == 6
    with pytest.raises(ValueError, match="metrics missing"):
        metric_histograms(obs, ["c"], status)
    with pytest.raises(ValueError, match="status values"):
        metric_histograms(obs, ["a"], np.array(["bad"] * 50, dtype=object))
    with pytest.raises(ValueError):
        metric_histograms(obs, ["a"], status[:10])
    hist = outlier_histogram(rng.uniform(0.4, 0.7, 100), 0.5, n_hidden=7)
    assert "7 empty droplets not shown" in hist.layout.title.text
    with pytest.raises(ValueError):
        outlier_histogram([np.nan], 0.5)


def test_run_labels_carry_name_metric_and_seed_count():
    from dashboard.pages.explore import seed_summary
    from dashboard.pages.explore_layout import run_options

    entry = {"name": "my-plx-run", "path": "/r/my-plx-run.h5ad", "drug": "PLX-4720", "dataset": "scad_plx4720",
             "started": "2026-12-02T07:00:00Z", "n_seeds": 1, "auroc": 0.8912, "error": ""}
    (option,) = run_options([entry])
    assert option["label"] == "my-plx-run · PLX-4720 · scad_plx4720 · 2026-12-02 07:00 · 1 seed · AUROC 0.89"
    assert seed_summary({"mean": 0.9, "sd": 0.0}, 1) == "0.900"
    assert seed_summary({"mean": 0.9, "sd": 0.05}, 5) == "0.900 ± 0.050"


def test_score_scale_means_the_same_on_small_and_large_runs():
    """One colour per label: score 1 is drawn in the sensitive colour whether plotly.js applies the scale (small
    runs) or the app samples it (large runs); a named "RdBu" meant opposite things in the two."""
    from plotly.colors import hex_to_rgb

    from dashboard.figures import SCORE_SCALE, SENSITIVE, RESISTANT, embedding_figure
    from dashboard.figures.embedding import EXACT_COLOUR_MAX

    assert SCORE_SCALE[0][1] == RESISTANT and SCORE_SCALE[-1][1] == SENSITIVE
    small = embedding_figure(np.random.rand(10, 2), np.linspace(0, 1, 10), categorical=False, cmin=0, cmax=1)
    assert small.data[0].marker.colorscale[-1][1] in (SENSITIVE, "rgb(33,102,172)")
    n = EXACT_COLOUR_MAX + 10
    large = embedding_figure(np.random.rand(n, 2), np.linspace(0, 1, n), categorical=False, cmin=0, cmax=1)
    top = [t for t in large.data if t.marker.color is not None and isinstance(t.marker.color, str)][-1].marker.color
    r, g, b = hex_to_rgb(SENSITIVE)
    got = [int(float(x)) for x in top[top.index("(") + 1:-1].split(",")]
    assert max(abs(a - b_) for a, b_ in zip(got, (r, g, b))) < 12  # the top level is (nearly) the sensitive blue


def test_roc_pr_and_training_curves():
    from dashboard.figures import roc_pr_figure, training_curves

    y = np.array([0, 0, 1, 1, np.nan])
    fig = roc_pr_figure(y, {"transfer (shown score)": [0.1, 0.4, 0.35, 0.8, 0.5], "no transfer": [0.5] * 5})
    names = [t.name for t in fig.data]
    assert "transfer (shown score): AUROC 0.750" in names and "no transfer: AP 0.500" in names
    with pytest.raises(ValueError):
        roc_pr_figure([1, 1, np.nan], {"x": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError):
        roc_pr_figure(y, {"x": [0.1]})
    h = [{"seed": 0, "stage": "pretrain", "epoch": e, "val_auroc": 0.5 + e / 10} for e in range(3)]
    assert len(training_curves(h).data) == 1
    with pytest.raises(ValueError):
        training_curves([{"seed": 0}])


def test_gene_set_colourings_belong_to_the_run_they_were_scored_on():
    from dashboard.pages.explore_genesets import colour_entries

    scored = {"run": "/r/a.h5ad", "names": ["up", "down"]}
    assert [o["value"] for o in colour_entries(scored, "/r/a.h5ad")] == ["geneset:up", "geneset:down"]
    assert colour_entries(scored, "/r/b.h5ad") == [] and colour_entries(None, "/r/a.h5ad") == []


def test_confusion_and_class_report_from_scores_match_the_per_cell_path_and_scikit_learn():
    from sklearn.metrics import precision_recall_fscore_support

    from dashboard.stats import confusion_from_scores, counts_report

    def class_report(y, s, *, threshold, mask=None):
        return counts_report(confusion_from_scores(y, s, threshold=threshold, mask=mask))

    rng = np.random.default_rng(3)
    y = rng.choice([0.0, 1.0, np.nan], 5_000, p=[0.5, 0.4, 0.1])
    s = np.clip(0.4 * np.nan_to_num(y) + 0.6 * rng.random(5_000), 0, 1)
    mask = rng.random(5_000) < 0.3
    for m in (None, mask):
        counts = confusion_from_scores(y, s, threshold=0.45, mask=m)
        classes = fig.outcome_classes(y, s, threshold=0.45)
        within = classes if m is None else classes[m]
        np.testing.assert_array_equal(counts, [[(within == "TN").sum(), (within == "FP").sum()],
                                               [(within == "FN").sum(), (within == "TP").sum()]])
        keep = np.isfinite(y) & (True if m is None else m)
        p, r, f, n = precision_recall_fscore_support(y[keep].astype(int), (s[keep] >= 0.45).astype(int),
                                                     labels=[1, 0], zero_division=0)
        report = class_report(y, s, threshold=0.45, mask=m)
        np.testing.assert_allclose(report[["precision", "recall", "f1"]].to_numpy(), np.c_[p, r, f].round(3))
        np.testing.assert_array_equal(report["cells"], n)
    # nothing predicted sensitive: precision has nothing to divide by and reads 0, as zero_division=0
    report = class_report([0, 1, 1], [0.1, 0.2, 0.3], threshold=0.9)
    assert report.loc["sensitive", "precision"] == 0 and report.loc["resistant", "recall"] == 1
    assert class_report([np.nan], [0.5], threshold=0.5)["cells"].sum() == 0
