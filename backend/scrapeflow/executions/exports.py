"""Downloads of an execution's rows as CSV, JSON, JSONL or XLSX, streamed batch by batch."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from openpyxl import Workbook

from scrapeflow.executions.schemas import DownloadFormat

MEDIA_TYPES = {
    DownloadFormat.csv: "text/csv; charset=utf-8",
    DownloadFormat.json: "application/json",
    DownloadFormat.jsonl: "application/x-ndjson",
    DownloadFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(value: Any) -> Any:
    """A spreadsheet cell: scalars as they are, lists and objects as JSON text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _safe_text(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted (CSV injection)."""
    cell = _cell(value)
    if isinstance(cell, str) and cell[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + cell
    return cell


async def columns_of(batches: AsyncIterator[list[dict[str, Any]]]) -> list[str]:
    """Every field name, in first-seen order (a first pass; only the names are kept)."""
    seen: dict[str, None] = {}
    async for rows in batches:
        for row in rows:
            seen.update(dict.fromkeys(row))
    return list(seen)


async def render(
    fmt: DownloadFormat, columns: list[str], batches: AsyncIterator[list[dict[str, Any]]]
) -> AsyncIterator[bytes]:
    if fmt is DownloadFormat.jsonl:
        async for rows in batches:
            yield "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows).encode()
    elif fmt is DownloadFormat.json:
        first = True
        yield b"["
        async for rows in batches:
            for row in rows:
                yield (("" if first else ",") + json.dumps(row, ensure_ascii=False, default=str)).encode()
                first = False
        yield b"]"
    elif fmt is DownloadFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        async for rows in batches:
            for row in rows:
                writer.writerow([_safe_text(row.get(column)) for column in columns])
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue().encode()
    else:
        async for chunk in _xlsx(columns, batches):
            yield chunk


async def _xlsx(columns: list[str], batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    """openpyxl's write-only workbook streams rows to a temporary file; the file is then sent in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("rows")
    sheet.append(columns)
    async for rows in batches:
        for row in rows:
            sheet.append([_safe_text(row.get(column)) for column in columns])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(64 * 1024):
            yield chunk
