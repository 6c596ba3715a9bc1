"""The ``morphology`` kind: mechanism of action (MoA) from Cell Painting / CellProfiler profiles.

``settings`` (options), ``profiles`` (readers, per-plate normalisation, feature selection, treatment profiles),
``evaluate`` (NSC / NSCB nearest-neighbour accuracy, copairs mAP, classification report), ``module`` (the
PyTorch embedding that owns its loss), ``model`` (leave-compound-out training), ``channels`` (per-channel
effect sizes against the controls), ``run`` (one result file with provenance).
"""
