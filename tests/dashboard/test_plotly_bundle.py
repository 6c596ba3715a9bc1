"""The partial plotly.js bundle (assets/plotly): the plotly package's own plotly.js version, every trace type the
dashboard draws registered in it, and served with the page in place of the full bundle."""

import re
from pathlib import Path

import plotly

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "assets" / "plotly" / "plotly-scresponse.min.js"


def _version(text: str) -> str:
    return re.search(r"plotly\.js v(\d+\.\d+\.\d+)", text).group(1)


def test_bundle_is_the_plotly_packages_plotly_js_version():
    full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert _version(BUNDLE.read_text(errors="replace")[:300]) == _version(full.read_text(errors="replace")[:300])


def test_every_trace_type_the_dashboard_names_is_in_the_bundle():
    registered = {"scatter"} | set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)",
                                              (ROOT / "assets" / "plotly" / "build" / "entry.js").read_text()))
    sources = [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "assets").glob("*.js")]
    used = set()
    for path in sources:
        text = path.read_text()
        used |= {name.lower() for name in re.findall(r"\bgo\.([A-Z][a-z0-9]+)\(", text)} - {"figure", "layout"}
        used |= set(re.findall(r"[\"']type[\"']: *[\"'](scatter\w*|bar|histogram\w*|box|violin|heatmap\w*|image|"
                               r"pie|contour\w*|splom|parcoords)[\"']", text))
    assert {"scattergl", "violin", "heatmap"} <= used  # the scan finds what the pages draw
    assert used <= registered, f"add {sorted(used - registered)} to assets/plotly/build/entry.js and rebuild"


def test_the_page_loads_the_partial_bundle_and_dash_does_not_add_its_recipe(tmp_path):
    from dashboard.app import create_app

    app = create_app({"RESULTS_DIR": str(tmp_path / "r"), "CACHE_DIR": str(tmp_path / "c"),
                      "DB_PATH": str(tmp_path / "db"), "UPLOAD_DIR": str(tmp_path / "u")})
    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'src = "([^"]*plotly-scresponse\.min\.js[^"]*)"', page).group(1)
    assert "package_data/plotly.min.js" not in page and "build/entry.js" not in page and "build.js" not in page
    served = client.get(url)
    assert served.status_code == 200 and served.get_data()[:200] == BUNDLE.read_bytes()[:200]
