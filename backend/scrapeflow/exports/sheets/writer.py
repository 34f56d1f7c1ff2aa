"""Writing rows to one worksheet: header kept in sync with the fields, then append, replace or upsert by key."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from gspread import Spreadsheet, Worksheet
from gspread.exceptions import APIError
from gspread.utils import Dimension, InsertDataOption, ValueInputOption, ValueRenderOption, a1_to_rowcol, rowcol_to_a1

from scrapeflow.exports.sheets.client import SheetsHTTPClient

Mode = Literal["append", "replace", "upsert"]
Cell = str | int | float | bool

BATCH_ROWS = 5_000  # rows per write request: 100,000 rows take 20 of the 60 writes a minute allows
BATCH_CHARS = 2_000_000  # and about this much text, the request size Google advises staying under
CELL_MAX_CHARS = 50_000  # Google refuses a longer cell; the text is cut instead of failing the delivery
NEW_WORKSHEET_ROWS = 1_000  # a created worksheet's grid, as the Sheets UI makes them; appends extend it


@dataclass(frozen=True)
class SheetsResult:
    appended: int
    updated: int
    total_rows: int  # data rows below the header once written
    spreadsheet_url: str


def cell(value: Any) -> Cell:
    """A row value as a cell: numbers stay numbers, None is empty, lists and objects become JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return str(value)[:CELL_MAX_CHARS]


def key_text(value: Any) -> str:
    """A key as text, the same whether it comes from a row or back from the sheet (where 7.0 reads as 7)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, str) else json.dumps(value)


class SheetWriter:
    """Synchronous (gspread is): `open`, then `write` each batch of rows, then `finish`."""

    def __init__(
        self, client: SheetsHTTPClient, spreadsheet_id: str, title: str, mode: Mode, key: str | None, fields: list[str]
    ) -> None:
        self.client, self.spreadsheet_id, self.title = client, spreadsheet_id, title
        self.mode, self.key, self.fields = mode, key, fields
        self.appended = self.updated = 0
        self.last_row = 1  # the table's last row (the header's when there is no data)
        self.row_of_key: dict[str, int] = {}

    def open(self) -> None:
        spreadsheet = Spreadsheet(self.client, {"id": self.spreadsheet_id})
        self.worksheet = self._worksheet(spreadsheet)
        header = self._sync_header()
        self.columns = [header.index(name) for name in self.fields]
        self.width = max(self.columns) + 1
        self.spans = _spans(sorted(self.columns))
        if self.mode == "upsert":
            assert self.key is not None
            keys = self._column(header.index(self.key), ValueRenderOption.unformatted)
            for offset, value in enumerate(keys):
                if value != "":
                    self.row_of_key.setdefault(key_text(value), offset + 2)
            self.last_row = len(keys) + 1

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self.mode != "upsert":
            self._append([self._values(row) for row in rows])
            return
        assert self.key is not None
        latest: dict[str, dict[str, Any]] = {}
        keyless: list[dict[str, Any]] = []
        for row in rows:
            key = key_text(cell(row.get(self.key)))
            if key == "":
                keyless.append(row)
            else:
                latest.pop(key, None)  # the last row with a key wins, at its own place in the order
                latest[key] = row
        updates = [(self.row_of_key[key], row) for key, row in latest.items() if key in self.row_of_key]
        if updates:
            self._update(updates)
        new_keys = [key for key in latest if key not in self.row_of_key]
        first = self._append([self._values(latest[key]) for key in new_keys] + [self._values(r) for r in keyless])
        self.row_of_key.update({key: first + offset for offset, key in enumerate(new_keys)})

    def finish(self) -> SheetsResult:
        if self.mode == "append" and self.appended == 0:
            self.last_row = len(self._column(self.columns[0], ValueRenderOption.formatted)) + 1
        return SheetsResult(self.appended, self.updated, self.last_row - 1, self.worksheet.url)

    def _worksheet(self, spreadsheet: Spreadsheet) -> Worksheet:
        """The worksheet by title, created when missing."""
        found = self._find(spreadsheet)
        if found is not None:
            return found
        try:
            return spreadsheet.add_worksheet(self.title, NEW_WORKSHEET_ROWS, max(len(self.fields), 1))
        except APIError:
            found = self._find(spreadsheet)  # another delivery may have just created it
            if found is None:
                raise
            return found

    def _find(self, spreadsheet: Spreadsheet) -> Worksheet | None:
        """Google keeps titles unique ignoring case: an exact match first, else one that differs in case."""
        worksheets = spreadsheet.worksheets()
        exact = [found for found in worksheets if found.title == self.title]
        alike = [found for found in worksheets if found.title.casefold() == self.title.casefold()]
        return next(iter(exact + alike), None)

    def _sync_header(self) -> list[str]:
        """Row 1 lists the columns: the existing ones in their order, then fields not there yet."""
        if self.mode == "replace":
            self.worksheet.clear()
            existing: list[str] = []
        else:
            existing = [str(name) for name in self.worksheet.row_values(1)]
        header = existing + [name for name in self.fields if name not in existing]
        if header != existing:
            if len(header) > self.worksheet.col_count:
                self.worksheet.resize(cols=len(header))
            self.worksheet.update([header], "A1", value_input_option=ValueInputOption.raw)
        return header

    def _column(self, index: int, render: ValueRenderOption) -> list[Any]:
        letter = rowcol_to_a1(1, index + 1).rstrip("1")
        values = self.worksheet.get(f"{letter}2:{letter}", major_dimension=Dimension.cols, value_render_option=render)
        return list(values[0]) if values else []

    def _values(self, row: dict[str, Any]) -> list[Cell]:
        values: list[Cell] = [""] * self.width
        for name, column in zip(self.fields, self.columns, strict=True):
            values[column] = cell(row.get(name))
        return values

    def _append(self, values: list[list[Cell]]) -> int:
        """Appends under the table, in requests of at most BATCH_CHARS; returns the first new row's number."""
        first: int | None = None
        for chunk in _chunks(values):
            answer = self.worksheet.append_rows(
                chunk,
                value_input_option=ValueInputOption.raw,  # text stays text: a scraped "=formula" is not run
                insert_data_option=InsertDataOption.overwrite,
                table_range="A1",
            )
            start, self.last_row = _rows_of(answer["updates"]["updatedRange"])
            first = start if first is None else first
            self.appended += len(chunk)
        return self.last_row + 1 if first is None else first

    def _update(self, updates: list[tuple[int, dict[str, Any]]]) -> None:
        """Rewrites the fields' cells of existing rows in one values:batchUpdate; other columns stay as they are.

        Rows that follow each other in the sheet go in one range (a re-run usually meets its keys in order).
        """
        data = []
        for rows in _consecutive(sorted(updates, key=lambda update: update[0])):
            values = [self._values(row) for _, row in rows]
            top, bottom = rows[0][0], rows[-1][0]
            for first, last in self.spans:
                area = f"{rowcol_to_a1(top, first + 1)}:{rowcol_to_a1(bottom, last + 1)}"
                data.append({"range": area, "values": [row[first : last + 1] for row in values]})
        self.worksheet.batch_update(data, value_input_option=ValueInputOption.raw)
        self.updated += len(updates)


def _spans(columns: list[int]) -> list[tuple[int, int]]:
    """Runs of adjacent columns the fields occupy, as (first, last) indexes."""
    spans: list[tuple[int, int]] = []
    for column in columns:
        if spans and column == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], column)
        else:
            spans.append((column, column))
    return spans


def _consecutive(updates: list[tuple[int, dict[str, Any]]]) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Runs of updates to adjacent rows."""
    run: list[tuple[int, dict[str, Any]]] = []
    for update in updates:
        if run and update[0] != run[-1][0] + 1:
            yield run
            run = []
        run.append(update)
    if run:
        yield run


def _chunks(values: list[list[Cell]]) -> Iterator[list[list[Cell]]]:
    chunk: list[list[Cell]] = []
    size = 0
    for row in values:
        chunk.append(row)
        size += sum(len(str(value)) + 3 for value in row)
        if size >= BATCH_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _rows_of(a1_range: str) -> tuple[int, int]:
    """First and last row of a range Google reports, e.g. 'Sheet 1'!A2:D5001."""
    area = a1_range.rpartition("!")[2]
    start, _, end = area.partition(":")
    return a1_to_rowcol(start)[0], a1_to_rowcol(end or start)[0]
