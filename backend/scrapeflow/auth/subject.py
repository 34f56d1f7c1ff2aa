"""Who is calling: resolved once per request into an `AuthSubject` that services scope by."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, TypeVarTuple

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.permissions import ROLE_PERMISSIONS, Permission, role_for_scopes
from scrapeflow.auth.tokens import decode_access_token
from scrapeflow.config import Settings
from scrapeflow.db import SessionDep
from scrapeflow.kit.crypto import token_hash
from scrapeflow.kit.errors import Forbidden, NotFound, Unauthorized
from scrapeflow.kit.http import ClientDep, ClientInfo, get_app_settings
from scrapeflow.kit.time import utcnow
from scrapeflow.models import ApiKey, Membership, Role, User

API_KEY_PREFIX = "sf_"
LAST_USED_RESOLUTION = timedelta(minutes=1)

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="An access token from `POST /api/v1/auth/login`, or an organization API key (`sf_…`).",
)

OrgHeader = Annotated[
    uuid.UUID | None,
    Header(
        alias="X-Org-Id",
        description="The organization to act in; the caller's default organization when omitted.",
    ),
]


@dataclass(frozen=True)
class AuthSubject:
    """A user or an API key acting in one organization with one role."""

    org_id: uuid.UUID
    role: Role
    user: User | None
    api_key: ApiKey | None
    client: ClientInfo

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.user.id if self.user else None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


Columns = TypeVarTuple("Columns")


def scoped(statement: Select[*Columns], subject: AuthSubject, model: Any) -> Select[*Columns]:
    """The tenancy choke point: restrict a query on a tenant-owned model to the subject's organization."""
    return statement.where(model.org_id == subject.org_id)


def _require_credentials(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("Sign in, or send an API key as `Authorization: Bearer sf_…`.", code="not_authenticated")
    return credentials.credentials


async def _active_api_key(session: AsyncSession, key: str) -> ApiKey:
    now = utcnow()
    api_key = await session.scalar(
        select(ApiKey).where(
            ApiKey.key_hash == token_hash(key),
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
    )
    if api_key is None:
        raise Unauthorized("The API key is invalid or has been revoked.", code="invalid_api_key")
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        await session.execute(update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now))
    return api_key


async def _active_user(session: AsyncSession, token: str, settings: Settings) -> User:
    user = await session.get(User, decode_access_token(token, settings.jwt_secret))
    if user is None or not user.is_active:
        raise Unauthorized("The account behind this token no longer exists or is disabled.", code="invalid_token")
    return user


async def get_caller(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User | ApiKey:
    """The signed-in user (access token) or the organization API key that sent the request."""
    token = _require_credentials(credentials)
    if token.startswith(API_KEY_PREFIX):
        return await _active_api_key(session, token)
    return await _active_user(session, token, get_app_settings(request))


Caller = Annotated[User | ApiKey, Depends(get_caller)]


async def get_current_user(caller: Caller) -> User:
    """A signed-in person; API keys act for an organization, not a person, so they are refused here."""
    if isinstance(caller, ApiKey):
        raise Forbidden("This endpoint needs a signed-in user; API keys act for an organization.", code="user_required")
    return caller


CurrentUser = Annotated[User, Depends(get_current_user)]


async def _membership(session: AsyncSession, user: User, org_id: uuid.UUID | None) -> Membership:
    statement = select(Membership).where(Membership.user_id == user.id)
    if org_id is not None:
        statement = statement.where(Membership.org_id == org_id)
    else:
        is_default = case((Membership.org_id == user.default_org_id, 0), else_=1)
        statement = statement.order_by(is_default, Membership.created_at)
    membership = await session.scalar(statement.limit(1))
    if membership is None:
        if org_id is None:
            raise NotFound("You are not a member of any organization; create one first.", code="no_organization")
        raise NotFound("Organization not found.")
    return membership


async def get_auth_subject(
    request: Request, session: SessionDep, client: ClientDep, caller: Caller, x_org_id: OrgHeader = None
) -> AuthSubject:
    """Resolve the organization the caller acts in (path `org_id`, else `X-Org-Id`, else its default)."""
    path_org = request.path_params.get("org_id")
    try:
        org_id = uuid.UUID(path_org) if path_org is not None else x_org_id
    except ValueError as exc:
        raise NotFound("Organization not found.") from exc
    if isinstance(caller, ApiKey):
        if org_id is not None and org_id != caller.org_id:
            raise NotFound("Organization not found.")
        return AuthSubject(caller.org_id, role_for_scopes(caller.scopes), None, caller, client)
    membership = await _membership(session, caller, org_id)
    return AuthSubject(membership.org_id, membership.role, caller, None, client)


def require(permission: Permission) -> Callable[..., Awaitable[AuthSubject]]:
    async def dependency(subject: Annotated[AuthSubject, Depends(get_auth_subject)]) -> AuthSubject:
        if not subject.can(permission):
            raise Forbidden(
                f"Your role ({subject.role.value}) may not do this; it needs the `{permission.value}` permission.",
                code="insufficient_role",
                details={"role": subject.role.value, "required": permission.value},
            )
        return subject

    return dependency


OrgRead = Annotated[AuthSubject, Depends(require(Permission.org_read))]
BotsRead = Annotated[AuthSubject, Depends(require(Permission.bots_read))]
BotsWrite = Annotated[AuthSubject, Depends(require(Permission.bots_write))]
MembersManage = Annotated[AuthSubject, Depends(require(Permission.members_manage))]
KeysManage = Annotated[AuthSubject, Depends(require(Permission.keys_manage))]
AuditRead = Annotated[AuthSubject, Depends(require(Permission.audit_read))]
OrgDelete = Annotated[AuthSubject, Depends(require(Permission.org_delete))]
