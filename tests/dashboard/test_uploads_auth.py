"""Uploads stay in their user's folder; identity modes; login over the users table."""

import base64
import json

import pytest

from dashboard.uploads import UploadError, resolve_upload, save_upload


def _data_url(payload: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(payload).decode()


def test_upload_names_are_sanitised_and_stay_in_the_user_folder(tmp_path):
    root = tmp_path / "uploads"
    path = save_upload(_data_url(b"x" * 10), "../../etc/evil.h5ad", upload_root=root, user="../alice", max_bytes=100)
    assert path.parent.parent == root.resolve() and path.parent.name.startswith("alice-")
    assert path.name.endswith("etc_evil.h5ad")
    assert not (tmp_path / "etc").exists()
    assert resolve_upload(root, "../alice", path.name) == path
    for token in ("../alice/" + path.name, "/etc/passwd", "..", "", ".hidden"):
        with pytest.raises(UploadError):
            resolve_upload(root, "alice", token)
    with pytest.raises(UploadError, match="not in your folder"):
        resolve_upload(root, "bob", path.name)  # another user's file is not reachable


@pytest.mark.parametrize("contents, name, message", [
    (_data_url(b"x" * 200), "a.h5ad", "larger than the upload limit"),
    (_data_url(b"x"), "a.csv", "not an .h5ad file"),
    ("data:;base64,@@@", "a.h5ad", "could not be decoded"),
    ("", "a.h5ad", "arrived empty"),
])
def test_bad_uploads_get_clear_messages_and_write_nothing(tmp_path, contents, name, message):
    with pytest.raises(UploadError, match=message):
        save_upload(contents, name, upload_root=tmp_path, user="alice", max_bytes=100)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_identities_that_sanitise_alike_get_their_own_folders(tmp_path):
    from dashboard.uploads import user_folder

    folders = {user_folder(tmp_path, u) for u in ("bob@corp", "bobcorp", "_bobcorp_", "bob corp")}
    assert len(folders) == 4 and all(f.parent == tmp_path.resolve() for f in folders)
    assert user_folder(tmp_path, "bob@corp") == user_folder(tmp_path, "bob@corp")  # stable


def test_messages_for_pages_show_no_server_paths():
    from engine.data.errors import DataError, public_message

    exc = DataError("Not a readable AnnData (.h5ad) file: OSError: unable to open (name = '/srv/app/jobs/uploads/"
                    "alice-1/ab_x.h5ad')", path="/srv/app/jobs/uploads/alice-1/ab_x.h5ad")
    text = public_message(exc)
    assert "/srv" not in text and "ab_x.h5ad" in text


def _app(tmp_path, **cfg):
    from dashboard.app import create_app

    return create_app({"RESULTS_DIR": str(tmp_path / "res"), "CACHE_DIR": str(tmp_path / "cache"),
                       "DB_PATH": str(tmp_path / "db.sqlite"), "UPLOAD_DIR": str(tmp_path / "up"), **cfg})


def test_header_identity_is_required_and_used(tmp_path):
    client = _app(tmp_path, AUTH="header", AUTH_HEADER="X-Remote-User").server.test_client()
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout", headers={"X-Remote-User": "bad name!"}).status_code == 401
    r = client.get("/_dash-layout", headers={"X-Remote-User": "alice"})
    assert r.status_code == 200 and b"signed in as alice" in r.data


def _csrf(client, path="/login") -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _form_token(node):
    """The value of the hidden csrf_token input somewhere in a Dash layout (JSON)."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props, dict) and props.get("name") == "csrf_token":
            return props["value"]
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = _form_token(child)
            if found:
                return found
    return None


def _sign_in(client, name="alice", password="correct horse", **headers):
    return client.post("/login", data={"username": name, "password": password, "csrf_token": _csrf(client)},
                       headers=headers)


@pytest.fixture
def login_app(tmp_path):
    from dashboard.auth import UserStore

    app = _app(tmp_path, AUTH="login")
    users = UserStore(tmp_path / "db.sqlite")
    users.add("alice", "correct horse")
    return app, users


def test_login_page_over_users_table(login_app, tmp_path):
    from dashboard.auth import UserStore

    app, _ = login_app
    client = app.server.test_client()
    assert client.get("/").status_code == 302 and client.get("/_dash-layout").status_code == 401
    bad = _sign_in(client, password="wrong password")
    assert bad.status_code == 401 and b"Wrong user name or password" in bad.data
    assert _sign_in(client).status_code == 302
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "signed in as alice" in layout
    assert client.get("/logout").status_code == 405  # sign-out is a POST of the app's own form
    token = _form_token(json.loads(layout))  # the sign-out form in the navbar carries it
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    with pytest.raises(ValueError):
        UserStore(tmp_path / "db.sqlite").add("bob", "short")


def test_a_signed_out_cookie_stays_signed_out(login_app):
    app, users = login_app
    client = app.server.test_client()
    _sign_in(client)
    cookie = client.get_cookie("session").value
    users.close_session(users._db().execute("SELECT token FROM sessions").fetchone()[0])  # as sign-out does
    replay = app.server.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/_dash-layout").status_code == 401


def test_sessions_expire_and_end_with_the_user(login_app, tmp_path):
    from dashboard.auth import UserStore

    app, users = login_app
    client = app.server.test_client()
    _sign_in(client)
    assert client.get("/_dash-layout").status_code == 200
    users.remove("alice")
    assert client.get("/_dash-layout").status_code == 401
    users.add("alice", "correct horse")
    short = UserStore(tmp_path / "db.sqlite")
    token = short.open_session("alice", hours=-1)  # already expired
    assert short.session_user(token) is None


def test_failed_sign_ins_are_rate_limited(login_app):
    app, _ = login_app
    client = app.server.test_client()
    for _ in range(5):
        assert _sign_in(client, password="wrong password").status_code == 401
    locked = _sign_in(client)  # even the right password waits now
    assert locked.status_code == 429 and b"Too many failed attempts" in locked.data
    assert client.get("/_dash-layout").status_code == 401


def test_sign_in_needs_the_form_token_and_this_origin(login_app):
    app, _ = login_app
    client = app.server.test_client()
    forged = client.post("/login", data={"username": "alice", "password": "correct horse", "csrf_token": "x"})
    assert forged.status_code == 400
    assert _sign_in(client, Origin="https://evil.example").status_code == 400
    assert _sign_in(client, Origin="http://localhost").status_code == 302


def test_only_exact_open_paths_are_served_without_a_session(login_app):
    app, _ = login_app
    client = app.server.test_client()
    for path in ("/loginX", "/login.json", "/favicon.ico", "/assets/../wsgi.py", "/_dash-layout"):
        assert client.get(path).status_code in (302, 401), path
    assert client.get("/login").status_code == 200
    assert client.get("/assets/style.css").status_code == 200


def test_unknown_user_names_cost_as_much_time_as_wrong_passwords(login_app):
    import statistics
    import time

    _, users = login_app

    def took(name):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            users.verify(name, "wrong password")
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    known, unknown = took("alice"), took("nobody-here")
    assert unknown > 0.5 * known, (known, unknown)


def test_oversized_request_bodies_are_refused_by_the_server(tmp_path):
    client = _app(tmp_path, MAX_UPLOAD_MB=1).server.test_client()
    r = client.post("/_dash-update-component", data=b"x" * 12_000_000, content_type="application/json")
    assert r.status_code == 413


def test_callback_bodies_are_small_except_the_upload_callbacks(tmp_path):
    client = _app(tmp_path, MAX_UPLOAD_MB=5, MAX_CALLBACK_MB=1).server.test_client()
    big = "x" * 3_000_000

    def post(output, outputs, inputs, state=()):
        body = json.dumps({"output": output, "outputs": outputs, "inputs": inputs,
                           "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"], "state": list(state)})
        return client.post("/_dash-update-component", data=body, content_type="application/json")

    lasso = post("..selection.data...selection-bits.data..",
                 [{"id": "selection", "property": "data"}, {"id": "selection-bits", "property": "data"}],
                 [{"id": "raw-selection", "property": "data", "value": {"source": "umap", "lassoPoints": {"x": [big]}}}])
    assert lasso.status_code == 413 and b"limit here is 1.0 MB" in lasso.data
    upload = post("..train-upload-status.children...train-upload-token.data...train-label-column.options..."
                  "train-label-column.value..",
                  [{"id": "train-upload-status", "property": "children"}, {"id": "train-upload-token", "property": "data"},
                   {"id": "train-label-column", "property": "options"}, {"id": "train-label-column", "property": "value"}],
                  [{"id": "train-upload-payload", "property": "data", "value": {"name": "a.h5ad", "contents": big}},
                   {"id": "train-label-column", "property": "value", "value": None}],
                  [{"id": "train-upload-token", "property": "data", "value": None}])
    assert upload.status_code == 200 and b"upload-error" in upload.data  # read in full, then refused in words


def test_an_empty_secret_key_file_is_replaced_at_start(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "secret_key").write_text("")
    app = _app(tmp_path)
    assert len(app.server.secret_key) == 64 and (tmp_path / "cache" / "secret_key").read_text() == app.server.secret_key
