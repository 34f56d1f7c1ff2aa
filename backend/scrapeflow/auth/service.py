"""Sign-up, sign-in, refresh-token rotation and the user's own account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.passwords import hash_password, verify_password
from scrapeflow.auth.tokens import create_access_token
from scrapeflow.config import Settings
from scrapeflow.kit.crypto import new_token, token_hash
from scrapeflow.kit.errors import Conflict, TooManyRequests, Unauthorized, Unprocessable
from scrapeflow.kit.http import ClientInfo
from scrapeflow.kit.ratelimit import FailureLimiter
from scrapeflow.kit.stamps import mark_changed, org_stamp, user_stamp
from scrapeflow.kit.time import utcnow
from scrapeflow.models import Membership, Organization, RefreshToken, Role, User
from scrapeflow.orgs import audit
from scrapeflow.orgs import service as orgs_service

REFRESH_PREFIX = "rt_"
BAD_CREDENTIALS = "The email or password is incorrect."


@dataclass(frozen=True)
class Session:
    """What a successful sign-in or refresh hands to the client."""

    access_token: str
    expires_in: int
    refresh_token: str


async def create_user(
    session: AsyncSession, *, email: str, password: str | None, name: str | None, email_verified: bool = False
) -> User:
    """Create a user with a personal organization of which they are the owner."""
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists; sign in instead.", code="email_taken")
    display_name = name or email.split("@", 1)[0]
    user = User(
        email=email,
        name=display_name,
        password_hash=await hash_password(password) if password is not None else None,
        email_verified=email_verified,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("An account with this email already exists; sign in instead.", code="email_taken") from exc
    await orgs_service.create_organization(session, user, f"{display_name}'s workspace", personal=True)
    return user


async def _issue(
    session: AsyncSession, user: User, settings: Settings, client: ClientInfo, family_id: uuid.UUID | None = None
) -> Session:
    refresh = new_token(REFRESH_PREFIX)
    now = utcnow()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_hash(refresh),
            created_at=now,
            expires_at=now + timedelta(days=settings.refresh_token_days),
            user_agent=client.user_agent,
            ip=client.ip,
        )
    )
    await session.flush()
    return Session(
        access_token=create_access_token(user.id, settings.jwt_secret, settings.access_token_minutes),
        expires_in=settings.access_token_minutes * 60,
        refresh_token=refresh,
    )


async def sign_in(session: AsyncSession, user: User, settings: Settings, client: ClientInfo, method: str) -> Session:
    user.last_login_at = utcnow()
    if user.default_org_id is not None:
        audit.record(
            session,
            org_id=user.default_org_id,
            action="auth.login",
            user_id=user.id,
            client=client,
            target_type="user",
            target_id=user.id,
            data={"method": method},
        )
    return await _issue(session, user, settings, client)


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    settings: Settings,
    client: ClientInfo,
    limiter: FailureLimiter,
) -> Session:
    """Check the password; failures are counted per email and per IP, and the answer never tells which was wrong."""
    email_key, ip_key = f"email:{email}", f"ip:{client.ip}"
    for key, limit in ((email_key, settings.login_failures_per_email), (ip_key, settings.login_failures_per_ip)):
        retry_after = await limiter.blocked(key, limit)
        if retry_after is not None:
            raise TooManyRequests("Too many failed sign-in attempts; wait and try again.", retry_after=retry_after)
    user = await session.scalar(select(User).where(User.email == email))
    valid, new_hash = await verify_password(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        await limiter.record(email_key, settings.login_failures_per_email)
        await limiter.record(ip_key, settings.login_failures_per_ip)
        raise Unauthorized(BAD_CREDENTIALS, code="invalid_credentials")
    await limiter.clear(email_key, settings.login_failures_per_email)
    if new_hash:
        user.password_hash = new_hash
    return await sign_in(session, user, settings, client, "password")


async def refresh(session: AsyncSession, *, token: str | None, settings: Settings, client: ClientInfo) -> Session:
    """Rotate a refresh token. Presenting one that was already rotated revokes its whole family."""
    if not token:
        raise Unauthorized("No refresh token; sign in again.", code="invalid_refresh_token")
    stored = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)))
    now = utcnow()
    if stored is None or stored.expires_at <= now:
        raise Unauthorized("The session has expired; sign in again.", code="invalid_refresh_token")
    rotated = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.rotated_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(rotated_at=now)
    )
    if rotated.rowcount != 1:  # type: ignore[attr-defined]
        if stored.revoked_at is None or stored.rotated_at is not None:
            await _revoke_family(session, stored.family_id)
            raise Unauthorized(
                "This session was used twice, so it has been signed out everywhere for safety; sign in again.",
                code="refresh_token_reused",
                keep_changes=True,
            )
        raise Unauthorized("The session was signed out; sign in again.", code="invalid_refresh_token")
    user = await session.get(User, stored.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The account is disabled.", code="invalid_refresh_token")
    return await _issue(session, user, settings, client, family_id=stored.family_id)


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def logout(session: AsyncSession, token: str | None) -> None:
    if not token:
        return
    stored = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)))
    if stored is not None:
        await _revoke_family(session, stored.family_id)


async def revoke_all_sessions(session: AsyncSession, user: User) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def update_me(
    session: AsyncSession,
    user: User,
    *,
    name: str | None,
    email: str | None,
    password: str | None,
    current_password: str | None,
) -> User:
    changes_credentials = (email is not None and email != user.email) or password is not None
    if changes_credentials and user.password_hash is not None:  # OAuth-only users have no password yet
        valid, _ = await verify_password(current_password or "", user.password_hash)
        if not valid:
            raise Unprocessable(
                "Enter your current password to change your email or password.", code="current_password_required"
            )
    if name is not None:
        user.name = name
    if email is not None and email != user.email:
        if await session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict("An account with this email already exists.", code="email_taken")
        user.email = email
        user.email_verified = False
    if password is not None:
        user.password_hash = await hash_password(password)
        await revoke_all_sessions(session, user)
    await session.flush()
    return user


async def delete_me(session: AsyncSession, user: User) -> None:
    """Delete the account; organizations where the user is alone go with it."""
    memberships = (await session.scalars(select(Membership).where(Membership.user_id == user.id))).all()
    alone: list[uuid.UUID] = []
    for membership in memberships:
        members = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.org_id == membership.org_id)
        )
        if members == 1:
            alone.append(membership.org_id)
        elif membership.role is Role.owner:
            owners = await session.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.org_id == membership.org_id, Membership.role == Role.owner)
            )
            if owners == 1:
                raise Conflict(
                    "You are the only owner of an organization with other members; make someone else owner first.",
                    code="last_owner",
                    details={"org_id": str(membership.org_id)},
                )
    user.default_org_id = None
    await session.flush()
    for org_id in alone:
        organization = await session.get(Organization, org_id)
        if organization is not None:
            await session.delete(organization)
    await session.delete(user)
    mark_changed(session, user_stamp(user.id), *(org_stamp(org_id) for org_id in alone))
    await session.flush()
