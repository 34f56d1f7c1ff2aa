"""Organizations, roles, invitations and the audit log through the HTTP API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.config import Settings
from scrapeflow.models import Membership, Organization, Role
from tests.factories import START_URL, add_member, make_user


async def test_create_organization_and_switch_with_x_org_id(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    created = await client.post("/api/v1/orgs", json={"name": "Acme"}, headers=ada.headers)
    assert created.status_code == 201
    acme = created.json()
    assert acme["role"] == "owner"
    assert not acme["is_personal"]

    orgs = await client.get("/api/v1/orgs", headers=ada.headers)
    assert {org["name"] for org in orgs.json()} == {"Test's workspace", "Acme"}

    in_acme = await client.post(
        "/api/v1/bots",
        json={"name": "acme bot", "start_url": START_URL},
        headers={**ada.headers, "X-Org-Id": acme["id"]},
    )
    assert in_acme.status_code == 201
    default_list = await client.get("/api/v1/bots", headers=ada.headers)
    assert default_list.json()["items"] == []  # the default (personal) organization has no bots
    acme_list = await client.get("/api/v1/bots", headers={**ada.headers, "X-Org-Id": acme["id"]})
    assert [bot["name"] for bot in acme_list.json()["items"]] == ["acme bot"]


async def test_invitation_flow(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    org_id = owner.user.default_org_id
    invited = await client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": "Grace@Example.com", "role": "editor"},
        headers=owner.headers,
    )
    assert invited.status_code == 201, invited.text
    token = invited.json()["token"]
    assert invited.json()["email"] == "grace@example.com"
    assert token in invited.json()["accept_url"]

    stranger = await make_user(session, settings, email="mallory@example.com")
    wrong_person = await client.post("/api/v1/invitations/accept", json={"token": token}, headers=stranger.headers)
    assert wrong_person.status_code == 403

    grace = await make_user(session, settings, email="grace@example.com")
    accepted = await client.post("/api/v1/invitations/accept", json={"token": token}, headers=grace.headers)
    assert accepted.status_code == 200
    assert accepted.json()["role"] == "editor"
    again = await client.post("/api/v1/invitations/accept", json={"token": token}, headers=grace.headers)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "invalid_invitation"

    members = await client.get(f"/api/v1/orgs/{org_id}/members", headers=owner.headers)
    assert {(m["email"], m["role"]) for m in members.json()} == {
        (owner.user.email, "owner"),
        ("grace@example.com", "editor"),
    }
    pending = await client.get(f"/api/v1/orgs/{org_id}/invitations", headers=owner.headers)
    assert pending.json() == []


async def test_revoked_invitation_cannot_be_accepted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session, settings)
    org_id = owner.user.default_org_id
    invited = (
        await client.post(f"/api/v1/orgs/{org_id}/invitations", json={"email": "x@example.com"}, headers=owner.headers)
    ).json()
    assert invited["role"] == "viewer"
    revoked = await client.delete(f"/api/v1/orgs/{org_id}/invitations/{invited['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    invitee = await make_user(session, settings, email="x@example.com")
    refused = await client.post("/api/v1/invitations/accept", json={"token": invited["token"]}, headers=invitee.headers)
    assert refused.status_code == 404


async def test_role_rules(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    org_id = owner.user.default_org_id
    assert org_id is not None
    admin = await make_user(session, settings)
    editor = await make_user(session, settings)
    await add_member(session, org_id, admin.user, Role.admin)
    await add_member(session, org_id, editor.user, Role.editor)
    url = f"/api/v1/orgs/{org_id}/members"

    promoted = await client.put(f"{url}/{editor.user.id}", json={"role": "admin"}, headers=admin.headers)
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"
    to_owner = await client.put(f"{url}/{editor.user.id}", json={"role": "owner"}, headers=admin.headers)
    assert to_owner.status_code == 403
    assert to_owner.json()["error"]["code"] == "owner_required"
    demote_owner = await client.put(f"{url}/{owner.user.id}", json={"role": "viewer"}, headers=admin.headers)
    assert demote_owner.status_code == 403
    last_owner = await client.put(f"{url}/{owner.user.id}", json={"role": "admin"}, headers=owner.headers)
    assert last_owner.status_code == 409
    assert last_owner.json()["error"]["code"] == "last_owner"

    removed = await client.delete(f"{url}/{editor.user.id}", headers=admin.headers)
    assert removed.status_code == 204
    assert (await client.get("/api/v1/bots", headers={**editor.headers, "X-Org-Id": str(org_id)})).status_code == 404

    audit = await client.get(f"/api/v1/orgs/{org_id}/audit", headers=admin.headers)
    actions = [entry["action"] for entry in audit.json()["items"]]
    assert actions[:2] == ["member.removed", "member.role_changed"]
    role_change = audit.json()["items"][1]
    assert role_change["data"] == {"from": "editor", "to": "admin"}
    assert role_change["actor_user_id"] == str(admin.user.id)


async def test_leaving_and_last_owner(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    viewer = await make_user(session, settings)
    org_id = owner.user.default_org_id
    assert org_id is not None
    await add_member(session, org_id, viewer.user, Role.viewer)
    assert (await client.delete(f"/api/v1/orgs/{org_id}/membership", headers=viewer.headers)).status_code == 204
    owner_leaves = await client.delete(f"/api/v1/orgs/{org_id}/membership", headers=owner.headers)
    assert owner_leaves.status_code == 409


async def test_owner_deletes_organization(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    owner = await make_user(session, settings)
    created = (await client.post("/api/v1/orgs", json={"name": "Doomed"}, headers=owner.headers)).json()
    headers = {**owner.headers, "X-Org-Id": created["id"]}
    await client.post("/api/v1/bots", json={"name": "goes too", "start_url": START_URL}, headers=headers)
    deleted = await client.delete(f"/api/v1/orgs/{created['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    session.expunge_all()
    assert await session.get(Organization, uuid.UUID(created["id"])) is None
    assert (await client.get("/api/v1/bots", headers=headers)).status_code == 404


async def test_delete_account_removes_solo_organizations(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ada = await make_user(session, settings)
    personal = ada.user.default_org_id
    teammate = await make_user(session, settings)
    shared = (await client.post("/api/v1/orgs", json={"name": "Shared"}, headers=ada.headers)).json()
    await add_member(session, uuid.UUID(shared["id"]), teammate.user, Role.editor)

    refused = await client.delete("/api/v1/users/me", headers=ada.headers)
    assert refused.status_code == 409  # sole owner of an organization with other members

    await client.put(
        f"/api/v1/orgs/{shared['id']}/members/{teammate.user.id}", json={"role": "owner"}, headers=ada.headers
    )
    assert (await client.delete("/api/v1/users/me", headers=ada.headers)).status_code == 204
    session.expunge_all()
    assert personal is not None
    assert await session.get(Organization, personal) is None
    remaining = (await session.scalars(select(Membership).where(Membership.org_id == uuid.UUID(shared["id"])))).all()
    assert [m.user_id for m in remaining] == [teammate.user.id]
    assert (await client.get("/api/v1/users/me", headers=ada.headers)).status_code == 401


async def test_bring_your_own_llm_key(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    from scrapeflow.kit.crypto import SecretBox
    from scrapeflow.orgs.llm import resolve

    owner = await make_user(session, settings)
    org_id = owner.user.default_org_id
    url = f"/api/v1/orgs/{org_id}/llm"
    assert (await client.get(url, headers=owner.headers)).json()["configured"] is False
    body = {"api_key": "sk-live-abcdefgh1234", "base_url": "https://openrouter.ai/api/v1", "model": "llama-3.1-8b"}
    saved = await client.put(url, json=body, headers=owner.headers)
    assert saved.status_code == 200
    assert saved.json() == {
        "configured": True,
        "base_url": "https://openrouter.ai/api/v1",
        "model": "llama-3.1-8b",
        "key_hint": "…1234",
    }
    assert "abcdefgh" not in saved.text
    organization = await session.get(Organization, org_id)
    assert organization is not None
    assert "abcdefgh" not in str(organization.settings)
    config = resolve(organization, settings, SecretBox(settings.jwt_secret), model="bot-model")
    assert config is not None
    assert (config.api_key, config.model, config.paid_by) == ("sk-live-abcdefgh1234", "bot-model", "organization")

    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    await session.refresh(organization)
    assert resolve(organization, settings, SecretBox(settings.jwt_secret)) is None  # no server key in tests
    bad = await client.put(url, json={"base_url": "ftp://x"}, headers=owner.headers)
    assert bad.status_code == 422
    for internal in [
        "http://169.254.169.254/v1",
        "http://10.0.0.5:8000/v1",
        "http://0x7f000001/",
        "http://localhost:11434/v1",
    ]:
        refused = await client.put(url, json={"api_key": "sk-x-12345678", "base_url": internal}, headers=owner.headers)
        assert refused.status_code == 422, internal
        assert refused.json()["error"]["code"] == "blocked_by_policy"


async def test_organization_proxies_apply_to_bots_without_their_own(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: Any, shop: str
) -> None:
    app.state.settings = settings.model_copy(update={"fetch_allowlist": "127.0.0.1"})
    owner = await make_user(session, settings)
    org_url = f"/api/v1/orgs/{owner.user.default_org_id}/fetch"
    workflow = {"nodes": [{"id": "s", "type": "start", "data": {"urls": [f"{shop}/headers"]}}], "edges": []}
    bot = (
        await client.post("/api/v1/bots", json={"name": "p", "workflow_json": workflow}, headers=owner.headers)
    ).json()
    assert (await client.post(f"/api/v1/bots/{bot['id']}/test", headers=owner.headers)).json()["ok"] is True

    # A proxy nobody listens on: the run can only fail if the organization's proxy is really used.
    saved = await client.put(org_url, json={"proxies": ["http://user:pw@127.0.0.1:9"]}, headers=owner.headers)
    assert saved.json() == {"proxy_hosts": ["127.0.0.1:9"]}
    assert "pw@" not in saved.text
    proxied = (await client.post(f"/api/v1/bots/{bot['id']}/test", headers=owner.headers)).json()
    assert proxied["ok"] is False
    assert proxied["error"]["code"] == "NAVIGATION_ERROR"

    await client.put(org_url, json={"proxies": []}, headers=owner.headers)
    assert (await client.get(org_url, headers=owner.headers)).json() == {"proxy_hosts": []}
    assert (await client.post(f"/api/v1/bots/{bot['id']}/test", headers=owner.headers)).json()["ok"] is True
