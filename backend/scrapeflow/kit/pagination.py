"""Keyset pagination: every list takes `limit` and an opaque `cursor` and returns `next_cursor`."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from scrapeflow.kit.errors import Unprocessable
from scrapeflow.kit.schemas import Schema

T = TypeVar("T")
Row = TypeVar("Row")


class SortDirection(StrEnum):
    asc = "asc"
    desc = "desc"


class PageParams(BaseModel):
    """The query parameters every list takes; a list with filters extends it (one query model per list)."""

    model_config = ConfigDict(frozen=True)

    limit: int = Field(50, ge=1, le=200, description="How many items to return (1–200).")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` from the previous page.")


PageParamsDep = Annotated[PageParams, Query()]


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError
        values: list[Any] = []
        for column, value in zip(columns, raw, strict=True):
            python_type = column.type.python_type
            if value is None or python_type in (str, int, bool):
                values.append(value)
            elif python_type is datetime:
                values.append(datetime.fromisoformat(value))
            else:
                values.append(python_type(value))
        return values
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Unprocessable("The cursor is not valid; start again without it.", code="invalid_cursor") from exc


def _ordered(
    statement: Select[Any],
    params: PageParams,
    sort: InstrumentedAttribute[Any],
    tiebreak: InstrumentedAttribute[Any],
    direction: SortDirection,
) -> Select[Any]:
    """Order by (sort, tiebreak), strictly after the cursor's position, one more than a page (to see if more follow)."""
    descending = direction is SortDirection.desc
    if params.cursor:
        last_sort, last_tie = _decode(params.cursor, [sort, tiebreak])
        after = (sort < last_sort) if descending else (sort > last_sort)
        tie_after = (tiebreak < last_tie) if descending else (tiebreak > last_tie)
        statement = statement.where(or_(after, and_(sort == last_sort, tie_after)))
    order = (sort.desc(), tiebreak.desc()) if descending else (sort.asc(), tiebreak.asc())
    return statement.order_by(*order).limit(params.limit + 1)


def _cut(rows: list[Any], params: PageParams) -> tuple[list[Any], Any]:
    """The page, and the object whose position the next cursor holds (None on the last page)."""
    if len(rows) <= params.limit:
        return rows, None
    return rows[: params.limit], rows[params.limit - 1]


async def paginate(
    session: AsyncSession,
    statement: Select[Row],
    params: PageParams,
    *,
    sort: InstrumentedAttribute[Any],
    tiebreak: InstrumentedAttribute[Any],
    direction: SortDirection = SortDirection.desc,
) -> tuple[list[Row], str | None]:
    """Order by (sort, tiebreak) and continue strictly after the cursor's position."""
    result = await session.scalars(_ordered(statement, params, sort, tiebreak, direction))
    rows, last = _cut(list(result), params)
    return rows, None if last is None else _encode([getattr(last, sort.key), getattr(last, tiebreak.key)])


async def paginate_rows(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    params: PageParams,
    *,
    sort: InstrumentedAttribute[Any],
    tiebreak: InstrumentedAttribute[Any],
    direction: SortDirection = SortDirection.desc,
) -> tuple[list[Any], str | None]:
    """`paginate` for a statement selecting an entity and more columns: the result rows (entity first) are kept
    whole, and the cursor is read from the entity."""
    result = await session.execute(_ordered(statement, params, sort, tiebreak, direction))
    rows, last = _cut(list(result.all()), params)
    if last is None:
        return rows, None
    return rows, _encode([getattr(last[0], sort.key), getattr(last[0], tiebreak.key)])
