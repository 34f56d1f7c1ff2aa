"""Helpers that create objects through the real services, for tests to build on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth import service as auth_service
from scrapeflow.auth.tokens import create_access_token
from scrapeflow.config import Settings
from scrapeflow.models import Membership, Organization, Role, User

START_URL = "https://shop.example.com/products"


@dataclass
class Actor:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str | None = None,
    password: str | None = None,
    name: str = "Test",
) -> Actor:
    """A user with a personal organization. Without a password no hash is computed (fast)."""
    user = await auth_service.create_user(
        session, email=email or f"user-{uuid.uuid4().hex[:10]}@example.com", password=password, name=name
    )
    await session.flush()
    return Actor(user, create_access_token(user.id, settings.jwt_secret, settings.access_token_minutes))


async def add_member(session: AsyncSession, organization_id: uuid.UUID, user: User, role: Role) -> Membership:
    membership = Membership(org_id=organization_id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    return membership


async def personal_org(session: AsyncSession, actor: Actor) -> Organization:
    assert actor.user.default_org_id is not None
    organization = await session.get(Organization, actor.user.default_org_id)
    assert organization is not None
    return organization
