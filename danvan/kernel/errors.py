"""Errors the core raises; routes map them to HTTP statuses and the CLI to exit codes.

A message is a Vietnamese sentence, optionally a template with named fields
(`Invalid("{what} dài quá {limit} ký tự", what="Ghi chú", limit=4000)`): `message` is the
Vietnamese text, and the staff UI shows the same sentence in the user's language through the
catalog `danvan/web/locales/errors.<locale>.json`, whose keys are the Vietnamese templates (text
field values are looked up there too). A sentence missing from a catalog shows in Vietnamese.
"""

from __future__ import annotations


class CoreError(Exception):
    status = 400

    def __init__(self, message: str, *, code: str = "invalid", **params: object) -> None:
        self.template = message
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)
        self.code = code


class NotFound(CoreError):
    """Missing, or outside the actor's scope (the two are not told apart, to leak nothing)."""

    status = 404

    def __init__(
        self, message: str = "Không tìm thấy", *, code: str = "not_found", **params: object
    ) -> None:
        super().__init__(message, code=code, **params)


class Forbidden(CoreError):
    status = 403

    def __init__(
        self, message: str = "Bạn không có quyền thực hiện thao tác này", **params: object
    ) -> None:
        super().__init__(message, code="forbidden", **params)


class Invalid(CoreError):
    status = 422
