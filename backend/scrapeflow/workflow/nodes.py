"""The node catalogue: one pydantic model per node type, with its stage, title and example.

The JSON Schemas served at `GET /api/v1/workflow/node-types` are generated from these models,
so the editor's property forms and the backend's validation never disagree.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scrapeflow.workflow.checks import check_css, check_regex, check_selector, check_url


class Stage(StrEnum):
    """Where a node may stand: sources first, then page actions, then post-processing, then sinks."""

    source = "source"
    page = "page"
    post = "post"
    sink = "sink"

    @property
    def order(self) -> int:
        return list(Stage).index(self)


Url = Annotated[str, AfterValidator(check_url), Field(max_length=2048, examples=["https://example.com/products"])]
Css = Annotated[str, AfterValidator(check_css), Field(max_length=1000)]
Pattern = Annotated[str, AfterValidator(check_regex), Field(description="A regular expression.")]
Glob = Annotated[str, Field(min_length=1, max_length=500, examples=["*/products/*"])]
FieldName = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_ .-]*$", description="The column name."),
]
SelectorType = Literal["css", "xpath"]
# `jsonld` reads the page's JSON-LD: `Product.offers.price` (type first, optional).
FieldSelectorType = Literal["css", "xpath", "jsonld"]
FieldType = Literal["text", "number", "price", "date", "url", "html"]


class NodeData(BaseModel):
    """Common to every node; keys the editor adds for itself (labels, colours) are allowed and kept."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    label: str | None = Field(default=None, max_length=200, description="A name shown on the canvas.")


# Transform operations, shared by `extract` fields and the `transform` node.


class TrimOp(BaseModel):
    op: Literal["trim"]


class CaseOp(BaseModel):
    op: Literal["lowercase", "uppercase"]


class RegexOp(BaseModel):
    op: Literal["regex"]
    pattern: Pattern
    group: int | str = Field(default=0, description="Which group to keep (number or name).")


class ReplaceOp(BaseModel):
    op: Literal["replace"]
    pattern: Pattern
    replacement: str = ""


class NumberOp(BaseModel):
    op: Literal["number"]
    decimal: Literal[".", ","] | None = Field(default=None, description="Decimal separator; guessed when empty.")


class PriceOp(BaseModel):
    op: Literal["price"]
    currency: str | None = Field(default=None, max_length=3, description="ISO code to use when the page shows none.")


class DateOp(BaseModel):
    op: Literal["date"]
    format: str | None = Field(default=None, max_length=100, description="strftime format; guessed when empty.")


class DefaultOp(BaseModel):
    op: Literal["default"]
    value: str | float | int | bool | None


class CastOp(BaseModel):
    op: Literal["cast"]
    to: Literal["str", "int", "float", "bool"]


TransformOp = Annotated[
    TrimOp | CaseOp | RegexOp | ReplaceOp | NumberOp | PriceOp | DateOp | DefaultOp | CastOp,
    Field(discriminator="op"),
]


class ExtractField(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: FieldName
    selector_type: FieldSelectorType = "css"
    selector: str = Field(min_length=1, max_length=1000, examples=["h1", ".price"])
    attribute: str | None = Field(default=None, max_length=100, description="Read this attribute instead of the text.")
    type: FieldType = "text"
    multiple: bool = Field(default=False, description="Collect every match as a list instead of the first.")
    transforms: list[TransformOp] = Field(default_factory=list, max_length=20)

    @field_validator("selector")
    @classmethod
    def _selector_is_valid(cls, selector: str, info: ValidationInfo) -> str:
        return check_selector(selector, info.data.get("selector_type", "css"))


# Source nodes


class StartData(NodeData):
    urls: list[Url] = Field(default_factory=list, max_length=10_000, description="Where the bot begins.")
    accept_input_urls: bool = Field(default=False, description="Also take a list of URLs given when the bot runs.")

    @model_validator(mode="after")
    def _has_urls(self) -> StartData:
        if not self.urls and not self.accept_input_urls:
            raise ValueError("Add at least one URL, or let the bot take URLs when it runs.")
        return self


class MapData(NodeData):
    limit: int = Field(default=100, ge=1, le=100_000, description="Stop after this many pages.")
    max_depth: int = Field(default=2, ge=0, le=20, description="How many links away from the start to go.")
    include: list[Glob] = Field(default_factory=list, max_length=50, description="Only URLs matching one of these.")
    exclude: list[Glob] = Field(default_factory=list, max_length=50, description="Never URLs matching these.")
    same_site: bool = Field(default=True, description="Stay on the start URL's website.")
    sitemap: bool = Field(default=True, description="Read sitemap.xml (and sitemaps named in robots.txt).")


# Page nodes


class NavigateData(NodeData):
    url: Url


class WaitData(NodeData):
    selector: Css | None = None
    ms: int | None = Field(default=None, ge=0, le=60_000)
    until: Literal["load", "networkidle"] | None = None


class ClickData(NodeData):
    selector: Css


class FillData(NodeData):
    selector: Css
    value: str | None = Field(default=None, max_length=10_000)
    secret: str | None = Field(default=None, max_length=100, description="Name of an encrypted bot secret to type.")

    @model_validator(mode="after")
    def _value_or_secret(self) -> FillData:
        if (self.value is None) == (self.secret is None):
            raise ValueError("Give either a value or the name of a secret to type.")
        return self


class ScrollData(NodeData):
    times: int | None = Field(default=None, ge=1, le=500)
    until_no_new: bool = True
    item_selector: Css | None = None


class PaginateData(NodeData):
    next_selector: Css | None = Field(default=None, description="The 'next page' link or button.")
    url_pattern: str | None = Field(
        default=None, max_length=2048, description="A URL with {page}, e.g. https://example.com/list?page={page}."
    )
    max_pages: int = Field(default=10, ge=1, le=10_000)

    @model_validator(mode="after")
    def _one_way(self) -> PaginateData:
        if not self.next_selector and not self.url_pattern:
            raise ValueError("Give the 'next' link selector or a URL pattern with {page}.")
        if self.url_pattern is not None:
            if "{page}" not in self.url_pattern:
                raise ValueError("The URL pattern must contain {page}.")
            check_url(self.url_pattern.replace("{page}", "1"))
        return self


class LoopData(NodeData):
    selector: Css


class FollowData(NodeData):
    selector: Css = Field(description="The links to open; the next steps run on each linked page.")
    max_links: int = Field(default=1000, ge=1, le=100_000, description="At most this many links per page.")
    same_site: bool = Field(default=True, description="Skip links to other websites.")


class ExtractData(NodeData):
    mode: Literal["single", "list"] = "single"
    item_selector_type: SelectorType = "css"
    item_selector: str | None = Field(default=None, max_length=1000, description="Each list item (list mode).")
    fields: list[ExtractField] = Field(min_length=1, max_length=200)

    @field_validator("item_selector")
    @classmethod
    def _item_selector_is_valid(cls, selector: str | None, info: ValidationInfo) -> str | None:
        return check_selector(selector, info.data.get("item_selector_type", "css")) if selector else selector

    @model_validator(mode="after")
    def _list_needs_items(self) -> ExtractData:
        if self.mode == "list" and not self.item_selector:
            raise ValueError("A list needs an item selector: the element that repeats once per row.")
        names = [field.name for field in self.fields]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"Field names must be different; repeated: {', '.join(duplicates)}.")
        return self


class ScreenshotData(NodeData):
    full_page: bool = False


# Post-processing nodes


class LlmField(BaseModel):
    name: FieldName
    type: Literal["string", "number", "integer", "boolean", "date", "url", "list"] = "string"
    description: str = Field(default="", max_length=1000)


class LlmExtractData(NodeData):
    fields: list[LlmField] = Field(min_length=1, max_length=100)
    instructions: str | None = Field(default=None, max_length=5000)
    model: str | None = Field(
        default=None, max_length=200, description="Model name; the organization's default if empty."
    )


class TransformData(NodeData):
    field: FieldName
    ops: list[TransformOp] = Field(min_length=1, max_length=20)


class FilterData(NodeData):
    field: FieldName
    op: Literal["eq", "ne", "contains", "not_contains", "gt", "gte", "lt", "lte", "regex", "exists", "not_exists"]
    value: str | float | int | bool | None = None

    @model_validator(mode="after")
    def _value_fits(self) -> FilterData:
        if self.op == "regex":
            if not isinstance(self.value, str):
                raise ValueError("A regex filter needs a pattern as its value.")
            check_regex(self.value)
        elif self.op not in ("exists", "not_exists") and self.value is None:
            raise ValueError("This filter needs a value to compare with.")
        return self


class DedupeData(NodeData):
    keys: list[FieldName] = Field(min_length=1, max_length=20, description="Fields that identify a row.")
    emit: Literal["all", "new", "changed"] = "all"


# Sink nodes


class ExportData(NodeData):
    destination_id: uuid.UUID
    rows: Literal["all", "new", "changed"] = "all"


@dataclass(frozen=True)
class NodeType:
    name: str
    stage: Stage
    title: str
    description: str
    data: builtins.type[NodeData]
    example: dict[str, Any]


_EXAMPLE_DESTINATION = "00000000-0000-0000-0000-000000000000"

NODE_TYPES: dict[str, NodeType] = {
    node.name: node
    for node in [
        NodeType(
            "start",
            Stage.source,
            "Start",
            "The pages the bot begins on.",
            StartData,
            {"urls": ["https://example.com/products"]},
        ),
        NodeType(
            "map",
            Stage.source,
            "Discover pages",
            "Find more pages from sitemaps and links, with include and exclude patterns.",
            MapData,
            {
                "limit": 100,
                "max_depth": 2,
                "include": ["*/products/*"],
                "exclude": [],
                "same_site": True,
                "sitemap": True,
            },
        ),
        NodeType(
            "navigate",
            Stage.page,
            "Go to page",
            "Open another address.",
            NavigateData,
            {"url": "https://example.com/login"},
        ),
        NodeType(
            "wait",
            Stage.page,
            "Wait",
            "Wait for an element, a time, or the network to go quiet.",
            WaitData,
            {"selector": ".results"},
        ),
        NodeType("click", Stage.page, "Click", "Click a button or link.", ClickData, {"selector": "button.load-more"}),
        NodeType(
            "fill",
            Stage.page,
            "Type",
            "Type text or a stored secret into a field.",
            FillData,
            {"selector": "input[name=email]", "value": "me@example.com"},
        ),
        NodeType(
            "scroll",
            Stage.page,
            "Scroll",
            "Scroll to load more items (infinite scroll).",
            ScrollData,
            {"until_no_new": True, "item_selector": ".card"},
        ),
        NodeType(
            "paginate",
            Stage.page,
            "Next pages",
            "Follow 'next' links or numbered pages.",
            PaginateData,
            {"next_selector": "a[rel=next]", "max_pages": 10},
        ),
        NodeType(
            "follow",
            Stage.page,
            "Open each link",
            "Open every matching link (e.g. each product in a list) and run the next steps there.",
            FollowData,
            {"selector": "a.product-link", "max_links": 100},
        ),
        NodeType(
            "loop",
            Stage.page,
            "For each",
            "Repeat the next steps for each matching element.",
            LoopData,
            {"selector": ".product-card"},
        ),
        NodeType(
            "extract",
            Stage.page,
            "Extract",
            "Pick values from the page, once or as a list of rows.",
            ExtractData,
            {
                "mode": "list",
                "item_selector": ".product-card",
                "fields": [
                    {"name": "title", "selector": "h2", "selector_type": "css"},
                    {"name": "price", "selector": ".price", "type": "price"},
                    {"name": "url", "selector": "a", "attribute": "href", "type": "url"},
                ],
            },
        ),
        NodeType(
            "screenshot", Stage.page, "Screenshot", "Save a picture of the page.", ScreenshotData, {"full_page": False}
        ),
        NodeType(
            "llm_extract",
            Stage.post,
            "AI extract",
            "Describe the fields; an AI model reads them from the page.",
            LlmExtractData,
            {
                "fields": [
                    {"name": "title", "type": "string", "description": "Product name"},
                    {"name": "price", "type": "number", "description": "Price without currency"},
                ]
            },
        ),
        NodeType(
            "transform",
            Stage.post,
            "Clean up",
            "Trim, replace, convert or default a field.",
            TransformData,
            {"field": "price", "ops": [{"op": "trim"}, {"op": "price"}]},
        ),
        NodeType(
            "filter",
            Stage.post,
            "Filter",
            "Keep only the rows that match a condition.",
            FilterData,
            {"field": "price", "op": "lt", "value": 100},
        ),
        NodeType(
            "dedupe",
            Stage.post,
            "Remove duplicates",
            "Keep one row per key; optionally only new or changed.",
            DedupeData,
            {"keys": ["url"], "emit": "new"},
        ),
        NodeType(
            "export_webhook",
            Stage.sink,
            "Send to webhook",
            "POST the rows, signed, to a URL.",
            ExportData,
            {"destination_id": _EXAMPLE_DESTINATION},
        ),
        NodeType(
            "export_sheets",
            Stage.sink,
            "Google Sheets",
            "Append or upsert the rows into a sheet.",
            ExportData,
            {"destination_id": _EXAMPLE_DESTINATION},
        ),
        NodeType(
            "export_slack",
            Stage.sink,
            "Slack",
            "Post a summary to a Slack channel.",
            ExportData,
            {"destination_id": _EXAMPLE_DESTINATION},
        ),
    ]
}

# Page actions a plain HTTP fetch cannot perform: a bot using them needs the browser.
BROWSER_ONLY = frozenset({"wait", "click", "fill", "scroll", "screenshot"})
