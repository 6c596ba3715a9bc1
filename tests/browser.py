"""Browser-test harness: the Dash app served for real, driven by headless Debian Chromium with current Selenium.

Replaces dash[testing]'s ``dash_duo`` (which pins Selenium 4.2 and urllib3 1.26) with the few helpers the
tests use. Every wait is for a condition; reads of an element that re-renders meanwhile are retried.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from dashboard.browser import chrome_options

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def wait_for_http(url: str, *, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    """Return once ``url`` answers; fail (with the server's exit code) if it does not within ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with code {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:  # the server answers (a login wall's 401 counts)
            if exc.code < 500:
                return
            last = exc
        except OSError as exc:  # connection refused while starting
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s (last error: {last})")


def new_driver() -> webdriver.Chrome:
    options = chrome_options()
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    service = Service(os.environ.get("SCRESPONSE_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


class ThreadServer:
    """A Dash app's Flask server in a thread of the test process (werkzeug, threaded)."""

    def __init__(self):
        self._server = None
        self._thread = None
        self.url = None

    def __call__(self, app) -> str:
        """Serve ``app`` on a free port (a fixed port would collide with anything else on the machine, another
        test run included)."""
        self._server = make_server("127.0.0.1", 0, app.server, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.port}"
        wait_for_http(self.url + "/_dash-layout", timeout=30)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None


class GunicornServer:
    """``gunicorn wsgi:server`` in its own process group, as README command 1 starts it."""

    def __init__(self, *, args: list[str], port: int, env: dict, log: Path):
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        cmd = [str(Path(sys.executable).with_name("gunicorn")), *args]
        with open(log, "wb") as out:  # a file, not a pipe: an unread pipe that fills up would block the server
            self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env={**os.environ, **env}, start_new_session=True,
                                         stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_http(self.url + "/_dash-layout", timeout=120, proc=self.proc)
        except AssertionError:
            self.stop()
            raise AssertionError(f"gunicorn did not start: {self.output()}") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def scroll_into_view(driver, element) -> None:
    """Bring ``element`` to the middle of the window at once: the theme scrolls smoothly, so a click computed while
    the page glides lands on whatever is under the pointer then."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)


class Browser:
    """One headless Chromium with waiting helpers named as dash[testing]'s, over CSS selectors."""

    def __init__(self, server: ThreadServer):
        self._server = server
        self.driver = new_driver()
        self.server_url = None

    # serving
    def start_server(self, app) -> None:
        self.server_url = self._server(app)
        self.open(self.server_url)

    def open(self, url: str) -> None:
        self.server_url = self.server_url or url
        self.driver.get(url)
        self.wait_for_element("#react-entry-point", timeout=30)

    # finding
    def find_element(self, css: str, *, timeout: float = 30):
        """The first element matching ``css``, waited for (a page's links and controls appear only once React has
        rendered it, which on busy cores comes well after ``#react-entry-point``)."""
        return self.wait_for_element(css, timeout=timeout)

    def find_elements(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        """The element's text, read again if it re-rendered between finding and reading ("" if absent)."""
        for _ in range(5):
            found = self.find_elements(css)
            if not found:
                return ""
            try:
                return found[0].text
            except StaleElementReferenceException:
                continue
        return ""

    # waiting (conditions only)
    def wait_until(self, condition, *, timeout: float = 30, message: str = ""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(lambda _: condition(),
                                                                                          message)

    def wait_for_element(self, css: str, *, timeout: float = 30):
        return self.wait_until(lambda: (self.find_elements(css) or [None])[0], timeout=timeout,
                               message=f"no element {css!r} after {timeout} s")

    def wait_for_contains_text(self, css: str, text: str, *, timeout: float = 30) -> None:
        self.wait_until(lambda: text in self.text(css), timeout=timeout,
                        message=f"{css!r} never contained {text!r} (last: {self.text(css)[:200]!r})")

    def wait_for_text_to_equal(self, css: str, text: str, *, timeout: float = 30) -> None:
        self.wait_until(lambda: self.text(css) == text, timeout=timeout,
                        message=f"{css!r} never equalled {text!r} (last: {self.text(css)[:200]!r})")

    def wait_for_no_element(self, css: str, *, timeout: float = 30) -> None:
        self.wait_until(lambda: not self.find_elements(css), timeout=timeout, message=f"{css!r} is still there")

    # Dash's own state (the renderer's redux store, as dash[testing] reads it)
    def prop(self, component_id: str, name: str):
        """The current value of a component's property as the Dash renderer holds it."""
        return self.driver.execute_script(
            "var s = window.store.getState(), p = s.paths.strs[arguments[0]];"
            "if (!p) { return null; } var node = s.layout;"
            "for (var i = 0; i < p.length; i++) { node = node[p[i]]; }"
            "return node.props[arguments[1]];", component_id, name)

    def callbacks_pending(self) -> int:
        return self.driver.execute_script(
            "var c = Object.assign({}, window.store.getState().callbacks); delete c.stored; delete c.completed;"
            "return [].concat.apply([], Object.values(c)).length;")

    def wait_for_callbacks(self, *, timeout: float = 30) -> None:
        """Wait until the renderer has no callback requested or running."""
        self.wait_until(lambda: self.callbacks_pending() == 0, timeout=timeout, message="callbacks still pending")

    def wait_for_prop(self, component_id: str, name: str, condition, *, timeout: float = 30):
        return self.wait_until(lambda: condition(self.prop(component_id, name)), timeout=timeout,
                               message=f"{component_id}.{name} never met the condition "
                                       f"(last: {self.prop(component_id, name)!r})")

    # acting
    def select_dcc_dropdown(self, css: str, *, value: str | None = None, index: int | None = None) -> None:
        """Open a dcc.Dropdown and click the option with this text (or at this index)."""
        self.wait_for_element(css).click()
        options = self.wait_until(lambda: self.find_elements(".dash-dropdown-options .dash-dropdown-option"),
                                  message=f"{css!r} opened no options")
        if index is not None:
            options[index].click()
            return
        for option in options:
            if option.text == value:
                option.click()
                return
        raise AssertionError(f"{css!r} has no option {value!r}: {[o.text for o in options]}")

    def downloads_to(self, folder: Path) -> Path:
        """Let the page download files into ``folder`` (made here) and return it."""
        folder.mkdir(parents=True, exist_ok=True)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
        return folder

    def scroll_to(self, css: str, *, timeout: float = 30):
        """The element, brought to the middle of the window at once (see :func:`scroll_into_view`)."""
        element = self.wait_for_element(css, timeout=timeout)
        scroll_into_view(self.driver, element)
        return element

    def clear_input(self, element) -> None:
        (ActionChains(self.driver).move_to_element(element).click(element).send_keys(Keys.END)
         .key_down(Keys.SHIFT).send_keys(Keys.HOME).key_up(Keys.SHIFT).send_keys(Keys.DELETE)).perform()

    def get_logs(self) -> list[dict]:
        """SEVERE browser-console entries since the page was opened."""
        return list(self.driver.get_log("browser"))

    def quit(self) -> None:
        try:
            self.driver.quit()
        except WebDriverException:
            pass


@pytest.fixture
def dash_thread_server():
    server = ThreadServer()
    yield server
    server.stop()


@pytest.fixture
def dash_duo(dash_thread_server):
    browser = Browser(dash_thread_server)
    yield browser
    browser.quit()


@pytest.fixture
def two_browsers():
    drivers = [new_driver() for _ in range(2)]
    yield drivers
    for d in drivers:
        d.quit()


def app_with_result(result, subfolder: str, tmp_path):
    """A dashboard app over a results folder holding one kind's result (copied into its subfolder)."""
    import shutil

    from dashboard.app import create_app

    results = tmp_path / "precomputed"
    (results / subfolder).mkdir(parents=True)
    shutil.copy(result, results / subfolder / Path(result).name)
    return create_app({"RESULTS_DIR": str(results), "CACHE_DIR": str(tmp_path / "cache"),
                       "DB_PATH": str(tmp_path / "db.sqlite"), "UPLOAD_DIR": str(tmp_path / "up")})
