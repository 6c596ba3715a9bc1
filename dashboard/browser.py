"""Headless Chromium settings shared by the browser tests and the dashboard benchmark.

Debian's chromium and chromium-driver; the flags keep it off the network (this machine has none) and
give WebGL a software fallback, as plots need it.
"""

from __future__ import annotations

import os

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--enable-unsafe-swiftshader", "--window-size=1600,1400")


def chrome_options():
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = os.environ.get("SCRESPONSE_CHROMIUM", "/usr/bin/chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    return options
