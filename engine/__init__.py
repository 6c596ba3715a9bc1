"""scResponse engine: bulk-to-single-cell drug-response transfer learning.

The engine never imports the dashboard. Work goes through :mod:`engine.pipeline`;
data through :mod:`engine.data`.
"""

__version__ = "0.1.0"
