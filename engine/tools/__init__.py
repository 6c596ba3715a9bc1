"""Analysis tools (scanpy ``tl`` style): metrics, baselines, attribution, signatures, embedding, ...

Import from the module that holds a tool (``engine.tools.metrics``, ``engine.tools.baselines``): importing this
package loads none of them, so a reader of metrics (the web app) does not load scikit-learn.
"""
