"""The fixed set of error codes the engine reports, and the one exception type that carries them."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    NAVIGATION_ERROR = "NAVIGATION_ERROR"
    SELECTOR_TIMEOUT = "SELECTOR_TIMEOUT"
    RATE_LIMITED = "RATE_LIMITED"
    BLOCKED_BY_POLICY = "BLOCKED_BY_POLICY"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    LLM_ERROR = "LLM_ERROR"
    EXPORT_ERROR = "EXPORT_ERROR"
    INVALID_URL = "INVALID_URL"
    HTTP_ERROR = "HTTP_ERROR"
    TIMEOUT = "TIMEOUT"
    CONTENT_TOO_LARGE = "CONTENT_TOO_LARGE"
    UNSUPPORTED_CONTENT = "UNSUPPORTED_CONTENT"
    TOO_MANY_REDIRECTS = "TOO_MANY_REDIRECTS"
    ROBOTS_DISALLOWED = "ROBOTS_DISALLOWED"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    INVALID_SELECTOR = "INVALID_SELECTOR"
    SECRET_MISSING = "SECRET_MISSING"  # noqa: S105 - a code, not a secret


class EngineError(Exception):
    """A failure the engine can explain to the bot's owner.

    `message` is shown to users as is, so it is a plain sentence that says what to do; `detail`
    keeps the technical cause for logs. `retryable` tells callers (the fetcher's own retry loop,
    the pipeline) whether trying again later can help, and `retry_after` how long to wait when
    the site said so.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        url: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.url = url
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.detail = detail

    def __repr__(self) -> str:
        return f"EngineError({self.code.value}, {self.message!r}, url={self.url!r}, status={self.status!r})"
