"""What can go wrong writing to Google Sheets, as a code and a message that tells the user what to do."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from gspread.exceptions import APIError

_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")
_MESSAGE_CHARS = 300


class SheetsError(Exception):
    """A delivery to Google Sheets failed; `code` is stable, `message` is for the user (never holds a secret)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def is_rate_limit(status: int, error: dict[str, Any]) -> bool:
    """Google answers quota errors with 429, and some with 403 RESOURCE_EXHAUSTED or a rate-limit reason."""
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return True
    reasons = {str(item.get("reason", "")) for item in error.get("errors", []) if isinstance(item, dict)}
    return status == HTTPStatus.FORBIDDEN and (
        error.get("status") == "RESOURCE_EXHAUSTED" or bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded"})
    )


def from_api_error(error: APIError, account: str | None, attempts: int) -> SheetsError:
    """Google's answer to a Sheets request, told in our words; Google's own message only where it helps."""
    status = error.response.status_code
    details = dict(error.error)
    google_says = str(details.get("message") or "")[:_MESSAGE_CHARS]
    if is_rate_limit(status, details):
        return SheetsError(
            "SHEETS_RATE_LIMITED",
            f"Google Sheets kept refusing requests over its quota ({attempts} attempts): redeliver in a few "
            "minutes, or raise the project's Sheets API quota in the Google Cloud console.",
        )
    if status == HTTPStatus.NOT_FOUND:
        return SheetsError(
            "SHEETS_NOT_FOUND",
            "No Google Sheets spreadsheet has this id: check the URL or id (an uploaded Excel file must first be "
            "saved as Google Sheets).",
        )
    if status == HTTPStatus.FORBIDDEN:
        who = account or "The Google account of these credentials"
        return SheetsError(
            "SHEETS_FORBIDDEN",
            f"{who} may not edit this spreadsheet: share it with {account or 'that account'} as an editor "
            "(and enable the Google Sheets API in the credentials' Google Cloud project).",
        )
    if status == HTTPStatus.UNAUTHORIZED:
        return bad_credentials(None)
    if status == HTTPStatus.BAD_REQUEST:
        return SheetsError("SHEETS_BAD_REQUEST", f"Google Sheets refused the request: {google_says}")
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR or status == HTTPStatus.REQUEST_TIMEOUT:
        return unavailable(attempts)
    return SheetsError("SHEETS_ERROR", f"Google Sheets answered HTTP {status}: {google_says}")


def bad_credentials(google_error: object) -> SheetsError:
    """Google's token endpoint refused the credentials; only its short error code is repeated (e.g. invalid_grant)."""
    said = f" ({google_error})" if isinstance(google_error, str) and _ERROR_CODE.match(google_error) else ""
    return SheetsError(
        "SHEETS_BAD_CREDENTIALS",
        f"Google refused the credentials{said}: create a new service-account JSON key, or connect the Google "
        "account again.",
    )


def unavailable(attempts: int) -> SheetsError:
    return SheetsError(
        "SHEETS_UNAVAILABLE",
        f"Google Sheets could not be reached or kept failing ({attempts} attempts): redeliver later.",
    )
