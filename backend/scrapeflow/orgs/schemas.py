"""Request and response bodies for organizations, members, invitations, API keys and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from scrapeflow.auth.permissions import ApiKeyScope
from scrapeflow.auth.schemas import Email
from scrapeflow.bots.fetch_settings import Proxy
from scrapeflow.kit.schemas import InputSchema, Name, Schema
from scrapeflow.models import Role
from scrapeflow.workflow.checks import check_url


class OrganizationCreate(InputSchema):
    name: Name

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Acme price watch"}]})


class OrganizationUpdate(InputSchema):
    name: Name


class Organization(Schema):
    id: uuid.UUID
    name: str
    slug: str
    is_personal: bool
    plan: str
    created_at: datetime


class OrganizationWithRole(Organization):
    role: Role = Field(description="Your role in this organization.")


class Member(Schema):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    joined_at: datetime


class MemberUpdate(InputSchema):
    role: Role


class InvitationCreate(InputSchema):
    email: Email
    role: Role = Role.viewer

    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "grace@example.com", "role": "editor"}]})


class Invitation(Schema):
    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime


class InvitationCreated(Invitation):
    token: str = Field(description="Shown once: send it to the invitee, who accepts it while signed in.")
    accept_url: str


class InvitationAccept(InputSchema):
    token: str = Field(min_length=8, max_length=200)


class ApiKeyCreate(InputSchema):
    name: Name
    scopes: list[ApiKeyScope] = Field(min_length=1, max_length=2)

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Zapier", "scopes": ["read", "write"]}]})


class ApiKey(Schema):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    scopes: list[ApiKeyScope]
    last_used_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The key itself, shown only once. Send it as `Authorization: Bearer sf_…`.")


class AuditEntry(Schema):
    id: uuid.UUID
    action: str
    actor_user_id: uuid.UUID | None
    actor_api_key_id: uuid.UUID | None
    target_type: str | None
    target_id: str | None
    data: dict[str, Any]
    ip: str | None
    created_at: datetime


class LlmSettings(Schema):
    """The organization's own LLM key: whether one is set, never the key itself."""

    configured: bool
    base_url: str | None = None
    model: str | None = None
    key_hint: str | None = Field(default=None, description="The key's last four characters.")


class LlmSettingsUpdate(InputSchema):
    api_key: str | None = Field(default=None, min_length=8, max_length=500, json_schema_extra={"writeOnly": True})
    base_url: Annotated[str, AfterValidator(check_url)] | None = Field(
        default=None, description="An OpenAI-compatible server, e.g. https://openrouter.ai/api/v1."
    )
    model: str | None = Field(default=None, max_length=200)


class OrgFetchSettings(Schema):
    proxy_hosts: list[str] = Field(default_factory=list, description="The proxies, without their credentials.")


class OrgFetchSettingsUpdate(InputSchema):
    proxies: list[Proxy] = Field(max_length=100, description="Used in turn by every bot that names no proxies.")
