"""Organization-wide proxies: used by every bot of the organization that names none of its own."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots.fetch_settings import host_port
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.models import Organization
from scrapeflow.orgs import audit
from scrapeflow.orgs import service as orgs_service
from scrapeflow.orgs.schemas import OrgFetchSettings, OrgFetchSettingsUpdate


def _view(organization: Organization) -> OrgFetchSettings:
    return OrgFetchSettings(proxy_hosts=(organization.settings.get("fetch") or {}).get("proxy_hosts", []))


async def get(session: AsyncSession, subject: AuthSubject) -> OrgFetchSettings:
    return _view(await orgs_service.get(session, subject))


async def update(
    session: AsyncSession, subject: AuthSubject, body: OrgFetchSettingsUpdate, box: SecretBox
) -> OrgFetchSettings:
    organization = await orgs_service.get(session, subject)
    stored = {
        "sealed": box.encrypt(json.dumps(body.proxies)) if body.proxies else None,
        "proxy_hosts": [host_port(proxy) for proxy in body.proxies],
    }
    organization.settings = {**organization.settings, "fetch": stored}
    audit.record_by(session, subject, "org.proxies_updated", target_type="organization", target_id=organization.id)
    await session.flush()
    return _view(organization)


def proxies(organization: Organization, box: SecretBox) -> list[str]:
    sealed = (organization.settings.get("fetch") or {}).get("sealed")
    return list(json.loads(box.decrypt(sealed))) if sealed else []
