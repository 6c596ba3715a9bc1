"""Analysis tools (scanpy ``tl`` style): metrics, baselines."""

from .baselines import choose_c, logistic_regression
from .metrics import METRICS, binary_metrics, summarize

__all__ = ["METRICS", "binary_metrics", "choose_c", "logistic_regression", "summarize"]
