"""Firecrawl's API, served by ScrapeFlow's engine: the official SDKs work against a ScrapeFlow server unchanged.

Mounted at the root (`/v2/scrape`, `/v1/map`, …) where the SDKs look for them. Any organization API key
(`Authorization: Bearer sf_…`) may call them, a `read` key included (and a signed-in user's access token):
they fetch public pages and store nothing in the organization, so they need no more than reading its bots.
"""

from __future__ import annotations

from fastapi import APIRouter

from scrapeflow.auth.subject import BotsRead
from scrapeflow.firecrawl_api import service as firecrawl_service
from scrapeflow.firecrawl_api.errors import FirecrawlRoute
from scrapeflow.firecrawl_api.schemas import (
    MapLink,
    MapRequest,
    MapResponse,
    ScrapeRequest,
    ScrapeResponse,
    V1MapRequest,
    V1MapResponse,
)
from scrapeflow.kit.http import SettingsDep

router = APIRouter(tags=["firecrawl"], route_class=FirecrawlRoute)


@router.post("/v2/scrape", summary="Scrape a page (Firecrawl v2)", response_model_exclude_none=True)
async def scrape_v2(body: ScrapeRequest, subject: BotsRead, settings: SettingsDep) -> ScrapeResponse:
    """Formats: markdown, html, rawHtml, links; metadata always comes along."""
    return ScrapeResponse(data=await firecrawl_service.scrape(settings, body))


@router.post("/v2/map", summary="List a site's URLs (Firecrawl v2)", response_model_exclude_none=True)
async def map_v2(body: MapRequest, subject: BotsRead, settings: SettingsDep) -> MapResponse:
    urls = await firecrawl_service.map_site(settings, body.options())
    return MapResponse(links=[MapLink(url=url) for url in urls])


@router.post("/v1/scrape", summary="Scrape a page (Firecrawl v1)", response_model_exclude_none=True)
async def scrape_v1(body: ScrapeRequest, subject: BotsRead, settings: SettingsDep) -> ScrapeResponse:
    return ScrapeResponse(data=await firecrawl_service.scrape(settings, body))


@router.post("/v1/map", summary="List a site's URLs (Firecrawl v1)")
async def map_v1(body: V1MapRequest, subject: BotsRead, settings: SettingsDep) -> V1MapResponse:
    return V1MapResponse(links=await firecrawl_service.map_site(settings, body.options()))
