"""Errors raised for bad input. Each names the file or dataset it is about."""

from __future__ import annotations

import re
from pathlib import PurePath

_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\"\[\](),:]+/)+([^\s'\"\[\](),:]*)")


def without_paths(text: str) -> str:
    """``text`` with every absolute path shortened to its last part (no server layout shown to users)."""
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "(folder)", text)


class DataError(ValueError):
    """Bad or missing input data, with a message meant for a person to read."""

    def __init__(self, message: str, *, path=None):
        self.path = str(path) if path is not None else None
        self.message = message
        super().__init__(f"{message} [{self.path}]" if self.path else message)

    @property
    def public(self) -> str:
        """The message for a page: the file named by its name only, no server paths."""
        text = f"{self.message} [{PurePath(self.path).name}]" if self.path else self.message
        return without_paths(text)


def public_message(exc: Exception) -> str:
    """What a page may show of ``exc``: its plain message without server paths."""
    return exc.public if isinstance(exc, DataError) else without_paths(str(exc))
