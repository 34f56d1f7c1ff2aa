"""Review before export: a bot with `review_before_export` holds its rows; the execution waits in
`awaiting_review` until every row is approved or rejected, then exports only the approved ones."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.db import after_commit
from scrapeflow.executions import logs
from scrapeflow.executions import service as executions_service
from scrapeflow.exports.planning import review_counts
from scrapeflow.exports.schemas import ReviewDecision, ReviewState
from scrapeflow.kit.errors import Conflict, Unprocessable
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Execution, ExecutionStatus, ResultRow, ReviewStatus


def state(execution: Execution, counts: dict[ReviewStatus | None, int]) -> ReviewState:
    return ReviewState(
        execution_id=execution.id,
        status=execution.status,
        pending=counts.get(ReviewStatus.pending, 0),
        approved=counts.get(ReviewStatus.approved, 0),
        rejected=counts.get(ReviewStatus.rejected, 0),
    )


async def get_state(session: AsyncSession, subject: AuthSubject, execution_id: uuid.UUID) -> ReviewState:
    execution = await executions_service.get(session, subject, execution_id)
    return state(execution, await review_counts(session, execution))


async def decide(
    session: AsyncSession,
    subject: AuthSubject,
    execution_id: uuid.UUID,
    body: ReviewDecision,
    resume: Callable[[Execution], Awaitable[Any]],
) -> ReviewState:
    """Approve or reject pending rows (the listed ones, or all); once none is pending the export runs."""
    execution = await executions_service.get(session, subject, execution_id)
    if execution.status is not ExecutionStatus.awaiting_review:
        raise Conflict(
            f"This execution is {execution.status.value.replace('_', ' ')}, not awaiting review.", code="not_in_review"
        )
    decided = ReviewStatus.approved if body.decision == "approve" else ReviewStatus.rejected
    statement = (
        update(ResultRow)
        .where(
            ResultRow.org_id == subject.org_id,
            ResultRow.execution_id == execution.id,
            ResultRow.review_status == ReviewStatus.pending,
        )
        .values(review_status=decided, updated_at=utcnow())
    )
    if body.row_ids is not None:
        listed = set(body.row_ids)
        known = set(
            await session.scalars(
                scoped(select(ResultRow.id), subject, ResultRow).where(
                    ResultRow.execution_id == execution.id, ResultRow.id.in_(listed)
                )
            )
        )
        if unknown := listed - known:
            raise Unprocessable(
                f"{len(unknown)} row id(s) are not rows of this execution.",
                code="unknown_rows",
                details={"row_ids": sorted(str(row) for row in unknown)[:20]},
            )
        statement = statement.where(ResultRow.id.in_(listed))
    await session.execute(statement, execution_options={"synchronize_session": False})
    counts = await review_counts(session, execution)
    if not counts.get(ReviewStatus.pending):
        execution.status = ExecutionStatus.running
        execution.updated_at = utcnow()
        await logs.append(
            session,
            execution,
            f"Review done: {counts.get(ReviewStatus.approved, 0)} row(s) approved, "
            f"{counts.get(ReviewStatus.rejected, 0)} rejected",
            event="status",
            status=ExecutionStatus.running.value,
        )
        after_commit(session, lambda: resume(execution))
    return state(execution, counts)
