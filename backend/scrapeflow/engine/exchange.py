"""One HTTP request and its response on the shared client: the body streamed under a size cap and a total
deadline, statuses and transport failures turned into engine errors."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from scrapeflow.engine.decoding import is_textual, media_type
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.retry import is_retryable_status, parse_retry_after
from scrapeflow.engine.ssrf import Target

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A redirect's body is read (when small) so that its HTTP/1.1 connection can be reused for the next hop.
_REDIRECT_DRAIN_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ExchangeLimits:
    max_bytes: int
    timeout: float
    any_content: bool = False
    """Read responses of any media type; otherwise non-text types are refused before their body is read."""


@dataclass(frozen=True, slots=True)
class Exchange:
    status: int
    headers: httpx.Headers
    content: bytes
    http_version: str
    location: str | None = None
    """Set when the response is a redirect to follow."""


async def exchange(
    client: httpx.AsyncClient,
    target: Target,
    limits: ExchangeLimits,
    *,
    headers: Mapping[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Exchange:
    """One GET on `client`. With `transport` (the client's own), the request skips `client.send`: we never
    use its redirect, auth or event-hook handling, and those layers with its per-response cookie bookkeeping
    (an http.cookiejar pass over every response) were ~9% of a crawled page's instructions. Cookies a response
    sets still go to the client's jar, and the jar's cookies still go out with each request (build_request
    adds them)."""
    try:
        request = client.build_request("GET", target.url, headers=headers, cookies=cookies)
        # httpx's timeouts apply to each read; this deadline also stops a server that drips bytes forever.
        async with asyncio.timeout(limits.timeout):
            if transport is None:
                response = await client.send(request, stream=True)
            else:
                response = await transport.handle_async_request(request)
                response.request = request
            try:
                if transport is not None and "set-cookie" in response.headers:
                    client.cookies.extract_cookies(response)
                return await _read(response, target, limits)
            finally:
                await response.aclose()
    except TimeoutError:
        raise _timeout(target) from None
    except httpx.TimeoutException as exc:
        raise _timeout(target, str(exc)) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _transport_error(exc, target) from None


async def _read(response: httpx.Response, target: Target, limits: ExchangeLimits) -> Exchange:
    status = response.status_code
    headers = response.headers
    if status in _REDIRECT_STATUSES and "location" in headers:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) <= _REDIRECT_DRAIN_BYTES:
            await response.aread()
        return Exchange(status, headers, b"", response.http_version, headers["location"].strip())
    if status >= 300:
        raise status_error(status, target, parse_retry_after(headers.get("retry-after")))
    media = media_type(headers.get("content-type"))
    if not limits.any_content and media and not is_textual(media):
        raise EngineError(
            ErrorCode.UNSUPPORTED_CONTENT,
            f"{target.url} is not a web page but a file ({media}), so there is nothing to extract from it. "
            "Point the bot at the page that links to this file instead.",
            url=target.url,
            status=status,
        )
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise _too_large(target, limits.max_bytes, status)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limits.max_bytes:  # counted after decompression, so a zip bomb stops here too
            raise _too_large(target, limits.max_bytes, status)
        chunks.append(chunk)
    return Exchange(status, headers, b"".join(chunks), response.http_version)


def status_error(status: int, target: Target, retry_after: float | None) -> EngineError:
    retryable = is_retryable_status(status)
    reason = f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
    if status == 429:
        code = ErrorCode.RATE_LIMITED
        message = (
            f"The site is limiting how often it can be visited ({reason}). ScrapeFlow slowed down and retried; "
            "run the bot again later or lower its speed."
        )
    elif status in (401, 403):
        code = ErrorCode.HTTP_ERROR
        message = (
            f"The site refused access to {target.url} ({reason}). The page may need a login, "
            "or the site blocks automated visitors."
        )
    elif status in (404, 410):
        code = ErrorCode.HTTP_ERROR
        message = f"The page {target.url} was not found ({reason}). Check that the address is still valid."
    elif retryable:
        code = ErrorCode.HTTP_ERROR
        message = f"The site had a problem answering ({reason}). ScrapeFlow retried; try again later."
    else:
        code = ErrorCode.HTTP_ERROR
        message = f"The site answered {target.url} with {reason}. Check the address in a browser."
    return EngineError(code, message, url=target.url, retryable=retryable, retry_after=retry_after, status=status)


def _timeout(target: Target, detail: str | None = None) -> EngineError:
    return EngineError(
        ErrorCode.TIMEOUT,
        f"{target.host} took too long to answer. ScrapeFlow retried; try again later, "
        "or raise the bot's timeout if the site is just slow.",
        url=target.url,
        retryable=True,
        detail=detail,
    )


def _too_large(target: Target, max_bytes: int, status: int) -> EngineError:
    return EngineError(
        ErrorCode.CONTENT_TOO_LARGE,
        f"{target.url} is larger than the {max_bytes / (1024 * 1024):g} MB a page may have, so ScrapeFlow "
        "stopped downloading it. Point the bot at a smaller page.",
        url=target.url,
        status=status,
    )


def _transport_error(exc: Exception, target: Target) -> EngineError:
    detail = f"{type(exc).__name__}: {exc}"
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return EngineError(
            ErrorCode.NAVIGATION_ERROR,
            f"The security certificate of {target.host} is not valid, so ScrapeFlow did not load the page. "
            "Check the address, or ask the site's owner to fix the certificate.",
            url=target.url,
            detail=detail,
        )
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return EngineError(
            ErrorCode.INVALID_URL,
            f"“{target.url}” is not a valid web address. Check the URL for typos.",
            url=target.url,
            detail=detail,
        )
    if isinstance(exc, httpx.DecodingError):
        return EngineError(
            ErrorCode.HTTP_ERROR,
            f"{target.host} sent a response that could not be decoded (broken compression). Try again later.",
            url=target.url,
            detail=detail,
        )
    if isinstance(exc, httpx.ProxyError):
        message = "The proxy could not reach the site. Check the bot's proxy settings, or try again later."
    elif isinstance(exc, httpx.ConnectError):
        message = f"Could not connect to {target.host}. Check that the site is up, or try again later."
    else:
        message = f"The connection to {target.host} broke while loading the page. Try again later."
    return EngineError(ErrorCode.NAVIGATION_ERROR, message, url=target.url, retryable=True, detail=detail)
