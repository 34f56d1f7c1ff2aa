"""HTTP endpoints for organizations, members, invitations, API keys and the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from scrapeflow import models
from scrapeflow.auth.subject import AuditRead, Caller, CurrentUser, KeysManage, MembersManage, OrgDelete, OrgRead
from scrapeflow.billing import service as billing_service
from scrapeflow.db import SessionDep
from scrapeflow.kit.http import SecretBoxDep, SettingsDep
from scrapeflow.kit.pagination import Page, PageParamsDep
from scrapeflow.orgs import audit
from scrapeflow.orgs import fetch as org_fetch
from scrapeflow.orgs import llm as org_llm
from scrapeflow.orgs import service as orgs_service
from scrapeflow.orgs.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    AuditEntry,
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    LlmSettings,
    LlmSettingsUpdate,
    Member,
    MemberUpdate,
    Organization,
    OrganizationCreate,
    OrganizationUpdate,
    OrganizationWithRole,
    OrgFetchSettings,
    OrgFetchSettingsUpdate,
)

router = APIRouter(prefix="/orgs", tags=["organizations"])
invitations_router = APIRouter(prefix="/invitations", tags=["organizations"])


def _with_role(organization: models.Organization, role: models.Role) -> OrganizationWithRole:
    return OrganizationWithRole(**Organization.model_validate(organization).model_dump(), role=role)


def _member(membership: models.Membership, user: models.User) -> Member:
    return Member(
        user_id=user.id, email=user.email, name=user.name, role=membership.role, joined_at=membership.created_at
    )


@router.get("", summary="List your organizations")
async def list_organizations(caller: Caller, session: SessionDep) -> list[OrganizationWithRole]:
    """For a user, every organization they belong to with their role; for an API key, its own organization."""
    return [_with_role(org, role) for org, role in await orgs_service.list_for_caller(session, caller)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an organization")
async def create_organization(body: OrganizationCreate, user: CurrentUser, session: SessionDep) -> OrganizationWithRole:
    """You become its owner."""
    organization, membership = await orgs_service.create_organization(session, user, body.name)
    return _with_role(organization, membership.role)


@router.get("/{org_id}", summary="Get an organization")
async def get_organization(org_id: uuid.UUID, subject: OrgRead, session: SessionDep) -> OrganizationWithRole:
    return _with_role(await orgs_service.get(session, subject), subject.role)


@router.put("/{org_id}", summary="Rename an organization")
async def update_organization(
    org_id: uuid.UUID, body: OrganizationUpdate, subject: MembersManage, session: SessionDep
) -> OrganizationWithRole:
    return _with_role(await orgs_service.rename(session, subject, body.name), subject.role)


@router.delete("/{org_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an organization")
async def delete_organization(org_id: uuid.UUID, subject: OrgDelete, session: SessionDep) -> None:
    """Deletes its bots, executions, results and keys. Owners only."""
    await orgs_service.delete(session, subject)


@router.get("/{org_id}/members", summary="List members")
async def list_members(org_id: uuid.UUID, subject: OrgRead, session: SessionDep) -> list[Member]:
    return [_member(membership, user) for membership, user in await orgs_service.list_members(session, subject)]


@router.put("/{org_id}/members/{user_id}", summary="Change a member's role")
async def update_member(
    org_id: uuid.UUID, user_id: uuid.UUID, body: MemberUpdate, subject: MembersManage, session: SessionDep
) -> Member:
    """Admins manage viewers, editors and admins; only owners change or grant the owner role."""
    membership = await orgs_service.change_role(session, subject, user_id, body.role)
    user = await session.get(models.User, membership.user_id)
    assert user is not None
    return _member(membership, user)


@router.delete("/{org_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a member")
async def remove_member(org_id: uuid.UUID, user_id: uuid.UUID, subject: MembersManage, session: SessionDep) -> None:
    await orgs_service.remove_member(session, subject, user_id)


@router.delete("/{org_id}/membership", status_code=status.HTTP_204_NO_CONTENT, summary="Leave an organization")
async def leave_organization(org_id: uuid.UUID, subject: OrgRead, user: CurrentUser, session: SessionDep) -> None:
    await orgs_service.remove_member(session, subject, user.id)


@router.get("/{org_id}/invitations", summary="List pending invitations")
async def list_invitations(org_id: uuid.UUID, subject: MembersManage, session: SessionDep) -> list[Invitation]:
    return [Invitation.model_validate(i) for i in await orgs_service.list_invitations(session, subject)]


@router.post("/{org_id}/invitations", status_code=status.HTTP_201_CREATED, summary="Invite someone by email")
async def create_invitation(
    org_id: uuid.UUID, body: InvitationCreate, subject: MembersManage, session: SessionDep, settings: SettingsDep
) -> InvitationCreated:
    """The token is shown once; the invitee accepts it while signed in with the invited email. 403 `PLAN_LIMIT`
    when members and pending invitations fill the plan's team size."""
    await billing_service.guard_new_member(session, settings, subject)
    invitation, token = await orgs_service.invite(
        session, subject, body.email, body.role, valid_days=settings.invitation_days
    )
    return InvitationCreated(
        **Invitation.model_validate(invitation).model_dump(),
        token=token,
        accept_url=f"{settings.web_url.rstrip('/')}/invitations/accept?token={token}",
    )


@router.delete(
    "/{org_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an invitation"
)
async def revoke_invitation(
    org_id: uuid.UUID, invitation_id: uuid.UUID, subject: MembersManage, session: SessionDep
) -> None:
    await orgs_service.revoke_invitation(session, subject, invitation_id)


@invitations_router.post("/accept", summary="Accept an invitation")
async def accept_invitation(body: InvitationAccept, user: CurrentUser, session: SessionDep) -> OrganizationWithRole:
    organization, membership = await orgs_service.accept_invitation(session, user, body.token)
    return _with_role(organization, membership.role)


@router.get("/{org_id}/api-keys", summary="List API keys")
async def list_api_keys(
    org_id: uuid.UUID, subject: KeysManage, session: SessionDep, page: PageParamsDep
) -> Page[ApiKey]:
    items, next_cursor = await orgs_service.list_api_keys(session, subject, page)
    return Page(items=[ApiKey.model_validate(k) for k in items], next_cursor=next_cursor)


@router.post("/{org_id}/api-keys", status_code=status.HTTP_201_CREATED, summary="Create an API key")
async def create_api_key(
    org_id: uuid.UUID, body: ApiKeyCreate, subject: KeysManage, session: SessionDep
) -> ApiKeyCreated:
    """The key is returned only in this response; store it safely."""
    api_key, key = await orgs_service.create_api_key(session, subject, body.name, body.scopes)
    return ApiKeyCreated(**ApiKey.model_validate(api_key).model_dump(), key=key)


@router.delete("/{org_id}/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key")
async def revoke_api_key(org_id: uuid.UUID, key_id: uuid.UUID, subject: KeysManage, session: SessionDep) -> None:
    await orgs_service.revoke_api_key(session, subject, key_id)


@router.get("/{org_id}/llm", summary="The organization's own LLM key (whether one is set)")
async def get_llm_settings(org_id: uuid.UUID, subject: OrgRead, session: SessionDep) -> LlmSettings:
    return await org_llm.get(session, subject)


@router.put("/{org_id}/llm", summary="Bring your own LLM key")
async def update_llm_settings(
    org_id: uuid.UUID,
    body: LlmSettingsUpdate,
    subject: KeysManage,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
) -> LlmSettings:
    """The key is stored encrypted and never returned; extraction then runs on it, billed to you by your provider."""
    return await org_llm.update(session, subject, body, box, settings)


@router.delete("/{org_id}/llm", status_code=status.HTTP_204_NO_CONTENT, summary="Remove the organization's LLM key")
async def remove_llm_settings(org_id: uuid.UUID, subject: KeysManage, session: SessionDep) -> None:
    await org_llm.remove(session, subject)


@router.get("/{org_id}/fetch", summary="Organization-wide proxies (hosts only)")
async def get_fetch_settings(org_id: uuid.UUID, subject: OrgRead, session: SessionDep) -> OrgFetchSettings:
    return await org_fetch.get(session, subject)


@router.put("/{org_id}/fetch", summary="Set the proxies every bot uses unless it names its own")
async def update_fetch_settings(
    org_id: uuid.UUID, body: OrgFetchSettingsUpdate, subject: KeysManage, session: SessionDep, box: SecretBoxDep
) -> OrgFetchSettings:
    """Stored encrypted; an empty list removes them."""
    return await org_fetch.update(session, subject, body, box)


@router.get("/{org_id}/audit", summary="Read the audit log")
async def list_audit(
    org_id: uuid.UUID,
    subject: AuditRead,
    session: SessionDep,
    page: PageParamsDep,
    action: Annotated[str | None, Query(max_length=64, description="Only this action, e.g. `auth.login`.")] = None,
) -> Page[AuditEntry]:
    items, next_cursor = await audit.list_entries(session, subject, page, action=action)
    return Page(items=[AuditEntry.model_validate(e) for e in items], next_cursor=next_cursor)
