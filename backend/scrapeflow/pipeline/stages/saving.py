"""The save stage: the pages' rows post-processed, deduplicated, compared with the bot's previous rows, stored."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.db import session_scope
from scrapeflow.engine.post import post_process, row_diff, row_key
from scrapeflow.executions import logs
from scrapeflow.kit.ids import uuid7
from scrapeflow.kit.time import utcnow
from scrapeflow.models import ChangeStatus, Execution, ExecutionStage, Page, PageStatus, ResultRow
from scrapeflow.observability.metrics import count_rows
from scrapeflow.pipeline.stages.common import Runtime, Sends, advance, insert_for, load
from scrapeflow.workflow.nodes import DedupeData, LlmExtractData


async def _previous_rows(session: AsyncSession, execution: Execution) -> dict[str, dict[str, Any]]:
    """The bot's latest row per key before this execution (across all earlier executions)."""
    ranked = (
        select(
            ResultRow.row_key,
            ResultRow.data,
            func.row_number()
            .over(partition_by=ResultRow.row_key, order_by=(ResultRow.created_at.desc(), ResultRow.id.desc()))
            .label("rank"),
        )
        .where(
            ResultRow.org_id == execution.org_id,
            ResultRow.bot_id == execution.bot_id,
            ResultRow.execution_id != execution.id,
        )
        .subquery()
    )
    rows = await session.execute(select(ranked.c.row_key, ranked.c.data).where(ranked.c.rank == 1))
    return dict(rows.all())


_COPY_ROWS = (
    "COPY result_rows (id, org_id, bot_id, execution_id, page_id, row_key, data, change_status, diff, created_at, "
    "updated_at) FROM STDIN"
)


async def _copy_rows(session: AsyncSession, records: list[dict[str, Any]]) -> None:
    """The rows through PostgreSQL's COPY, in the session's transaction: for 2,000 rows ~40% less time than one
    INSERT … SELECT FROM unnest(…), the fastest INSERT. COPY has no ON CONFLICT; none is needed, because rows are
    written only in the transaction that moves the execution past `saving`, under the execution's row lock."""
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert driver is not None
    async with driver.cursor() as cursor, cursor.copy(_COPY_ROWS) as copy:
        for record in records:
            await copy.write_row(
                (
                    record["id"],
                    record["org_id"],
                    record["bot_id"],
                    record["execution_id"],
                    record["page_id"],
                    record["row_key"],
                    json.dumps(record["data"]),
                    record["change_status"].value,
                    json.dumps(record["diff"]),
                    record["created_at"],
                    record["updated_at"],
                )
            )


async def save_stage(rt: Runtime, execution_id: uuid.UUID) -> None:
    sends = Sends(rt.enqueue)
    async with session_scope(rt.sessionmaker) as session:
        postgresql = session.get_bind().dialect.name == "postgresql"
        loaded = await load(session, execution_id, lock=postgresql)
        if loaded is None or loaded.execution.stage is not ExecutionStage.saving:
            return
        execution = loaded.execution
        pages = await session.execute(
            select(Page.id, Page.rows)
            .where(Page.org_id == execution.org_id, Page.execution_id == execution.id, Page.status == PageStatus.done)
            .order_by(Page.id)
        )
        previous = await _previous_rows(session, execution)
        post_steps = tuple(step for step in loaded.plan.post_steps if not isinstance(step.data, LlmExtractData))
        dedupe = next((step.data for step in post_steps if isinstance(step.data, DedupeData)), None)
        keys = dedupe.keys if dedupe is not None else None
        records: dict[str, dict[str, Any]] = {}
        counts: Counter[str] = Counter()
        now = utcnow()
        for page_id, rows in pages:
            # Page by page (so each row remembers its page); a key seen on an earlier page is the same row.
            for row in post_process(rows or [], post_steps, previous.get):
                key = row_key(row, keys)
                if key in records:
                    continue
                old = previous.get(key)
                # Judged by the diff, so a field added to the bot that finds nothing (null) changes no row.
                diff = row_diff(old, row) if old is not None else {}
                status = ChangeStatus.new if old is None else ChangeStatus.changed if diff else ChangeStatus.unchanged
                counts[status.value] += 1
                records[key] = {
                    "id": uuid7(),
                    "org_id": execution.org_id,
                    "bot_id": execution.bot_id,
                    "execution_id": execution.id,
                    "page_id": page_id,
                    "row_key": key,
                    "data": row,
                    "change_status": status,
                    "diff": diff,
                    "created_at": now,
                    "updated_at": now,
                }
        if records and postgresql:
            await _copy_rows(session, list(records.values()))
        elif records:
            await session.execute(
                insert_for(session, ResultRow.__table__).on_conflict_do_nothing(
                    index_elements=["org_id", "execution_id", "row_key"]
                ),
                list(records.values()),
            )
        execution.rows_count = len(records)
        count_rows(len(records))
        await logs.append(
            session,
            execution,
            f"Saved {len(records)} row(s): {counts['new']} new, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged",
            event="saved",
            rows=len(records),
            new=counts["new"],
            changed=counts["changed"],
            unchanged=counts["unchanged"],
        )
        if await advance(session, execution, ExecutionStage.saving, ExecutionStage.exporting):
            sends.stage("export", execution)
    sends.send()
