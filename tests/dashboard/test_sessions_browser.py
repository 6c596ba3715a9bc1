"""Two people at once (login mode, two browsers): neither sees the other's selection or jobs."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.auth import UserStore

TIMEOUT = 30


def _login(driver, base, user):
    driver.get(base + "/")
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_elements(By.ID, "login-user"))
    driver.find_element(By.ID, "login-user").send_keys(user)
    driver.find_element(By.ID, "login-password").send_keys(f"{user}-password")
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#umap .main-svg"))
    assert f"signed in as {user}" in driver.find_element(By.ID, "current-user").text


def _alice_and_bob(dash_thread_server, results_dir, tmp_path, two_browsers, *, before_serving=None):
    """The app with sign-in, users alice and bob, each signed in in one of the two browsers;
    ``before_serving(app)`` runs once the app is made and before it is served."""
    from dashboard.app import create_app

    db = tmp_path / "db.sqlite"
    app = create_app({"RESULTS_DIR": str(results_dir), "CACHE_DIR": str(tmp_path / "cache"), "DB_PATH": str(db),
                      "UPLOAD_DIR": str(tmp_path / "uploads"), "AUTH": "login"})
    for user in ("alice", "bob"):
        UserStore(db).add(user, f"{user}-password")
    if before_serving is not None:
        before_serving(app)
    dash_thread_server(app)
    alice, bob = two_browsers
    _login(alice, dash_thread_server.url, "alice")
    _login(bob, dash_thread_server.url, "bob")
    return alice, bob


def _text(driver, css):
    """Text of the element, or "" while it is absent or re-rendering."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def test_two_users_do_not_see_each_others_state(dash_thread_server, results_dir, tmp_path, two_browsers):
    def alices_job(app):
        app.server.extensions["scresponse_jobs"].submit(owner="alice", name="alices-run", config={})

    alice, bob = _alice_and_bob(dash_thread_server, results_dir, tmp_path, two_browsers, before_serving=alices_job)

    alice.execute_script(
        "var g = document.querySelector('#umap .js-plotly-plot');"
        "var xa = g._fullLayout.xaxis.range, ya = g._fullLayout.yaxis.range;"
        "Plotly.relayout(g, {dragmode: 'select', selections: [{type: 'rect', x0: xa[0], x1: (xa[0] + xa[1]) / 2,"
        " y0: ya[0], y1: ya[1]}]});")
    WebDriverWait(alice, TIMEOUT).until(lambda d: "of 108 cells" in _text(d, "#selection-info"))
    bob.refresh()
    WebDriverWait(bob, TIMEOUT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#umap .main-svg"))
    WebDriverWait(bob, TIMEOUT).until(lambda d: _text(d, "#selection-info") == "no selection")

    for driver, sees in ((alice, True), (bob, False)):
        driver.find_element(By.CSS_SELECTOR, "a[href='/train']").click()
        # the table is filled by the server for this user (its caption counts the rows it was given)
        expected = "1 job ·" if sees else "0 jobs ·"
        WebDriverWait(driver, TIMEOUT).until(lambda d: expected in _text(d, "#jobs-updated"))
        assert ("alices-run" in _text(driver, "#jobs-table")) is sees


def test_a_copied_view_link_opens_the_same_view_for_another_user(dash_thread_server, results_dir, tmp_path,
                                                                  two_browsers):
    from selenium.webdriver.common.keys import Keys

    alice, bob = _alice_and_bob(dash_thread_server, results_dir, tmp_path, two_browsers)

    alice.find_element(By.CSS_SELECTOR, "#color-by").click()
    WebDriverWait(alice, TIMEOUT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"))
    next(o for o in alice.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text == "predicted label").click()
    thumb = alice.find_element(By.CSS_SELECTOR, "#threshold [role=slider]")
    thumb.click()
    for _ in range(20):
        thumb.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(alice, TIMEOUT).until(lambda d: "predicted label at threshold 0.70" in _text(d, "#umap .gtitle"))
    alice.find_element(By.ID, "view-link-make").click()
    WebDriverWait(alice, TIMEOUT).until(lambda d: d.find_element(By.ID, "view-link").get_attribute("value"))
    link = alice.find_element(By.ID, "view-link").get_attribute("value")
    assert "color=predicted" in link and "threshold=0.70" in link and "/tmp" not in link

    bob.get(link)
    WebDriverWait(bob, TIMEOUT).until(lambda d: "predicted label at threshold 0.70" in _text(d, "#umap .gtitle"))
    WebDriverWait(bob, TIMEOUT).until(lambda d: "threshold 0.70" in _text(d, "#mis-umap .gtitle"))
    assert "signed in as bob" in bob.find_element(By.ID, "current-user").text


def _scroll_click(driver, css):
    from browser import scroll_into_view

    element = WebDriverWait(driver, TIMEOUT).until(lambda d: d.find_element(By.CSS_SELECTOR, css))
    scroll_into_view(driver, element)
    element.click()


def test_a_link_carries_a_shared_cell_set_and_the_zoom_to_another_user(dash_thread_server, results_dir, tmp_path,
                                                                       two_browsers):
    from urllib.parse import parse_qs, urlsplit

    alice, bob = _alice_and_bob(dash_thread_server, results_dir, tmp_path, two_browsers)

    WebDriverWait(alice, TIMEOUT).until(lambda d: "predicted sensitive" in _text(d, "#cluster-table"))
    _scroll_click(alice, "#cluster-table .ag-center-cols-container .ag-row[row-index='0'] .ag-cell")
    WebDriverWait(alice, TIMEOUT).until(lambda d: " of " in _text(d, "#selection-info"))
    picked = _text(alice, "#selection-info").split(" (cluster ")[0] + " (for bob)"  # then selected as the set
    alice.find_element(By.ID, "cellset-name").send_keys("for bob")
    _scroll_click(alice, "#cellset-share")
    _scroll_click(alice, "#cellset-save")
    WebDriverWait(alice, TIMEOUT).until(lambda d: "Saved 'for bob'" in _text(d, "#cellset-message"))
    _scroll_click(alice, "#cellset-a")
    WebDriverWait(alice, TIMEOUT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"))
    next(o for o in alice.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text.startswith("for bob")).click()
    _scroll_click(alice, "#cellset-select")  # the selection is now the set
    WebDriverWait(alice, TIMEOUT).until(lambda d: _text(d, "#selection-info") == picked)
    _scroll_click(alice, "#view-link-make")
    WebDriverWait(alice, TIMEOUT).until(lambda d: d.find_element(By.ID, "view-link").get_attribute("value"))
    link = alice.find_element(By.ID, "view-link").get_attribute("value")
    assert parse_qs(urlsplit(link).query)["set"] == ["for bob"]

    bob.get(link + "&zoom=-1,1,-2,2")  # a zoom, as a link made after zooming carries it
    WebDriverWait(bob, TIMEOUT).until(lambda d: _text(d, "#selection-info") == picked)
    layout = bob.execute_script("return document.querySelector('#umap .js-plotly-plot').layout;")
    # the UMAP keeps equal axis scales (y is anchored to x): the asked-for box is shown whole, centred
    assert layout["yaxis"]["range"] == [-2, 2]
    x0, x1 = layout["xaxis"]["range"]
    assert x0 <= -1 and x1 >= 1 and abs(x0 + x1) < 1e-6
    assert "signed in as bob" in bob.find_element(By.ID, "current-user").text
