"""Errors the core raises; routes map them to HTTP statuses and the CLI to exit codes."""

from __future__ import annotations


class CoreError(Exception):
    status = 400

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(CoreError):
    """Missing, or outside the actor's scope (the two are not told apart, to leak nothing)."""

    status = 404

    def __init__(self, message: str = "Không tìm thấy", *, code: str = "not_found") -> None:
        super().__init__(message, code=code)


class Forbidden(CoreError):
    status = 403

    def __init__(self, message: str = "Bạn không có quyền thực hiện thao tác này") -> None:
        super().__init__(message, code="forbidden")


class Invalid(CoreError):
    status = 422
