"""An organization's own LLM key ("bring your own key"): stored sealed, never shown again.

When set, the organization's LLM extraction uses it (and its base URL and default model)
instead of the server's, and the tokens are counted as paid by the organization.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.config import Settings
from scrapeflow.engine.errors import EngineError
from scrapeflow.engine.llm import Payer
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.errors import Unprocessable
from scrapeflow.models import Organization
from scrapeflow.orgs import audit
from scrapeflow.orgs import service as orgs_service
from scrapeflow.orgs.schemas import LlmSettings, LlmSettingsUpdate


@dataclass(frozen=True)
class LlmConfig:
    """What an LLM call uses, and who pays for it."""

    api_key: str
    base_url: str | None
    model: str
    paid_by: Payer


def _view(organization: Organization) -> LlmSettings:
    stored = organization.settings.get("llm") or {}
    return LlmSettings(
        configured=bool(stored.get("sealed_key")),
        base_url=stored.get("base_url"),
        model=stored.get("model"),
        key_hint=stored.get("key_hint"),
    )


async def get(session: AsyncSession, subject: AuthSubject) -> LlmSettings:
    return _view(await orgs_service.get(session, subject))


def check_reachable(base_url: str, settings: Settings) -> None:
    """The server calls this URL, so it must not point inside our network unless FETCH_ALLOWLIST allows it.

    Literal private addresses (in any spelling) and `localhost` are refused here; names that resolve to
    private addresses are refused at call time, by the SSRF guard the organization's LlmConfig carries
    (see `bots.service.llm_config`), since what a name resolves to can change after it was saved.
    """
    allowlist = FetchAllowlist.parse(settings.fetch_allowlist)
    try:
        target = SsrfGuard(allowlist).check_url(base_url)
    except EngineError as exc:
        raise Unprocessable(exc.message, code="blocked_by_policy") from exc
    host = target.host.lower().rstrip(".")
    if (host == "localhost" or host.endswith(".localhost")) and not allowlist.allows_name(host):
        raise Unprocessable(
            "This address is on the server's own network; an administrator must list it in FETCH_ALLOWLIST first.",
            code="blocked_by_policy",
        )


async def update(
    session: AsyncSession, subject: AuthSubject, body: LlmSettingsUpdate, box: SecretBox, settings: Settings
) -> LlmSettings:
    organization = await orgs_service.get(session, subject)
    if body.base_url:
        check_reachable(body.base_url, settings)
    stored = dict(organization.settings.get("llm") or {})
    if body.api_key is not None:
        stored["sealed_key"] = box.encrypt(body.api_key)
        stored["key_hint"] = f"…{body.api_key[-4:]}"
    for name in ("base_url", "model"):
        if name in body.model_fields_set:
            stored[name] = getattr(body, name)
    organization.settings = {**organization.settings, "llm": stored}
    audit.record_by(session, subject, "llm_key.updated", target_type="organization", target_id=organization.id)
    await session.flush()
    return _view(organization)


async def remove(session: AsyncSession, subject: AuthSubject) -> None:
    organization = await orgs_service.get(session, subject)
    organization.settings = {key: value for key, value in organization.settings.items() if key != "llm"}
    audit.record_by(session, subject, "llm_key.removed", target_type="organization", target_id=organization.id)
    await session.flush()


def resolve(
    organization: Organization, settings: Settings, box: SecretBox, model: str | None = None
) -> LlmConfig | None:
    """The LLM an organization's bot uses: its own key first, else the server's, else none (deterministic)."""
    own = organization.settings.get("llm") or {}
    if own.get("sealed_key"):
        return LlmConfig(
            api_key=box.decrypt(own["sealed_key"]),
            base_url=own.get("base_url") or None,
            model=model or own.get("model") or settings.openai_model,
            paid_by="organization",
        )
    if settings.openai_api_key:
        return LlmConfig(
            settings.openai_api_key, settings.openai_base_url or None, model or settings.openai_model, "server"
        )
    return None
