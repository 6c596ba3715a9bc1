"""The ``integration`` kind: several bulk sources (studies) of the same cell lines on shared genes, integrated
so that lines cluster by tissue, not by study: a center-loss autoencoder against raw concatenation, per-study
standardisation, ComBat and Harmony, evaluated on held-out cell lines.

``settings`` (options), ``sources`` (reading and combining studies), ``module`` (the center-loss autoencoder,
which owns its loss), ``model`` (training on the training lines), ``baselines``, ``metrics``, ``run``.
"""
