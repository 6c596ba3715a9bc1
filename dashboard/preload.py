"""Start loading plotly.js with the page instead of after the first graph has rendered.

dcc.Graph loads plotly.js (4.8 MB) only once React has rendered a graph, after the page's other scripts and the
layout request, so a first view waits for it in series. This adds an ``async`` script tag in the page head:
the browser fetches and compiles it on a background thread while the rest loads. Until it has run,
``window.Plotly`` is a promise of it, which dcc.Graph's loader adopts instead of adding a second script tag.
"""

from __future__ import annotations

import os

import dash
import plotly
from dash.fingerprint import build_fingerprint

PLOTLY_JS = "package_data/plotly.min.js"


def plotly_url(app: dash.Dash) -> str:
    """The URL under which Dash serves its own copy of plotly.js, fingerprinted as Dash does (long cache)."""
    path = os.path.join(os.path.dirname(plotly.__file__), PLOTLY_JS)
    fingerprint = build_fingerprint(PLOTLY_JS, plotly.__version__, int(os.stat(path).st_mtime))
    return f"{app.config.requests_pathname_prefix}_dash-component-suites/plotly/{fingerprint}"


def install(app: dash.Dash) -> None:
    snippet = f"""<script>
window.Plotly = window.Plotly || new Promise(function (resolve, reject) {{
    var s = document.createElement('script');
    s.async = true; s.src = "{plotly_url(app)}";
    s.onload = function () {{ resolve(window.Plotly); }}; s.onerror = reject;
    document.head.appendChild(s);
}});
</script>"""
    app.index_string = app.index_string.replace("{%css%}", "{%css%}\n" + snippet, 1)
