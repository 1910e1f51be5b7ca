"""The API error of the provincial stand-in's route modules."""

from __future__ import annotations


class ApiError(Exception):
    """Raised by a handler; the ``errors_as_json`` middleware turns it into ``{"code","message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
