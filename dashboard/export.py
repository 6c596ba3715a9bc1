"""The "Export figure" control every page with figures carries: a figure of the page, as drawn (zoom, colouring,
selection), saved as SVG or PNG at publication size with the run's name leading its title and file name. The
browser draws it (``assets/figure_export.js``), so the server sends nothing.

``export_controls(prefix, figures)`` is the layout (ids ``<prefix>export-figure``, ``-format``, ``-make``,
``<prefix>download-figure``); ``register(app, prefix, name)`` wires it to the ``State`` that holds the run's name
(a run picker's value: a path becomes its file name without ``.h5ad``).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, dcc, html

# publication size: 1200 x 800 px (SVG), PNG drawn at 3x (3600 x 2400 px: 12 x 8 in at 300 dpi)
EXPORT_SIZE = {"width": 1200, "height": 800, "png_scale": 3}
FORMATS = [{"label": "SVG", "value": "svg"}, {"label": "PNG (300 dpi)", "value": "png"}]


def export_controls(prefix: str, figures: dict[str, str]) -> list:
    """The export control's parts for an ``InputGroup`` (figure, format, button) and the stores it needs;
    ``figures`` maps graph ids to what a person calls them."""
    return [dbc.Select(id=f"{prefix}export-figure", options=[{"label": v, "value": k} for k, v in figures.items()],
                       value=next(iter(figures)), size="sm", style={"maxWidth": "15em"}),
            dbc.Select(id=f"{prefix}export-format", options=FORMATS, value="svg", size="sm", style={"maxWidth": "9em"}),
            dbc.Button("Export figure", id=f"{prefix}export-make", size="sm", color="secondary", outline=True,
                       title="the figure as shown, at publication size, with the run's name in its title"),
            html.Div([dcc.Download(id=f"{prefix}download-figure"), dcc.Store(id=f"{prefix}export-size", data=EXPORT_SIZE)],
                     style={"display": "none"})]


def export_group(prefix: str, figures: dict[str, str]) -> dbc.InputGroup:
    """The control on its own line (pages without a toolbar of their own)."""
    return dbc.InputGroup(export_controls(prefix, figures), size="sm", className="mb-2")


def register(app, prefix: str, name: State) -> None:
    app.clientside_callback(ClientsideFunction("figures", "exportFigure"), Output(f"{prefix}download-figure", "data"),
                            Input(f"{prefix}export-make", "n_clicks"), State(f"{prefix}export-figure", "value"),
                            State(f"{prefix}export-format", "value"), name, State(f"{prefix}export-size", "data"),
                            prevent_initial_call=True)
