"""AI extraction in test runs of saved bots: answers cached and selectors learned in the database, the LLM usage
counted against the key that paid, and an organization's LLM server refused when it resolves inside our network.
The LLM is the fake chat-completions server; the pages are the test shop's, over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scrapeflow.auth.subject import AuthSubject
from scrapeflow.bots import service as bots_service
from scrapeflow.bots.llm_memory import DatabaseLlmCache, DatabaseSelectorStore
from scrapeflow.config import Settings
from scrapeflow.engine.errors import EngineError, ErrorCode
from scrapeflow.engine.llm import CachedAnswer, LearnedSelectors, LlmContext, PageTemplate, extract_page
from scrapeflow.engine.llm.client import LlmClient
from scrapeflow.engine.llm.transport import guarded_http_client
from scrapeflow.engine.ssrf import FetchAllowlist, SsrfGuard
from scrapeflow.kit.crypto import SecretBox
from scrapeflow.kit.http import ClientInfo
from scrapeflow.models import LearnedSelectorSet, LlmAnswer, Role
from scrapeflow.orgs import llm as org_llm
from scrapeflow.orgs.schemas import LlmSettingsUpdate
from tests.conftest import SHOP_SIZE
from tests.engine.llm_fixtures import PRODUCT_FIELDS, product_page
from tests.engine.llm_server import FakeLlm, serve_llm
from tests.factories import Actor, make_user
from tests.site.catalog import Catalog

CATALOG = Catalog(size=SHOP_SIZE)
FIELDS = [
    {"name": "title", "type": "string", "description": "The product name"},
    {"name": "price", "type": "number", "description": "The price"},
]


@pytest.fixture(scope="module")
def llm_server() -> Iterator[tuple[FakeLlm, str]]:
    with serve_llm() as served:
        yield served


@pytest.fixture
def fake(llm_server: tuple[FakeLlm, str]) -> FakeLlm:
    llm_server[0].requests.clear()
    return llm_server[0]


@pytest.fixture
def allow_local(app: Any, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"fetch_allowlist": "127.0.0.1", "test_run_timeout_seconds": 15})


def llm_bot(start_url: str) -> dict[str, Any]:
    return {
        "name": "AI products",
        "workflow_json": {
            "nodes": [
                {"id": "start", "type": "start", "data": {"urls": [start_url]}},
                {"id": "ai", "type": "llm_extract", "data": {"fields": FIELDS}},
            ],
            "edges": [{"source": "start", "target": "ai"}],
        },
    }


async def own_key(client: httpx.AsyncClient, owner: Actor, base_url: str) -> None:
    body = {"api_key": "sk-org-test-key-1234", "base_url": base_url, "model": "fake-model"}
    saved = await client.put(f"/api/v1/orgs/{owner.user.default_org_id}/llm", json=body, headers=owner.headers)
    assert saved.status_code == 200, saved.text


def ai_node(run: dict[str, Any]) -> dict[str, Any]:
    assert run["ok"] is True, run
    return next(node for node in run["nodes"] if node["type"] == "llm_extract")


@pytest.mark.usefixtures("allow_local")
async def test_saved_bots_reuse_cached_answers_and_learned_selectors_across_test_runs(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, shop: str, fake: FakeLlm, llm_server: Any
) -> None:
    owner = await make_user(session, settings)
    await own_key(client, owner, llm_server[1])
    first, second = CATALOG.products[3], CATALOG.products[9]
    bot = (await client.post("/api/v1/bots", json=llm_bot(f"{shop}{first.path}"), headers=owner.headers)).json()
    test_url, learned_url = f"/api/v1/bots/{bot['id']}/test", f"/api/v1/bots/{bot['id']}/learned-selectors"

    run = (await client.post(test_url, headers=owner.headers)).json()
    assert run["rows"] == [{"title": first.title, "price": float(first.price)}]
    assert ai_node(run)["values"]["paths"] == {"title": "llm", "price": "llm"}
    assert fake.calls == 1
    # Who paid, with the tokens and cost, on the node and summed for the run.
    assert ai_node(run)["values"]["paid_by"] == "organization"
    usage = run["llm_usage"]
    assert usage["paid_by"] == "organization" and usage["llm_calls"] == 1
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["prompt_tokens"] == ai_node(run)["values"]["prompt_tokens"]

    learned = (await client.get(learned_url, headers=owner.headers)).json()["items"]
    assert [item["node_id"] for item in learned] == ["ai"]
    assert set(learned[0]["templates"][0]["fields"]) == {"title", "price"}
    assert learned[0]["templates"][0]["learned_from"] == f"{shop}{first.path}"

    # Another product: the selectors learned on the first one read it, with no LLM call.
    later = (await client.post(test_url, json={"url": f"{shop}{second.path}"}, headers=owner.headers)).json()
    assert later["rows"] == [{"title": second.title, "price": float(second.price)}]
    assert ai_node(later)["values"]["paths"] == {"title": "selector", "price": "selector"}
    assert later["llm_usage"] is None
    assert fake.calls == 1

    # Forgotten selectors: the unchanged page still costs nothing, its answer comes from the cache.
    assert (await client.delete(learned_url, headers=owner.headers)).status_code == 204
    assert (await client.get(learned_url, headers=owner.headers)).json()["items"] == []
    again = (await client.post(test_url, headers=owner.headers)).json()
    assert again["rows"] == run["rows"]
    assert ai_node(again)["values"]["paths"] == {"title": "cache", "price": "cache"}
    assert again["llm_usage"] is None
    assert fake.calls == 1
    # …and the cache hit taught the selectors again.
    assert len((await client.get(learned_url, headers=owner.headers)).json()["items"]) == 1

    # The memory lives in the database, scoped to the organization and the bot.
    org_id = owner.user.default_org_id
    answers = await session.scalar(select(func.count()).select_from(LlmAnswer).where(LlmAnswer.org_id == org_id))
    assert answers == 1
    await client.delete(f"/api/v1/bots/{bot['id']}", headers=owner.headers)
    selectors = await session.scalar(
        select(func.count()).select_from(LearnedSelectorSet).where(LearnedSelectorSet.org_id == org_id)
    )
    assert selectors == 0  # deleted with the bot


@pytest.mark.usefixtures("allow_local")
async def test_the_servers_key_is_counted_as_the_servers(
    client: httpx.AsyncClient,
    app: Any,
    session: AsyncSession,
    settings: Settings,
    shop: str,
    fake: FakeLlm,
    llm_server: tuple[FakeLlm, str],
) -> None:
    server_llm = {"openai_api_key": "sk-server-key", "openai_base_url": llm_server[1], "openai_model": "fake-model"}
    app.state.settings = app.state.settings.model_copy(update=server_llm)
    editor = await make_user(session, settings)
    product = CATALOG.products[5]
    body = {"workflow_json": llm_bot(f"{shop}{product.path}")["workflow_json"]}
    run = (await client.post("/api/v1/bots/test", json=body, headers=editor.headers)).json()
    assert ai_node(run)["values"]["paid_by"] == "server"
    assert run["llm_usage"]["paid_by"] == "server" and run["llm_usage"]["llm_calls"] == 1
    # An unsaved workflow learns nothing, but the organization's cache still answers an unchanged page.
    again = (await client.post("/api/v1/bots/test", json=body, headers=editor.headers)).json()
    assert ai_node(again)["values"]["paths"] == {"title": "cache", "price": "cache"}
    assert fake.calls == 1


async def test_the_database_memory_is_per_organization_and_upserts(session: AsyncSession, settings: Settings) -> None:
    box = SecretBox(settings.jwt_secret)
    ada, bob = await make_user(session, settings), await make_user(session, settings)
    assert ada.user.default_org_id is not None and bob.user.default_org_id is not None
    subject = AuthSubject(ada.user.default_org_id, Role.owner, ada.user.id, None, ClientInfo("127.0.0.1", "test"))
    from scrapeflow.bots.schemas import BotCreate

    bot = await bots_service.create(session, subject, BotCreate(name="b", start_url="https://example.com/"), box)
    ada_cache = DatabaseLlmCache(session, ada.user.default_org_id)
    bob_cache = DatabaseLlmCache(session, bob.user.default_org_id)
    await ada_cache.set("k" * 64, CachedAnswer([{"title": "first"}], "m", 10, 2))
    await ada_cache.set("k" * 64, CachedAnswer([{"title": "second"}], "m", 11, 3))  # a second run, same page
    cached = await ada_cache.get("k" * 64)
    assert cached is not None and cached.rows == [{"title": "second"}] and cached.prompt_tokens == 11
    assert await bob_cache.get("k" * 64) is None

    store = DatabaseSelectorStore(session, ada.user.default_org_id)
    key = (str(bot.id), "ai")
    assert await store.load(key) is None
    learned = LearnedSelectors()
    learned.remember(PageTemplate(fields={}, learned_from="https://example.com/1"))
    await store.save(key, learned)
    await store.save(key, learned)
    loaded = await store.load(key)
    assert loaded is not None and loaded.templates[0].learned_from == "https://example.com/1"
    assert await DatabaseSelectorStore(session, bob.user.default_org_id).load(key) is None


async def test_an_organizations_llm_server_that_resolves_inside_our_network_is_refused_when_called(
    session: AsyncSession, settings: Settings, fake: FakeLlm, llm_server: tuple[FakeLlm, str]
) -> None:
    """`localhost` is a name: saving it needs the allowlist, and when the allowlist no longer names it (or a
    public name comes to resolve to a private address), the call itself is refused before any request."""
    box = SecretBox(settings.jwt_secret)
    owner = await make_user(session, settings)
    assert owner.user.default_org_id is not None
    subject = AuthSubject(owner.user.default_org_id, Role.owner, owner.user.id, None, ClientInfo("127.0.0.1", "test"))
    by_name = llm_server[1].replace("127.0.0.1", "localhost")
    allowed = settings.model_copy(update={"fetch_allowlist": "localhost"})
    body = LlmSettingsUpdate(api_key="sk-org-test-key-1234", base_url=by_name, model="fake-model")
    await org_llm.update(session, subject, body, box, allowed)
    html, url = product_page(CATALOG.products[2])

    refused = await bots_service.llm_config(session, subject, settings, box)  # FETCH_ALLOWLIST empty
    assert refused is not None and refused.paid_by == "organization"
    with pytest.raises(EngineError) as caught:
        async with LlmContext(config=refused) as context:
            await extract_page(html, url, PRODUCT_FIELDS, context)
    assert caught.value.code == ErrorCode.BLOCKED_BY_POLICY
    assert "FETCH_ALLOWLIST" in caught.value.message
    assert fake.calls == 0

    # A name that passed the first check and resolves privately at connect time (DNS rebinding) fails the same.
    context = LlmContext(config=refused)
    context._client = LlmClient(refused)
    context._client._vetted = True
    with pytest.raises(EngineError) as rebound:
        await extract_page(html, url, PRODUCT_FIELDS, context)
    await context.aclose()
    assert rebound.value.code == ErrorCode.BLOCKED_BY_POLICY
    assert fake.calls == 0

    permitted = await bots_service.llm_config(session, subject, allowed, box)
    async with LlmContext(config=permitted) as context:
        result = await extract_page(html, url, PRODUCT_FIELDS, context)
    assert result.rows[0]["title"] == CATALOG.products[2].title
    assert fake.calls == 1


async def test_the_guarded_llm_transport_vets_every_connection(llm_server: tuple[FakeLlm, str]) -> None:
    url = llm_server[1].replace("127.0.0.1", "localhost") + "/chat/completions"
    async with guarded_http_client(SsrfGuard(), timeout=5) as refused:
        with pytest.raises(EngineError) as caught:
            await refused.post(url, json={})
    assert caught.value.code == ErrorCode.BLOCKED_BY_POLICY
    async with guarded_http_client(SsrfGuard(FetchAllowlist.parse("localhost")), timeout=5) as allowed:
        response = await allowed.get(url)
    assert isinstance(response, httpx2.Response) and response.status_code == 405
