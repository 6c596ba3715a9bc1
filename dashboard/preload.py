"""Start loading plotly.js with the page instead of after the first graph has rendered.

dcc.Graph loads plotly.js (4.8 MB) only once React has rendered a graph, after the page's other scripts and the
layout request, so a first view waits for it in series. This adds an ``async`` script tag in the page head:
the browser fetches and compiles it on a background thread while the rest loads. Until it has run,
``window.Plotly`` is a promise of it, which dcc.Graph's loader adopts instead of adding a second script tag.
What loads is our partial bundle (``assets/plotly``: the trace types the pages draw, 1.66 MB), the same plotly.js
version as the ``plotly`` package's.

Once loaded, WebGL plots are set to draw at the screen's pixel ratio (``window.devicePixelRatio``). plotly.js
draws them at twice the CSS size whatever the screen; on a screen of ratio 1 that is four times the pixels to
fill and to composite for each redraw of a scatter, and four times the canvas memory, for no visible gain.
Image export sets its own ratio and is unchanged.
"""

from __future__ import annotations

import os

import dash

BUNDLE = "plotly/plotly-scresponse.min.js"  # under assets/; rebuilt by assets/plotly/build (see its README)
ASSETS_PATH_IGNORE = ["^plotly$"]  # folders Dash must not add to every page itself: the bundle and its recipe


def plotly_url(app: dash.Dash) -> str:
    """The URL of the partial plotly.js bundle, with its modification time as Dash marks assets (cache busting)."""
    path = os.path.join(app.config.assets_folder, BUNDLE)
    return f"{app.get_asset_url(BUNDLE)}?m={int(os.stat(path).st_mtime)}"


def install(app: dash.Dash) -> None:
    snippet = f"""<script>
window.Plotly = window.Plotly || new Promise(function (resolve, reject) {{
    var s = document.createElement('script');
    s.async = true; s.src = "{plotly_url(app)}";
    s.onload = function () {{
        // WebGL plots drawn at the screen's own pixel ratio (plotly.js draws them at 2 whatever the screen)
        window.Plotly.setPlotConfig({{plotGlPixelRatio: Math.min(4, Math.max(1, window.devicePixelRatio || 1))}});
        resolve(window.Plotly);
    }};
    s.onerror = reject;
    document.head.appendChild(s);
}});
</script>"""
    app.index_string = app.index_string.replace("{%css%}", "{%css%}\n" + snippet, 1)
