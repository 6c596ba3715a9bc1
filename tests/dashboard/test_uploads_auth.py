"""Uploads stay in their user's folder; identity modes; login over the users table."""

import base64

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


def test_login_page_over_users_table(tmp_path):
    from dashboard.auth import UserStore

    app = _app(tmp_path, AUTH="login")
    UserStore(tmp_path / "db.sqlite").add("alice", "correct horse")
    client = app.server.test_client()
    assert client.get("/").status_code == 302 and client.get("/_dash-layout").status_code == 401
    bad = client.post("/login", data={"username": "alice", "password": "wrong password"})
    assert b"Wrong user name or password" in bad.data
    assert client.post("/login", data={"username": "alice", "password": "correct horse"}).status_code == 302
    assert b"signed in as alice" in client.get("/_dash-layout").data
    client.get("/logout")
    assert client.get("/_dash-layout").status_code == 401
    with pytest.raises(ValueError):
        UserStore(tmp_path / "db.sqlite").add("bob", "short")


def test_oversized_request_bodies_are_refused_by_the_server(tmp_path):
    client = _app(tmp_path, MAX_UPLOAD_MB=1).server.test_client()
    r = client.post("/_dash-update-component", data=b"x" * 12_000_000, content_type="application/json")
    assert r.status_code == 413
