"""Errors raised for input the system cannot read."""

from pathlib import Path


class PaperError(Exception):
    """A paper could not be read; the message is one line naming the file and the cause."""

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")
