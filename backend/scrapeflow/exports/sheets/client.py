"""gspread's HTTP client, pointed at `GOOGLE_SHEETS_API_URL` when set, kept under the Sheets API quotas."""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Mapping, MutableMapping
from http import HTTPStatus
from typing import Any

import requests
from google.auth.credentials import Credentials
from gspread.exceptions import APIError
from gspread.http_client import FileType, HTTPClient, ParamsType

from scrapeflow.exports.sheets.errors import is_rate_limit

# The origins gspread's URLs start with (gspread.urls); an API URL override replaces them.
GOOGLE_ORIGINS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
# Google's default quota is 60 read and 60 write requests per minute per user: stay under it ourselves.
REQUESTS_PER_MINUTE = 60
MAX_ATTEMPTS = 6  # a request refused over quota (or failing) this many times fails the delivery
BASE_DELAY_SECONDS = 1.0  # then 2, 4, 8… (plus jitter) when Google sends no Retry-After
MAX_DELAY_SECONDS = 60.0
TIMEOUT_SECONDS = (10.0, 120.0)  # connect, read: no worker waits forever on Google


class RequestWindow:
    """At most `limit` requests in any `seconds`: a request waits until the oldest one leaves the window."""

    def __init__(
        self,
        limit: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.seconds = limit, seconds
        self.clock, self.sleep = clock, sleep
        self.starts: deque[float] = deque()

    def acquire(self) -> None:
        now = self.clock()
        while self.starts and now - self.starts[0] >= self.seconds:
            self.starts.popleft()
        if len(self.starts) >= self.limit:
            self.sleep(self.seconds - (now - self.starts.popleft()))
            now = self.clock()
        self.starts.append(now)


class SheetsHTTPClient(HTTPClient):
    """Every gspread call goes through `request`: origin rewrite, pacing, retries with backoff."""

    def __init__(self, credentials: Credentials, api_base_url: str = "") -> None:
        super().__init__(credentials)
        self.set_timeout(TIMEOUT_SECONDS)
        self.api_base_url = api_base_url.rstrip("/")
        self.reads = RequestWindow(REQUESTS_PER_MINUTE, 60.0)
        self.writes = RequestWindow(REQUESTS_PER_MINUTE, 60.0)

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        url = self.api_url(endpoint)
        window = self.reads if method.lower() == "get" else self.writes
        # Appending twice appends twice: an append is repeated only when Google said it did not take it (quota).
        repeatable = not url.endswith(":append")
        for attempt in range(1, MAX_ATTEMPTS):
            window.acquire()
            try:
                return super().request(method, url, params, data, json, files, headers)
            except APIError as error:
                status = error.response.status_code
                failed = status >= HTTPStatus.INTERNAL_SERVER_ERROR or status == HTTPStatus.REQUEST_TIMEOUT
                if not (is_rate_limit(status, dict(error.error)) or (repeatable and failed)):
                    raise
                delay = backoff_delay(attempt, error.response.headers.get("Retry-After"))
            except requests.RequestException:
                if not repeatable:
                    raise
                delay = backoff_delay(attempt, None)
            time.sleep(delay)
        window.acquire()
        return super().request(method, url, params, data, json, files, headers)

    def api_url(self, url: str) -> str:
        if self.api_base_url:
            for origin in GOOGLE_ORIGINS:
                if url.startswith(f"{origin}/"):
                    return self.api_base_url + url[len(origin) :]
        return url


def backoff_delay(attempt: int, retry_after: str | None) -> float:
    """Google's Retry-After when it sends one (in seconds), else exponential with up to a second of jitter."""
    if retry_after is not None and retry_after.strip().isdigit():
        return min(float(retry_after), MAX_DELAY_SECONDS)
    delay: float = BASE_DELAY_SECONDS * 2 ** (attempt - 1) + random.uniform(0, 1)  # noqa: S311 - jitter, not a secret
    return min(delay, MAX_DELAY_SECONDS)
