"""Firecrawl's request and response bodies (camelCase, as its SDKs send and parse them).

Unknown fields are ignored rather than refused: the SDKs send options this server has no use for
(`origin`, `maxAge`, `blockAds`, `mobile`, …). What would change the answer and cannot be honoured
(screenshots, JSON extraction, browser actions) is refused with a 400 instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from scrapeflow.bots.fetch_settings import Headers
from scrapeflow.workflow.nodes import Css

FormatName = Literal["markdown", "html", "rawHtml", "links", "metadata"]
FORMATS: tuple[FormatName, ...] = ("markdown", "html", "rawHtml", "links", "metadata")
DEFAULT_SCRAPE_TIMEOUT_MS = 30_000
DEFAULT_MAP_TIMEOUT_MS = 60_000
MAX_TIMEOUT_MS = 300_000
MAX_MAP_LIMIT = 100_000
SitemapMode = Literal["include", "only", "skip"]


def _with_scheme(url: str) -> str:
    """Firecrawl takes `example.com` for `http://example.com`."""
    url = url.strip()
    if not url:
        raise ValueError("Give the URL of a page.")
    return url if "://" in url else f"http://{url}"


Url = Annotated[str, Field(max_length=2048), AfterValidator(_with_scheme)]
TimeoutMs = Annotated[int, Field(ge=1_000, le=MAX_TIMEOUT_MS, description="Milliseconds.")]


class FirecrawlInput(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ScrapeRequest(FirecrawlInput):
    """`POST /v2/scrape` and `POST /v1/scrape`."""

    url: Url
    formats: list[FormatName] = Field(default_factory=lambda: list[FormatName](["markdown"]), max_length=10)
    only_main_content: bool = Field(default=True, description="Leave out headers, navigation, footers, asides.")
    include_tags: list[Css] = Field(default_factory=list, max_length=50, description="Keep only these elements.")
    exclude_tags: list[Css] = Field(default_factory=list, max_length=50, description="Leave these elements out.")
    headers: Headers = Field(default_factory=dict, max_length=50, description="Sent to the site.")
    timeout: TimeoutMs = DEFAULT_SCRAPE_TIMEOUT_MS
    actions: list[Any] = Field(default_factory=list)

    @field_validator("formats", mode="before")
    @classmethod
    def _format_names(cls, value: Any) -> Any:
        """Formats come as names or as objects (`{"type": "markdown"}`); only these five can be served."""
        if not isinstance(value, list):
            return value
        names = [item.get("type") if isinstance(item, dict) else item for item in value]
        unsupported = [str(name) for name in names if name not in FORMATS]
        if unsupported:
            raise ValueError(
                f"This server does not produce the format(s) {', '.join(unsupported)}; it serves {', '.join(FORMATS)}."
            )
        return list(dict.fromkeys(names))

    @field_validator("actions")
    @classmethod
    def _no_actions(cls, value: list[Any]) -> list[Any]:
        if value:
            raise ValueError("Browser actions are not supported by this server's Firecrawl API.")
        return value


@dataclass(frozen=True, slots=True)
class MapOptions:
    """What a map request asks for, whichever API version it came in."""

    url: str
    search: str | None
    sitemap: SitemapMode
    include_subdomains: bool
    ignore_query_parameters: bool
    limit: int
    timeout: float
    """Seconds."""


class _MapRequest(FirecrawlInput):
    url: Url
    search: str | None = Field(default=None, max_length=500, description="Only URLs containing these words.")
    include_subdomains: bool = True
    ignore_query_parameters: bool = Field(default=True, description="One URL per path, query strings dropped.")
    limit: int = Field(default=5_000, ge=1, le=MAX_MAP_LIMIT)
    timeout: TimeoutMs = DEFAULT_MAP_TIMEOUT_MS


class MapRequest(_MapRequest):
    """`POST /v2/map`."""

    sitemap: SitemapMode = Field(default="include", description="include: sitemaps and links; only; skip.")

    def options(self) -> MapOptions:
        return MapOptions(
            self.url,
            self.search,
            self.sitemap,
            self.include_subdomains,
            self.ignore_query_parameters,
            self.limit,
            self.timeout / 1000,
        )


class V1MapRequest(_MapRequest):
    """`POST /v1/map`."""

    ignore_sitemap: bool = False
    sitemap_only: bool = False

    def options(self) -> MapOptions:
        sitemap: SitemapMode = "only" if self.sitemap_only else "skip" if self.ignore_sitemap else "include"
        return MapOptions(
            self.url,
            self.search,
            sitemap,
            self.include_subdomains,
            self.ignore_query_parameters,
            self.limit,
            self.timeout / 1000,
        )


class FirecrawlOutput(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class Document(FirecrawlOutput):
    """A scraped page: the formats asked for, and always its metadata."""

    markdown: str | None = None
    html: str | None = None
    raw_html: str | None = None
    links: list[str] | None = None
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="title, description, language, sourceURL, url, statusCode, contentType, og… and every "
        "other <meta> tag by its name.",
    )


class ScrapeResponse(FirecrawlOutput):
    success: bool = True
    data: Document


class MapLink(FirecrawlOutput):
    url: str
    title: str | None = None
    description: str | None = None


class MapResponse(FirecrawlOutput):
    success: bool = True
    links: list[MapLink]


class V1MapResponse(FirecrawlOutput):
    success: bool = True
    links: list[str]
