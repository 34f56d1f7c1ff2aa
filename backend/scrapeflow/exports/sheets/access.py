"""Which spreadsheet, and with which Google credentials: checked before anything is sent."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from scrapeflow.exports.sheets.errors import SheetsError

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - an address, not a secret
# Token endpoints Google has published; a key naming any other is refused (it would make our workers post
# credentials to an address of the key author's choosing).
_GOOGLE_TOKEN_URIS = frozenset(
    {GOOGLE_TOKEN_URI, "https://accounts.google.com/o/oauth2/token", "https://www.googleapis.com/oauth2/v4/token"}
)
_BARE_ID = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
_URL_PATH = re.compile(r"^/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]{20,128})(?:/|$)")
_SERVICE_ACCOUNT_FIELDS = ("client_email", "private_key", "token_uri")
_AUTHORIZED_USER_FIELDS = ("client_id", "client_secret", "refresh_token")


def parse_spreadsheet_id(value: str) -> str:
    """The spreadsheet id in a Google Sheets URL (`https://docs.google.com/spreadsheets/d/<id>/edit…`) or a bare id."""
    text = value.strip() if isinstance(value, str) else ""
    if _BARE_ID.match(text):
        return text
    parts = urlsplit(text if "://" in text else f"https://{text}")
    match = _URL_PATH.match(parts.path)
    if parts.scheme in {"http", "https"} and parts.hostname == "docs.google.com" and match:
        return match.group(1)
    raise SheetsError(
        "SHEETS_BAD_REQUEST",
        "This is not a Google Sheets spreadsheet URL or id: paste the address of the spreadsheet "
        "(https://docs.google.com/spreadsheets/d/…) or the id between /d/ and the next slash.",
    )


def validate_credentials(credentials: dict[str, Any], *, api_base_url: str | None = None) -> None:
    """Refuses credentials that cannot work: a service-account JSON key, or a user's OAuth refresh token.

    `api_base_url` (the `GOOGLE_SHEETS_API_URL` setting) also allows token endpoints on that server.
    """
    google_credentials(credentials, api_base_url)


def google_credentials(credentials: dict[str, Any], api_base_url: str | None) -> Credentials:
    """google-auth credentials for the Sheets scope; refreshed against the key's token endpoint."""
    if not isinstance(credentials, dict):
        raise _invalid("The credentials must be a JSON object: a service-account key or a user's OAuth tokens.")
    service = credentials.get("type") == "service_account"
    if not service and credentials.get("type") not in (None, "authorized_user"):
        raise _invalid(
            f"Credentials of type {str(credentials.get('type'))[:40]!r} are not supported: use a service-account "
            "JSON key (type service_account) or a user's OAuth tokens (type authorized_user)."
        )
    fields = _SERVICE_ACCOUNT_FIELDS if service else _AUTHORIZED_USER_FIELDS
    missing = [name for name in fields if not isinstance(credentials.get(name), str) or not credentials[name].strip()]
    if missing:
        kind = "service-account JSON key" if service else "OAuth credentials"
        raise _invalid(f"The {kind} lacks {', '.join(missing)}: paste the whole file Google gave you.")
    token_uri = str(credentials.get("token_uri") or GOOGLE_TOKEN_URI)
    if token_uri not in _GOOGLE_TOKEN_URIS and not _same_origin(token_uri, api_base_url):
        raise _invalid("The credentials name a token_uri that is not Google's: use the file Google gave you as is.")
    if not service:
        return user_credentials.Credentials(  # type: ignore[no-untyped-call]
            token=None,
            refresh_token=credentials["refresh_token"],
            token_uri=token_uri,
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
        )
    try:
        key: Credentials = service_account.Credentials.from_service_account_info(credentials, scopes=SCOPES)  # type: ignore[no-untyped-call]
        return key
    except (ValueError, TypeError, IndexError):
        # The parser's message may quote the key: none of it goes into ours, nor into the traceback.
        raise _invalid(
            "The private_key of the service-account JSON key could not be read: create a new key in the "
            "Google Cloud console and paste the whole file."
        ) from None


def account_email(credentials: dict[str, Any]) -> str | None:
    """The service account the spreadsheet must be shared with (a user's OAuth tokens name no address)."""
    email = credentials.get("client_email") if isinstance(credentials, dict) else None
    return email if isinstance(email, str) and email else None


def _same_origin(url: str, base: str | None) -> bool:
    if not base:
        return False
    first, second = urlsplit(url), urlsplit(base)
    return (first.scheme, first.netloc) == (second.scheme, second.netloc) and first.scheme in {"http", "https"}


def _invalid(message: str) -> SheetsError:
    return SheetsError("SHEETS_BAD_CREDENTIALS", message)
