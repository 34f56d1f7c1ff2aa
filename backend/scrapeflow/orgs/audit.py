"""Writing and reading the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject, scoped
from scrapeflow.kit.http import ClientInfo
from scrapeflow.kit.pagination import PageParams, paginate
from scrapeflow.models import AuditLog


def record(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    action: str,
    user_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    client: ClientInfo | None = None,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            org_id=org_id,
            actor_user_id=user_id,
            actor_api_key_id=api_key_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id is not None else None,
            data=data or {},
            ip=client.ip if client else None,
        )
    )


def record_by(
    session: AsyncSession,
    subject: AuthSubject,
    action: str,
    *,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record an action taken by the subject in its organization."""
    record(
        session,
        org_id=subject.org_id,
        action=action,
        user_id=subject.user_id,
        api_key_id=subject.api_key_id,
        client=subject.client,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )


async def list_entries(
    session: AsyncSession, subject: AuthSubject, params: PageParams, *, action: str | None = None
) -> tuple[list[AuditLog], str | None]:
    statement = scoped(select(AuditLog), subject, AuditLog)
    if action:
        statement = statement.where(AuditLog.action == action)
    return await paginate(session, statement, params, sort=AuditLog.created_at, tiebreak=AuditLog.id)
