"""Application errors and the one error body every 4xx/5xx response carries."""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder
from starlette.responses import JSONResponse


class AppError(Exception):
    """An error a user can act on: it becomes `{"error": {code, message, details}}`."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, details: Any = None, keep_changes: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details
        self.keep_changes = keep_changes


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unprocessable(AppError):
    status_code = 422
    code = "validation_error"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: Any = None, limit: int | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after
        self.limit = limit
        """The rate limit refused (requests per minute), for the `X-RateLimit-*` headers."""


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(exc: AppError) -> JSONResponse:
    headers: dict[str, str] | None = None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
        if exc.limit is not None:
            headers |= {
                "X-RateLimit-Limit": str(exc.limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(exc.retry_after),
            }
    elif exc.status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    body = jsonable_encoder(error_body(exc.code, exc.message, exc.details))
    return JSONResponse(body, status_code=exc.status_code, headers=headers)
