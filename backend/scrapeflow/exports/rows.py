"""The rows a delivery sends: an execution's saved rows, filtered (all, new, changed; only approved ones after
a review), read in batches from short transactions so memory stays flat whatever the size."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapeflow.models import ChangeStatus, ResultRow, ReviewStatus

Row = dict[str, Any]


class RowSource(Protocol):
    async def count(self) -> int: ...

    def batches(self, size: int, skip: int = 0) -> AsyncIterator[list[Row]]:
        """Batches of `size` rows in a stable order, leaving out the first `skip` batches."""
        ...


def selection(org_id: uuid.UUID, execution_id: uuid.UUID, which: str) -> list[ColumnElement[bool]]:
    conditions = [
        ResultRow.org_id == org_id,
        ResultRow.execution_id == execution_id,
        # Rows held for review leave only once approved; rows never held (no review) always may.
        or_(ResultRow.review_status.is_(None), ResultRow.review_status == ReviewStatus.approved),
    ]
    if which == "new":
        conditions.append(ResultRow.change_status == ChangeStatus.new)
    elif which == "changed":
        conditions.append(ResultRow.change_status.in_((ChangeStatus.new, ChangeStatus.changed)))
    return conditions


def as_row(key: str, status: ChangeStatus, data: dict[str, Any], diff: dict[str, Any] | None) -> Row:
    row: Row = {"key": key, "change_status": status.value, "data": data}
    if diff:
        row["diff"] = diff
    return row


class StoredRows:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], org_id: uuid.UUID, execution_id: uuid.UUID, which: str
    ) -> None:
        self.sessions = sessions
        self.conditions = selection(org_id, execution_id, which)

    async def count(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(ResultRow).where(*self.conditions)) or 0)

    async def batches(self, size: int, skip: int = 0) -> AsyncIterator[list[Row]]:
        columns = (ResultRow.id, ResultRow.row_key, ResultRow.change_status, ResultRow.data, ResultRow.diff)
        after: uuid.UUID | None = None
        offset = skip * size  # once, to resume after the batches a receiver already took
        while True:
            statement = select(*columns).where(*self.conditions).order_by(ResultRow.id).limit(size)
            if after is not None:
                statement = statement.where(ResultRow.id > after)
            elif offset:
                statement = statement.offset(offset)
            async with self.sessions() as session:
                found = (await session.execute(statement)).all()
            if not found:
                return
            after = found[-1][0]
            yield [as_row(key, status, data, diff) for _, key, status, data, diff in found]
            if len(found) < size:
                return


class ListedRows:
    """Rows in memory: a destination's test sample."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = list(rows)

    async def count(self) -> int:
        return len(self.rows)

    async def batches(self, size: int, skip: int = 0) -> AsyncIterator[list[Row]]:
        for start in range(skip * size, len(self.rows), size):
            yield self.rows[start : start + size]
