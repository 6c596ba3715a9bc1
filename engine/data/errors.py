"""Errors raised for bad input. Each names the file or dataset it is about."""


class DataError(ValueError):
    """Bad or missing input data, with a message meant for a person to read."""

    def __init__(self, message: str, *, path=None):
        self.path = str(path) if path is not None else None
        super().__init__(f"{message} [{self.path}]" if self.path else message)
