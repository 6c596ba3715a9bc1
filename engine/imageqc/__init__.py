"""The ``image_qc`` kind: per-image and per-tile quality metrics (as CellProfiler's MeasureImageQuality defines
them), an isolation forest with an automatic or person-set threshold, and saved decisions.

``settings`` (options), ``images`` (reading TIFFs, channels, tiles), ``metrics`` (focus, blur slope, saturation,
intensity, object count), ``artefacts`` (simulated blur, saturation, empty field, debris for evaluation),
``run`` (one result file with provenance).
"""
