"""User uploads: size-limited, sanitised names, each user's files in their own folder and nowhere else."""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
import uuid
from pathlib import Path

from werkzeug.utils import secure_filename

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class UploadError(ValueError):
    """A problem with an upload, worded for the page."""


def user_folder(upload_root: str | Path, user: str) -> Path:
    """This identity's own folder: a readable prefix plus a hash of the exact identity, so that identities that
    sanitise alike (``bob@corp``, ``bobcorp``) never share one."""
    import hashlib

    name = f"{(secure_filename(user) or 'user')[:40]}-{hashlib.sha256(user.encode()).hexdigest()[:16]}"
    folder = (Path(upload_root) / name).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def resolve_upload(upload_root: str | Path, user: str, token: str) -> Path:
    """The file behind ``token`` (a saved file's name) inside this user's folder; refuses anything else."""
    folder = user_folder(upload_root, user)
    if not token or token != os.path.basename(token) or token.startswith("."):
        raise UploadError("Invalid upload reference")
    path = (folder / token).resolve()
    if path.parent != folder or not path.is_file():
        raise UploadError("That upload is not in your folder (it may have been removed); upload it again")
    return path


def validate_isolated(path: Path, *, label_column: str | None, max_mb: float, timeout: float = 600) -> dict:
    """Run the single-cell checks (``engine.data.validate``) in a process of their own, with the matrix memory
    budget ``max_mb``: the web worker never loads the file. Returns the summary; UploadError with the reason."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "engine.data.validate", str(path), "--max-mb", str(max_mb)]
    if label_column:
        cmd += ["--label-column", label_column]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)
    except subprocess.TimeoutExpired:
        raise UploadError(f"Checking the file took longer than {timeout:.0f} s; it is too large to check here") from None
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise UploadError("The file could not be checked (the checker stopped: it may be too large or corrupt)") from None
    if not answer["ok"]:
        raise UploadError(answer["error"])
    return answer["summary"]


def save_upload(contents: str, filename: str, *, upload_root: str | Path, user: str, max_bytes: int) -> Path:
    """Decode a ``dcc.Upload`` data URL and write it atomically as ``<id>_<safe name>`` in the user's folder."""
    safe = secure_filename(filename or "")
    if not safe.lower().endswith(".h5ad"):
        raise UploadError(f"{filename!r} is not an .h5ad file: upload AnnData saved with adata.write_h5ad()")
    if not contents or "," not in contents:
        raise UploadError("The upload arrived empty")
    b64 = contents.split(",", 1)[1]
    if len(b64) * 3 // 4 > max_bytes:
        raise UploadError(f"{filename} is larger than the upload limit of {max_bytes / 1e6:.0f} MB")
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UploadError(f"The upload could not be decoded: {exc}") from exc
    if not data:
        raise UploadError(f"{filename} is empty")
    folder = user_folder(upload_root, user)
    target = folder / f"{uuid.uuid4().hex[:8]}_{safe}"
    fd, tmp = tempfile.mkstemp(prefix=".upload.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target
