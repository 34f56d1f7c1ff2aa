"""Organizations, memberships and roles, invitations, and API keys."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.permissions import ApiKeyScope, role_for_scopes
from scrapeflow.auth.subject import API_KEY_PREFIX, AuthSubject, scoped
from scrapeflow.kit.crypto import new_token, token_hash
from scrapeflow.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from scrapeflow.kit.pagination import PageParams, paginate
from scrapeflow.kit.stamps import mark_changed, org_stamp, user_stamp
from scrapeflow.kit.time import utcnow
from scrapeflow.models import ApiKey, Invitation, Membership, Organization, Role, User
from scrapeflow.orgs import audit

INVITATION_PREFIX = "inv_"


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    return f"{slug or 'org'}-{secrets.token_hex(3)}"


async def create_organization(
    session: AsyncSession, user: User, name: str, *, personal: bool = False
) -> tuple[Organization, Membership]:
    organization = Organization(name=name, slug=_slugify(name), is_personal=personal)
    session.add(organization)
    await session.flush()
    membership = Membership(org_id=organization.id, user_id=user.id, role=Role.owner)
    session.add(membership)
    if user.default_org_id is None:
        user.default_org_id = organization.id
    mark_changed(session, user_stamp(user.id))
    await session.flush()
    return organization, membership


async def list_for_caller(session: AsyncSession, caller: User | ApiKey) -> list[tuple[Organization, Role]]:
    """A user's organizations with their role in each; an API key's own organization."""
    if isinstance(caller, ApiKey):
        organization = await session.get(Organization, caller.org_id)
        return [(organization, role_for_scopes(caller.scopes))] if organization else []
    rows = await session.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.org_id == Organization.id)
        .where(Membership.user_id == caller.id)
        .order_by(Organization.created_at, Organization.id)
    )
    return [(organization, role) for organization, role in rows]


async def get(session: AsyncSession, subject: AuthSubject) -> Organization:
    organization = await session.get(Organization, subject.org_id)
    if organization is None:
        raise NotFound("Organization not found.")
    return organization


async def rename(session: AsyncSession, subject: AuthSubject, name: str) -> Organization:
    organization = await get(session, subject)
    organization.name = name
    audit.record_by(session, subject, "org.renamed", target_type="organization", target_id=organization.id)
    await session.flush()
    return organization


async def delete(session: AsyncSession, subject: AuthSubject) -> None:
    organization = await get(session, subject)
    await session.execute(update(User).where(User.default_org_id == organization.id).values(default_org_id=None))
    await session.delete(organization)
    mark_changed(session, org_stamp(organization.id))
    await session.flush()


# Members and roles


async def list_members(session: AsyncSession, subject: AuthSubject) -> list[tuple[Membership, User]]:
    rows = await session.execute(
        scoped(select(Membership, User), subject, Membership)
        .join(User, User.id == Membership.user_id)
        .order_by(Membership.created_at, Membership.id)
    )
    return [(membership, user) for membership, user in rows]


async def _member(session: AsyncSession, subject: AuthSubject, user_id: uuid.UUID) -> Membership:
    membership = await session.scalar(
        scoped(select(Membership), subject, Membership).where(Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound("This person is not a member of the organization.")
    return membership


async def _owner_count(session: AsyncSession, org_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.org_id == org_id, Membership.role == Role.owner)
    )
    return count or 0


def _check_may_manage(subject: AuthSubject, current: Role, wanted: Role | None = None) -> None:
    """Admins manage viewers, editors and admins; only owners touch owners or make them."""
    if subject.role is Role.owner:
        return
    if current is Role.owner or wanted is Role.owner:
        raise Forbidden("Only an owner can change or remove an owner, or make someone an owner.", code="owner_required")


async def change_role(session: AsyncSession, subject: AuthSubject, user_id: uuid.UUID, role: Role) -> Membership:
    membership = await _member(session, subject, user_id)
    _check_may_manage(subject, membership.role, role)
    if membership.role is Role.owner and role is not Role.owner and await _owner_count(session, subject.org_id) <= 1:
        raise Conflict("The organization needs at least one owner; make someone else owner first.", code="last_owner")
    previous = membership.role
    membership.role = role
    mark_changed(session, org_stamp(subject.org_id), user_stamp(user_id))
    audit.record_by(
        session,
        subject,
        "member.role_changed",
        target_type="user",
        target_id=user_id,
        data={"from": previous.value, "to": role.value},
    )
    await session.flush()
    return membership


async def remove_member(session: AsyncSession, subject: AuthSubject, user_id: uuid.UUID) -> None:
    membership = await _member(session, subject, user_id)
    if user_id != subject.user_id:
        _check_may_manage(subject, membership.role)
    if membership.role is Role.owner and await _owner_count(session, subject.org_id) <= 1:
        raise Conflict(
            "The last owner cannot leave; make someone else owner or delete the organization.", code="last_owner"
        )
    await session.execute(
        update(User).where(User.id == user_id, User.default_org_id == subject.org_id).values(default_org_id=None)
    )
    await session.delete(membership)
    mark_changed(session, org_stamp(subject.org_id), user_stamp(user_id))
    audit.record_by(session, subject, "member.removed", target_type="user", target_id=user_id)
    await session.flush()


# Invitations


async def invite(
    session: AsyncSession, subject: AuthSubject, email: str, role: Role, *, valid_days: int
) -> tuple[Invitation, str]:
    _check_may_manage(subject, Role.viewer, role)
    already = await session.scalar(
        scoped(select(Membership.id), subject, Membership)
        .join(User, User.id == Membership.user_id)
        .where(User.email == email)
    )
    if already is not None:
        raise Conflict("This person is already a member.", code="already_member")
    token = new_token(INVITATION_PREFIX)
    invitation = Invitation(
        org_id=subject.org_id,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by_id=subject.user_id,
        expires_at=utcnow() + timedelta(days=valid_days),
    )
    session.add(invitation)
    await session.flush()
    audit.record_by(
        session,
        subject,
        "member.invited",
        target_type="invitation",
        target_id=invitation.id,
        data={"email": email, "role": role.value},
    )
    return invitation, token


async def list_invitations(session: AsyncSession, subject: AuthSubject) -> list[Invitation]:
    result = await session.scalars(
        scoped(select(Invitation), subject, Invitation)
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow())
        .order_by(Invitation.created_at.desc())
    )
    return list(result)


async def revoke_invitation(session: AsyncSession, subject: AuthSubject, invitation_id: uuid.UUID) -> None:
    invitation = await session.scalar(
        scoped(select(Invitation), subject, Invitation).where(Invitation.id == invitation_id)
    )
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise NotFound("Invitation not found.")
    invitation.revoked_at = utcnow()
    await session.flush()


async def accept_invitation(session: AsyncSession, user: User, token: str) -> tuple[Organization, Membership]:
    """Join the organization the token invites to; the invitation must name this user's email."""
    invitation = await session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token)).with_for_update()
    )
    if (
        invitation is None
        or invitation.revoked_at is not None
        or invitation.accepted_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise NotFound(
            "This invitation is invalid, was already used or has expired; ask for a new one.", code="invalid_invitation"
        )
    if invitation.email != user.email:
        raise Forbidden(
            "This invitation was sent to another email address; sign in as that person.",
            code="invitation_email_mismatch",
        )
    exists = await session.scalar(
        select(Membership.id).where(Membership.org_id == invitation.org_id, Membership.user_id == user.id)
    )
    if exists is not None:
        raise Conflict("You are already a member of this organization.", code="already_member")
    invitation.accepted_at = utcnow()
    membership = Membership(org_id=invitation.org_id, user_id=user.id, role=invitation.role)
    session.add(membership)
    mark_changed(session, org_stamp(invitation.org_id), user_stamp(user.id))
    audit.record(
        session,
        org_id=invitation.org_id,
        action="member.joined",
        user_id=user.id,
        target_type="user",
        target_id=user.id,
        data={"role": invitation.role.value},
    )
    await session.flush()
    organization = await session.get(Organization, invitation.org_id)
    assert organization is not None
    return organization, membership


# API keys


async def list_api_keys(
    session: AsyncSession, subject: AuthSubject, params: PageParams
) -> tuple[list[ApiKey], str | None]:
    statement = scoped(select(ApiKey), subject, ApiKey).where(ApiKey.revoked_at.is_(None))
    return await paginate(session, statement, params, sort=ApiKey.created_at, tiebreak=ApiKey.id)


async def create_api_key(
    session: AsyncSession, subject: AuthSubject, name: str, scopes: list[ApiKeyScope]
) -> tuple[ApiKey, str]:
    if not scopes:
        raise Unprocessable("Give the key at least one scope: read or write.", code="scopes_required")
    key = new_token(API_KEY_PREFIX)
    api_key = ApiKey(
        org_id=subject.org_id,
        name=name,
        prefix=key[: len(API_KEY_PREFIX) + 6],
        key_hash=token_hash(key),
        scopes=sorted({scope.value for scope in scopes}),
        created_by_id=subject.user_id,
    )
    session.add(api_key)
    await session.flush()
    audit.record_by(
        session,
        subject,
        "api_key.created",
        target_type="api_key",
        target_id=api_key.id,
        data={"name": name, "scopes": api_key.scopes},
    )
    return api_key, key


async def revoke_api_key(session: AsyncSession, subject: AuthSubject, key_id: uuid.UUID) -> None:
    api_key = await session.scalar(
        scoped(select(ApiKey), subject, ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    )
    if api_key is None:
        raise NotFound("API key not found.")
    api_key.revoked_at = utcnow()
    mark_changed(session, org_stamp(subject.org_id))
    audit.record_by(
        session, subject, "api_key.revoked", target_type="api_key", target_id=api_key.id, data={"name": api_key.name}
    )
    await session.flush()
