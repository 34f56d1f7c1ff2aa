"""Who is calling: resolved once per request into an `AuthSubject` that services scope by."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVarTuple

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.permissions import ROLE_PERMISSIONS, Permission, role_for_scopes
from scrapeflow.auth.tokens import decode_access_token
from scrapeflow.billing.ratelimits import count_request
from scrapeflow.config import Settings
from scrapeflow.db import SessionDep
from scrapeflow.kit.crypto import token_hash
from scrapeflow.kit.errors import Forbidden, NotFound, Unauthorized
from scrapeflow.kit.http import ClientInfo, SettingsDep, client_info
from scrapeflow.kit.stamps import Freshness, StampedCache, Stamps, max_age_until, org_stamp, user_stamp
from scrapeflow.kit.time import utcnow
from scrapeflow.models import ApiKey, Membership, Role, User

API_KEY_PREFIX = "sf_"
LAST_USED_RESOLUTION = timedelta(minutes=1)

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="An access token from `POST /api/v1/auth/login`, or an organization API key (`sf_…`).",
)

BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
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
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    client: ClientInfo
    # The change stamps of the organization and the account, read before anything else in this request
    # (kit/stamps.py); None when what this request reads may not be kept in memory.
    freshness: Freshness | None = None

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
    await _note_key_use(session, api_key.id, api_key.last_used_at, now)
    return api_key


async def _note_key_use(session: AsyncSession, key_id: uuid.UUID, last_used_at: datetime | None, now: datetime) -> bool:
    """Keep `last_used_at` to the minute without a write on every request; True when written."""
    if last_used_at is not None and now - last_used_at <= LAST_USED_RESOLUTION:
        return False
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
    return True


async def _active_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The account behind this token no longer exists or is disabled.", code="invalid_token")
    return user


async def get_caller(session: SessionDep, settings: SettingsDep, credentials: BearerCredentials) -> User | ApiKey:
    """The signed-in user (access token) or the organization API key that sent the request."""
    token = _require_credentials(credentials)
    if token.startswith(API_KEY_PREFIX):
        return await _active_api_key(session, token)
    return await _active_user(session, decode_access_token(token, settings.jwt_secret).user_id)


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


@dataclass(frozen=True)
class _Grant:
    """A resolved caller as the subject cache keeps it: plain values, valid while its stamps are."""

    org_id: uuid.UUID
    role: Role
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    expires_at: datetime | None
    key_last_used_at: datetime | None = None

    @property
    def stamp_keys(self) -> tuple[str, ...]:
        keys = (org_stamp(self.org_id),)
        return keys if self.user_id is None else (*keys, user_stamp(self.user_id))

    def subject(self, client: ClientInfo, stamps: tuple[str, ...] | None = None) -> AuthSubject:
        freshness = Freshness(self.stamp_keys, stamps, self.expires_at) if stamps is not None else None
        return AuthSubject(self.org_id, self.role, self.user_id, self.api_key_id, client, freshness)


async def _grant(session: AsyncSession, settings: Settings, token: str, org_id: uuid.UUID | None) -> _Grant:
    """Resolve the caller and its organization from the database."""
    if token.startswith(API_KEY_PREFIX):
        key = await _active_api_key(session, token)
        if org_id is not None and org_id != key.org_id:
            raise NotFound("Organization not found.")
        return _Grant(key.org_id, role_for_scopes(key.scopes), None, key.id, key.expires_at, utcnow())
    claims = decode_access_token(token, settings.jwt_secret)
    user = await _active_user(session, claims.user_id)
    membership = await _membership(session, user, org_id)
    return _Grant(membership.org_id, membership.role, user.id, None, claims.expires_at)


async def resolve_subject(
    request: Request,
    session: AsyncSession,
    credentials: HTTPAuthorizationCredentials | None,
    x_org_id: uuid.UUID | None,
) -> AuthSubject:
    """Resolve the organization the caller acts in (path `org_id`, else `X-Org-Id`, else its default).

    With stamps (scale-out mode) a caller seen before costs no database read while the stamps of its
    organization and account are unchanged: a role change, a removal, a revoked key or a deleted account
    takes effect on the very next request in every process.
    """
    token = _require_credentials(credentials)
    settings: Settings = request.app.state.settings
    client = client_info(request)
    path_org = request.path_params.get("org_id")
    try:
        org_id = uuid.UUID(path_org) if path_org is not None else x_org_id
    except ValueError as exc:
        raise NotFound("Organization not found.") from exc
    stamps: Stamps | None = request.app.state.stamps
    if stamps is None:
        grant = await _grant(session, settings, token, org_id)
        return grant.subject(client)

    cache: StampedCache[_Grant] = request.app.state.grants
    cache_key = (token_hash(token), org_id)
    known = cache.peek(cache_key)
    current = await stamps.read(known[0].stamp_keys) if known is not None else None
    now = utcnow()
    if known is not None and current is not None and known[1] == current:
        grant = known[0]
        if grant.expires_at is None or grant.expires_at > now:
            key_id = grant.api_key_id
            if key_id is not None and await _note_key_use(session, key_id, grant.key_last_used_at, now):
                grant = replace(grant, key_last_used_at=now)
                cache.put(cache_key, grant, current, max_age_until(grant.expires_at, now))
            return grant.subject(client, current)

    grant = await _grant(session, settings, token, org_id)
    if known is not None and current is not None and grant.stamp_keys == known[0].stamp_keys:
        # The stamps were read before the database: what was read is filed under them.
        cache.put(cache_key, grant, current, max_age_until(grant.expires_at, now))
        return grant.subject(client, current)
    # First sight (or the caller now resolves elsewhere): nothing read before the database to file it
    # under, so keep it unverified; the next request reads the stamps first and files it.
    cache.put(cache_key, grant, (), max_age_until(grant.expires_at, now))
    return grant.subject(client)


def require(permission: Permission) -> Callable[..., Awaitable[AuthSubject]]:
    """A dependency resolving the subject and checking its role (one flat dependency: the hottest path)."""

    async def dependency(
        request: Request, session: SessionDep, credentials: BearerCredentials, x_org_id: OrgHeader = None
    ) -> AuthSubject:
        subject = await resolve_subject(request, session, credentials, x_org_id)
        await count_request(request, session, subject)
        return check(subject, permission)

    return dependency


def check(subject: AuthSubject, permission: Permission) -> AuthSubject:
    """The subject, if its role has the permission (services call it after finding the object, so that
    callers of another organization get 404 rather than learn that the object exists)."""
    if not subject.can(permission):
        raise Forbidden(
            f"Your role ({subject.role.value}) may not do this; it needs the `{permission.value}` permission.",
            code="insufficient_role",
            details={"role": subject.role.value, "required": permission.value},
        )
    return subject


OrgRead = Annotated[AuthSubject, Depends(require(Permission.org_read))]
BotsRead = Annotated[AuthSubject, Depends(require(Permission.bots_read))]
BotsWrite = Annotated[AuthSubject, Depends(require(Permission.bots_write))]
MembersManage = Annotated[AuthSubject, Depends(require(Permission.members_manage))]
KeysManage = Annotated[AuthSubject, Depends(require(Permission.keys_manage))]
DestinationsManage = Annotated[AuthSubject, Depends(require(Permission.destinations_manage))]
AuditRead = Annotated[AuthSubject, Depends(require(Permission.audit_read))]
BillingManage = Annotated[AuthSubject, Depends(require(Permission.billing_manage))]
OrgDelete = Annotated[AuthSubject, Depends(require(Permission.org_delete))]
