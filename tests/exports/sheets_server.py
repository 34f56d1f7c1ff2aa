"""A local Google Sheets API (v4) for the Sheets export tests and the exports benchmark, served over a real socket.

It answers the requests gspread sends for what our writer does: the OAuth token endpoint (a service account's
signed JWT, or a user's refresh token), spreadsheet metadata, `addSheet` and `updateSheetProperties`, and values
get / update / append / clear / batchUpdate on an in-memory grid. Like Google it answers 401 without a valid
bearer token, 403 when the token's account is not an editor, 404 for an unknown spreadsheet, 400 for a write
outside the grid. `throttle(n)` makes the next n write requests answer 429 (with Retry-After when asked).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gspread.utils import a1_to_rowcol, rowcol_to_a1
from jose import jwt
from jose.exceptions import JWTError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.site.server import serve_site

_PREFIX = "/v4/spreadsheets/"
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth signs for Google's endpoint, wherever it posts
_SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
_QUOTA_MESSAGE = "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'"


class SheetsApiError(Exception):
    def __init__(self, status: int, message: str, state: str) -> None:
        super().__init__(message)
        self.status, self.message, self.state = status, message, state

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        body = {"error": {"code": self.status, "message": self.message, "status": self.state}}
        return JSONResponse(body, status_code=self.status, headers=headers)


def _bad_request(message: str) -> SheetsApiError:
    return SheetsApiError(400, message, "INVALID_ARGUMENT")


@dataclass
class Sheet:
    """One worksheet: its grid size and its cells, row-major (rows are ragged; "" is an empty cell)."""

    sheet_id: int
    title: str
    index: int
    row_count: int = 1000
    column_count: int = 26
    cells: list[list[Any]] = field(default_factory=list)

    def properties(self) -> dict[str, Any]:
        grid = {"rowCount": self.row_count, "columnCount": self.column_count}
        return {"sheetId": self.sheet_id, "title": self.title, "index": self.index, "sheetType": "GRID"} | {
            "gridProperties": grid
        }

    def last_row(self) -> int:
        while self.cells and all(value == "" for value in self.cells[-1]):
            self.cells.pop()
        return len(self.cells)

    def write(self, top: int, left: int, values: list[list[Any]]) -> None:
        if len(self.cells) < top - 1 + len(values):
            self.cells.extend([] for _ in range(top - 1 + len(values) - len(self.cells)))
        for offset, row in enumerate(values):
            target = self.cells[top - 1 + offset]
            end = left - 1 + len(row)
            if len(target) < end:
                target.extend([""] * (end - len(target)))
            target[left - 1 : end] = [_stored(value) for value in row]

    def read(self, top: int, left: int, bottom: int, right: int) -> list[list[Any]]:
        rows = [row[left - 1 : right] for row in self.cells[top - 1 : bottom]]
        rows = [row[: _used(row)] for row in rows]
        return rows[: next((i + 1 for i in range(len(rows) - 1, -1, -1) if rows[i]), 0)]


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    editors: set[str]
    sheets: list[Sheet]

    def sheet(self, title: str) -> Sheet:
        found = next((sheet for sheet in self.sheets if sheet.title == title), None)
        if found is None:
            raise _bad_request(f"Unable to parse range: {title}")
        return found


def _stored(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return "" if value is None else value
    raise _bad_request(f"Invalid value: {value!r}")


def _used(row: list[Any]) -> int:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return end


def _formatted(value: Any) -> Any:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def split_range(a1: str) -> tuple[str, str]:
    """`'It''s'!A1:B2` → ("It's", "A1:B2"); a bare title is the whole sheet."""
    if a1.startswith("'"):
        end = 1
        while True:
            end = a1.index("'", end)
            if a1[end : end + 2] == "''":
                end += 2
                continue
            break
        return a1[1:end].replace("''", "'"), a1[end + 2 :]
    title, _, cells = a1.partition("!")
    return title, cells


def _corner(ref: str) -> tuple[int | None, int | None]:
    """ "B7" → (7, 2), "B" → (None, 2), "7" → (7, None)."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    column = a1_to_rowcol(f"{letters}1")[1] if letters else None
    return (int(digits) if digits else None), column


class FakeSheets:
    """The server's state: accounts, tokens, spreadsheets, and what was asked of it."""

    def __init__(self) -> None:
        self.url = ""
        self.public_keys: dict[str, Any] = {}  # service-account email → RSA public key
        self.oauth_clients: dict[str, tuple[str, str, str]] = {}  # client id → (secret, refresh token, email)
        self.tokens: dict[str, str] = {}  # access token → account email
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.calls: Counter[str] = Counter()  # "POST values:append" → requests received (errors included)
        self.writes = 0  # write requests carried out
        self.throttled = 0
        self.retry_after: str | None = None
        self.rejected = 0  # write requests answered 429

    # -- what tests set up and look at -------------------------------------------------------------

    def service_account(self, email: str = "exports@scrapeflow-test.iam.gserviceaccount.com") -> dict[str, Any]:
        """A service-account JSON key as Google issues it; its token endpoint is this server's."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_keys[email] = key.public_key()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return {
            "type": "service_account",
            "project_id": "scrapeflow-test",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem.decode(),
            "client_email": email,
            "client_id": str(secrets.randbelow(10**20)),
            "token_uri": f"{self.url}/token",
        }

    def authorized_user(self, email: str = "ada@example.com") -> dict[str, Any]:
        """A user's OAuth credentials (what google-auth-oauthlib saves after consent)."""
        client_id, secret, refresh = secrets.token_hex(8), secrets.token_hex(16), secrets.token_urlsafe(32)
        self.oauth_clients[client_id] = (secret, refresh, email)
        return {
            "type": "authorized_user",
            "client_id": client_id,
            "client_secret": secret,
            "refresh_token": refresh,
            "token_uri": f"{self.url}/token",
        }

    def add_spreadsheet(self, editors: list[str], sheets: tuple[str, ...] = ("Sheet1",), title: str = "Rows") -> str:
        spreadsheet_id = secrets.token_urlsafe(33)[:44]
        tabs = [Sheet(sheet_id=index * 1000 + 7, title=name, index=index) for index, name in enumerate(sheets)]
        self.spreadsheets[spreadsheet_id] = Spreadsheet(spreadsheet_id, title, set(editors), tabs)
        return spreadsheet_id

    def sheet(self, spreadsheet_id: str, title: str) -> Sheet:
        return self.spreadsheets[spreadsheet_id].sheet(title)

    def values(self, spreadsheet_id: str, title: str) -> list[list[Any]]:
        """The worksheet's cells as Google would list them: trailing empty cells and rows left out."""
        sheet = self.sheet(spreadsheet_id, title)
        return sheet.read(1, 1, sheet.row_count, sheet.column_count)

    def throttle(self, requests: int, retry_after: str | None = None) -> None:
        """The next `requests` write requests answer 429 RESOURCE_EXHAUSTED."""
        self.throttled, self.retry_after = requests, retry_after

    # -- the HTTP side -------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self.token, methods=["POST"]),
                Route(_PREFIX + "{rest:path}", self.sheets_api, methods=["GET", "POST", "PUT"]),
            ]
        )

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self.calls["token"] += 1
        email = self._grant(form)
        if email is None:
            return JSONResponse({"error": "invalid_grant", "error_description": "Bad credentials."}, status_code=400)
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = email
        return JSONResponse({"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"})

    def _grant(self, form: dict[str, str]) -> str | None:
        if form.get("grant_type") == _JWT_GRANT:
            assertion = form.get("assertion", "")
            try:
                issuer = str(jwt.get_unverified_claims(assertion).get("iss"))
                key = self.public_keys[issuer].public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                claims = jwt.decode(assertion, key.decode(), algorithms=["RS256"], audience=_GOOGLE_AUDIENCE)
            except (JWTError, KeyError):
                return None
            return issuer if _SHEETS_SCOPE in str(claims.get("scope", "")).split() else None
        if form.get("grant_type") == "refresh_token":
            client = self.oauth_clients.get(form.get("client_id", ""))
            if client and (form.get("client_secret"), form.get("refresh_token")) == client[:2]:
                return client[2]
        return None

    async def sheets_api(self, request: Request) -> Response:
        raw = request.scope["raw_path"].decode()[len(_PREFIX) :]
        head, _, tail = raw.partition("/")
        spreadsheet_id, _, action = head.partition(":")
        quoted, _, suffix = tail.removeprefix("values/").partition(":")
        a1 = unquote(quoted) if tail.startswith("values/") else ""
        name = "values" if tail.startswith("values") else "spreadsheet"
        operation = f"{request.method} {name}" + (f":{suffix or action}" if suffix or action else "")
        self.calls[operation] += 1
        try:
            spreadsheet = self._authorized(request, unquote(spreadsheet_id))
            if request.method != "GET" and self.throttled > 0:
                self.throttled -= 1
                self.rejected += 1
                headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
                return SheetsApiError(429, _QUOTA_MESSAGE, "RESOURCE_EXHAUSTED").response(headers)
            body = json.loads(await request.body() or b"{}")
            params = request.query_params
            handlers = {
                "GET spreadsheet": lambda: self._metadata(spreadsheet),
                "POST spreadsheet:batchUpdate": lambda: self._batch_update(spreadsheet, body),
                "GET values": lambda: self._get(spreadsheet, a1, params.get("majorDimension"), params),
                "PUT values": lambda: self._update(spreadsheet, a1, body["values"]),
                "POST values:append": lambda: self._append(spreadsheet, a1, body["values"]),
                "POST values:clear": lambda: self._clear(spreadsheet, a1),
                "POST values:batchUpdate": lambda: self._batch_values(spreadsheet, body["data"]),
            }
            if operation not in handlers:
                raise SheetsApiError(404, f"No such method: {operation}", "NOT_FOUND")
            answer = handlers[operation]()
            if request.method != "GET":
                self.writes += 1
            return JSONResponse(answer)
        except SheetsApiError as error:
            return error.response()

    def _authorized(self, request: Request, spreadsheet_id: str) -> Spreadsheet:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        email = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if email is None:
            raise SheetsApiError(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
        spreadsheet = self.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise SheetsApiError(404, "Requested entity was not found.", "NOT_FOUND")
        if email not in spreadsheet.editors:
            raise SheetsApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        return spreadsheet

    def _metadata(self, spreadsheet: Spreadsheet) -> dict[str, Any]:
        return {
            "spreadsheetId": spreadsheet.spreadsheet_id,
            "properties": {"title": spreadsheet.title, "locale": "en_US", "timeZone": "Etc/UTC"},
            "sheets": [{"properties": sheet.properties()} for sheet in spreadsheet.sheets],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet.spreadsheet_id}/edit",
        }

    def _batch_update(self, spreadsheet: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
        replies: list[dict[str, Any]] = []
        for item in body.get("requests", []):
            if "addSheet" in item:
                properties = item["addSheet"]["properties"]
                title = properties["title"]
                if any(sheet.title.casefold() == title.casefold() for sheet in spreadsheet.sheets):
                    raise _bad_request(f'A sheet with the name "{title}" already exists. Please enter another name.')
                grid = properties.get("gridProperties", {})
                sheet = Sheet(
                    sheet_id=max((s.sheet_id for s in spreadsheet.sheets), default=0) + 1,
                    title=title,
                    index=len(spreadsheet.sheets),
                    row_count=grid.get("rowCount", 1000),
                    column_count=grid.get("columnCount", 26),
                )
                spreadsheet.sheets.append(sheet)
                replies.append({"addSheet": {"properties": sheet.properties()}})
            elif "updateSheetProperties" in item:
                properties = item["updateSheetProperties"]["properties"]
                sheet = next(s for s in spreadsheet.sheets if s.sheet_id == properties["sheetId"])
                grid = properties.get("gridProperties", {})
                sheet.row_count = grid.get("rowCount", sheet.row_count)
                sheet.column_count = grid.get("columnCount", sheet.column_count)
                del sheet.cells[sheet.row_count :]
                for row in sheet.cells:
                    del row[sheet.column_count :]
                replies.append({})
            else:
                raise _bad_request(f"Unsupported request: {sorted(item)}")
        return {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}

    def _area(self, spreadsheet: Spreadsheet, a1: str) -> tuple[Sheet, int, int, int, int, bool]:
        """The sheet and the 1-based rectangle an A1 range names; the bool says whether it was bounded."""
        title, cells = split_range(a1)
        sheet = spreadsheet.sheet(title)
        if not cells:
            return sheet, 1, 1, sheet.row_count, sheet.column_count, False
        start, _, end = cells.partition(":")
        top, left = _corner(start)
        bottom, right = _corner(end) if end else (top, left)
        bounded = bottom is not None and right is not None
        return sheet, top or 1, left or 1, bottom or sheet.row_count, right or sheet.column_count, bounded

    def _get(self, spreadsheet: Spreadsheet, a1: str, dimension: str | None, params: Any) -> dict[str, Any]:
        sheet, top, left, bottom, right, bounded = self._area(spreadsheet, a1)
        if bounded and (bottom > sheet.row_count or right > sheet.column_count):
            raise _bad_request(f"Range ({a1}) exceeds grid limits. Max rows: {sheet.row_count}")
        rows = sheet.read(top, left, bottom, right)
        if params.get("valueRenderOption", "FORMATTED_VALUE") == "FORMATTED_VALUE":
            rows = [[_formatted(value) for value in row] for row in rows]
        if dimension == "COLUMNS":
            width = max((len(row) for row in rows), default=0)
            rows = [[row[i] if i < len(row) else "" for row in rows] for i in range(width)]
            rows = [column[: _used(column)] for column in rows]
        answer: dict[str, Any] = {"range": a1, "majorDimension": dimension or "ROWS"}
        return answer | ({"values": rows} if rows else {})

    def _update(self, spreadsheet: Spreadsheet, a1: str, values: list[list[Any]]) -> dict[str, Any]:
        sheet, top, left, _, _, _ = self._area(spreadsheet, a1)
        width = max((len(row) for row in values), default=0)
        if top - 1 + len(values) > sheet.row_count or left - 1 + width > sheet.column_count:
            raise _bad_request(f"Range ({a1}) exceeds grid limits. Max columns: {sheet.column_count}")
        sheet.write(top, left, values)
        return {"spreadsheetId": spreadsheet.spreadsheet_id} | self._updated(sheet, top, left, values)

    def _append(self, spreadsheet: Spreadsheet, a1: str, values: list[list[Any]]) -> dict[str, Any]:
        """After the last row holding anything; the grid grows when the rows do not fit (insertDataOption OVERWRITE)."""
        sheet, _, left, _, _, _ = self._area(spreadsheet, a1)
        last = sheet.last_row()
        sheet.write(last + 1, left, values)
        sheet.row_count = max(sheet.row_count, last + len(values))
        sheet.column_count = max(sheet.column_count, left - 1 + max((len(row) for row in values), default=0))
        answer = {"spreadsheetId": spreadsheet.spreadsheet_id, "updates": self._updated(sheet, last + 1, left, values)}
        if last:
            answer["tableRange"] = f"'{sheet.title}'!A1:{rowcol_to_a1(last, sheet.column_count)}"
        return answer

    def _clear(self, spreadsheet: Spreadsheet, a1: str) -> dict[str, Any]:
        sheet, top, left, bottom, right, _ = self._area(spreadsheet, a1)
        for row in sheet.cells[top - 1 : bottom]:
            row[left - 1 : min(right, len(row))] = [""] * max(0, min(right, len(row)) - left + 1)
        sheet.last_row()
        return {"spreadsheetId": spreadsheet.spreadsheet_id, "clearedRange": a1}

    def _batch_values(self, spreadsheet: Spreadsheet, data: list[dict[str, Any]]) -> dict[str, Any]:
        responses = [self._update(spreadsheet, item["range"], item["values"]) for item in data]
        return {
            "spreadsheetId": spreadsheet.spreadsheet_id,
            "totalUpdatedRows": sum(answer["updatedRows"] for answer in responses),
            "totalUpdatedCells": sum(answer["updatedCells"] for answer in responses),
            "responses": responses,
        }

    @staticmethod
    def _updated(sheet: Sheet, top: int, left: int, values: list[list[Any]]) -> dict[str, Any]:
        width = max((len(row) for row in values), default=1)
        bottom, right = top + max(len(values), 1) - 1, left + width - 1
        area = f"{rowcol_to_a1(top, left)}:{rowcol_to_a1(bottom, right)}"
        return {
            "updatedRange": f"'{sheet.title}'!{area}",
            "updatedRows": len(values),
            "updatedColumns": width,
            "updatedCells": sum(len(row) for row in values),
        }


@contextmanager
def serve_sheets(fake: FakeSheets | None = None) -> Iterator[FakeSheets]:
    """The fake Sheets API on a free loopback port; its `url` is what `api_base_url` / GOOGLE_SHEETS_API_URL take."""
    fake = fake or FakeSheets()
    with serve_site(fake.app()) as base:
        fake.url = base
        yield fake
