"""Errors in Firecrawl's own shape, `{"success": false, "error": sentence, "code", "details"}`, so that its SDKs
raise them as they would against Firecrawl (UnauthorizedError for 401, RequestTimeoutError for 408, …)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from scrapeflow.kit.errors import AppError


def firecrawl_error(status: int, message: str, code: str, details: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"success": False, "error": message, "code": code}
    if details is not None:
        body["details"] = details
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def _invalid_request(exc: RequestValidationError) -> JSONResponse:
    """Firecrawl answers a malformed request with 400, not FastAPI's 422."""
    errors = [
        {"loc": list(error.get("loc", ())), "message": error.get("msg", ""), "type": error.get("type", "")}
        for error in exc.errors()
    ]
    if any(error["type"] == "json_invalid" for error in errors):
        return firecrawl_error(400, "The request body is not valid JSON.", "invalid_json", errors)
    first = errors[0] if errors else {"loc": [], "message": "invalid input"}
    where = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
    return firecrawl_error(400, f"Bad Request: {where}: {first['message']}", "bad_request", errors)


class FirecrawlRoute(APIRoute):
    """A route that answers its failures (authentication included) in Firecrawl's error shape.

    The routes write nothing but the API key's last use, which stands whatever the answer, so turning
    errors into responses here (inside the session's unit of work) loses nothing.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def firecrawl_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as exc:
                return firecrawl_error(exc.status_code, exc.message, exc.code, exc.details)
            except RequestValidationError as exc:
                return _invalid_request(exc)
            except StarletteHTTPException as exc:
                return firecrawl_error(exc.status_code, str(exc.detail), "http_error")

        return firecrawl_handler
