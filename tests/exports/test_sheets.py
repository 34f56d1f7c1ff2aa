"""The Google Sheets writer, through the real gspread and google-auth clients, against a local Sheets API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from scrapeflow.exports.sheets import SheetsError, SheetsResult, parse_spreadsheet_id, validate_credentials, write_rows
from scrapeflow.exports.sheets.client import MAX_ATTEMPTS, RequestWindow
from scrapeflow.exports.sheets.writer import BATCH_ROWS
from tests.exports.sheets_server import FakeSheets, serve_sheets


@pytest.fixture(scope="module")
def server() -> Iterator[FakeSheets]:
    with serve_sheets() as fake:
        yield fake


@pytest.fixture
def sheets(server: FakeSheets) -> FakeSheets:
    server.throttle(0)
    server.calls.clear()
    server.writes = server.rejected = 0
    return server


@pytest.fixture(scope="module")
def account(server: FakeSheets) -> dict[str, Any]:
    return server.service_account()


@pytest.fixture
def spreadsheet(sheets: FakeSheets, account: dict[str, Any]) -> str:
    return sheets.add_spreadsheet([account["client_email"]])


async def write(
    sheets: FakeSheets,
    credentials: dict[str, Any],
    spreadsheet: str,
    mode: Any,
    fields: list[str],
    rows: Any,
    *,
    worksheet: str = "Sheet1",
    key: str | None = None,
) -> SheetsResult:
    return await write_rows(credentials, spreadsheet, worksheet, mode, key, fields, rows, api_base_url=sheets.url)


def assert_tells_no_secret(error: SheetsError, credentials: dict[str, Any]) -> None:
    """Neither the message nor anything chained to the error repeats a secret of the credentials."""
    secrets = [credentials[name] for name in ("private_key", "client_secret", "refresh_token") if name in credentials]
    body_lines = [line for line in str(credentials.get("private_key", "")).splitlines() if "-----" not in line]
    for text in (error.message, str(error)):
        assert not any(secret in text for secret in secrets)
        assert not any(line in text for line in body_lines)
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


async def test_append_adds_rows_under_the_existing_ones(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    first = await write(sheets, account, spreadsheet, "append", ["sku", "price"], [{"sku": "A-1", "price": 9.5}])
    second = await write(
        sheets,
        account,
        spreadsheet,
        "append",
        ["sku", "price"],
        [{"sku": "B-2", "price": 12}, {"sku": None, "price": None}, {"sku": ["x", 1], "price": {"eur": 3}}],
    )

    assert sheets.values(spreadsheet, "Sheet1") == [
        ["sku", "price"],
        ["A-1", 9.5],
        ["B-2", 12],
        [],
        ['["x", 1]', '{"eur": 3}'],
    ]
    assert (first.appended, first.total_rows) == (1, 1)
    assert (second.appended, second.updated, second.total_rows) == (3, 0, 4)
    sheet_id = sheets.sheet(spreadsheet, "Sheet1").sheet_id
    assert second.spreadsheet_url == f"https://docs.google.com/spreadsheets/d/{spreadsheet}#gid={sheet_id}"


async def test_append_with_no_rows_still_reports_the_rows_there(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    await write(sheets, account, spreadsheet, "append", ["sku"], [{"sku": "A"}, {"sku": "B"}])

    result = await write(sheets, account, spreadsheet, "append", ["sku"], [])

    assert (result.appended, result.total_rows) == (0, 2)
    assert sheets.calls["POST values:append"] == 1


async def test_replace_clears_the_worksheet_then_writes_header_and_rows(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    old = [{"name": f"old {i}", "colour": "red", "size": i} for i in range(5)]
    await write(sheets, account, spreadsheet, "append", ["name", "colour", "size"], old)

    result = await write(sheets, account, spreadsheet, "replace", ["size", "name"], [{"name": "new", "size": 1}])

    assert sheets.values(spreadsheet, "Sheet1") == [["size", "name"], [1, "new"]]
    assert (result.appended, result.total_rows) == (1, 1)


async def test_upsert_over_two_runs_keeps_one_row_per_key(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    fields = ["url", "title", "price"]
    run1 = [{"url": f"https://shop.test/p/{i}", "title": f"Lamp {i}", "price": 10 + i} for i in range(1, 4)]
    first = await write(sheets, account, spreadsheet, "upsert", fields, run1, key="url")
    # Someone annotates the sheet by hand in a column the bot does not write.
    sheets.sheet(spreadsheet, "Sheet1").write(1, 4, [["note"], ["keep me"], ["and me"]])
    run2 = [{"url": f"https://shop.test/p/{i}", "title": f"Lamp {i}", "price": 20 + i} for i in range(2, 6)]
    run2.append({"url": "https://shop.test/p/5", "title": "Lamp 5 (again)", "price": 99})
    second = await write(sheets, account, spreadsheet, "upsert", fields, run2, key="url")

    assert sheets.values(spreadsheet, "Sheet1") == [
        ["url", "title", "price", "note"],
        ["https://shop.test/p/1", "Lamp 1", 11, "keep me"],
        ["https://shop.test/p/2", "Lamp 2", 22, "and me"],
        ["https://shop.test/p/3", "Lamp 3", 23],
        ["https://shop.test/p/4", "Lamp 4", 24],
        ["https://shop.test/p/5", "Lamp 5 (again)", 99],
    ]
    assert (first.appended, first.updated) == (3, 0)
    assert (second.appended, second.updated, second.total_rows) == (2, 2, 5)
    assert sheets.calls["POST values:batchUpdate"] == 1  # the updates of a batch go in one request


async def test_upsert_matches_number_keys_read_back_from_the_sheet(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    await write(sheets, account, spreadsheet, "upsert", ["id", "n"], [{"id": 7, "n": 1}, {"id": 8.0, "n": 1}], key="id")

    result = await write(
        sheets, account, spreadsheet, "upsert", ["id", "n"], [{"id": 7.0, "n": 2}, {"id": 8, "n": 2}], key="id"
    )

    assert result.updated == 2
    assert sheets.values(spreadsheet, "Sheet1") == [["id", "n"], [7, 2], [8.0, 2]]


async def test_header_keeps_its_columns_and_adds_new_fields_at_the_end(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    sheets.sheet(spreadsheet, "Sheet1").column_count = 2
    await write(sheets, account, spreadsheet, "append", ["name", "price"], [{"name": "Lamp", "price": 10}])

    await write(
        sheets, account, spreadsheet, "append", ["url", "price", "name"], [{"name": "Desk", "price": 50, "url": "u"}]
    )

    assert sheets.values(spreadsheet, "Sheet1") == [["name", "price", "url"], ["Lamp", 10], ["Desk", 50, "u"]]
    assert sheets.sheet(spreadsheet, "Sheet1").column_count == 3  # the grid grew before the header was written


async def test_a_missing_worksheet_is_created_and_found_again_ignoring_case(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    await write(sheets, account, spreadsheet, "append", ["a"], [{"a": 1}], worksheet="Products")
    await write(sheets, account, spreadsheet, "append", ["a"], [{"a": 2}], worksheet="products")

    assert [sheet.title for sheet in sheets.spreadsheets[spreadsheet].sheets] == ["Sheet1", "Products"]
    assert sheets.values(spreadsheet, "Products") == [["a"], [1], [2]]
    assert sheets.values(spreadsheet, "Sheet1") == []


async def test_quota_refusals_are_retried_after_retry_after(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    sheets.throttle(2, retry_after="1")
    started = time.monotonic()

    result = await write(sheets, account, spreadsheet, "append", ["a"], [{"a": 1}, {"a": 2}])

    assert time.monotonic() - started >= 2
    assert sheets.rejected == 2
    assert result.appended == 2
    assert sheets.values(spreadsheet, "Sheet1") == [["a"], [1], [2]]


async def test_quota_refusals_without_retry_after_back_off_exponentially(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    await write(sheets, account, spreadsheet, "append", ["a"], [{"a": 1}])
    sheets.throttle(1)  # the append: refused, so repeating it cannot duplicate rows
    started = time.monotonic()

    await write(sheets, account, spreadsheet, "append", ["a"], [{"a": 2}])

    assert time.monotonic() - started >= 1
    assert sheets.rejected == 1
    assert sheets.values(spreadsheet, "Sheet1") == [["a"], [1], [2]]


async def test_quota_refused_forever_fails_after_bounded_attempts(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    await write(sheets, account, spreadsheet, "append", ["a"], [{"a": 1}])
    sheets.throttle(10**6, retry_after="0")
    started = time.monotonic()

    with pytest.raises(SheetsError) as caught:
        await write(sheets, account, spreadsheet, "append", ["a"], [{"a": 2}])

    assert caught.value.code == "SHEETS_RATE_LIMITED"
    assert f"{MAX_ATTEMPTS} attempts" in caught.value.message
    assert sheets.rejected == MAX_ATTEMPTS
    assert time.monotonic() - started < 10
    assert sheets.values(spreadsheet, "Sheet1") == [["a"], [1]]
    assert_tells_no_secret(caught.value, account)


def test_request_window_spaces_requests_past_the_limit() -> None:
    window = RequestWindow(limit=3, seconds=0.3)
    started = time.monotonic()

    for _ in range(7):
        window.acquire()

    assert 0.6 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "form",
    [
        "{id}",
        " {id} ",
        "https://docs.google.com/spreadsheets/d/{id}/edit#gid=0",
        "https://docs.google.com/spreadsheets/u/1/d/{id}/edit?usp=sharing",
        "docs.google.com/spreadsheets/d/{id}",
    ],
)
def test_spreadsheet_id_from_a_url_or_a_bare_id(form: str) -> None:
    spreadsheet_id = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"

    assert parse_spreadsheet_id(form.format(id=spreadsheet_id)) == spreadsheet_id


@pytest.mark.parametrize(
    "value",
    [
        "",
        "sheet",
        "1BxiMVs0XRA5nFMdKvBd BZjgmUUqptlbs74OgvE2upms",
        "https://example.com/spreadsheets/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit",
        "https://docs.google.com/document/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit",
        "ftp://docs.google.com/spreadsheets/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
    ],
)
async def test_an_invalid_spreadsheet_id_is_refused_before_any_request(
    sheets: FakeSheets, account: dict[str, Any], value: str
) -> None:
    with pytest.raises(SheetsError) as caught:
        await write(sheets, account, value, "append", ["a"], [{"a": 1}])

    assert caught.value.code == "SHEETS_BAD_REQUEST"
    assert "docs.google.com/spreadsheets/d/" in caught.value.message
    assert sheets.calls == {}


async def test_a_spreadsheet_url_is_written_to(sheets: FakeSheets, account: dict[str, Any], spreadsheet: str) -> None:
    url = f"https://docs.google.com/spreadsheets/d/{spreadsheet}/edit#gid=0"

    await write(sheets, account, url, "append", ["a"], [{"a": 1}])

    assert sheets.values(spreadsheet, "Sheet1") == [["a"], [1]]


async def test_an_unknown_spreadsheet_is_not_found(sheets: FakeSheets, account: dict[str, Any]) -> None:
    with pytest.raises(SheetsError) as caught:
        await write(sheets, account, "1" * 44, "append", ["a"], [{"a": 1}])

    assert caught.value.code == "SHEETS_NOT_FOUND"
    assert_tells_no_secret(caught.value, account)


async def test_credentials_without_access_are_told_whom_to_share_with(
    sheets: FakeSheets, account: dict[str, Any]
) -> None:
    someone_elses = sheets.add_spreadsheet(["owner@example.com"])

    with pytest.raises(SheetsError) as caught:
        await write(sheets, account, someone_elses, "append", ["a"], [{"a": 1}])

    assert caught.value.code == "SHEETS_FORBIDDEN"
    assert f"share it with {account['client_email']}" in caught.value.message
    assert sheets.values(someone_elses, "Sheet1") == []
    assert_tells_no_secret(caught.value, account)


async def test_a_users_oauth_credentials_write_too(sheets: FakeSheets) -> None:
    user = sheets.authorized_user("ada@example.com")
    spreadsheet = sheets.add_spreadsheet(["ada@example.com"])

    await write(sheets, user, spreadsheet, "append", ["a"], [{"a": 1}])

    assert sheets.values(spreadsheet, "Sheet1") == [["a"], [1]]


async def test_credentials_google_refuses(sheets: FakeSheets, spreadsheet: str) -> None:
    unknown_key = FakeSheets()  # a key pair this server never registered
    unknown_key.url = sheets.url
    stranger = unknown_key.service_account()
    user = sheets.authorized_user()
    revoked = user | {"refresh_token": "revoked"}

    for credentials in (stranger, revoked):
        with pytest.raises(SheetsError) as caught:
            await write(sheets, credentials, spreadsheet, "append", ["a"], [{"a": 1}])
        assert caught.value.code == "SHEETS_BAD_CREDENTIALS"
        assert "(invalid_grant)" in caught.value.message
        assert_tells_no_secret(caught.value, credentials)
    assert sheets.values(spreadsheet, "Sheet1") == []


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"private_key": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"}, "private_key"),
        ({"client_email": ""}, "lacks client_email"),
        ({"token_uri": "http://169.254.169.254/token"}, "token_uri"),
        ({"type": "external_account"}, "not supported"),
    ],
)
async def test_unusable_credentials_are_refused_before_any_request(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str, change: dict[str, str], says: str
) -> None:
    credentials = account | change

    with pytest.raises(SheetsError) as caught:
        validate_credentials(credentials, api_base_url=sheets.url)
    with pytest.raises(SheetsError) as written:
        await write(sheets, credentials, spreadsheet, "append", ["a"], [{"a": 1}])

    assert caught.value.code == written.value.code == "SHEETS_BAD_CREDENTIALS"
    assert says in caught.value.message
    assert_tells_no_secret(caught.value, credentials)
    assert_tells_no_secret(caught.value, account)
    assert sheets.calls == {}


def test_valid_credentials_pass_and_a_test_token_endpoint_needs_the_api_url(
    sheets: FakeSheets, account: dict[str, Any]
) -> None:
    user = sheets.authorized_user()
    validate_credentials(account, api_base_url=sheets.url)
    validate_credentials(user, api_base_url=sheets.url)
    validate_credentials(account | {"token_uri": "https://oauth2.googleapis.com/token"})
    validate_credentials({k: v for k, v in user.items() if k not in ("type", "token_uri")})

    with pytest.raises(SheetsError) as caught:
        validate_credentials(account)  # its token endpoint is neither Google's nor on GOOGLE_SHEETS_API_URL
    assert caught.value.code == "SHEETS_BAD_CREDENTIALS"
    assert sheets.calls == {}


@pytest.mark.parametrize(
    ("mode", "worksheet", "key", "fields", "says"),
    [
        ("merge", "Sheet1", None, ["a"], "Unknown mode"),
        ("append", "  ", None, ["a"], "Name the worksheet"),
        ("append", "x" * 101, None, ["a"], "Name the worksheet"),
        ("append", "Sheet1", None, [], "no fields"),
        ("upsert", "Sheet1", None, ["a"], "key column"),
        ("upsert", "Sheet1", "sku", ["a"], "key column"),
    ],
)
async def test_options_that_cannot_work_are_refused(
    sheets: FakeSheets,
    account: dict[str, Any],
    spreadsheet: str,
    mode: str,
    worksheet: str,
    key: str | None,
    fields: list[str],
    says: str,
) -> None:
    with pytest.raises(SheetsError) as caught:
        await write(sheets, account, spreadsheet, mode, fields, [{"a": 1}], worksheet=worksheet, key=key)

    assert caught.value.code == "SHEETS_BAD_REQUEST"
    assert says in caught.value.message
    assert sheets.calls == {}


async def test_large_input_goes_in_batches(sheets: FakeSheets, account: dict[str, Any], spreadsheet: str) -> None:
    count = 4 * BATCH_ROWS

    async def rows() -> AsyncIterator[dict[str, Any]]:
        for i in range(count):
            yield {"id": i, "title": f"Product {i}", "price": i / 4, "tags": ["new"] if i % 2 else []}

    result = await write(sheets, account, spreadsheet, "replace", ["id", "title", "price", "tags"], rows())

    values = sheets.values(spreadsheet, "Sheet1")
    assert len(values) == count + 1
    assert values[1] == [0, "Product 0", 0.0, "[]"]
    assert values[-1] == [count - 1, f"Product {count - 1}", (count - 1) / 4, '["new"]']
    assert [row[0] for row in values[1:]] == list(range(count))
    assert sheets.calls["POST values:append"] == 4
    assert (result.appended, result.total_rows) == (count, count)


async def test_upsert_updates_rows_met_out_of_order(
    sheets: FakeSheets, account: dict[str, Any], spreadsheet: str
) -> None:
    await write(sheets, account, spreadsheet, "upsert", ["k", "v"], [{"k": k, "v": 0} for k in "abcde"], key="k")

    changed = [{"k": k, "v": n} for n, k in enumerate("ebad", start=1)]
    result = await write(sheets, account, spreadsheet, "upsert", ["k", "v"], changed, key="k")

    assert result.updated == 4
    assert sheets.values(spreadsheet, "Sheet1") == [["k", "v"], ["a", 3], ["b", 2], ["c", 0], ["d", 4], ["e", 1]]
