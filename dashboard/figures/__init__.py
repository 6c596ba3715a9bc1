"""Pure figure builders: data in, ``go.Figure`` out, inputs validated; tested without a browser."""

from .colours import LABEL_COLOURS, RESISTANT, SCORE_SCALE, SENSITIVE
from .classification import (OUTCOMES, confusion_figure, outcome_classes, roc_pr_figure,
                             training_curves)
from .deg import deg_scatter, null_histogram
from ._validate import message_figure
from .embedding import embedding_figure
from .qc import metric_histograms, outlier_histogram
from .scores import score_distributions, score_scatter

__all__ = ["LABEL_COLOURS", "RESISTANT", "SCORE_SCALE", "SENSITIVE", "OUTCOMES", "confusion_figure", "deg_scatter", "embedding_figure", "message_figure",
           "metric_histograms", "null_histogram", "outcome_classes", "roc_pr_figure", "training_curves", "outlier_histogram", "score_distributions", "score_scatter"]
